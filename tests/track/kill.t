#!/usr/bin/env bash
# polus-apply killed (SIGKILL, POLUS_TEST_KILL_AT=N) at every step of a tracking apply
# from the stop of all threads on (tests/data/stats, hold() active): the arm, the sync,
# the check, the commit, the start. The program never hangs and loses no write: a writer
# that faults while tracking is armed and no tracer is left waits 2 s, then the runtime
# starts tracking if the patch was committed and takes the arming back if not
# (runtime/rt_track.h). hold returns, the program answers with the release the registry
# records, and its counter equals the independent tally at the end.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/track/lib-track.sh" || exit 1

start_prog v1/prog
[ "$(say h)" = holding ] || fail "hold did not start"
POLUS_TEST_KILL_AT=list "$APPLY" -q --no-wait "$pid" p.so 2> steps.txt || fail "apply: $(tail -3 steps.txt)"
first=$(sed -n 's/^polus: step \([0-9]*\): stop$/\1/p' steps.txt)
total=$(grep -c '^polus: step ' steps.txt)
[ -n "$first" ] && [ "$total" -gt "$first" ] || fail "steps: $(tail -5 steps.txt)"
grep -q 'injected function returned' <(sed -n "$first,\$p" steps.txt) || fail "no injected call after the stop"
[ "$(say go)" = released ] || fail "hold did not return"
final_count "the whole apply"

for n in $(seq "$first" "$total"); do
	start_prog v1/prog
	[ "$(say h)" = holding ] || fail "step $n: hold did not start"
	POLUS_TEST_KILL_AT=$n "$APPLY" -q --no-wait "$pid" p.so 2> kill.err
	rc=$?
	[ $rc = 137 ] || fail "step $n: polus-apply exit $rc, not killed: $(tail -2 kill.err)"
	what=$(sed -n 's/^polus: killed at step [0-9]*: //p' kill.err)
	[ "$(say go)" = released ] || fail "step $n ($what): hold did not return"
	set -- $(say s)
	if "$POLUS_BUILD/polus-status" "$pid" | grep -q '^patch p .* applied '; then
		[ $# = 3 ] || fail "step $n ($what): recorded as applied, but release 1 answers"
	else
		[ $# = 2 ] || fail "step $n ($what): not recorded, but release 2 answers"
	fi
	final_count "step $n ($what)"
done
ok "killed at each step $first..$total: the program went on, no write lost"
