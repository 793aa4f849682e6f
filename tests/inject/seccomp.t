#!/usr/bin/env bash
# Seccomp: the injector reads the target's filters and runs them on the calls it would
# inject. A filter that forbids memfd_create is refused cleanly (target unchanged, no
# EINTR); a filter that forbids something else lets the apply through.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures

start_target --seccomp=deny-memfd
wait_blocked
grep -q '^Seccomp:[[:space:]]*2' /proc/$TPID/status || fail "target not in seccomp filter mode"
before=$(snapshot)
expect_fail 2 'seccomp filter of thread [0-9]+ forbids memfd_create' "$APPLY" "$TPID" "$FX/p1.so"
[ "$(snapshot)" = "$before" ] || fail "target changed by a refused apply"
wait_blocked
no_eintr
kill -0 "$TPID" || fail "target died"
kill -9 "$TPID"; wait "$TPID" 2>/dev/null

start_target --seccomp=allow
wait_blocked
"$APPLY" "$TPID" "$FX/p1.so" || fail "apply refused under a filter that allows its calls"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
wait_blocked
no_eintr
ok "filters evaluated: refused when they forbid a call, applied otherwise"
