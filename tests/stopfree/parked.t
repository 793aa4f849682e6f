#!/usr/bin/env bash
# Threads parked at a site mid-switch resume in the new code (issue 12, requirement 4).
# The runtime's test hook (polus_rt_switch_test_hook, pointed at the live server's
# polus_test_hold by writing the target's memory) holds a stop-free switch 300 ms after
# its int3s are written: the busy threads calling compute() meet a site then and wait in
# the runtime's SIGTRAP handler. The runtime counts their traps; once the apply returns,
# no call of compute() runs the old release, the busy threads go on calling (none is left
# waiting) and the server answers in the new release. The heartbeat thread, which calls
# nothing patched, runs through the held switch: its longest gap is printed beside the
# 300 ms, not asserted.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/mkpatch/lib-mkpatch.sh" || exit 1
. "$POLUS_TOP/tests/stopfree/lib-stopfree.sh" || exit 1
RT=$POLUS_BUILD/polus-rt.so
need_built "$RT"
cd "$TMP" || fail "cd"
build_server
start_server --threads 64 # 4 busy
"$APPLY" -q "$SPID" srv.so && "$ROLLBACK" -q "$SPID" || fail "the first apply and rollback"
$LIVE hook "$SPID" "$RT" v1/srv polus_test_hold || fail "cannot set the runtime's test hook"
traps0=$($LIVE traps "$SPID" "$RT")
q "EXPECT 0" >/dev/null
q GAP >/dev/null
"$APPLY" "$SPID" srv.so >apply.txt 2>&1 || { cat apply.txt; fail "the held apply failed"; }
q "EXPECT 2" >/dev/null
gap=$(q GAP)
grep -q '^switch: stop-free' apply.txt || { cat apply.txt; fail "not stop-free"; }
traps1=$($LIVE traps "$SPID" "$RT")
[ "$traps1" -gt "$traps0" ] || fail "no thread met a site while the switch was held ($traps0 -> $traps1 traps)"
read -r _ _ _ stale0 _ calls0 _ <<<"$(q STATS)"
wait_for 10 sh -c "[ \$($LIVE ask $PORT STATS | cut -d' ' -f6) -gt $calls0 ]" ||
	fail "the busy threads stopped calling after the switch"
read -r _ eintr _ stale _ _ <<<"$(q STATS)"
[ "$stale" = 0 ] || fail "$stale calls begun after the apply ran the old release"
[ "$eintr" = 0 ] || fail "$eintr EINTR"
[ "$(q 'ANSWER 7')" = "RELEASE 2 VALUE 37" ] || fail "not live"
echo "switch held 300 ms: $((traps1 - traps0)) traps at its sites; heartbeat's longest gap $gap us"
ok "threads parked at sites mid-switch resumed in the new release; 0 stale calls, 0 EINTR"
$LIVE hook "$SPID" "$RT" v1/srv 0
q "EXPECT 0" >/dev/null
"$ROLLBACK" -q "$SPID" || fail "rollback"
[ "$(q 'ANSWER 7')" = "RELEASE 1 VALUE 22" ] || fail "not rolled back"
