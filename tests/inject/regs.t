#!/usr/bin/env bash
# Registers and vector state are left exactly as they were, by a successful apply and by
# refusals and failures that come after the injector has touched the process. The target (--regs)
# has a thread that holds magic values in 13 general registers, ymm0-14 and MXCSR and
# checks them in a loop, and a main thread (the one polus-apply hijacks for its system
# calls) blocked in a raw read(2) with the same values, checked when the read returns
# (one byte through its pipe per check). Any change is logged "BAD REGS".
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
grep -qw avx2 /proc/cpuinfo || skip "no AVX2 on this CPU (the fixture checks ymm registers)"
build_fixtures
make_patch "$FX/busy.so" busy -f "$F_BUSY"

start_target --regs --busy-site
rfd=$(sed -n 's/^regs pipe=//p' "$TLOG")
[ -n "$rfd" ] || fail "no regs pipe in the log"
checks=0
last_spins=0
# check WHAT: the main thread's registers after its read returns, the spinner still
# spinning (its count grew since the last check), nothing reported.
check() {
	wait_for 10 thread_in target 0 || fail "main thread not blocked in read ($1)"
	printf x >"/proc/$TPID/fd/$rfd" || fail "cannot write to the target's pipe"
	checks=$((checks + 1))
	wait_for 10 grep -q "^main regs ok $checks read=1 " "$TLOG" ||
		fail "no register check $checks after $1: $(tail -3 "$TLOG")"
	local spins
	spins=$(sed -n "s/^main regs ok $checks read=1 spins=//p" "$TLOG")
	[ "$spins" -gt "$last_spins" ] || fail "the spinning thread stopped ($1)"
	last_spins=$spins
	no_eintr
	ok "registers intact after $1"
}
wait_for 10 thread_in h-busy 34 || fail "h-busy not in pause()"
check start
# refused after the load: the patch was mapped, then unmapped through a second hijack
expect_fail 3 "unsafe to patch now: .* busy_fn" "$APPLY" "$TPID" "$FX/busy.so"
check "a refusal after the load (thread inside busy_fn)"
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "apply failed"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
check "a successful apply"
make_patch_variant "$FX/p2.so" p2
# failures with every thread stopped: the undo hijacks a thread of the stopped group
for k in stop switch; do
	POLUS_TEST_FAIL_AT=$k expect_fail 4 "injected after $k" "$APPLY" "$TPID" "$FX/p2.so"
	check "a failure injected after $k"
done
POLUS_NO_PIDFD=1 "$APPLY" -q "$TPID" "$FX/p2.so" || fail "apply (no pidfd) failed"
check "a successful apply through the target only (no pidfd_getfd)"
ok "registers and vector state preserved"
