#!/usr/bin/env bash
# A hostile target: threads hammering malloc/free and stdio, a CPU-bound thread with no
# system calls, threads created and exiting all the time, the program's own SIGTRAP and
# SIGSEGV handlers in use, a thread with every signal blocked -- plus the blocked threads
# of apply.t. Patched several times in a row with the sanitized polus-apply (ASan+UBSan):
# the new code runs, no signal is lost or doubled, no call sees EINTR, nothing leaks.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
need_built "$POLUS_SAN_BUILD/polus-apply"
build_fixtures
for i in 1 2 3; do make_patch_variant "$FX/h$i.so" "h$i"; done

start_target --hostile
wait_blocked
fds_before=$(ls /proc/$TPID/fd | wc -l)
for i in 1 2 3; do
	ASAN_OPTIONS=detect_leaks=1 "$POLUS_SAN_BUILD/polus-apply" "$TPID" "$FX/h$i.so" \
		>"$TMP/apply$i.out" 2>&1 || fail "apply h$i failed: $(cat "$TMP/apply$i.out")"
	cat "$TMP/apply$i.out"
	grep -q 'runtime error\|AddressSanitizer' "$TMP/apply$i.out" && fail "sanitizer report"
	kill -0 "$TPID" || fail "target died after apply h$i"
done
wait_for 10 [ "$(grep -c '^new direct' "$TLOG")" -ge 2 ] || fail "new code not reached"
wait_for 10 [ "$(grep -c '^new pointer' "$TLOG")" -ge 2 ] || fail "new code not reached through the pointer"
wait_blocked
no_eintr
[ "$(ls /proc/$TPID/fd | wc -l)" = "$fds_before" ] || fail "fd count changed"
[ "$(grep -c 'memfd:polus:registry' /proc/$TPID/maps)" = 1 ] || fail "registry mapped twice"
for i in 1 2 3; do grep -q "memfd:polus:h$i" /proc/$TPID/maps || fail "h$i not mapped"; done
n=$("$STATUS" --json "$TPID" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["patches"]))')
[ "$n" = 3 ] || fail "status lists $n patches"
expect_fail 2 'is already applied' "$APPLY" "$TPID" "$FX/h2.so"
kill -0 "$TPID" || fail "target died"
echo "longest heartbeat gaps seen by the target (informational): $(grep '^gap' "$TLOG" | tail -n 3 | tr '\n' ' ')"
ok "three applies into a hostile target"
