#!/usr/bin/env bash
# Another user: root applies a patch to a process running as nobody (the target never
# opens the patch file: polus loads it itself), and nobody is refused a root process
# (exit 1, "no permission"), leaving it untouched.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
[ "$(id -u)" = 0 ] || skip "needs root (runs the target as nobody)"
command -v setpriv >/dev/null || skip "no setpriv"
build_fixtures
chmod 755 "$TMP" "$FX"
chmod 644 "$FX/p1.so"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# nobody against a root process
start_target
wait_blocked
expect_fail 1 "no permission|cannot open the memory" as_nobody "$APPLY" "$TPID" "$FX/p1.so"
no_eintr
kill -9 "$TPID"; wait "$TPID" 2>/dev/null

# root against a nobody process
: >"$TLOG"; chmod 666 "$TLOG"
setpriv --reuid=65534 --regid=65534 --clear-groups "$FX/target" "$TLOG" &
TPID=$!
track_pid $TPID
wait_for 10 grep -q '^ready' "$TLOG" || fail "target did not start as nobody"
grep -Eq "^Uid:\s+65534\s" /proc/$TPID/status || fail "target does not run as nobody"
wait_blocked
"$APPLY" "$TPID" "$FX/p1.so" || fail "root could not patch a process of nobody"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
"$STATUS" "$TPID" | grep -q '^patch p1 ' || fail "status"
wait_blocked
no_eintr
ok "root patched a process of another user; nobody was refused a root process"
