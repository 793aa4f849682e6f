#!/usr/bin/env bash
# Run-time cost of polus's build profile (-flive-patching=inline-clone) against plain -O2.
#   bench/profile-cost.sh [--quick]     (REPEAT=N interleaved rounds, default 11)
#   bench/profile-cost.sh --instructions    (SQLite only, counted by valgrind)
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
flags_profile="-O2 -g -flive-patching=inline-clone"

machine
echo "median of $REPEAT interleaved runs"

if [ $quick != 1 ]; then
	sqlite=$(sqlite_src) || { echo "profile-cost.sh: cannot fetch the SQLite amalgamation" >&2; exit 1; }
	sdir=$(dirname "$sqlite")
	mkdir -p "$CACHE/obj"
	gcc -O2 -Wall -Wextra -Werror -I"$sdir" -c -o "$work/sqlite-work.o" "$top/bench/sqlite-work.c" || exit 1
	for c in plain profile; do
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
		for c in plain profile; do
			valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
				--log-file="$work/cg.$c" "$work/sqlite-$c" "$SCALE" >/dev/null || exit 1
			n=$(sed -n 's/.*I *refs: *//p' "$work/cg.$c" | tr -d ,)
			eval "i_$c=$n"
		done
		printf '%-22s plain %6.0fM   profile %6.0fM instructions   profile/plain %s\n' "sqlite-work $SCALE" \
			"$(ratio "$i_plain" 1000000)" "$(ratio "$i_profile" 1000000)" "$(ratio "$i_profile" "$i_plain")"
		exit 0
	fi
	declare -A t=() sums=()
	for ((r = 1; r <= REPEAT; r++)); do
		for c in plain profile; do
			out=$("$work/sqlite-$c" "$SCALE") || exit 1
			t[$c]="${t[$c]:-} $(echo "$out" | sed 's/.* cpu_ms=\([0-9]*\).*/\1/')"
			sums[$c]=${out##* }
		done
	done
	[ "${sums[plain]}" = "${sums[profile]}" ] || { echo "checksums differ: ${sums[plain]} / ${sums[profile]}" >&2; exit 1; }
	p=$(median ${t[plain]}) q=$(median ${t[profile]})
	printf '%-22s median: plain %6d ms   profile %6d ms   profile/plain %s   (CPU time)\n' "sqlite-work $SCALE" "$p" "$q" "$(ratio "$q" "$p")"
	p=$(best_min ${t[plain]}) q=$(best_min ${t[profile]})
	printf '%-22s best:   plain %6d ms   profile %6d ms   profile/plain %s\n' "" "$p" "$q" "$(ratio "$q" "$p")"
	echo "    runs (CPU ms): plain${t[plain]}; profile${t[profile]}"
fi

loadgen=$BUILD/examples/loadgen
[ -x "$loadgen" ] || { echo "profile-cost.sh: $loadgen not built (run make)" >&2; exit 1; }
for c in plain profile; do
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
	for c in plain profile; do
		q[$c]="${q[$c]:-} $(rps $c)" || exit 1
	done
done
p=$(median ${q[plain]}) f=$(median ${q[profile]})
printf '%-22s median: plain %6d rps   profile %6d rps   profile/plain %s\n' "example server" "$p" "$f" "$(ratio "$f" "$p")"
p=$(best_max ${q[plain]}) f=$(best_max ${q[profile]})
printf '%-22s best:   plain %6d rps   profile %6d rps   profile/plain %s\n' "" "$p" "$f" "$(ratio "$f" "$p")"
echo "    runs (rps): plain${q[plain]}; profile${q[profile]}"
