#!/usr/bin/env bash
# One updater at a time, across users and mount namespaces, apply against rollback: a
# target running as nobody; polus-apply run by nobody races polus-rollback run by root in
# a mount namespace of its own, eight times. Each round one waits for nothing: it runs,
# and the other refuses with exit 3 naming it (or runs after it); with --wait both run.
# Then everything is rolled back: every site still held exactly the jump its record says
# (a torn or doubled update would fail there) and the original code is back.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
. "$POLUS_TOP/tests/txn/lib-txn.sh"
. "$POLUS_TOP/tests/rollback/lib-rollback.sh"
[ "$(id -u)" = 0 ] || skip "needs root (runs the target as nobody)"
command -v setpriv >/dev/null || skip "no setpriv"
command -v unshare >/dev/null && unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"
need_tools
build_fixtures
for i in $(seq 1 16); do make_patch_variant "$FX/v$i.so" "v$i"; done
COMPUTE=compute:$(sym_addr "$FX/target" compute)
chmod 755 "$TMP" "$FX"
chmod 644 "$FX"/*.so
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups" # run directly: $! is its pid
as_nobody() { $NOBODY "$@"; }
su_ok=$(as_nobody test -r "$POLUS_BUILD/polus-rt.so" && as_nobody test -x "$APPLY" && echo y)
[ "$su_ok" = y ] || skip "nobody cannot reach the build directory ($POLUS_BUILD)"

: >"$TLOG"; chmod 666 "$TLOG"
$NOBODY "$FX/target" "$TLOG" &
TPID=$!
track_pid $TPID
wait_for 10 grep -q '^ready' "$TLOG" || fail "target did not start as nobody"
PORT=$(sed -n 's/^ready port=//p' "$TLOG")
ORIG=$(compute_head)
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "p1 did not apply"

# race I [--wait S]: nobody applies vI while root rolls back in its own mount namespace.
race() {
	local i=$1; shift
	$NOBODY "$APPLY" -q "$@" "$TPID" "$FX/v$i.so" >"$TMP/a.out" 2>&1 &
	local a=$!
	unshare -m --propagation private "$ROLLBACK" -q "$@" "$TPID" >"$TMP/b.out" 2>&1 &
	local b=$!
	wait $a; ra=$?
	wait $b; rb=$?
	pa=$a pb=$b
}
refused=0
for i in $(seq 1 8); do
	race "$i"
	case "$ra $rb" in
	"0 3") grep -q "being updated by process $pa (polus-apply)" "$TMP/b.out" || fail "round $i: $(cat "$TMP/b.out")"; refused=$((refused + 1)) ;;
	"3 0" | "3 2") grep -q "being updated by process $pb (polus-rollback)" "$TMP/a.out" || fail "round $i: $(cat "$TMP/a.out")"; refused=$((refused + 1)) ;;
	"0 0") ;;
	"0 2") grep -q "no patch is applied" "$TMP/b.out" || fail "round $i: $(cat "$TMP/b.out")" ;;
	*) fail "round $i: exits $ra $rb: $(cat "$TMP/a.out" "$TMP/b.out")" ;;
	esac
	answers || fail "round $i: the target does not answer"
done
ok "nobody's apply against root's rollback in another mount namespace, 8 rounds: $refused refused naming the other"
for i in $(seq 9 16); do
	race "$i" --wait 60
	case "$ra $rb" in
	"0 0") ;;
	"0 2") grep -q "no patch is applied" "$TMP/b.out" || fail "--wait, round $i: $(cat "$TMP/b.out")" ;;
	*) fail "--wait, round $i: exits $ra $rb: $(cat "$TMP/a.out" "$TMP/b.out")" ;;
	esac
done
ok "with --wait: both ran, 8 rounds"
"$ROLLBACK" -q --all "$TPID" || fail "rollback --all failed: the registry and the code disagree?"
[ "$(compute_head)" = "$ORIG" ] || fail "compute is not back to its original code"
! "$STATUS" "$TPID" | grep -q '  applied  ' || fail "a record is still applied: $("$STATUS" "$TPID")"
answers || fail "the target does not answer"
ok "rolled back --all: every record matched its code, the original code is back"
