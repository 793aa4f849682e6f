#!/usr/bin/env bash
# A chain of two live updates on one process under load: v1 -> v2 (p12), then v2 -> v3
# (p23, built against what the process runs: v1's binary plus p12). v3 changes a second
# unit (table.c: INCR refuses to overflow). After both, v3 answers, every piece of state
# is kept, no request failed, and the second apply grew the process no more than the first
# (mappings that are not polus's own, descriptors, resident memory).
. "$POLUS_TOP/tests/lib.sh"
. ./e2e.sh
need_polus
make_chain -O2

start_server "$BIN_v1" --threads 4
expect_reply "$SRV_PORT" "SET big 9223372036854775806" OK
expect_reply "$SRV_PORT" "SET $LONGKEY long" OK
fds0=$(own_fds "$SRV_PID") # no client connected yet
start_load "$SRV_PORT" 2
maps0=$(nmaps "$SRV_PID") rss0=$(rss_kb "$SRV_PID")

step "$TMP/apply12.log" "$POLUS_BUILD/polus-apply" "$SRV_PID" "$PATCH" || fail "applying p12 failed"
expect_reply "$SRV_PORT" VERSION "VERSION v2"
expect_reply "$SRV_PORT" "GET $LONGKEY" "VALUE long"
expect_fds "$SRV_PID" "$fds0" "after p12"
maps1=$(nmaps "$SRV_PID") rss1=$(rss_kb "$SRV_PID")

step "$TMP/apply23.log" "$POLUS_BUILD/polus-apply" "$SRV_PID" "$P23" || fail "applying p23 failed"
expect_reply "$SRV_PORT" VERSION "VERSION v3"
expect_reply "$SRV_PORT" "GET $LONGKEY" "VALUE long"
expect_reply "$SRV_PORT" "INCR big" "INT 9223372036854775807"
expect_reply "$SRV_PORT" "INCR big" "ERR overflow"
expect_fds "$SRV_PID" "$fds0" "after p23"
maps2=$(nmaps "$SRV_PID") rss2=$(rss_kb "$SRV_PID")
stop_load
expect_no_conns "$SRV_PID" "$fds0" "load stopped"
[ "$(stat_of "$SRV_PORT" eintr)" = 0 ] || fail "a system call of the target returned EINTR"

echo "fds $fds0 (besides client connections, after each apply and with no client); other mappings $maps0 -> $maps1 -> $maps2; rss kB $rss0 -> $rss1 -> $rss2"
[ $((maps2 - maps1)) -le $((maps1 - maps0)) ] || fail "the second apply added more mappings than the first"
# Resident memory moves with the load; allow 1 MiB of noise over the first apply's growth.
[ $((rss2 - rss1)) -le $((rss1 - rss0 + 1024)) ] || fail "the second apply grew RSS more than the first"
ok "no growth from one apply to the next"

step "$TMP/status.log" "$POLUS_BUILD/polus-status" "$SRV_PID" || fail "polus-status failed"
grep -q p12 "$TMP/status.log" && grep -q p23 "$TMP/status.log" ||
	fail "polus-status does not list both patches: $(cat "$TMP/status.log")"
ok "polus-status lists p12 and p23"
