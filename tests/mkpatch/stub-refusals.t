#!/usr/bin/env bash
# What polus-mkpatch refuses to build, each with one line naming the variable or the
# reason, a distinct exit code and nothing left behind (record mode of the real plugin,
# patch mode stubbed: stub-plugin.cc).
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
build_stub
export POLUS_PLUGIN=$TMP/stub/polus.so
cd "$TMP" || fail "cd"
mkdir out
build_prog v1 "$HERE/prog/v1"

nothing_left() {
	[ -z "$(ls -A out)" ] || fail "left behind: $(ls out)"
}

# a variable whose type changed is no refusal: it coexists, synced by sync/counter.c
variant type 's/^int counter = 5;/long counter = 5;/' 's/^extern int counter;/extern long counter;/'
mkdir built
"$MK" -q v1/prog type/prog -o built/p.so 2> type.err || fail "type change refused: $(cat type.err)"
[ -f built/sync/counter.c ] || fail "no built/sync/counter.c"
ok "a changed type builds, with its sync file"

# same size, fields swapped: the running program's data has the old layout
variant pair1 's/^int limit = 10;/int limit = 10;\nstruct pair { int a; int b; } gp;/; s/return bump(x) \* 2 + helper(x) + limit;/return bump(x) * 2 + helper(x) + limit + gp.b;/'
variant pair2 's/^int limit = 10;/int limit = 10;\nstruct pair { int b; int a; } gp;/; s/return bump(x) \* 2 + helper(x) + limit;/return bump(x) * 2 + helper(x) + limit + gp.b;/'
"$MK" -q pair1/prog pair2/prog -o built/p2.so 2> pair.err || fail "layout change refused: $(cat pair.err)"
grep -q '^    NEW_b = (int)OLD_b;$' built/sync/gp.c || fail "gp.b not synced by name: $(cat built/sync/gp.c)"
ok "swapped fields are synced by name"

variant newtls 's/^int limit = 10;/int limit = 10;\n__thread int tl;/; s/return bump(x) \* 2 + helper(x) + limit;/return bump(x) * 2 + helper(x) + limit + tl++;/'
expect_fail 2 'new thread-local variable tl \(main.c\): not supported yet' "$MK" -q v1/prog newtls/prog -o out/p.so
nothing_left

variant tls1 's/^int limit = 10;/int limit = 10;\n__thread int tcount;/; s/return bump(x) \* 2 + helper(x) + limit;/return bump(x) * 2 + helper(x) + limit + tcount++;/'
variant tls2 's/^int limit = 10;/int limit = 10;\n__thread long tcount;/; s/return bump(x) \* 2 + helper(x) + limit;/return bump(x) * 2 + helper(x) + limit + tcount++;/'
expect_fail 2 'thread-local variable tcount \(main.c\) changed: not supported yet' "$MK" -q tls1/prog tls2/prog -o out/p.so
nothing_left

cp v1/prog keep.prog
expect_fail 1 '-o v1/prog would overwrite v1/prog' "$MK" -q v1/prog type/prog -o v1/prog
cmp -s keep.prog v1/prog || fail "OLD was touched"
expect_fail 1 'nothing to patch: no function changed$' "$MK" -q v1/prog v1/prog -o out/p.so
nothing_left

variant lineonly 's|^__attribute__((noinline)) int checked(int x)$|/* one more line */\n&|'
expect_fail 1 'nothing to patch: no function changed \(only __LINE__ values: pass --line-only\)' \
	"$MK" -q v1/prog lineonly/prog -o out/p.so
nothing_left
"$MK" -q --line-only v1/prog lineonly/prog -o out/lo.so || fail "--line-only build"
"$MK" --show out/lo.so > lo.yaml || fail "--show"
python3 -c '
import sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
f = {x["name"]: x for x in v["functions"]}
assert "checked" in f and f["checked"]["reasons"] == ["line-only"], f
assert f["checked"]["redirect"] is True, f' lo.yaml || fail "line-only patch"
ok "--line-only puts line-only functions in the patch"
rm -f out/*

# patch mode failing (here: a plugin that does not load) leaves nothing behind; the
# compiler's own messages come first, polus-mkpatch's line last
mkdir bad && echo "not a plugin" > bad/polus.so
POLUS_PLUGIN=$TMP/bad/polus.so "$MK" -q --line-only v1/prog lineonly/prog -o out/p.so 2> bad.err
rc=$?
cat bad.err
[ $rc = 4 ] || fail "exit $rc, wanted 4 (internal: the compiler failed)"
tail -n 1 bad.err | grep -q '^polus-mkpatch: recompiling main.c in patch mode failed: gcc exited with status 1$' ||
	fail "last line"
nothing_left
ok "failed compile: exit 4, nothing left"

# two units compiled at once, both failing: every compiler reaped, the first unit named
mkdir -p both.src && cp "$HERE"/prog/v1/* both.src/ &&
	sed -i 's/return x + hits;/return x + hits + 1;/' both.src/util.c &&
	sed -i 's/return x \* 7;/return x * 8;/' both.src/main.c || fail "edit"
build_prog both both.src
POLUS_JOBS=2 POLUS_PLUGIN=$TMP/bad/polus.so "$MK" -q v1/prog both/prog -o out/p.so 2> both.err
rc=$?
[ $rc = 4 ] || { cat both.err; fail "exit $rc, wanted 4"; }
tail -n 1 both.err | grep -q '^polus-mkpatch: recompiling main.c in patch mode failed' || fail "$(tail -n 1 both.err)"
[ "$(grep -c 'cannot load plugin' both.err)" = 2 ] || fail "both compilers should have run: $(cat both.err)"
nothing_left
ok "parallel compiles: both reaped, first failure reported"

# OLD stripped: no symbols to find its functions and statics by
mkdir stripped && strip --strip-all -o stripped/prog v1/prog || fail "strip"
expect_fail 1 'stripped/prog has no .symtab \(stripped\): build the patch against the unstripped' \
	"$MK" -q --line-only stripped/prog lineonly/prog -o out/p.so
nothing_left

# NEW's build tree gone: nothing to recompile from
mv lineonly gone || fail "mv"
expect_fail 1 "main.c: NEW's source .*/lineonly/main.c is gone \(No such file or directory\)" \
	"$MK" -q --line-only v1/prog gone/prog -o out/p.so
nothing_left

# two units whose sources share a name (x/util.c, y/util.c, each compiled in its own
# directory): OLD's STT_FILE symbols cannot tell their statics apart, refuse
for v in same1 same2; do
	mkdir -p $v/x $v/y
	for d in x y; do
		printf 'static int hits;\n__attribute__((noinline)) int f%s(void) { return ++hits; }\n' $d > $v/$d/util.c
	done
	printf 'int fx(void);\nint fy(void);\nint main(void) { return fx() + fy(); }\n' > $v/main.c
done
sed -i 's/return ++hits;/return hits += 2;/' same2/x/util.c
for v in same1 same2; do
	(cd $v/x && gcc -O2 -fplugin="$PLUGIN" -c util.c -o ../x.o) &&
	(cd $v/y && gcc -O2 -fplugin="$PLUGIN" -c util.c -o ../y.o) &&
	(cd $v && gcc -O2 -fplugin="$PLUGIN" -o prog main.c x.o y.o) || fail "building $v"
done
expect_fail 1 'hits \(x/util.c\): OLD.s symbol table has several local symbols hits in files named like util.c' \
	"$MK" -q same1/prog same2/prog -o out/p.so
nothing_left
