#!/usr/bin/env bash
# Stop-free applies under load (docs/stopfree.md): fixtures/live_server.c built with the
# plugin, 64 threads (a few busy ones calling the patched compute() in a loop, others blocked in
# epoll_wait, accept, a futex and nanosleep, a heartbeat measuring its longest gap), a
# client asking all along. Cycles of apply (stop-free, on the runtime's agent) and
# rollback: no thread of the program is seen stopped during an apply but the first (it
# starts the agent), no call of compute() begun after an apply returned runs the old
# release (a thread that met a site mid-switch resumed in the new code), 0 EINTR, 0 failed
# requests. The heartbeat's gaps and the traps taken at sites mid-switch are printed, not
# asserted, with the gap over as long a time without an apply (the machine's floor).
# Then: a program with its own SIGTRAP handler keeps it; a process under a debugger, or
# with one thread under one, is refused naming the tracer (the stop-free switch is not
# chosen: the debugger would take its int3s for its own), nothing changed.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/mkpatch/lib-mkpatch.sh" || exit 1
. "$POLUS_TOP/tests/stopfree/lib-stopfree.sh" || exit 1
CYCLES=${CYCLES:-5}
cd "$TMP" || fail "cd"

build_server
start_server --threads 62 # + the heartbeat and main: 64
[ "$(ls /proc/$SPID/task | wc -l)" = 64 ] || fail "$(ls /proc/$SPID/task | wc -l) threads, not 64"
rm -f stop
$LIVE client "$PORT" stop >client.txt &
track_pid $!
q GAP >/dev/null
"$POLUS_BUILD/polus-apply" "$SPID" srv.so >apply.txt 2>&1 || { cat apply.txt; fail "the first apply failed"; }
grep -q '^switch: stop-free (every entry padded)$' apply.txt || { cat apply.txt; fail "not stop-free"; }
echo "first apply (starts the agent): heartbeat gap $(q GAP) us; $(grep '^pause' apply.txt)"
"$ROLLBACK" -q "$SPID" || fail "the first rollback failed"
q GAP >/dev/null

for i in $(seq 1 "$CYCLES"); do
	q "EXPECT 0" >/dev/null
	q GAP >/dev/null
	sleep 0.2
	floor=$(q GAP)
	rm -f wstop wstop.ready
	$LIVE watch "$SPID" wstop >watch.txt &
	wpid=$!
	wait_for 10 test -e wstop.ready || fail "the watcher did not start"
	"$POLUS_BUILD/polus-apply" "$SPID" srv.so >apply.txt 2>&1 || { cat apply.txt; fail "apply $i failed"; }
	touch wstop
	wait $wpid
	q "EXPECT 2" >/dev/null
	gap_apply=$(q GAP)
	grep -q '^switch: stop-free' apply.txt || { cat apply.txt; fail "apply $i: not stop-free"; }
	grep -q '^pause 0.00 ms: no thread of the program stopped' apply.txt ||
		{ cat apply.txt; fail "apply $i stopped a thread of the program"; }
	read -r _ samples _ stopped <watch.txt
	[ "$stopped" = 0 ] || fail "apply $i: a thread of the program seen stopped in $stopped of $samples samples"
	[ "$(q 'ANSWER 7')" = "RELEASE 2 VALUE 37" ] || fail "apply $i: not live"
	sleep 0.05 # let the busy threads run their calls in the new release a while
	q "EXPECT 0" >/dev/null
	"$ROLLBACK" -q "$SPID" || fail "rollback $i failed"
	gap_rb=$(q GAP)
	[ "$(q 'ANSWER 7')" = "RELEASE 1 VALUE 22" ] || fail "rollback $i: not live"
	echo "cycle $i: heartbeat gap $floor us over 200 ms without an apply, $gap_apply us during the stop-free apply ($samples samples, no" \
		"thread stopped; $(sed -n 's/.*switched in \([0-9.]*\) ms.*/agent \1 ms/p' apply.txt)), $gap_rb us" \
		"during the stop-the-world rollback"
