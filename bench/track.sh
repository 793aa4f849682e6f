#!/usr/bin/env bash
# What write tracking of old code costs (runtime/rt_track.c, docs/coexistence.md).
#   bench/track.sh    (REPEAT=N runs of each figure, default 3; N=stores per round)
# 1. A tracked old-code write (a store of the old writer w_set_d, -O2, completed by the
#    handler and synced) against a bare SIGSEGV round trip (a handler that only skips
#    the faulting store) measured in the same process first; and the program's own
#    fault once the runtime is the handler in front of it (chained). Best of 3 rounds
#    per run, median of the runs.
# 2. How long coexistence lasts after the last old-writer frame returns: from the
#    trampoline's entry to protection lifted (CLOCK_MONOTONIC in the runtime).
. "$(dirname "$0")/lib.sh"
N=${N:-100000}
case ${1:-} in
--help | -h) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
"") ;;
*) echo "track.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac
bin=$BUILD/tests/track-rt-O2
[ -x "$bin" ] || { echo "track.sh: $bin not built (make)" >&2; exit 1; }
$BUILD/tests/track-table "$bin" stats,other $(nm "$bin" | awk '$3 ~ /^w_/ {printf " -w %s", $3}') \
	-o "$work/table" || exit 1
machine
bare=() tracked=() r1=() chained=() r2=() end=()
for ((i = 0; i < REPEAT; i++)); do
	line=$("$bin" "$work/table" bench "$N" | grep '^bench: bare') || exit 1
	read -r _ _ b _ _ t _ _ q _ c _ _ p <<<"$line"
	bare+=("$b") tracked+=("$t") r1+=("$q") chained+=("$c") r2+=("$p")
	e=$("$bin" "$work/table" end | sed -n 's/^end: coexistence ended \([0-9.]*\) us.*/\1/p')
	end+=("$e")
done
echo "bare SIGSEGV round trip:   $(median "${bare[@]}") ns (median of $REPEAT runs)"
echo "tracked old-code write:    $(median "${tracked[@]}") ns, ratio $(median "${r1[@]}")" \
	"(runs: ${r1[*]})"
echo "program's own fault, chained: $(median "${chained[@]}") ns, ratio $(median "${r2[@]}")"
echo "coexistence end after the last old-writer return: median $(median "${end[@]}") us," \
	"worst $(best_max "${end[@]}") us (runs: ${end[*]})"
