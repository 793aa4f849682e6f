#!/usr/bin/env bash
# An unsafe patch site: a thread sits (blocked in pause()) right after the first
# instruction of busy_fn, inside the bytes a jump would replace. polus-apply retries a few
# times, then refuses with exit 3 naming the function and the thread; the target is left
# as it was. The same for ret_fn, where a thread's return address (a function it called
# from ret_fn's first instruction) lies inside those bytes. A patch that does not touch busy_fn still applies meanwhile.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
make_patch "$FX/busy.so" busy -f "$F_BUSY"
make_patch "$FX/ret.so" ret -f "$F_RET"

start_target --busy-site
wait_blocked
wait_for 10 thread_in h-busy 34 || fail "h-busy not in pause()"
busy_tid=$(for d in /proc/$TPID/task/*; do [ "$(cat $d/comm)" = h-busy ] && basename $d; done)
before=$(snapshot)
expect_fail 3 "unsafe to patch now: thread $busy_tid is executing the first bytes of busy_fn" \
	"$APPLY" "$TPID" "$FX/busy.so"
[ "$(snapshot)" = "$before" ] || fail "target changed by a refused apply"
wait_for 10 thread_in h-busy 34 || fail "h-busy left pause()"
ret_tid=$(for d in /proc/$TPID/task/*; do [ "$(cat $d/comm)" = h-busy-ret ] && basename $d; done)
expect_fail 3 "unsafe to patch now: thread $ret_tid has a return address .* inside the first bytes of ret_fn" \
	"$APPLY" "$TPID" "$FX/ret.so"
[ "$(snapshot)" = "$before" ] || fail "target changed by a refused apply"
wait_blocked
no_eintr

"$APPLY" -q "$TPID" "$FX/p1.so" || fail "an unrelated patch did not apply"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
no_eintr
ok "busy site refused, other patch applied"
