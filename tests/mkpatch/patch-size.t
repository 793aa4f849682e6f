#!/usr/bin/env bash
# A patch carries the record of its release in proportion to the change: full records of
# the units it recompiled, a stub for every other unit (their records are the release
# below's: the base binary's). A one-function fix to a 40-unit program carries a small
# fraction of NEW's .polus.meta, and a chain built on it diffs exactly as before: v3
# (one more unit changed, built in another directory) against v1 + p12 names only what
# v3 changed over v2.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
cd "$TMP" || fail "cd"
N=40

# gen DIR: a program of N units, unit K with a few functions and a variable (and the
# headers real units include: their inline functions are in every record)
gen() {
	mkdir -p "$1" || fail "mkdir"
	for k in $(seq 1 $N); do
		cat > "$1/u$k.c" <<C
#include <stdio.h>
#include <string.h>
static int calls_$k;
__attribute__((noinline)) int f${k}_a(int x) { calls_$k++; return x + $k; }
__attribute__((noinline)) int f${k}_b(int x) { return f${k}_a(x) * 2 + calls_$k; }
__attribute__((noinline)) int f${k}_c(int x) { return f${k}_b(x) - f${k}_a(x - 1); }
C
	done
	{
		echo '#include <stdio.h>'
		for k in $(seq 1 $N); do echo "int f${k}_c(int);"; done
		echo 'int main(void) { long s = 0;'
		for k in $(seq 1 $N); do echo "s += f${k}_c($k);"; done
		echo 'printf("%ld\n", s); return 0; }'
	} > "$1/main.c"
}
build() {
	(cd "$1" && gcc -O2 -g -fplugin="$PLUGIN" -o prog ./*.c) || fail "building $1"
}
meta_size() {
	objcopy --dump-section .polus.meta="$TMP/m.$$" "$1" "$TMP/junk.$$" >/dev/null 2>&1 || fail "no .polus.meta in $1"
	stat -c %s "$TMP/m.$$"
}
gen v1 && build v1
cp -r v1 v2 && sed -i 's/return x + 7;/return x + 70;/' v2/u7.c && build v2
mkdir -p elsewhere && cp -r v2 elsewhere/v3 && sed -i 's/return x + 23;/return x + 230;/' elsewhere/v3/u23.c &&
	build elsewhere/v3

"$MK" -q v1/prog v2/prog -o p12.so || fail "p12"
full=$(meta_size v2/prog) carried=$(meta_size p12.so)
echo "NEW's .polus.meta $full bytes, p12 carries $carried"
[ $((carried * 10)) -lt "$full" ] || fail "p12 carries $carried bytes of NEW's $full: not in proportion to a one-unit change"
ok "p12 carries $carried of $full bytes of records"

"$MK" --diff --json v1/prog p12.so elsewhere/v3/prog > d13.json || fail "chain diff"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = sorted(f["name"] for f in d["functions"])
assert names in (["f23_a"], ["f23_a", "f23_b", "f23_c"]), names
assert not d["variables"] and not d["types"], d' d13.json || fail "chain diff: $(cat d13.json)"
ok "diff against v1 + p12 (stubs filled from v1) names only v3's change"
"$MK" -q v1/prog p12.so elsewhere/v3/prog -o p23.so || fail "p23"
"$MK" --diff --json v1/prog p12.so p23.so v2/prog > back.json || fail "chain diff on p23"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(f["name"] for f in d["functions"]) in (["f23_a"], ["f23_a", "f23_b", "f23_c"]), d' back.json ||
	fail "diff against v1 + p12 + p23: $(cat back.json)"
ok "a third link of the chain reads p23's release (a unit from another directory) right"
