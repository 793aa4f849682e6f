#!/usr/bin/env bash
# polus-mkpatch reports every change it cannot carry in one run, one line each naming
# what really changed, then "N unsupported changes" (exit 2, nothing written); a
# read-only table that changed only because the layout of the struct it holds changed
# is taken new by the patch, with a warning naming the struct and the table (record mode real, patch mode stubbed: nothing
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
variant many "s/^int counter = 5;/long counter = 5;/; s/^int limit = 10;/int limit = 10;\nstruct pair { _Atomic int b; int a; } gp;\n__thread long tcount;/; $USE" \
	's/^extern int counter;/extern long counter;/'

"$MK" -q base/prog many/prog -o out/p.so > mk.out 2> mk.err
rc=$?
cat mk.err
[ $rc = 2 ] || fail "exit $rc, wanted 2"
[ -z "$(ls -A out)" ] || fail "left behind: $(ls out)"
grep -c . mk.err | grep -qx 3 || fail "wanted 3 lines (2 refusals and the count)"
grep -Eq '^polus-mkpatch: variable gp \(main.c\) changed type, and it holds a lock or an atomic \(gp.b \(_Atomic int\)\): old and new code would lock different copies; not supported$' mk.err ||
	fail "gp not named"
grep -Eq '^polus-mkpatch: thread-local variable tcount \(main.c\) changed: not supported yet$' mk.err ||
	fail "tcount not named"
grep -q counter mk.err && fail "counter (int -> long) coexists: no refusal"
[ "$(tail -n 1 mk.err)" = "polus-mkpatch: 2 unsupported changes" ] || fail "last line: $(tail -n 1 mk.err)"
ok "unsupported changes named in one run, then counted; a changed type coexists"

build_main kwtable kw
"$MK" -q kwv1/prog kwv2/prog -o out/p.so 2> kw.err || fail "kw refused: $(cat kw.err)"
grep -q '^polus-mkpatch: warning: type kw changed layout: the patch.s code uses its own new copy of the read-only table words (main.c)' kw.err ||
	fail "kw: $(cat kw.err)"
ok "a read-only table whose struct changed layout is taken new"
