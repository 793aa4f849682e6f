#!/usr/bin/env bash
# Write tracking in the target's runtime (runtime/rt_track.c), in-process with real
# threads, against old writers compiled at -O0 and at -O2 (tests/track/rt_test.c):
#   ops             every store form completes with the CPU's result and flags, synced
#   threads         two old writers, different fields of one page, 1M increments: none lost
#   wait            a write between arm and start waits and reaches the new copy
#   handler-before/-after  the program's own SIGSEGV handler keeps its own faults
#   altstack        the handler runs on the thread's alternate signal stack
#   blocked         a thread blocking SIGSEGV makes arming refuse, nothing changed
#   fork            a child keeps its copy-on-write snapshot and tracks its own writes
#   end             coexistence ends when the last old-writer frame returns
. "$POLUS_TOP/tests/lib.sh"
T=$POLUS_BUILD/tests/track-table
# freestanding, as it will live in polus-rt.so: no import but the weak errno accessor
so=$POLUS_BUILD/tests/rt-track-free.so
need_built "$so"
imports=$(nm -D --undefined-only "$so" | awk '{print $NF}' | sort -u | tr '\n' ' ')
[ "$imports" = "__errno_location " ] || fail "rt_track imports: $imports"
nm -D "$so" | grep -q ' w __errno_location' || fail "__errno_location is not weak"
ok "rt_track is freestanding"
for o in O0 O2; do
	bin=$POLUS_BUILD/tests/track-rt-$o
	need_built "$T" "$bin"
	"$T" "$bin" stats,other $(nm "$bin" | awk '$3 ~ /^w_/ {printf " -w %s", $3}') \
		-o "$TMP/table-$o" || fail "track-table $o"
	for c in ops threads wait handler-before handler-after altstack blocked fork end; do
		n=500000
		out=$("$bin" "$TMP/table-$o" $c $n 2>&1) || fail "$o $c:"$'\n'"$out"
		grep -qx "$c: all checks passed" <<<"$out" || fail "$o $c: no ok line:"$'\n'"$out"
		ok "$o $c"
	done
done
