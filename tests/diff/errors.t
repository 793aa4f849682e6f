#!/usr/bin/env bash
# polus-mkpatch's refusals on hand-written metadata: one clear stderr line, distinct exit
# codes (1 usage/input, 2 incompatible builds), nothing on stdout.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
MK=${MKPATCH:-$POLUS_BUILD/polus-mkpatch}
[ -x "$MK" ] || fail "$MK not built (make tools)"

# mkbin OUT RECORD-TEXT: a binary whose .polus.meta holds RECORD-TEXT ('|' = tab).
mkbin() {
	echo 'int main(void) { return 0; }' > "$TMP/m.c"
	gcc -o "$1" "$TMP/m.c" || fail "gcc"
	printf '%s\n' "$2" | tr '|' '\t' > "$TMP/rec.txt"
	objcopy --add-section .polus.meta="$TMP/rec.txt" \
		--set-section-flags .polus.meta=readonly "$1" || fail "objcopy"
}
rec() { # rec COMPILER OPT... : a minimal record
	local c=$1; shift
	printf 'polus-meta|1\ncompiler|%s\ndriver|gcc\ncwd|/s\nsrc|a.c\n' "$c"
	for o in "$@"; do printf 'opt|%s\n' "$o"; done
	printf 'fn|f|f|global|int (void)|1111111111111111|1111111111111111|1111111111111111\nend'
}

mkbin "$TMP/ok" "$(rec 12.2.0 -O2 -g -Iinc -DA=1 -c -o a.o -fplugin=/x/polus.so)"
mkbin "$TMP/ok2" "$(rec 12.2.0 -O2 -Wall -DA=2 -c -o b.o -I/other)"
"$MK" --diff "$TMP/ok" "$TMP/ok2" > /dev/null || fail "source-level options must not matter"
ok "-I/-D/-W/-g/-o/-fplugin ignored"

expect_fail 1 'expected two binaries' "$MK" --diff "$TMP/ok"
expect_fail 1 'give --diff or -o' "$MK" "$TMP/ok" "$TMP/ok2"
"$MK" --help | grep -q '^usage: polus-mkpatch --diff' || fail "--help"
# a bad option: one line naming it, not getopt's line and then ours
expect_fail 1 '^polus-mkpatch: unknown option --bogus \(see --help\)$' "$MK" --bogus "$TMP/ok" "$TMP/ok2"
expect_fail 1 '^polus-mkpatch: unknown option --bogus \(see --help\)$' "$MK" --bogus=1 "$TMP/ok" "$TMP/ok2"
expect_fail 1 '^polus-mkpatch: unknown option -x \(see --help\)$' "$MK" -qx "$TMP/ok" "$TMP/ok2"
expect_fail 1 '^polus-mkpatch: option -o needs an argument \(see --help\)$' "$MK" "$TMP/ok" "$TMP/ok2" -o
expect_fail 1 '^polus-mkpatch: option --show needs an argument \(see --help\)$' "$MK" --show
expect_fail 1 '^polus-mkpatch: option --diff takes no argument \(see --help\)$' "$MK" --diff=yes "$TMP/ok" "$TMP/ok2"
expect_fail 1 'nosuch: No such file' "$MK" --diff "$TMP/nosuch" "$TMP/ok"
echo hello > "$TMP/text"
expect_fail 1 'not an ELF file' "$MK" --diff "$TMP/ok" "$TMP/text"
gcc -o "$TMP/plain" "$TMP/m.c"
expect_fail 1 'plain: built without the plugin.*-fplugin=' "$MK" --diff "$TMP/plain" "$TMP/ok"

mkbin "$TMP/v2fmt" "$(rec 12.2.0 -O2 | sed 's/^polus-meta|1/polus-meta|2/')"
expect_fail 1 'format version 2 is not supported' "$MK" --diff "$TMP/ok" "$TMP/v2fmt"
mkbin "$TMP/trunc" "$(rec 12.2.0 -O2 | sed '/^end/d')"
expect_fail 1 'no .end. \(truncated\)' "$MK" --diff "$TMP/ok" "$TMP/trunc"
mkbin "$TMP/short" "$(rec 12.2.0 -O2 | sed 's/^fn|f|f|global.*/fn|f|f/')"
expect_fail 1 "line 7: 'fn' has 2 fields, expected 7" "$MK" --diff "$TMP/ok" "$TMP/short"

mkbin "$TMP/lto" "$(rec 12.2.0 -O2 -flto=auto)"
expect_fail 2 'NEW was built with -flto=auto' "$MK" --diff "$TMP/ok" "$TMP/lto"
mkbin "$TMP/o1" "$(rec 12.2.0 -O1)"
expect_fail 2 'incompatible builds: a.c: option -O differs: OLD has -O2, NEW has -O1.*--allow-option-change' \
	"$MK" --diff "$TMP/ok" "$TMP/o1"
mkbin "$TMP/fno" "$(rec 12.2.0 -O2 -fno-inline)"
expect_fail 2 'option -finline differs: OLD has none, NEW has -fno-inline' "$MK" --diff "$TMP/ok" "$TMP/fno"
"$MK" --diff --allow-option-change "$TMP/ok" "$TMP/o1" 2> "$TMP/warn" > /dev/null ||
	fail "--allow-option-change refused"
grep -q 'warning: a.c: option -O differs' "$TMP/warn" || fail "no warning: $(cat "$TMP/warn")"
ok "--allow-option-change warns"
mkbin "$TMP/gcc13" "$(rec 13.1.0 -O2)"
expect_fail 2 'OLD was built with compiler 12.2.0 .*NEW with 13.1.0' "$MK" --diff "$TMP/ok" "$TMP/gcc13"
# a record without a hashes line is under rules 1; another plugin's hashes do not compare
mkbin "$TMP/rules2" "$(rec 12.2.0 -O2 | sed 's/^compiler|12.2.0$/compiler|12.2.0\nhashes|2/')"
expect_fail 2 'OLD was recorded under polus hash rules 1 \(a.c\), NEW under 2 .*same polus.so' \
	"$MK" --diff "$TMP/ok" "$TMP/rules2"
expect_fail 2 'OLD was recorded under polus hash rules 2 .*NEW under 1' "$MK" "$TMP/rules2" "$TMP/ok" -o "$TMP/x.so"
[ ! -e "$TMP/x.so" ] || fail "a refused patch build wrote $TMP/x.so"
"$MK" --diff "$TMP/rules2" "$TMP/rules2" >/dev/null || fail "same hash rules refused"
