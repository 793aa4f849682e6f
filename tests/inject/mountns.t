#!/usr/bin/env bash
# Another mount namespace: the target runs from a tmpfs mounted only in its own mount
# namespace, so its path means nothing to the injector; the executable and its libraries
# are read through /proc/PID/exe and /proc/PID/map_files, and the patch is applied.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
[ "$(id -u)" = 0 ] || skip "needs root (mount namespace)"
command -v unshare >/dev/null || skip "no unshare"
build_fixtures
unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"
priv=$TMP/private
mkdir -p "$priv"
: >"$TLOG"
unshare -m --propagation private sh -c \
	'mount -t tmpfs polus-test "$1" && cp "$2" "$1/target" && exec "$1/target" "$3"' \
	sh "$priv" "$FX/target" "$TLOG" &
TPID=$!
track_pid $TPID
wait_for 10 grep -q '^ready' "$TLOG" || fail "target did not start"
[ -e "$priv/target" ] && fail "the private mount is visible here"
[ "$(readlink /proc/$TPID/exe)" = "$priv/target" ] || fail "unexpected exe $(readlink /proc/$TPID/exe)"
wait_blocked
"$APPLY" "$TPID" "$FX/p1.so" || fail "apply failed across mount namespaces"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
wait_blocked
no_eintr
ok "patched a process whose binary is only visible in its own mount namespace"
