#!/usr/bin/env bash
# Throughput of a server during data coexistence (examples/coexist, docs/coexistence.md).
#   bench/coexist.sh    (SECS=N seconds a window, default 2; REPEAT is not used)
# Release 1 under 4 clients sending HIT back to back (examples/coexist/load.py) while a
# WATCH request writes the state every millisecond: hits per second measured from the
# server's own counter over a window before the update, during the coexistence that
# polus-apply --no-wait leaves (the old request still writing the write-protected old
# copy, every write to that page a fault completed by the runtime), and after the WATCH
# returned and coexistence ended. Prints the rates and their ratios to the one before.
. "$(dirname "$0")/lib.sh"
SECS=${SECS:-2}
case ${1:-} in
--help | -h) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
"") ;;
*) echo "coexist.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac
EX=$BUILD/examples/coexist
for f in "$EX/v1/server" "$EX/v2/server" "$BUILD/polus-mkpatch" "$BUILD/polus-apply"; do
	[ -x "$f" ] || { echo "coexist.sh: $f not built (make examples)" >&2; exit 1; }
done
"$BUILD/polus-mkpatch" -q "$EX/v1/server" "$EX/v2/server" -o "$work/p.so" || exit 1
machine
"$EX/v1/server" --port 0 > "$work/srv.out" 2>&1 &
srv=$!
pids+=($srv)
for _ in $(seq 500); do grep -q '^listening' "$work/srv.out" && break; sleep 0.02; done
port=$(sed -n 's/^listening on 127\.0\.0\.1://p' "$work/srv.out")
hits() {
	local fd line
	exec {fd}<> "/dev/tcp/127.0.0.1/$port"
	printf 'STATS\nQUIT\n' >&$fd
	IFS= read -r -t 10 line <&$fd
	exec {fd}>&-
	sed -n 's/^hits=\([0-9]*\) .*/\1/p' <<<"$line"
}
# rate: hits per second over a window of SECS
rate() {
	local h0 h1 t0 t1
	h0=$(hits) t0=$(date +%s%N)
	sleep "$SECS"
	h1=$(hits) t1=$(date +%s%N)
	awk -v h="$((h1 - h0))" -v t="$((t1 - t0))" 'BEGIN {printf "%.0f\n", h / (t / 1e9)}'
}
exec {w}<> "/dev/tcp/127.0.0.1/$port"
echo WATCH >&$w
IFS= read -r -t 10 _ <&$w
python3 "$top/examples/coexist/load.py" "$port" 4 "$work/stop" > "$work/load.out" 2> "$work/load.err" &
pids+=($!)
for _ in $(seq 500); do grep -q '^running' "$work/load.err" && break; sleep 0.02; done
before=$(rate)
"$BUILD/polus-apply" -q --no-wait "$srv" "$work/p.so" > "$work/apply.out" 2>&1 || {
	cat "$work/apply.out"
	exit 1
}
during=$(rate)
echo DONE >&$w
IFS= read -r -t 10 _ <&$w
for _ in $(seq 500); do
	"$BUILD/polus-status" "$srv" | grep -q '^  coexistence ended' && break
	sleep 0.02
done
after=$(rate)
touch "$work/stop"
wait "${pids[-1]}" 2> /dev/null
echo "hits/s before the update:        $before"
echo "hits/s during coexistence:       $during, ratio $(ratio "$during" "$before")"
echo "hits/s after coexistence ended:  $after, ratio $(ratio "$after" "$before")"
echo "clients: $(cat "$work/load.out")"