done
q "EXPECT 0" >/dev/null
touch stop
wait_for 20 grep -q '^requests' client.txt || fail "the client did not end"
read -r _ reqs _ failed <client.txt
read -r _ eintr _ stale _ calls _ <<<"$(q STATS)"
echo "runtime traps at sites mid-switch: $($LIVE traps "$SPID" "$POLUS_BUILD/polus-rt.so"); busy calls $calls"
[ "$failed" = 0 ] && [ "$reqs" -gt 0 ] || fail "$failed of $reqs requests failed"
[ "$eintr" = 0 ] || fail "$eintr EINTR seen by the program"
[ "$stale" = 0 ] || fail "$stale calls of compute() begun after a switch ran the old release"
ok "$CYCLES stop-free applies and rollbacks under load, 64 threads: no program thread stopped by an apply, $reqs requests 0 failed, 0 EINTR, 0 stale calls"
kill "$SPID"

# a program with its own SIGTRAP handler: it still gets the SIGTRAPs that are not ours
start_server --threads 8 --sigtrap
"$POLUS_BUILD/polus-apply" "$SPID" srv.so >apply.txt 2>&1 || { cat apply.txt; fail "apply (SIGTRAP handler) failed"; }
grep -q '^switch: stop-free' apply.txt || { cat apply.txt; fail "not stop-free (SIGTRAP handler)"; }
kill -TRAP "$SPID"
wait_for 5 sh -c "$LIVE ask $PORT STATS | grep -q 'traps 1$'" || fail "the program's handler: $(q STATS)"
"$POLUS_BUILD/polus-apply" "$SPID" srv.so >/dev/null 2>&1 # already applied: refused
"$ROLLBACK" -q "$SPID" && "$POLUS_BUILD/polus-apply" -q "$SPID" srv.so || fail "apply after rollback (SIGTRAP handler)"
[ "$(q 'ANSWER 7')" = "RELEASE 2 VALUE 37" ] || fail "not live (SIGTRAP handler)"
kill -TRAP "$SPID"
wait_for 5 sh -c "$LIVE ask $PORT STATS | grep -q 'traps 2$'" || fail "the program's handler: $(q STATS)"
ok "a program's own SIGTRAP handler still gets its signals, the patch goes live stop-free"
kill "$SPID"

# under a debugger: every thread traced (refused, nothing changed); one thread traced
start_server --threads 8
"$POLUS_BUILD/polus-apply" -q "$SPID" srv.so && "$ROLLBACK" -q "$SPID" || fail "apply/rollback before tracing"
# traced TASK WHAT STRACE-ARGS...: apply refused while strace traces TASK, nothing changed
traced() {
	local task=$1 what=$2 rc
	shift 2
	strace "$@" -o /dev/null 2>strace.err &
	spid=$!
	track_pid $spid
	wait_for 10 sh -c "grep -q '^TracerPid:[[:space:]]*$spid\$' /proc/$SPID/task/$task/status"
	"$POLUS_BUILD/polus-apply" "$SPID" srv.so >dbg.txt 2>&1
	rc=$?
	[ $rc = 3 ] && grep -q "already traced by process $spid (a debugger?)" dbg.txt ||
		fail "$what: exit $rc: $(cat dbg.txt)"
	[ "$(q 'ANSWER 7')" = "RELEASE 1 VALUE 22" ] || fail "changed: $what"
	kill "$spid"
	wait "$spid" 2>/dev/null
}
traced "$SPID" "under a debugger" -f -p "$SPID"
worker=$(for t in /proc/$SPID/task/*; do [ "$(cat $t/comm)" = srv ] && [ "${t##*/}" != "$SPID" ] && echo "${t##*/}"; done | tail -n 1)
traced "$worker" "one thread under a debugger" -p "$worker"
ok "under a debugger, or one thread of it: refused (exit 3, the tracer named), nothing changed"
