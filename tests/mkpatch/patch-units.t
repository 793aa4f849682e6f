#!/usr/bin/env bash
# A patch over two units with the plugin's own patch mode: a.c's changed api() calls a
# function and reads a variable that are new in b.c (both defined by the patch), and
# keeps using its static local, a thread-local and b.c's global through binds to the
# running program's storage (tls bound by TLS offset).
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
cd "$TMP" || fail "cd"
for v in v1 v2; do
	mkdir -p $v && cp "$HERE"/units/$v/* $v/ || fail "copy"
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -c a.c && gcc -O2 -g -fplugin="$PLUGIN" -c b.c &&
		gcc -o prog a.o b.o) || fail "building $v"
done
POLUS_KEEP_TMP=1 "$MK" v1/prog v2/prog -o p.so > progress.txt 2> stderr.txt ||
	{ cat progress.txt stderr.txt; fail "patch build failed"; }
cat progress.txt stderr.txt
tmpd=$(sed -n 's/^polus-mkpatch: kept //p' stderr.txt)
cat "$tmpd"/*.plan
pa=$(grep -l $'^keep\tapi\t' "$tmpd"/*.plan) || fail "no plan keeps api"
pb=$(grep -l $'^keep\tnewfn\t' "$tmpd"/*.plan) || fail "no plan keeps newfn"
grep -q $'^bind-var\tapi/seen\t__polus_b_[0-9]*$' "$pa" || fail "a.c: static local api/seen not bound"
grep -q $'^bind-var\ttcount\t__polus_b_[0-9]*\ttls$' "$pa" || fail "a.c: tcount not bound as tls"
grep -q $'^bind-var\tshared\t__polus_b_[0-9]*$' "$pa" || fail "a.c: external shared not bound"
grep -q $'^bind-fn\thelper\t__polus_b_[0-9]*$' "$pa" || fail "a.c: external helper not bound"
grep -q $'\tnewfn\t' "$pa" && fail "a.c must not bind newfn: the patch defines it"
grep -h $'\tnewvar\t' "$pa" "$pb" | grep -q '^bind' && fail "newvar must not be bound: the patch defines it"
rm -rf "$tmpd"
ok "plans: static local, tls, external binds; new function and variable left to the patch"

"$MK" --show p.so > shown.yaml || fail "--show"
export SEEN=$(nm_addr v1/prog seen.0 a.c || nm_addr v1/prog seen.1 a.c) TCOUNT=$(nm_addr v1/prog tcount) \
	SHARED=$(nm_addr v1/prog shared) HELPER=$(nm_addr v1/prog helper)
python3 - shown.yaml p.so <<'PY' || fail "version file"
import os, subprocess, sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
env = os.environ
f = {x["name"]: x for x in v["functions"]}
assert set(f) == {"api", "newfn"}, sorted(f)
assert f["api"]["redirect"] is True and f["api"]["old-symbol"] == "api", f["api"]
assert f["newfn"]["change"] == "new" and "old-symbol" not in f["newfn"] and f["newfn"]["redirect"] is False, f["newfn"]
b = {x["name"]: x for x in v["binds"]}
assert hex(b["api/seen"]["addr"]) == env["SEEN"], (b.get("api/seen"), env["SEEN"])
assert b["tcount"].get("tls") is True and hex(b["tcount"]["addr"]) == env["TCOUNT"], b.get("tcount")
assert hex(b["shared"]["addr"]) == env["SHARED"] and hex(b["helper"]["addr"]) == env["HELPER"], b
defined = set(l.split()[-1] for l in subprocess.run(["nm", "--defined-only", sys.argv[2]], capture_output=True, text=True).stdout.splitlines())
assert "newvar" in defined, "the patch does not define newvar"
undef = set(l.split()[-1] for l in subprocess.run(["nm", "-u", sys.argv[2]], capture_output=True, text=True).stdout.splitlines())
binds = set(x["symbol"] for x in v["binds"])
stray = [u for u in undef if u not in binds and "@" not in u]
assert not stray, f"undefined in the patch, neither bind nor libc: {stray}"
PY
ok "version file: api redirected, newfn new, binds at OLD's addresses (tls as TLS offset)"
