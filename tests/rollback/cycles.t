#!/usr/bin/env bash
# 101 apply/rollback cycles of p12 (the example server, v1 -> v2) under load: every one
# succeeds, the release it leaves is live after each (VERSION, checked every 10 cycles and
# at the end), and the process does not grow: the same patch mappings and no more than a
# few other ones (a worker's malloc arena may appear under load) after cycle 101 as
# after cycle 1, resident memory within 1 MiB (without reuse each apply maps a new
# image), the same descriptors. Load generator: 0 failed requests; no EINTR.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/e2e/e2e.sh"
. "$POLUS_TOP/tests/rollback/lib-rollback.sh"
need_polus
need_tool polus-rollback
make_patch -O2
CYCLES=${CYCLES:-101}

start_server "$BIN_v1" --threads 4
expect_reply "$SRV_PORT" "SET kept 1" OK
fds0=$(own_fds "$SRV_PID")
start_load "$SRV_PORT" 2 --rollbacks 1

cycle() {
	"$POLUS_BUILD/polus-apply" -q "$SRV_PID" "$PATCH" || fail "cycle $1: apply failed"
	[ $(($1 % 10)) != 1 ] || expect_reply "$SRV_PORT" VERSION "VERSION v2" >/dev/null
	"$ROLLBACK" -q "$SRV_PID" || fail "cycle $1: rollback failed"
	[ $(($1 % 10)) != 1 ] || expect_reply "$SRV_PORT" VERSION "VERSION v1" >/dev/null
}

cycle 1
images=$(polus_maps "$SRV_PID")
maps1=$(wc -l <"/proc/$SRV_PID/maps") rss1=$(rss_kb "$SRV_PID")
t0=$(date +%s%N)
for ((i = 2; i <= CYCLES; i++)); do cycle $i; done
t1=$(date +%s%N)
maps2=$(wc -l <"/proc/$SRV_PID/maps") rss2=$(rss_kb "$SRV_PID")
echo "after cycle 1: $maps1 mappings, VmRSS $rss1 kB; after cycle $CYCLES: $maps2 mappings, VmRSS $rss2 kB;" \
	"$(((t1 - t0) / (CYCLES - 1) / 1000000)) ms per cycle"
[ "$(polus_maps "$SRV_PID")" = "$images" ] || fail "the patch mappings changed: $(polus_maps "$SRV_PID")"
[ "$maps2" -le $((maps1 + 4)) ] || fail "mappings grew from $maps1 to $maps2"
[ "$rss2" -le $((rss1 + 1024)) ] || fail "VmRSS grew from $rss1 kB to $rss2 kB"
expect_reply "$SRV_PORT" VERSION "VERSION v1"
expect_reply "$SRV_PORT" "GET kept" "VALUE 1"
expect_fds "$SRV_PID" "$fds0" "after the cycles"
stop_load
[ "$(stat_of "$SRV_PORT" eintr)" = 0 ] || fail "a system call of the server returned EINTR"
n=$("$POLUS_BUILD/polus-status" --history --json "$SRV_PID" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["history"]))')
[ "$n" = $((2 * CYCLES)) ] || fail "history has $n lines, wanted $((2 * CYCLES))"
"$POLUS_BUILD/polus-status" "$SRV_PID" | grep -q "^process $SRV_PID: 1 polus patch (1 rolled back)$" ||
	fail "status: $("$POLUS_BUILD/polus-status" "$SRV_PID")"
ok "$CYCLES cycles: no growth, 0 failed requests, no EINTR, one record, $n history lines"
