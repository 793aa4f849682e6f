#!/usr/bin/env bash
# Functions that begin with endbr64 (target and patch built with -fcf-protection=full):
# the jump is written after the endbr64, which stays (an indirect call still lands on
# it), and calls made directly and through a pointer stored before the apply both run
# the new code.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
gcc -O2 -g -flive-patching=inline-clone -fcf-protection=full -pthread -o "$FX/target" \
	"$FIXSRC/target.c" || fail "cannot build the target with -fcf-protection=full"
gcc -O2 -fPIC -fcf-protection=full -shared -o "$FX/patch-raw.so" "$FIXSRC/patch.c" ||
	fail "cannot build the patch with -fcf-protection=full"
cache_syms
make_patch "$FX/cet.so" cet
caddr=$(sym_addr "$FX/target" compute)
# bytes at ADDR (hex, link-time) in the running target, as hex
bytes_at() {
	python3 - "$TPID" "$1" "$2" <<'PY'
import os, sys
pid, addr, n = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3])
base = None
real = os.readlink(f"/proc/{pid}/exe")
for line in open(f"/proc/{pid}/maps"):
    f = line.split()
    if len(f) >= 6 and f[5] == real and int(f[2], 16) == 0:
        base = int(f[0].split("-")[0], 16)
        break
with open(f"/proc/{pid}/mem", "rb") as m:
    m.seek(base + addr)
    print(m.read(n).hex())
PY
}
start_target
wait_blocked
[ "$(bytes_at "$caddr" 4)" = f30f1efa ] || fail "compute does not begin with endbr64: $(bytes_at "$caddr" 8)"
before=$(bytes_at "$caddr" 16)
"$APPLY" -q "$TPID" "$FX/cet.so" || fail "apply failed"
after=$(bytes_at "$caddr" 16)
[ "${after:0:10}" = f30f1efae9 ] || fail "no jmp after the endbr64: $before -> $after"
[ "${after:18}" = "${before:18}" ] || fail "bytes past the jump changed: $before -> $after"
"$STATUS" --json "$TPID" | python3 -c '
import json, sys
d = json.load(sys.stdin)
f = d["patches"][0]["functions"][0]
assert f["name"] == "compute" and f["orig_bytes"] == sys.argv[1], f
' "${before:8:10}" || fail "registry: site or original bytes wrong"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "direct calls do not reach the new code"
wait_for 10 grep -q '^new pointer' "$TLOG" || fail "calls through the stored pointer do not reach the new code"
wait_blocked
no_eintr
ok "endbr64 kept, jump after it, direct and indirect calls run the new code"
