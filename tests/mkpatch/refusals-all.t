#!/usr/bin/env bash
# polus-mkpatch reports every change it cannot carry in one run, one line each naming
# what really changed, then "N unsupported changes" (exit 2, nothing written); a
# read-only table that changed only because the layout of the struct it holds changed
# names the struct, not the table (record mode real, patch mode stubbed: nothing
# compiles, the refusals come first).
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
build_stub
export POLUS_PLUGIN=$TMP/stub/polus.so
cd "$TMP" || fail "cd"
mkdir out

USE='s/return bump(x) \* 2 + helper(x) + limit;/return bump(x) * 2 + helper(x) + limit + gp.b + tcount++;/'
variant base "s/^int limit = 10;/int limit = 10;\nstruct pair { int a; int b; } gp;\n__thread int tcount;/; $USE"
variant many "s/^int counter = 5;/long counter = 5;/; s/^int limit = 10;/int limit = 10;\nstruct pair { int b; int a; } gp;\n__thread long tcount;/; $USE" \
	's/^extern int counter;/extern long counter;/'

"$MK" -q base/prog many/prog -o out/p.so > mk.out 2> mk.err
rc=$?
cat mk.err
[ $rc = 2 ] || fail "exit $rc, wanted 2"
[ -z "$(ls -A out)" ] || fail "left behind: $(ls out)"
grep -c . mk.err | grep -qx 4 || fail "wanted 4 lines (3 refusals and the count)"
grep -Eq '^polus-mkpatch: variable counter \(main.c\) changed type: not supported yet \(int 4 -> long int 8\)$' mk.err ||
	fail "counter not named"
grep -Eq '^polus-mkpatch: variable gp \(main.c\) changed type: not supported yet \(the layout of pair changed\)$' mk.err ||
	fail "gp not named"
grep -Eq '^polus-mkpatch: thread-local variable tcount \(main.c\) changed: not supported yet$' mk.err ||
	fail "tcount not named"
[ "$(tail -n 1 mk.err)" = "polus-mkpatch: 3 unsupported changes" ] || fail "last line: $(tail -n 1 mk.err)"
ok "three unsupported changes named in one run, then counted"

build_main kwtable kw
expect_fail 2 '^polus-mkpatch: type kw changed layout: not supported yet \(the read-only table words \(main.c\) holds it\)$' \
	"$MK" -q kwv1/prog kwv2/prog -o out/p.so
[ -z "$(ls -A out)" ] || fail "left behind: $(ls out)"
