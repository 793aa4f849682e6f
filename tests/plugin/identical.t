#!/usr/bin/env bash
# Record mode is a pure observer: objects and a linked executable built with
# -fplugin=polus.so have the same loaded sections (every SHF_ALLOC section) and the
# same defined symbols as the same build with the build profile (-flive-patching=inline-clone
# -fpatchable-function-entry=5,5) and no plugin, at -O0/-O2/-O3, with and without -g. Also checks that the profile is really
# in force: a case where -fipa-ra changes the code differs from plain -O2.
. "${POLUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh" || exit 1
need_plugin
FIX=$POLUS_TOP/tests/plugin/fixtures
PROFILE="-flive-patching=inline-clone -fpatchable-function-entry=5,5"
cd "$TMP" || exit 1

. "$POLUS_TOP/tests/plugin/alloc-dump.sh" || exit 1

n=0
for opt in -O0 -O2 -O3 -Os; do
	for g in "" -g; do
		for src in helpers main clones; do
			gcc $opt $g $PROFILE -c "$FIX/$src.c" -o ref-$src.o || fail "ref compile"
			gcc $opt $g -fplugin="$PLUGIN" -c "$FIX/$src.c" -o plg-$src.o || fail "plugin compile $src $opt $g"
			readelf -S plg-$src.o | grep -q '\.polus\.meta' || fail "no .polus.meta in $src $opt $g"
			alloc_dump ref-$src.o >ref.txt
			alloc_dump plg-$src.o >plg.txt
			diff -q ref.txt plg.txt >/dev/null || { diff ref.txt plg.txt | head -20; fail "$src.c $opt $g: loaded sections or symbols differ"; }
			n=$((n + 1))
		done
		gcc $opt $g ref-helpers.o ref-main.o -o ref.exe || fail "ref link"
		gcc $opt $g plg-helpers.o plg-main.o -o plg.exe || fail "plugin link"
		alloc_dump ref.exe >ref.txt
		alloc_dump plg.exe >plg.txt
		diff -q ref.txt plg.txt >/dev/null || { diff ref.txt plg.txt | head -20; fail "executable $opt $g differs"; }
		readelf -S plg.exe | grep -q '\.polus\.meta' || fail "no .polus.meta in the executable"
		[ "$(./plg.exe 4)" = "$(./ref.exe 4)" ] || fail "executables behave differently"
	done
done
ok "$n objects and 8 executables identical in their loaded image"

# The profile is in force: main.c's chain() keeps values in call-clobbered registers
# across ipa_ra_callee() only under -fipa-ra (plain -O2).
gcc -O2 -c "$FIX/main.c" -o plain.o
gcc -O2 $PROFILE -c "$FIX/main.c" -o lp.o
gcc -O2 -fplugin="$PLUGIN" -c "$FIX/main.c" -o plg.o
alloc_dump plain.o >plain.txt
alloc_dump lp.o >lp.txt
alloc_dump plg.o >plg.txt
gcc -O2 -fpatchable-function-entry=5,5 -c "$FIX/main.c" -o plainpad.o
alloc_dump plainpad.o >plainpad.txt
cmp -s plainpad.txt lp.txt && fail "fixture does not show the profile (plain -O2 == inline-clone)"
cmp -s lp.txt plg.txt || fail "plugin build differs from -flive-patching=inline-clone"
ok "profile in force: differs from plain -O2, matches -flive-patching=inline-clone"
objcopy -O binary --only-section=.polus.meta --set-section-flags .polus.meta=alloc plg.o meta.txt
grep -q "^profile	inline-clone	plugin$" meta.txt || fail "profile line: $(grep ^profile meta.txt)"
gcc -O2 -flive-patching=inline-clone -fplugin="$PLUGIN" -c "$FIX/main.c" -o user.o
objcopy -O binary --only-section=.polus.meta --set-section-flags .polus.meta=alloc user.o meta2.txt
grep -q "^profile	inline-clone	user$" meta2.txt || fail "profile line (user): $(grep ^profile meta2.txt)"
ok "profile line says who set it"

# Padded entries: 5 NOPs before each entry (none at it), recorded as a unit flag; a value
# of the user's own is kept and recorded as the user's.
grep -q "^pad	5	5	plugin$" meta.txt || fail "pad line: $(grep -a ^pad meta.txt)"
objdump -d plg.o | grep -A5 '^[0-9a-f]* <main-0x5>:' | grep -c 'nop$' | grep -qx 5 || fail "no 5 NOPs before main: $(objdump -d plg.o | grep -A5 '<main-0x5>:')"
objdump -d plg.o | grep -A1 '^[0-9a-f]* <main>:' | grep -q 'nop$' && fail "a NOP at main's entry: the profile must add no instruction to a call"
gcc -O2 -fpatchable-function-entry=3,1 -fplugin="$PLUGIN" -c "$FIX/main.c" -o upad.o
gcc -O2 -flive-patching=inline-clone -fpatchable-function-entry=3,1 -c "$FIX/main.c" -o upadref.o
alloc_dump upad.o >upad.txt
alloc_dump upadref.o >upadref.txt
cmp -s upad.txt upadref.txt || fail "a user's -fpatchable-function-entry is not kept"
objcopy -O binary --only-section=.polus.meta --set-section-flags .polus.meta=alloc upad.o meta3.txt
grep -q "^pad	3	1	user$" meta3.txt || fail "pad line (user): $(grep -a ^pad meta3.txt)"
ok "padded entries in force and recorded (pad line), a user's own padding kept"
