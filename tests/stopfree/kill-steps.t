#!/usr/bin/env bash
# A stop-free apply killed (SIGKILL) at every step (POLUS_TEST_KILL_AT=N): the first apply
# to a process (it loads the runtime, publishes its line and starts its agent) and a later
# one (the agent loads and switches). After each kill: the process runs, no thread of it
# stopped or traced; every redirected function holds its old bytes or every one the
# switch's short jump, never a mix or a torn instruction, and the registry records the
# patch exactly when they are new; the program answers with the matching release; then
# the patch applies (or is already applied) and rolls back. This test kills the first
# apply at its odd steps, kill-steps-2.t at its even ones (KILL_EVEN=1), kill-steps-later.t
# the later apply (KILL_LATER=1) at all: each within a test's time on a loaded machine.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/mkpatch/lib-mkpatch.sh" || exit 1
. "$POLUS_TOP/tests/stopfree/lib-stopfree.sh" || exit 1
cd "$TMP" || fail "cd"
build_live

# steps PRIME: how many steps an apply counts (PRIME=1: after an apply and its rollback)
steps() {
	start_prog v1/prog
	[ "$1" = 1 ] && { "$APPLY" -q "$pid" p.so && "$ROLLBACK" -q "$pid"; } >/dev/null 2>&1
	POLUS_TEST_KILL_AT=list "$APPLY" -q "$pid" p.so 2>steps.txt || fail "apply failed: $(tail -3 steps.txt)"
	grep -c '^polus: step ' steps.txt
	exec 3>&-
}

# check_after N WHAT: the process after a kill at step N
check_after() {
	local st reg ans
	kill -0 "$pid" 2>/dev/null || fail "$2: the process died"
	free_running "$pid"
	st=$(site_state "$pid") reg=$(registry_state "$pid")
	case "$st/$reg" in
	old/none) ans=$OLD_ANSWER ;;
	new/applied) ans=$NEW_ANSWER ;;
	*) fail "$2: functions $st, registry $reg" ;;
	esac
	[ "$(answer 3)" = "$ans" ] || fail "$2: answer $(tail -n 1 out.txt), functions $st"
	if [ "$st" = old ]; then
		"$APPLY" -q "$pid" p.so >later.txt 2>&1 || fail "$2: a later apply failed: $(cat later.txt)"
	fi
	[ "$(answer 3)" = "$NEW_ANSWER" ] || fail "$2: not new after the later apply"
	"$ROLLBACK" -q "$pid" >later.txt 2>&1 || fail "$2: the rollback failed: $(cat later.txt)"
	[ "$(answer 3)" = "$OLD_ANSWER" ] || fail "$2: not old after the rollback"
	[ "$(site_state "$pid")" = old ] || fail "$2: functions $(site_state "$pid") after the rollback"
}

# mine N: step N is this test's: every step of the later apply; the first apply's odd ones
# (or, KILL_EVEN=1, its even ones)
mine() { [ "$prime" = 1 ] || [ $(($1 % 2)) = $((${KILL_EVEN:-0} ? 0 : 1)) ]; }

for prime in ${KILL_LATER:-0}; do
	total=$(steps $prime)
	[ "$total" -gt 10 ] || fail "only $total steps counted"
	for n in $(seq 1 "$total"); do
		mine "$n" || continue
		start_prog v1/prog
		[ $prime = 1 ] && { "$APPLY" -q "$pid" p.so && "$ROLLBACK" -q "$pid"; } >/dev/null 2>&1
		POLUS_TEST_KILL_AT=$n "$APPLY" -q "$pid" p.so 2>kill.err
		rc=$?
		[ $rc = 137 ] || fail "step $n: polus-apply exit $rc, not killed: $(tail -2 kill.err)"
		what=$(sed -n 's/^polus: killed at step [0-9]*: //p' kill.err)
		check_after "$n" "$([ $prime = 1 ] && echo "later apply" || echo "first apply") step $n ($what)"
		exec 3>&-
		kill "$pid" 2>/dev/null
	done
	ok "$([ $prime = 1 ] && echo "a later apply" || echo "the first apply") killed at each of its $total steps ($([ "${KILL_EVEN:-0}" = 1 ] && echo even || echo odd) ones for the first): all old or all new, registry agreeing, no thread left stopped"
done
