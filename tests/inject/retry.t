#!/usr/bin/env bash
# Re-applying after a failed attempt. The same patch fails part-way, then applies:
# - at each step where polus-apply has touched the process (POLUS_TEST_FAIL_AT = load,
#   registry, stop, record, switch: a failure injected after that step, exit 4), once in
#   a process without a registry yet and once after another patch: the target keeps its
#   map, fds, threads and registry bytes; no new code ran;
# - refused with exit 3 while a thread sits inside busy_fn, then applied once it left;
# and each time the retry applies cleanly: one mapping of the patch, one record.
# A failed record longer than the next one leaves no trace in the registry text.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
make_patch_variant "$FX/busy.so" busy -f "$F_BUSY"
make_patch_variant "$FX/p2.so" p2

state() { snapshot; registry_bytes; "$STATUS" "$TPID" 2>&1; }

# fail_each PATCH: every injected failure leaves the target as it was
fail_each() {
	local before k n_new
	before=$(state)
	n_new=$(grep -c '^new direct' "$TLOG")
	for k in load registry stop record switch; do
		POLUS_TEST_FAIL_AT=$k expect_fail 4 "test failure injected after $k" \
			"$APPLY" "$TPID" "$1"
		[ "$(state)" = "$before" ] ||
			{ diff <(echo "$before") <(state) >&2; fail "failure at $k left a trace"; }
		[ "$(grep -c '^new direct' "$TLOG")" = "$n_new" ] || fail "new code ran after a failure at $k"
		no_eintr
	done
}

start_target --busy-site
wait_blocked
wait_for 10 thread_in h-busy 34 || fail "h-busy not in pause()"
fail_each "$FX/p1.so"
grep -q 'memfd:polus:' /proc/$TPID/maps && fail "a polus mapping remains"
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "p1 did not apply after the failed attempts"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
"$STATUS" "$TPID" | grep -q "^process $TPID: 1 polus patch" || fail "status: $("$STATUS" "$TPID")"

# with a registry already there: p2 itself, and a patch with a longer record
make_patch_variant "$FX/p2long.so" p2-with-a-name-longer-than-p2
fail_each "$FX/p2long.so"
fail_each "$FX/p2.so"
fds=$(ls /proc/$TPID/fd | wc -l)
"$APPLY" -q "$TPID" "$FX/p2.so" || fail "p2 did not apply after the failed attempts"
[ "$(ls /proc/$TPID/fd | wc -l)" = "$fds" ] || fail "fd count changed"
"$STATUS" --json "$TPID" >"$TMP/st.json" || fail "status failed after the retry"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ps = d["patches"]
assert [p["name"] for p in ps] == ["p1", "p2"], ps
assert all(len(p["functions"]) == 1 for p in ps), ps
' "$TMP/st.json" || fail "registry after the retry: $(cat "$TMP/st.json")"
grep -q 'memfd:polus:p2-with' /proc/$TPID/maps && fail "a failed attempt's mapping remains"
[ "$(grep -c 'memfd:polus:p2 ' /proc/$TPID/maps)" -ge 1 ] || fail "p2 not mapped"

# exit 3 (a thread inside busy_fn), then the same patch once the thread has left
busy_tid=$(for d in /proc/$TPID/task/*; do [ "$(cat $d/comm)" = h-busy ] && basename $d; done)
before=$(state)
expect_fail 3 "unsafe to patch now: thread $busy_tid is executing the first bytes of busy_fn" \
	"$APPLY" "$TPID" "$FX/busy.so"
[ "$(state)" = "$before" ] || fail "the refused apply left a trace"
kill -USR1 "$TPID"
wait_for 10 grep -q '^h-busy released' "$TLOG" || fail "h-busy not released"
wait_for 10 test ! -e "/proc/$TPID/task/$busy_tid" || fail "h-busy did not exit"
"$APPLY" -q "$TPID" "$FX/busy.so" || fail "busy did not apply once the thread left"
"$STATUS" "$TPID" | grep -q "^process $TPID: 3 polus patches" || fail "status: $("$STATUS" "$TPID")"
[ "$(grep -c 'memfd:polus:busy ' /proc/$TPID/maps)" -ge 1 ] || fail "busy not mapped"
wait_blocked
no_eintr
ok "failed attempts leave nothing; the same patch then applies"
