#!/usr/bin/env bash
# polus-rollback on the example server under load, with a chain: v1 -> v2 (p12) -> v3
# (p23). Each rollback brings the previous release's behaviour back live (VERSION, the
# long-key GET, INCR's overflow check) with every piece of state kept (the table,
# counters, a static local); a request running in new code during a rollback finishes
# there while a new one runs the old code; p12 with p23 on top is refused naming p23;
# --to and --all; applying again reuses the images (no new mapping). Load generator:
# 0 failed requests; no EINTR in the server; no descriptor leaked.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/e2e/e2e.sh"
. "$POLUS_TOP/tests/rollback/lib-rollback.sh"
need_polus
need_tool polus-rollback
make_chain -O2

start_server "$BIN_v1" --threads 4
expect_reply "$SRV_PORT" "SET big 9223372036854775806" OK
expect_reply "$SRV_PORT" "SET $LONGKEY long" OK
fds0=$(own_fds "$SRV_PID")
start_load "$SRV_PORT" 2 --rollbacks 1

v1() {
	expect_reply "$SRV_PORT" VERSION "VERSION v1"
	expect_reply "$SRV_PORT" "GET $LONGKEY" "ERR bad key"
}
v2() {
	expect_reply "$SRV_PORT" VERSION "VERSION v2"
	expect_reply "$SRV_PORT" "GET $LONGKEY" "VALUE long"
}
rollback() { # rollback LOG ARGS...
	local log=$1
	shift
	step "$TMP/$log" "$ROLLBACK" "$@" || fail "polus-rollback $* failed"
	ok "polus-rollback $*: $(tr '\n' ' ' <"$TMP/$log" | cut -c1-200)"
}

step "$TMP/apply12.log" "$POLUS_BUILD/polus-apply" "$SRV_PID" "$PATCH" || fail "applying p12 failed"
v2
hold_open "$SRV_PORT" # a request inside v2's proto_hold during the rollback
calls0=$(stat_of "$SRV_PORT" stats_calls)
rollback rb1.log "$SRV_PID"
v1
held=$(hold_release)
[ "$held" = "HELD v2" ] || fail "the request running new code answered '$held', wanted 'HELD v2'"
hold_open "$SRV_PORT"
held=$(hold_release)
[ "$held" = "HELD v1" ] || fail "a new request answered '$held', wanted 'HELD v1'"
ok "the invocation inside new code finished there; a new one runs the old code"
[ "$(stat_of "$SRV_PORT" stats_calls)" -eq $((calls0 + 1)) ] || fail "static local stats_calls not kept"
expect_reply "$SRV_PORT" "GET big" "VALUE 9223372036854775806"
images=$(polus_maps "$SRV_PID")

step "$TMP/apply12b.log" "$POLUS_BUILD/polus-apply" "$SRV_PID" "$PATCH" || fail "applying p12 again failed"
grep -q '^reusing p12 at' "$TMP/apply12b.log" || fail "p12 not reused: $(cat "$TMP/apply12b.log")"
v2
step "$TMP/apply23.log" "$POLUS_BUILD/polus-apply" "$SRV_PID" "$P23" || fail "applying p23 failed"
expect_reply "$SRV_PORT" VERSION "VERSION v3"
expect_reply "$SRV_PORT" "INCR big" "INT 9223372036854775807"
expect_reply "$SRV_PORT" "INCR big" "ERR overflow"
images23=$(polus_maps "$SRV_PID")
expect_fail 2 "patch p12 has newer patches applied on top of it in process $SRV_PID: p23" \
	"$ROLLBACK" "$SRV_PID" p12
rollback rb23.log "$SRV_PID"
v2
expect_reply "$SRV_PORT" "INCR big" "INT -9223372036854775808" # v2 wraps, as it did
expect_reply "$SRV_PORT" "SET big 9223372036854775806" OK
rollback rb12.log "$SRV_PID"
v1
[ "$(state_of p12 "$SRV_PID")-$(state_of p23 "$SRV_PID")" = rolled-back-rolled-back ] ||
	fail "states: $("$POLUS_BUILD/polus-status" "$SRV_PID")"

# both again (reused), then --to p12, then --all
step "$TMP/a1.log" "$POLUS_BUILD/polus-apply" "$SRV_PID" "$PATCH" || fail "p12 a third time"
step "$TMP/a2.log" "$POLUS_BUILD/polus-apply" "$SRV_PID" "$P23" || fail "p23 again"
grep -q '^reusing p23 at' "$TMP/a2.log" || fail "p23 not reused: $(cat "$TMP/a2.log")"
[ "$(polus_maps "$SRV_PID")" = "$images23" ] || fail "applying again mapped something new"
expect_reply "$SRV_PORT" VERSION "VERSION v3"
rollback to.log --to p12 "$SRV_PID"
v2
step "$TMP/a3.log" "$POLUS_BUILD/polus-apply" "$SRV_PID" "$P23" || fail "p23 a third time"
expect_reply "$SRV_PORT" VERSION "VERSION v3"
rollback all.log --all "$SRV_PID"
grep -q '^rolled back p23: ' "$TMP/all.log" && grep -q '^rolled back p12: ' "$TMP/all.log" ||
	fail "--all: $(cat "$TMP/all.log")"
v1
expect_reply "$SRV_PORT" "GET big" "VALUE 9223372036854775806"
[ "$(polus_maps "$SRV_PID")" = "$images23" ] || fail "rollbacks changed the patch mappings"

expect_fds "$SRV_PID" "$fds0" "after the rollbacks"
stop_load
[ "$(stat_of "$SRV_PORT" eintr)" = 0 ] || fail "a system call of the server returned EINTR"
expect_no_conns "$SRV_PID" "$fds0" "load stopped"
got=$(history_actions "$SRV_PID")
want="apply:p12 rollback:p12 apply:p12 apply:p23 rollback:p23 rollback:p12 apply:p12 apply:p23 rollback:p23 apply:p23 rollback:p23 rollback:p12"
[ "$got" = "$want" ] || fail "history: $got"
ok "chain rolled back and applied again under load: 0 failed requests, no EINTR, no leak"
