#!/usr/bin/env bash
# (The steps are split between this test and kill-steps-2/3/4.t, each taking every fourth
# one, to stay within a test's time limit on a loaded machine: KILL_STEPS_PART=1..4.)
# polus-apply killed (SIGKILL) at every step of an apply (POLUS_TEST_KILL_AT=N: every stage
# of each injected system call, every write to the target's memory, every phase
# boundary): the target lives on, is neither stopped nor traced, its hijacked thread has
# exactly its registers and vector state back (checked by the target itself), it still
# serves; compute holds its old code or the jump, never anything else, and the registry
# records p1 exactly when the jump is there; no polus mapping is there twice; a later
# apply works and leaves no polus descriptor open.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
. "$POLUS_TOP/tests/txn/lib-txn.sh"
txn_setup
start_regs_target
ORIG=$(compute_head)
POLUS_TEST_KILL_AT=list "$APPLY" -q "$TPID" "$FX/p1.so" 2>"$TMP/steps" ||
	fail "apply failed: $(tail -3 "$TMP/steps")"
total=$(grep -c '^polus: step ' "$TMP/steps")
[ "$total" -gt 20 ] || fail "only $total steps counted: $(head -3 "$TMP/steps")"
stop_target

part=${KILL_STEPS_PART:-1}
for n in $(seq 1 "$total"); do
	[ $((n % 4)) = $((part % 4)) ] || continue
	start_regs_target
	POLUS_TEST_KILL_AT=$n "$APPLY" -q "$TPID" "$FX/p1.so" 2>"$TMP/kill.err"
	rc=$?
	[ $rc = 137 ] || fail "step $n: polus-apply exit $rc, not killed: $(tail -2 "$TMP/kill.err")"
	what=$(sed -n 's/^polus: killed at step [0-9]*: //p' "$TMP/kill.err")
	healthy "killed at step $n ($what)"
	consistent p1 "step $n ($what)"
	"$APPLY" -q "$TPID" "$FX/p2.so" >"$TMP/later.out" 2>&1 ||
		fail "step $n ($what): a later apply failed: $(tail -2 "$TMP/later.out")"
	healthy "the apply after step $n"
	consistent p2 "the apply after step $n"
	[ -z "$(polus_fds)" ] || fail "step $n ($what): polus descriptors left: $(polus_fds)"
	stop_target
done
ok "killed at each step n = $part mod 4 of $total: target healthy and consistent, a later apply worked"
