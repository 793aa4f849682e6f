#!/usr/bin/env bash
# Reliability of apply/rollback cycles on a live, loaded process.
#   bench/cycles.sh [--quick]    (CYCLES=N, default 1000; --quick: 100)
# The example server (v1, -O2 with the plugin, 4 workers) under load from loadgen (2
# threads, --rollbacks 1: it checks every reply, and any VERSION counts); p12 (v1 -> v2)
# applied and rolled back CYCLES times. Printed: failed applies and rollbacks, loadgen's
# failed requests, the server's EINTR count, the process's mappings, patch mappings,
# descriptors and VmRSS after the first cycle and after the last, the time per cycle
# (both tools end to end, median and 99th percentile) and the pause of each (median and
# max, as the tools measure it: how long they held the threads). Figures, no assertion.
. "$(dirname "$0")/lib.sh"
CYCLES=${CYCLES:-1000}
case ${1:-} in
--quick) CYCLES=100 ;;
--help | -h) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
"") ;;
*) echo "cycles.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac
loadgen=$BUILD/examples/loadgen
mkpatch=$BUILD/polus-mkpatch
apply=$BUILD/polus-apply
rollback=$BUILD/polus-rollback
for t in "$PLUGIN" "$mkpatch" "$loadgen" "$apply" "$rollback"; do
	[ -e "$t" ] || { echo "SKIPPED: $(basename "$t") not built ($t)"; exit 0; }
done

machine
for v in v1 v2; do
	cp -r "$top/examples/server/$v" "$work/$v"
	make -s -C "$work/$v" clean >/dev/null
	make -s -C "$work/$v" CFLAGS="-O2 -g -fplugin=$PLUGIN" server >/dev/null || exit 1
done
"$mkpatch" "$work/v1/server" "$work/v2/server" -o "$work/p12.so" >"$work/mkpatch.log" 2>&1 ||
	{ echo "FAILED: polus-mkpatch: $(tail -n 3 "$work/mkpatch.log")"; exit 1; }

"$work/v1/server" --port 0 --threads 4 >"$work/server.out" 2>&1 &
pid=$!
pids+=($pid)
for _ in $(seq 500); do grep -q '^listening' "$work/server.out" && break; sleep 0.02; done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/server.out")
[ -n "$port" ] || { echo "FAILED: the server did not start"; exit 1; }
"$loadgen" --port "$port" --threads 2 --rollbacks 1 >"$work/load.out" 2>"$work/load.err" &
lpid=$!
pids+=($lpid)
for _ in $(seq 500); do grep -q '^running' "$work/load.err" && break; sleep 0.02; done

ask() {
	local fd line
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf '%s\nQUIT\n' "$1" >&$fd
	IFS= read -r -t 10 line <&$fd
	exec {fd}>&-
	printf '%s\n' "$line"
}
# facts: mappings, patch mappings, descriptors, VmRSS kB
facts() {
	echo "$(wc -l <"/proc/$pid/maps") $(grep -c 'memfd:polus:' "/proc/$pid/maps") $(ls "/proc/$pid/fd" | wc -l) $(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status")"
}
pause_of() { sed -n 's/.*"pause_ns":\([0-9]*\).*/\1/p' "$1"; }

fails=0 cyc=() pa=() pr=()
for ((i = 1; i <= CYCLES; i++)); do
	t0=$(date +%s%N)
	"$apply" --json "$pid" "$work/p12.so" >"$work/a.json" 2>"$work/a.err" || { fails=$((fails + 1)); echo "apply $i: $(cat "$work/a.err")"; }
	"$rollback" --json "$pid" >"$work/r.json" 2>"$work/r.err" || { fails=$((fails + 1)); echo "rollback $i: $(cat "$work/r.err")"; }
	t1=$(date +%s%N)
	cyc+=($(((t1 - t0) / 1000)))
	pa+=("$(pause_of "$work/a.json")")
	pr+=("$(pause_of "$work/r.json")")
	[ $i = 1 ] && first=$(facts)
done
last=$(facts)
version=$(ask VERSION)
eintr=$(ask STATS | tr ' ' '\n' | sed -n 's/^eintr=//p')
kill -INT $lpid
lrc=0
wait $lpid || lrc=$?

pct() { # P N...: the P-th percentile
	local p=$1
	shift
	printf '%s\n' "$@" | sort -n | awk -v p="$p" '{v[NR] = $1} END {i = int(NR * p / 100); if (i < 1) i = 1; print v[i]}'
}
ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u / 1000}'; }
read -r m1 pm1 fd1 rss1 <<<"$first"
read -r m2 pm2 fd2 rss2 <<<"$last"
echo "== $CYCLES apply/rollback cycles of p12 on the example server (-O2, 4 workers) under load (loadgen 2 threads)"
echo "  failed applies + rollbacks: $fails; loadgen: $(cat "$work/load.out") (exit $lrc); server EINTR: $eintr; now: $version"
echo "  after cycle 1 -> after cycle $CYCLES: mappings $m1 -> $m2, patch mappings $pm1 -> $pm2, descriptors $fd1 -> $fd2, VmRSS $rss1 -> $rss2 kB"
echo "  per cycle (apply + rollback, end to end): median $(ms "$(median "${cyc[@]}")") ms, p99 $(ms "$(pct 99 "${cyc[@]}")") ms"
echo "  pause: apply median $(ms "$(($(median "${pa[@]}") / 1000))") ms (max $(ms "$(($(best_max "${pa[@]}") / 1000))")), rollback median $(ms "$(($(median "${pr[@]}") / 1000))") ms (max $(ms "$(($(best_max "${pr[@]}") / 1000))"))"
echo "  history kept by the registry: $("$BUILD/polus-status" --history "$pid" | head -n 1)"
