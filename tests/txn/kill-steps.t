#!/usr/bin/env bash
# polus-apply killed (SIGKILL) at every step of an apply (POLUS_TEST_KILL_AT=N: every stage
# of each injected system call, every write to the target's memory, every phase
# boundary): the target lives on, is neither stopped nor traced, its hijacked thread has
# exactly its registers and vector state back (checked by the target itself), it still
# serves, and a later apply works and leaves no polus descriptor open.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
. "$POLUS_TOP/tests/txn/lib-txn.sh"
need_tools
grep -qw avx2 /proc/cpuinfo || skip "no AVX2 on this CPU (the fixture checks ymm registers)"
build_fixtures
make_patch_variant "$FX/p2.so" p2

start_regs_target
POLUS_TEST_KILL_AT=list "$APPLY" -q "$TPID" "$FX/p1.so" 2>"$TMP/steps" ||
	fail "apply failed: $(tail -3 "$TMP/steps")"
total=$(grep -c '^polus: step ' "$TMP/steps")
[ "$total" -gt 20 ] || fail "only $total steps counted: $(head -3 "$TMP/steps")"
stop_target

for n in $(seq 1 "$total"); do
	start_regs_target
	POLUS_TEST_KILL_AT=$n "$APPLY" -q "$TPID" "$FX/p1.so" 2>"$TMP/kill.err"
	rc=$?
	[ $rc = 137 ] || fail "step $n: polus-apply exit $rc, not killed: $(tail -2 "$TMP/kill.err")"
	what=$(sed -n 's/^polus: killed at step [0-9]*: //p' "$TMP/kill.err")
	healthy "killed at step $n ($what)"
	"$APPLY" -q "$TPID" "$FX/p2.so" >"$TMP/later.out" 2>&1 ||
		fail "step $n ($what): a later apply failed: $(tail -2 "$TMP/later.out")"
	healthy "the apply after step $n"
	[ -z "$(polus_fds)" ] || fail "step $n ($what): polus descriptors left: $(polus_fds)"
	stop_target
done
ok "killed at each of $total steps: target healthy, a later apply worked"
