#!/usr/bin/env bash
# Signal frames over a patch site. Threads h-sig and h-sig-alt sit in pause() inside
# busy_fn's first bytes; a signal interrupts each there and its handler blocks (h-sig-alt's
# on an alternate signal stack), so the interrupted rip is only in a signal frame. The
# design refuses (exit 3) while such a frame exists, naming busy_fn and the thread, and
# applies once the handlers have returned and the threads left busy_fn; the new code runs.
# h-sig-ret has a return address inside ret_fn's first bytes on its own stack, and sits
# in a handler on an alternate stack: the scan follows the signal frame to the stack it
# interrupted, and refuses too.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
make_patch_variant "$FX/busy.so" busy -f "$F_BUSY"
make_patch_variant "$FX/ret.so" ret -f "$F_RET"
start_target --sig-site
wait_blocked
tid_of() { for d in /proc/$TPID/task/*; do [ "$(cat $d/comm)" = "$1" ] && basename $d; done; }
wait_for 10 thread_in h-sig 34 || fail "h-sig not in pause()"
wait_for 10 thread_in h-sig-alt 34 || fail "h-sig-alt not in pause()"
wait_for 10 thread_in h-sig-ret 34 || fail "h-sig-ret not in pause()"
sig=$(tid_of h-sig) alt=$(tid_of h-sig-alt) ret=$(tid_of h-sig-ret)
IFS=, read -r p_sig p_alt p_ret < <(sed -n 's/^sig pipes=//p' "$TLOG")

# a return address inside ret_fn on the stack a handler on an alternate stack interrupted
kill -s RTMIN+3 "$TPID"
wait_for 10 grep -q '^h-sig-ret in handler' "$TLOG" || fail "h-sig-ret's handler did not run"
wait_for 10 thread_in h-sig-ret 0 || fail "h-sig-ret's handler not blocked in read"
expect_fail 3 "unsafe to patch now: thread $ret has a return address or signal frame inside the first bytes of ret_fn" \
	"$APPLY" "$TPID" "$FX/ret.so"
printf x >"/proc/$TPID/fd/$p_ret"
wait_for 10 grep -q '^h-sig-ret released' "$TLOG" || fail "h-sig-ret not released"
wait_for 10 test ! -e "/proc/$TPID/task/$ret" || fail "h-sig-ret did not exit"
"$APPLY" -q "$TPID" "$FX/ret.so" || fail "ret not applied once the handler returned"

before=$(snapshot)
kill -s RTMIN+1 "$TPID"
kill -s RTMIN+2 "$TPID"
wait_for 10 grep -q '^h-sig in handler' "$TLOG" || fail "h-sig's handler did not run"
wait_for 10 grep -q '^h-sig-alt in handler' "$TLOG" || fail "h-sig-alt's handler did not run"
wait_for 10 thread_in h-sig 0 || fail "h-sig's handler not blocked in read"
wait_for 10 thread_in h-sig-alt 0 || fail "h-sig-alt's handler not blocked in read"
# the frame on the thread's own stack
expect_fail 3 "unsafe to patch now: thread $sig has a return address or signal frame inside the first bytes of busy_fn" \
	"$APPLY" "$TPID" "$FX/busy.so"
[ "$(snapshot)" = "$before" ] || fail "target changed by a refused apply"
printf x >"/proc/$TPID/fd/$p_sig"
wait_for 10 grep -q '^h-sig released' "$TLOG" || fail "h-sig not released"
wait_for 10 test ! -e "/proc/$TPID/task/$sig" || fail "h-sig did not exit"
# the frame on an alternate signal stack
expect_fail 3 "unsafe to patch now: thread $alt has a return address or signal frame inside the first bytes of busy_fn" \
	"$APPLY" "$TPID" "$FX/busy.so"
printf x >"/proc/$TPID/fd/$p_alt"
wait_for 10 grep -q '^h-sig-alt released' "$TLOG" || fail "h-sig-alt not released"
wait_for 10 test ! -e "/proc/$TPID/task/$alt" || fail "h-sig-alt did not exit"
"$APPLY" -q "$TPID" "$FX/busy.so" || fail "not applied once the handlers returned"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
wait_blocked
no_eintr
ok "signal frames over a site refused (own and alternate stack, and the stack a frame interrupted), applied once gone"
