#!/usr/bin/env bash
# polus-apply --check PID PATCH.so: every check of an apply, nothing changed. Exit 0 and
# "would apply" for a patch that applies; for each refusal the same exit code and error
# line as the apply itself (a build mismatch: 2; a thread inside a redirected function:
# 3; the patch already applied: 2). After every --check the target is exactly as it was:
# memory map, descriptors, threads, each blocked thread's system call, stack and program
# counter (/proc/PID/task/*/syscall), the registers of every thread (the --regs fixture
# checks 13 general registers, ymm0-14 and MXCSR itself), the registry's bytes and the
# bytes at the patch sites; and the apply that follows works.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
if [ -x "$POLUS_SAN_BUILD/polus-apply" ]; then
	APPLY=$POLUS_SAN_BUILD/polus-apply
fi
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
grep -qw avx2 /proc/cpuinfo || skip "no AVX2 on this CPU (the fixture checks ymm registers)"
build_fixtures
t=$FX/target
make_patch "$FX/busy.so" busy -f "$F_BUSY"
make_patch_raw "$FX/wrongbuild.so" "$FX/patch-raw.so" wb 0123456789abcdef0123456789abcdef01234567 \
	-f "$F_COMPUTE" -b "$B_CALLS" -b "$B_HELPER" -b "$B_TLS"

start_target --regs --busy-site
wait_for 10 thread_in h-busy 34 || fail "h-busy not in pause()"
wait_for 10 thread_in target 0 || fail "main thread not blocked in read"
rfd=$(sed -n 's/^regs pipe=//p' "$TLOG")
[ -n "$rfd" ] || fail "no regs pipe in the log"

# state: what --check must leave as it found it. A blocked thread's line of
# /proc/PID/task/TID/syscall: number, arguments, stack pointer, program counter; a timed
# wait interrupted by any ptrace stop resumes as restart_syscall (219) at the same place.
state() {
	local d line
	snapshot
	echo "registry $(registry_bytes)"
	code_bytes compute:"$(sym_addr "$t" compute)" busy_fn:"$(sym_addr "$t" busy_fn)"
	for d in /proc/$TPID/task/*; do
		read -r line <"$d/syscall" || continue
		case $line in
		running) echo "${d##*/} running" ;;
		219\ *) echo "${d##*/} restart $(echo "$line" | awk '{print $(NF-1), $NF}')" ;;
		*) echo "${d##*/} $line" ;;
		esac
	done
}
checks=0
regs_ok() {
	wait_for 10 thread_in target 0 || fail "main thread not blocked in read ($1)"
	printf x >"/proc/$TPID/fd/$rfd" || fail "cannot write to the target's pipe"
	checks=$((checks + 1))
	wait_for 10 grep -q "^main regs ok $checks read=1 " "$TLOG" ||
		fail "no register check $checks after $1: $(tail -3 "$TLOG")"
	no_eintr
}
# same BEFORE AFTER WHAT: equal, but a blocked call may have become restart_syscall at
# the same stack and program counter, and a thread looping over a short sleep may be seen
# running in one and asleep in the other.
same() {
	python3 - "$1" "$2" <<'PY' || fail "$3 changed the target: $(diff "$1" "$2")"
import sys
a, b = (open(p).read().splitlines() for p in sys.argv[1:3])
assert len(a) == len(b), "line count"
for x, y in zip(a, b):
    if x == y:
        continue
    xs, ys = x.split(), y.split()
    assert xs[0] == ys[0], (x, y)
    # a thread that loops over a short sleep: running or asleep depending on the instant
    naps = ("230", "35", "restart", "running")
    if xs[1] in naps and ys[1] in naps and "running" in (xs[1], ys[1]):
        continue
    assert ys[1:2] == ["restart"] and xs[-2:] == ys[-2:], (x, y)
PY
	ok "$3 left the target as it was"
}
regs_ok start
state >"$TMP/before"

# a patch that applies: exit 0, would apply, nothing changed
"$APPLY" --check "$TPID" "$FX/p1.so" >"$TMP/out" 2>&1 || fail "--check refused p1: $(cat "$TMP/out")"
cat "$TMP/out"
grep -q "^would apply: p1 to process $TPID$" "$TMP/out" || fail "no would-apply line"
state >"$TMP/after"
same "$TMP/before" "$TMP/after" "--check of an applicable patch"
regs_ok "--check"
"$APPLY" --check --json "$TPID" "$FX/p1.so" >"$TMP/json" || fail "--check --json"
python3 - "$TMP/json" <<'PY' || fail "--check --json: $(cat "$TMP/json")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["check"] == "would-apply" and o["patch"] == "p1" and o["threads"] > 10, o
assert [f["name"] for f in o["functions"]] == ["compute"], o
PY
state >"$TMP/after"
same "$TMP/before" "$TMP/after" "--check --json"

# refusals: the code and the line of the apply
refused_like_apply() {
	local want=$1 so=$2 c a
	"$APPLY" --check "$TPID" "$so" >/dev/null 2>"$TMP/c.err"
	c=$?
	"$APPLY" "$TPID" "$so" >/dev/null 2>"$TMP/a.err"
	a=$?
	[ $c -eq "$want" ] && [ $a -eq "$want" ] || fail "${so##*/}: --check $c, apply $a, wanted $want: $(cat "$TMP/c.err" "$TMP/a.err")"
	cmp -s "$TMP/c.err" "$TMP/a.err" || fail "${so##*/}: --check says $(cat "$TMP/c.err"), apply $(cat "$TMP/a.err")"
	ok "${so##*/}: --check as the apply ($c): $(cat "$TMP/c.err")"
}
state >"$TMP/before"
refused_like_apply 2 "$FX/wrongbuild.so"
refused_like_apply 3 "$FX/busy.so"
state >"$TMP/after"
same "$TMP/before" "$TMP/after" "refused checks"
regs_ok "refused checks"

# the apply after the checks works; a check then says it is applied, as the apply does
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "apply after --check failed"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
regs_ok "apply"
state >"$TMP/before"
refused_like_apply 2 "$FX/p1.so"
state >"$TMP/after"
same "$TMP/before" "$TMP/after" "--check of an applied patch"
regs_ok "--check after apply"
