#!/usr/bin/env bash
# polus-rollback killed (SIGKILL, POLUS_TEST_KILL_AT) at every step of a rollback: the
# target stays alive, answering, not stopped or traced, with its registers intact; the
# patch's site holds the jump while the registry says applied, the original bytes once it
# says rolled-back, never a mix; no polus mapping twice and no polus descriptor; and the
# rollback (or, once it happened, an apply of the same patch again) still works.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
. "$POLUS_TOP/tests/txn/lib-txn.sh"
. "$POLUS_TOP/tests/rollback/lib-rollback.sh"
txn_setup

# agrees WHAT: compute holds its old code exactly when p1 is recorded rolled-back.
agrees() {
	local code st
	code=$(compute_head)
	st=$(state_of p1 "$TPID") || fail "$1: polus-status failed"
	case $st in
	applied) [ "${code:0:2}" = e9 ] || fail "$1: p1 applied, compute holds $code" ;;
	rolled-back) [ "$code" = "$ORIG" ] || fail "$1: p1 rolled back, compute holds $code" ;;
	*) fail "$1: p1 is $st" ;;
	esac
	consistent_maps "$1"
	echo "$st"
}

# consistent_maps WHAT: each polus mapping (image, runtime, registry) there once at most.
consistent_maps() {
	local m
	for m in $(awk '$6 ~ /^\/memfd:polus:/ { print $6 }' "/proc/$TPID/maps" | sort -u); do
		[ "$(awk -v m="$m" '$6 == m { print $5 }' "/proc/$TPID/maps" | sort -u | wc -l)" -le 1 ] ||
			fail "$1: $m mapped more than once"
	done
}

start_regs_target
ORIG=$(compute_head)
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "apply failed"
POLUS_TEST_KILL_AT=list "$ROLLBACK" -q "$TPID" 2>"$TMP/steps" ||
	fail "rollback failed: $(tail -3 "$TMP/steps")"
total=$(grep -c '^polus: step ' "$TMP/steps")
[ "$total" -gt 5 ] || fail "only $total steps counted: $(head -3 "$TMP/steps")"
[ "$(compute_head)" = "$ORIG" ] || fail "the rollback did not restore compute"
stop_target

seen=
for n in $(seq 1 "$total"); do
	start_regs_target
	"$APPLY" -q "$TPID" "$FX/p1.so" || fail "step $n: apply failed"
	maps=$(polus_maps "$TPID")
	POLUS_TEST_KILL_AT=$n "$ROLLBACK" -q "$TPID" 2>"$TMP/kill.err"
	rc=$?
	[ $rc = 137 ] || fail "step $n: polus-rollback exit $rc, not killed: $(tail -2 "$TMP/kill.err")"
	what=$(sed -n 's/^polus: killed at step [0-9]*: //p' "$TMP/kill.err")
	healthy "rollback killed at step $n ($what)"
	st=$(agrees "step $n ($what)") || exit 1
	seen="$seen $st"
	[ "$(polus_maps "$TPID")" = "$maps" ] || fail "step $n ($what): the patch mappings changed"
	[ -z "$(polus_fds)" ] || fail "step $n ($what): polus descriptors left: $(polus_fds)"
	if [ "$st" = applied ]; then
		"$ROLLBACK" -q "$TPID" >"$TMP/later.out" 2>&1 ||
			fail "step $n ($what): the rollback after failed: $(tail -2 "$TMP/later.out")"
		[ "$(agrees "the rollback after step $n")" = rolled-back ] || fail "step $n: not rolled back"
	fi
	"$APPLY" -q "$TPID" "$FX/p1.so" >"$TMP/later.out" 2>&1 ||
		fail "step $n ($what): applying p1 again failed: $(tail -2 "$TMP/later.out")"
	healthy "the apply after step $n"
	[ "$(agrees "the apply after step $n")" = applied ] || fail "step $n: p1 not applied again"
	[ "$(polus_maps "$TPID")" = "$maps" ] || fail "step $n: applying p1 again mapped it anew"
	stop_target
done
case $seen in *applied*) ;; *) fail "no kill left p1 applied:$seen" ;; esac
case $seen in *rolled-back*) ;; *) fail "no kill left p1 rolled back:$seen" ;; esac
ok "rollback killed at each of its $total steps: target healthy, code and registry agree, later rollback and apply worked"
