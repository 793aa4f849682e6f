#!/usr/bin/env bash
# End to end under load (examples/coexist): release 2 of a counter server inserts a field
# into its global state while a WATCH request, started in release 1, keeps writing the
# old copy every millisecond. Four clients send HIT back to back throughout. polus-apply
# arms write tracking, switches and waits; meanwhile the new code answers (VERSION v2,
# the new field counts), the ticks the old request writes reach the new copy, and
# polus-status names the old frame. When the WATCH is released, coexistence ends and
# polus-apply returns. Then: 0 failed requests; the server's hits equal the clients' OKs
# (new code's writes kept), the old request saw them all in its old copy (carried to it),
# and the ticks it counted are the ticks the new code shows (old code's writes kept).
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/mkpatch/lib-mkpatch.sh" || exit 1
need_live
EX=$POLUS_TOP/examples/coexist
cd "$TMP" || fail "cd"
for v in v1 v2; do
	mkdir -p $v && cp "$EX/$v/main.c" "$EX/$v/coexist.h" $v/ || fail "copy $v"
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -pthread -o server main.c) || fail "building $v"
done
"$MK" -q v1/server v2/server -o p.so 2> mk.err || fail "patch build: $(cat mk.err)"
grep -q '^track-table:' p.yaml || fail "no store table: $(cat mk.err)"

v1/server --port 0 > srv.out 2>&1 &
pid=$!
track_pid $pid
wait_for 10 grep -q '^listening on' srv.out || fail "the server did not start"
port=$(sed -n 's/^listening on 127.0.0.1://p' srv.out)

# ask LINE: one request on a new connection, its answer
ask() {
	local fd line
	exec {fd}<> "/dev/tcp/127.0.0.1/$port" || return 1
	printf '%s\nQUIT\n' "$1" >&$fd
	IFS= read -r -t 10 line <&$fd
	exec {fd}>&-
	printf '%s\n' "$line"
}
field() { ask STATS | tr ' ' '\n' | sed -n "s/^$1=//p"; }

exec {w}<> "/dev/tcp/127.0.0.1/$port" || fail "connect"
echo WATCH >&$w
IFS= read -r -t 10 line <&$w && [ "$line" = WATCHING ] || fail "WATCH answered '$line'"
python3 "$EX/load.py" "$port" 4 "$TMP/stop" > load.out 2> load.err &
lpid=$!
track_pid $lpid
wait_for 20 grep -q '^running' load.err || fail "load did not start: $(cat load.err)"
some_hits() { [ "$(field hits)" -gt 200 ]; }
wait_for 20 some_hits || fail "no hits: $(ask STATS)"
ok "release 1 under load, a WATCH writing its state: $(ask STATS)"

"$APPLY" "$pid" p.so > apply.txt 2>&1 &
apid=$!
track_pid $apid
waiting() { grep -q "^coexistence: 1 of [0-9]* old frames\? left: watch in thread" apply.txt; }
wait_for 30 waiting || fail "no coexistence: $(cat apply.txt)"
[ "$(ask VERSION)" = v2 ] || fail "not switched: $(ask VERSION)"
[ "$(ask BOGUS)" = "ERR unknown request" ] || fail "BOGUS"
[ "$(field misses)" = 1 ] || fail "the new field: $(ask STATS)"
t0=$(field ticks)
ticking() { [ "$(field ticks)" -gt $((t0 + 50)) ]; }
wait_for 20 ticking || fail "the old WATCH's ticks do not reach the new copy: $(ask STATS)"
"$POLUS_BUILD/polus-status" "$pid" | grep -q "^  coexistence active: stats; 1 of [0-9]* old frames\? left: watch in thread" ||
	fail "polus-status: $("$POLUS_BUILD/polus-status" "$pid")"
kill -0 $apid 2> /dev/null || fail "polus-apply returned during coexistence: $(cat apply.txt)"
ok "switched under load; the old WATCH still writes (ticks $t0 -> $(field ticks)), polus-status shows it"

touch "$TMP/stop"
wait $lpid || fail "load failed: $(cat load.out load.err)"
[[ $(cat load.out) =~ ^hits=([0-9]+)\ failed=0$ ]] || fail "load: $(cat load.out)"
sent=${BASH_REMATCH[1]}
echo DONE >&$w
IFS= read -r -t 10 line <&$w || fail "the WATCH did not answer"
exec {w}>&-
[[ $line =~ ^WATCHED\ ([0-9]+)\ hits=([0-9]+)$ ]] || fail "WATCH answered '$line'"
ticks=${BASH_REMATCH[1]} seen=${BASH_REMATCH[2]}
wait $apid || fail "polus-apply failed: $(cat apply.txt)"
grep -q "^coexistence ended: the last old frame returned" apply.txt || fail "$(cat apply.txt)"
ok "coexistence ended when the WATCH returned: $(grep '^coexistence ended' apply.txt)"

final=$(ask STATS)
[ "$final" = "hits=$sent misses=1 ticks=$ticks" ] ||
	fail "state: '$final', wanted hits=$sent misses=1 ticks=$ticks"
[ "$seen" = "$sent" ] || fail "the old WATCH saw hits=$seen in the old copy, the clients got $sent"
ok "0 failed requests; $sent hits kept and carried to the old copy, $ticks old ticks kept: $final"
