#!/usr/bin/env bash
# polus-rollback during a coexistence (tests/data/stats, hold() active, applied with
# --no-wait): the rollback's sync new -> old writes the old copy while write tracking
# still protects it, from an injected call with every signal blocked, so it goes through
# the runtime (polus_sync_ID_new2old carries into the protected copy); the program lives
# on, the coexistence ends when hold returns, the old code is back, and no increment is
# lost (the new code's, the old code's since, hold's own write after the rollback).
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/track/lib-track.sh" || exit 1
STATUS=$POLUS_BUILD/polus-status
ROLLBACK=$POLUS_BUILD/polus-rollback

start_prog v1/prog
[ "$(say h)" = holding ] || fail "hold did not start"
"$APPLY" -q --no-wait "$pid" p.so > apply.txt 2>&1 || fail "polus-apply: $(cat apply.txt)"
only_hold() { "$STATUS" "$pid" | grep -q "^  coexistence active: stats; 1 of [0-9]* old frames\? left: hold in thread $pid (prog);"; }
wait_for 10 only_hold || fail "no coexistence: $("$STATUS" "$pid")"
for i in 1 2 3 4 5; do # exit 3 while a worker is inside the patch's record(): try again
	"$ROLLBACK" "$pid" > rb.txt 2>&1
	rc=$?
	[ $rc = 3 ] || break
done
[ $rc = 0 ] || fail "polus-rollback exit $rc: $(cat rb.txt)"
grep -qx 'stats: synced new -> old' rb.txt || fail "no sync back: $(cat rb.txt)"
kill -0 "$pid" 2> /dev/null || fail "the program died: $(cat err.txt)"
only_hold || fail "coexistence ended early: $("$STATUS" "$pid")"
ok "rolled back during the coexistence, the program lives on"
[ "$(say go)" = released ] || fail "hold did not return"
ended() { "$STATUS" "$pid" | grep -q "^  coexistence ended"; }
wait_for 10 ended || fail "coexistence did not end: $("$STATUS" "$pid")"
set -- $(say s)
[ $# = 2 ] || fail "the old code is not back: $*"
final_count "rolled back during coexistence"
