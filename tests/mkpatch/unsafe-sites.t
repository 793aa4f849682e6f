#!/usr/bin/env bash
# Functions polus-apply could never redirect are refused when the patch is built, by
# name and reason, with nothing written: a function shorter than the 5-byte jump (a
# 1-byte `ret`, a 4-byte `lea; ret`, endbr64 + `ret` under -fcf-protection, a 2-byte tail
# `jmp` to a constprop clone) and one whose
# own loop branches back into the bytes the jump replaces (-Os). Functions just long
# enough still build. Patch mode played by stub-plugin.cc (the check reads OLD only).
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
build_stub
export POLUS_PLUGIN=$TMP/stub/polus.so
cd "$TMP" || fail "cd"
mkdir out
cat > base.c <<'C'
#include <stdio.h>
int calls;
void hook(void) {}
int inc(int x) { return x + 1; }
int tiny(void) { return 7; }
unsigned spin(unsigned x) { do { x = x * 3 + 1; } while (x & 1); return x; }
int main(int argc, char **argv)
{
	(void)argv;
	hook();
	printf("%d %d %u %d\n", inc(argc), tiny(), spin((unsigned)argc), calls);
	return 0;
}
C
# build DIR SED [CFLAGS...]: base.c edited by SED, built as DIR/prog
build() {
	local dir=$1 sed=$2; shift 2
	mkdir -p "$dir" && sed "$sed" base.c > "$dir/main.c" || fail "edit $dir"
	(cd "$dir" && gcc -O2 "$@" -fplugin="$PLUGIN" -o prog main.c) || fail "building $dir"
}
nothing_left() {
	[ -z "$(ls -A out)" ] || fail "left behind: $(ls out)"
}
build v1 ''
objdump -d v1/prog | grep -A1 '^[0-9a-f]* <hook>:' | grep -q 'ret' || fail "precondition: hook is not a bare ret"

build hook 's/^void hook(void) {}/void hook(void) { calls++; }/'
expect_fail 2 '^polus-mkpatch: hook \(main.c\): cannot be patched safely: its code in OLD is 1 byte long, too short for the 5-byte jump' \
	"$MK" -q v1/prog hook/prog -o out/p.so
nothing_left

build inc 's/return x + 1;/return x + 2;/'
expect_fail 2 '^polus-mkpatch: inc \(main.c\): cannot be patched safely: its code in OLD is 4 bytes long, too short' \
	"$MK" -q v1/prog inc/prog -o out/p.so
nothing_left

# 6 bytes (mov $7,%eax; ret): the jump fits
build tiny 's/return 7;/return 8;/'
"$MK" -q v1/prog tiny/prog -o out/p.so || fail "tiny (6 bytes) was refused"
ok "a 6-byte function is patched"
rm -f out/*

build cf1 '' -fcf-protection=full
build cf2 's/^void hook(void) {}/void hook(void) { calls++; }/' -fcf-protection=full
expect_fail 2 '^polus-mkpatch: hook \(main.c\): cannot be patched safely: its code in OLD is 5 bytes long with its endbr64, too short' \
	"$MK" -q cf1/prog cf2/prog -o out/p.so
nothing_left
# endbr64 + mov + ret = 10 bytes: fits after the endbr64
build cf3 's/return 7;/return 8;/' -fcf-protection=full
"$MK" -q cf1/prog cf3/prog -o out/p.so || fail "tiny with endbr64 (10 bytes) was refused"
ok "endbr64 + 6 bytes is patched"
rm -f out/*

# a tail call to a nearby constprop clone: a 2-byte `jmp work.constprop.0`
mkdir tc1 tc2
cat > tc1/main.c <<'C'
#include <stdio.h>
#include <stdlib.h>
static __attribute__((noinline)) int work(int a, int mode)
{
	int r = 0;
	for (int i = 0; i < a; i++)
		r += mode == 7 ? i * i : i;
	return r;
}
__attribute__((noinline)) int api(int a) { return work(a, 7); }
int main(int argc, char **argv) { (void)argv; printf("%d\n", api(argc)); return 0; }
C
sed 's/i \* i : i;/i * i * i : i;/' tc1/main.c > tc2/main.c
for v in tc1 tc2; do (cd $v && gcc -O2 -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"; done
objdump -d tc1/prog | grep -A1 '^[0-9a-f]* <api>:' | grep -Eq 'eb [0-9a-f]{2}[[:space:]]+jmp .*<work\.constprop' ||
	skip "precondition: api is not a 2-byte jmp to work.constprop.0 here"
expect_fail 2 '^polus-mkpatch: api \(main.c\): cannot be patched safely: its code in OLD is 2 bytes long, too short' \
	"$MK" -q tc1/prog tc2/prog -o out/p.so
nothing_left

# -Os: `mov %edi,%eax` then the loop head at +2, which the jump would cut in half
build os1 '' -Os
build os2 's/x \* 3 + 1/x * 5 + 1/' -Os
objdump -d --no-show-raw-insn os1/prog | sed -n '/<spin>:/,/ret/p' | grep -Eq 'j[a-z]+ +[0-9a-f]+ <spin\+0x[1-4]>' ||
	skip "precondition: gcc -Os did not loop back into spin's first bytes"
expect_fail 2 '^polus-mkpatch: spin \(main.c\): cannot be patched safely: in OLD the j[a-z]+ at \+0x[0-9a-f]+ branches to \+0x[1-4], inside the instructions \(\+0x0\.\.\+0x[0-9a-f]+\) that the jump redirecting it overwrites$' \
	"$MK" -q os1/prog os2/prog -o out/p.so
nothing_left
