#!/usr/bin/env bash
# Compile-time cost of polus's record mode.
#   bench/record-overhead.sh [--quick]    (runs per configuration: REPEAT=3 for SQLite,
#                                          EX_REPEAT=9 for the example)
#   bench/record-overhead.sh --instructions   (the example only, counted by valgrind)
# Compiles the same sources three ways, interleaved, and prints the median CPU time
# (user + system of the compiler processes) of each:
#   plain    -O2 -g
#   profile  -O2 -g -flive-patching=inline-clone -fpatchable-function-entry=5,5
#                                                    (what record mode compiles to)
#   record   -O2 -g -fplugin=build/polus.so          (sets the profile itself)
# with record/profile (the plugin's own cost) and record/plain. Workloads: the example
# server (v1, all units, one compiler process per unit, as make runs it) and the SQLite
# 3.51.0 amalgamation (one 266k-line unit; skipped with --quick).
# --instructions counts the instructions the compiler processes execute instead
# (valgrind's cachegrind, no cache simulation): slow, but independent of other load on
# the machine, so it shows the plugin's own cost on the example where timings are noise.
. "$(dirname "$0")/lib.sh"
quick=0
case ${1:-} in
--quick) quick=1 ;;
--instructions) quick=2 ;;
--help | -h) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
"") ;;
*) echo "record-overhead.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac
[ -f "$PLUGIN" ] || { echo "record-overhead.sh: $PLUGIN is not built (run make)" >&2; exit 1; }

configs=(plain profile record)
flags_plain="-O2 -g"
flags_profile="-O2 -g -flive-patching=inline-clone -fpatchable-function-entry=5,5"
flags_record="-O2 -g -fplugin=$PLUGIN"
EX_REPEAT=${EX_REPEAT:-9}

# compile_example FLAGS: every unit of the example server, one after another.
compile_example() {
	local f
	for f in "$top"/examples/server/v1/*.c; do
		(cd "$top/examples/server/v1" && gcc $1 -Wall -Wextra -pthread -c -o "$work/ex.o" "$(basename "$f")") || return 1
	done
}
compile_sqlite() {
	(cd "$(dirname "$sqlite")" && gcc $1 -c -o "$work/sqlite3.o" sqlite3.c)
}

# measure NAME FN ROUNDS: interleaved rounds of the three configurations.
measure() {
	local name=$1 fn=$2 rounds=$3 c r v t
	declare -A runs=()
	for ((r = 1; r <= rounds; r++)); do
		for c in "${configs[@]}"; do
			v=flags_$c
			t=$(cpu_ms $fn "${!v}") || { echo "$name: $c build failed" >&2; exit 1; }
			runs[$c]="${runs[$c]:-} $t"
		done
	done
	local p q rr
	p=$(median ${runs[plain]}) q=$(median ${runs[profile]}) rr=$(median ${runs[record]})
	printf '%-18s median: plain %7d ms   profile %7d ms   record %7d ms   record/profile %s   record/plain %s\n' \
		"$name" "$p" "$q" "$rr" "$(ratio "$rr" "$q")" "$(ratio "$rr" "$p")"
	p=$(best_min ${runs[plain]}) q=$(best_min ${runs[profile]}) rr=$(best_min ${runs[record]})
	printf '%-18s best:   plain %7d ms   profile %7d ms   record %7d ms   record/profile %s   record/plain %s\n' \
		"" "$p" "$q" "$rr" "$(ratio "$rr" "$q")" "$(ratio "$rr" "$p")"
	echo "    runs (ms): plain${runs[plain]}; profile${runs[profile]}; record${runs[record]}"
}

# instructions FLAGS: instructions executed by every compiler process of the example.
instructions() {
	local f n total=0
	for f in "$top"/examples/server/v1/*.c; do
		rm -f "$work"/cg.*
		(cd "$top/examples/server/v1" && valgrind --tool=cachegrind --cache-sim=no \
			--trace-children=yes --cachegrind-out-file=/dev/null --log-file="$work/cg.%p" \
			gcc $1 -Wall -Wextra -pthread -c -o "$work/ex.o" "$(basename "$f")") || return 1
		n=$(cat "$work"/cg.* | sed -n 's/.*I *refs: *//p' | tr -d , | awk '{s += $1} END {print s}')
		total=$((total + n))
	done
	echo $total
}

machine
if [ $quick = 2 ]; then
	command -v valgrind >/dev/null || { echo "record-overhead.sh: valgrind is not installed" >&2; exit 1; }
	declare -A n=()
	for c in "${configs[@]}"; do
		v=flags_$c
		n[$c]=$(instructions "${!v}") || { echo "example: $c build failed" >&2; exit 1; }
	done
	printf '%-18s plain %6.0fM   profile %6.0fM   record %6.0fM instructions   record/profile %s   record/plain %s\n' \
		"example server" "$(ratio "${n[plain]}" 1000000)" "$(ratio "${n[profile]}" 1000000)" \
		"$(ratio "${n[record]}" 1000000)" "$(ratio "${n[record]}" "${n[profile]}")" \
		"$(ratio "${n[record]}" "${n[plain]}")"
	exit 0
fi
echo "CPU time, median of interleaved runs: $EX_REPEAT for the example, $REPEAT for SQLite"
measure "example server" compile_example "$EX_REPEAT"
if [ $quick = 0 ]; then
	sqlite=$(sqlite_src) || { echo "record-overhead.sh: cannot fetch the SQLite amalgamation" >&2; exit 1; }
	measure "sqlite3.c 3.51.0" compile_sqlite "$REPEAT"
fi
