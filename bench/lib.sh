# Shared helpers for the bench scripts: medians, timing, the SQLite amalgamation.
# Figures are printed, never asserted; every ratio is against a baseline measured in the
# same invocation, on the same machine.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$top/build}
PLUGIN=$BUILD/polus.so
CACHE=$top/bench/.cache
REPEAT=${REPEAT:-3}
work=$(mktemp -d /tmp/polus-bench.XXXXXX)
pids=()

bench_cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap bench_cleanup EXIT

# median N...: the median of the numbers (the lower middle one for an even count).
median() {
	printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

# best_min N... / best_max N...: the smallest / largest (the run least disturbed by other
# work on the machine).
best_min() {
	printf '%s\n' "$@" | sort -n | head -n 1
}
best_max() {
	printf '%s\n' "$@" | sort -n | tail -n 1
}

# ratio A B: A / B with 3 decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "n/a"; else printf "%.3f\n", a / b}'
}

# cpu_ms CMD...: runs CMD (output discarded), prints the CPU time (user + system) it and
# its children used, in ms; fails if CMD fails. CPU time rather than wall time, so that
# other work on a shared machine disturbs the figure less.
cpu_ms() {
	local TIMEFORMAT='%3U %3S' t
	t=$({ time "$@" >/dev/null 2>"$work/ms.err"; } 2>&1) || { cat "$work/ms.err" >&2; return 1; }
	awk -v u="${t% *}" -v s="${t#* }" 'BEGIN {printf "%d\n", (u + s) * 1000}'
}

# sqlite_src [NPMVER]: prints the path of sqlite3.c, fetched once into bench/.cache from
# the npm package better-sqlite3@NPMVER, which ships the amalgamation (12.4.6, the
# default: SQLite 3.51.0; 12.5.0: SQLite 3.51.1).
sqlite_src() {
	local ver=${1:-12.4.6} dir=$CACHE
	[ "$ver" = 12.4.6 ] || dir=$CACHE/better-sqlite3-$ver
	local src=$dir/package/deps/sqlite3/sqlite3.c
	if [ ! -f "$src" ]; then
		mkdir -p "$dir"
		(cd "$dir" && npm pack --silent "better-sqlite3@$ver" >/dev/null &&
			tar xzf "better-sqlite3-$ver.tgz" package/deps/sqlite3/) >&2 || return 1
	fi
	printf '%s\n' "$src"
}

machine() {
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
		"$(gcc --version | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
}
