#!/usr/bin/env bash
# Run-time cost of polus's build profile (-flive-patching=inline-clone
# -fpatchable-function-entry=5,5) against plain -O2.
#   bench/profile-cost.sh [--quick]     (REPEAT=N interleaved rounds, default 11)
#   bench/profile-cost.sh --instructions    (SQLite only, counted by valgrind)
# PAD=1 measures the padded entries alone: the profile against the same profile without
# -fpatchable-function-entry (`nopad`), what the stop-free switch costs a program.
# 1. SQLite 3.51.0 (amalgamation compiled both ways; objects cached in bench/.cache) under
#    bench/sqlite-work.c, a CPU-bound speedtest1-like workload: CPU time, median and best.
# 2. The example server built both ways, loaded by loadgen (2 threads, SECS=3 seconds a
#    run): requests per second, median and best. Client and server share the machine's
#    CPUs, so this one is mostly system-call bound.
# --instructions counts the instructions sqlite-work executes instead (valgrind's
# cachegrind, no cache simulation): not time, but independent of other load.
# The plugin is not involved: record mode compiles to exactly the profile build.
REPEAT=${REPEAT:-11}
. "$(dirname "$0")/lib.sh"
SECS=${SECS:-3}
SCALE=${SCALE:-300}
quick=0
case ${1:-} in
--quick) quick=1 ;;
--instructions) quick=2 ;;
--help | -h) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
"") ;;
*) echo "profile-cost.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac
flags_plain="-O2 -g"
flags_nopad="-O2 -g -flive-patching=inline-clone"
flags_profile="-O2 -g -flive-patching=inline-clone -fpatchable-function-entry=5,5"
A=plain B=profile
[ "${PAD:-0}" = 1 ] && A=nopad

machine
echo "median of $REPEAT interleaved runs"

if [ $quick != 1 ]; then
	sqlite=$(sqlite_src) || { echo "profile-cost.sh: cannot fetch the SQLite amalgamation" >&2; exit 1; }
	sdir=$(dirname "$sqlite")
	mkdir -p "$CACHE/obj"
	gcc -O2 -Wall -Wextra -Werror -I"$sdir" -c -o "$work/sqlite-work.o" "$top/bench/sqlite-work.c" || exit 1
	for c in $A $B; do
		v=flags_$c
		obj=$CACHE/obj/sqlite3-$c.o
		if [ ! -f "$obj" ] || [ "$(cat "$obj.flags" 2>/dev/null)" != "${!v}" ]; then
			echo "compiling sqlite3.c ($c: ${!v}) ..."
			gcc ${!v} -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -c -o "$obj" "$sqlite" || exit 1
			echo "${!v}" >"$obj.flags"
		fi
		gcc -o "$work/sqlite-$c" "$work/sqlite-work.o" "$obj" -lm || exit 1
	done
	if [ $quick = 2 ]; then
		for c in $A $B; do
			valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
				--log-file="$work/cg.$c" "$work/sqlite-$c" "$SCALE" >/dev/null || exit 1
			n=$(sed -n 's/.*I *refs: *//p' "$work/cg.$c" | tr -d ,)
			eval "i_$c=$n"
		done
		a=i_$A b=i_$B
		printf '%-22s %s %6.0fM   %s %6.0fM instructions   %s/%s %s\n' "sqlite-work $SCALE" \
			$A "$(ratio "${!a}" 1000000)" $B "$(ratio "${!b}" 1000000)" $B $A "$(ratio "${!b}" "${!a}")"
		exit 0
	fi
	declare -A t=() sums=()
	for ((r = 1; r <= REPEAT; r++)); do
		for c in $A $B; do
			out=$("$work/sqlite-$c" "$SCALE") || exit 1
			t[$c]="${t[$c]:-} $(echo "$out" | sed 's/.* cpu_ms=\([0-9]*\).*/\1/')"
			sums[$c]=${out##* }
		done
	done
	[ "${sums[$A]}" = "${sums[$B]}" ] || { echo "checksums differ: ${sums[$A]} / ${sums[$B]}" >&2; exit 1; }
	p=$(median ${t[$A]}) q=$(median ${t[$B]})
	printf '%-22s median: %s %6d ms   %s %6d ms   %s/%s %s   (CPU time)\n' "sqlite-work $SCALE" $A "$p" $B "$q" $B $A "$(ratio "$q" "$p")"
	p=$(best_min ${t[$A]}) q=$(best_min ${t[$B]})
	printf '%-22s best:   %s %6d ms   %s %6d ms   %s/%s %s\n' "" $A "$p" $B "$q" $B $A "$(ratio "$q" "$p")"
	echo "    runs (CPU ms): $A${t[$A]}; $B${t[$B]}"
fi

loadgen=$BUILD/examples/loadgen
[ -x "$loadgen" ] || { echo "profile-cost.sh: $loadgen not built (run make)" >&2; exit 1; }
for c in $A $B; do
	v=flags_$c
	cp -r "$top/examples/server/v1" "$work/srv-$c"
	make -s -C "$work/srv-$c" clean >/dev/null
	make -s -C "$work/srv-$c" CFLAGS="${!v}" server >/dev/null || exit 1
done
# rps FLAVOUR: one server, one loadgen run; prints requests per second.
rps() {
	local out=$work/srv-$1.out pid port line
	"$work/srv-$1/server" --port 0 --threads 2 >"$out" 2>&1 &
	pid=$!
	pids+=($pid)
	for _ in $(seq 500); do grep -q '^listening' "$out" && break; sleep 0.02; done
	port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out")
	line=$("$loadgen" --port "$port" --threads 2 --duration "$SECS" 2>/dev/null) || { echo "loadgen failed: $line" >&2; return 1; }
	kill "$pid"
	wait "$pid" 2>/dev/null
	echo "$line" | sed 's/.* rps=\([0-9]*\).*/\1/'
}
declare -A q=()
for ((r = 1; r <= REPEAT; r++)); do
	for c in $A $B; do
		q[$c]="${q[$c]:-} $(rps $c)" || exit 1
	done
done
p=$(median ${q[$A]}) f=$(median ${q[$B]})
printf '%-22s median: %s %6d rps   %s %6d rps   %s/%s %s\n' "example server" $A "$p" $B "$f" $B $A "$(ratio "$f" "$p")"
p=$(best_max ${q[$A]}) f=$(best_max ${q[$B]})
printf '%-22s best:   %s %6d rps   %s %6d rps   %s/%s %s\n' "" $A "$p" $B "$f" $B $A "$(ratio "$f" "$p")"
echo "    runs (rps): $A${q[$A]}; $B${q[$B]}"
