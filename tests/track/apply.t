#!/usr/bin/env bash
# Write tracking armed by polus-apply (tests/data/stats: a field inserted in the middle of
# a static struct that three workers update under a mutex, the mutex on the same page).
# While hold(), an old writer of the struct, waits for input:
#   - a thread that blocks SIGSEGV makes the apply refuse, exit 3 naming it, nothing left;
#   - polus-apply arms tracking instead of waiting (the frames of hold and of the workers
#     inside record), switches, shows the coexistence and returns once hold returned (its
#     write after the switch completed by the runtime's handler and synced), saying how
#     many old writes it tracked; polus-status names the variable, thread and function
#     meanwhile; the new field is live and every increment is counted across the switch
#     (the program's counter equals an independent tally);
#   - --no-wait returns at once after the switch (--json: the coexistence, active);
#     coexistence then ends by itself.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/track/lib-track.sh" || exit 1
grep -q '^track-table: __polus_track_table$' p.yaml || fail "no store table in the patch"
STATUS=$POLUS_BUILD/polus-status

start_prog v1/prog
[ "$(say b)" = blocking ] || fail "the blocking thread did not start"
[ "$(say h)" = holding ] || fail "hold did not start"
expect_fail 3 "^polus-apply: unsafe to update now: thread [0-9]+ \(prog\) blocks SIGSEGV while old code writes stats \(hold in thread $pid\)" \
	"$APPLY" "$pid" p.so
grep -q 'polus:' /proc/$pid/maps && fail "a polus mapping was left: $(grep polus: /proc/$pid/maps)"
[ "$(say go)" = released ] || fail "hold did not return"
ok "a thread blocking SIGSEGV: refused, nothing left"
final_count "refused"

start_prog v1/prog
[ "$(say h)" = holding ] || fail "hold did not start"
"$APPLY" "$pid" p.so > apply.txt 2>&1 &
apid=$!
track_pid $apid
armed() { grep -q "^tracking old writes of stats: [0-9]* old frames\? (hold in thread $pid (prog)" apply.txt; }
wait_for 20 armed || fail "no tracking: $(cat apply.txt)"
waiting() { grep -q "^coexistence: 1 of [0-9]* old frames\? left: hold in thread $pid (prog)" apply.txt; }
wait_for 20 waiting || fail "no progress while hold runs: $(cat apply.txt)"
kill -0 $apid 2> /dev/null || fail "polus-apply returned while hold runs: $(cat apply.txt)"
"$STATUS" "$pid" > status.txt || fail "polus-status failed"
grep -q "^  coexistence active: stats; 1 of [0-9]* old frames\? left: hold in thread $pid (prog)" status.txt ||
	fail "polus-status: $(cat status.txt)"
"$STATUS" --json "$pid" > status.json || fail "polus-status --json"
python3 - status.json "$pid" <<'PY' || fail "status --json: $(cat status.json)"
import json, sys
c = json.load(open(sys.argv[1]))["coexistence"]
assert c["state"] == "active" and c["variables"] == ["stats"], c
left = [f for f in c["frames"] if not f["returned"]]
assert [(f["function"], f["tid"]) for f in left] == [("hold", int(sys.argv[2]))], c
PY
ok "armed instead of waiting; polus-apply and polus-status show the coexistence"
[ "$(say go)" = released ] || fail "hold did not return"
wait $apid || fail "polus-apply failed: $(cat apply.txt)"
grep -Eq "^coexistence ended: the last old frame returned, [1-9][0-9]* old writes tracked" apply.txt ||
	fail "no end: $(cat apply.txt)"
"$STATUS" "$pid" | grep -q "^  coexistence ended" || fail "polus-status after the end: $("$STATUS" "$pid")"
ok "returned once hold returned: $(grep '^coexistence ended' apply.txt)"
errors_live() { set -- $(say s); [ $# = 3 ] && [ "$3" -gt 0 ]; }
wait_for 10 errors_live || fail "the new field is not live: $(tail -n 1 out.txt)"
final_count "tracked"

start_prog v1/prog
[ "$(say h)" = holding ] || fail "hold did not start"
"$APPLY" --no-wait --json "$pid" p.so > apply.json 2> apply.err || fail "polus-apply --no-wait: $(cat apply.err)"
python3 - apply.json <<'PY' || fail "--json: $(cat apply.json)"
import json, sys
c = json.load(open(sys.argv[1]))["coexistence"]
assert c["state"] == "active" and c["old_frames"] >= 1, c
PY
[ "$(say go)" = released ] || fail "hold did not return"
ended() { "$STATUS" "$pid" | grep -q "^  coexistence ended"; }
wait_for 10 ended || fail "coexistence did not end: $("$STATUS" "$pid")"
ok "--no-wait returned at once (--json says so); coexistence ended by itself"
final_count "--no-wait"
