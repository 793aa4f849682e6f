#!/usr/bin/env bash
# make install: every tool in bin/ with a man page and --version, polus.so in
# lib/polus/ (the path the README gives) working from there, the man pages rendering
# without a warning (polus.so's options included), and bash completion loaded under
# each tool's name completing options, PIDs and patch files.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
need_built "$PLUGIN"
make -s -C "$POLUS_TOP" install DESTDIR="$TMP/root" PREFIX=/usr/local >"$TMP/install.log" 2>&1 ||
	fail "make install: $(tail "$TMP/install.log")"
P=$TMP/root/usr/local
tools=(polus-apply polus-rollback polus-status polus-mkpatch polus-sign polus-release)
[ "$(ls "$P/bin" | sort | tr '\n' ' ')" = "$(printf '%s\n' "${tools[@]}" | sort | tr '\n' ' ')" ] ||
	fail "bin/ holds: $(ls "$P/bin")"
for t in "${tools[@]}"; do
	"$P/bin/$t" --version | head -n 1 | grep -q "^$t (polus) " || fail "$t --version"
	[ -f "$P/share/man/man1/$t.1" ] || fail "no man page for $t"
	[ -L "$P/share/bash-completion/completions/$t" ] || fail "no completion for $t"
done
[ -f "$P/share/man/man1/polus.so.1" ] || fail "no man page for polus.so"
for m in "$P"/share/man/man1/*.1; do
	out=$(MANWIDTH=80 man -l --warnings=all "$m" 2>&1 >/dev/null)
	[ -z "$out" ] || fail "${m##*/}: $out"
	MANWIDTH=80 man -l "$m" 2>/dev/null | grep -q '^SYNOPSIS' || fail "${m##*/} has no SYNOPSIS"
done
MANWIDTH=80 man -l "$P/share/man/man1/polus.so.1" | grep -q -- '-fplugin-arg-polus-version' ||
	fail "polus.so(1) does not list its options"
ok "man pages: $(ls "$P/share/man/man1" | tr '\n' ' ')"

# the installed plugin works from lib/polus, and the installed polus-mkpatch finds it
echo 'int f(int x) { return x + 1; } int main(void) { return f(0) - 1; }' >"$TMP/a.c"
gcc -O2 -g -fplugin="$P/lib/polus/polus.so" -o "$TMP/a" "$TMP/a.c" || fail "building with the installed plugin"
sed 's/x + 1/x + 2/' "$TMP/a.c" >"$TMP/b.c"
gcc -O2 -g -fplugin="$P/lib/polus/polus.so" -o "$TMP/b" "$TMP/b.c" || fail "building b"
"$P/bin/polus-mkpatch" --diff "$TMP/a" "$TMP/b" | grep -q 'f' || fail "installed polus-mkpatch --diff"
ok "the installed plugin records; the installed polus-mkpatch reads it"

# the installed tools update a live process: polus-apply finds its runtime in lib/polus
cat >"$TMP/loop.c" <<'C'
#include <stdio.h>
#include <unistd.h>
__attribute__((noinline)) int answer(void) { return 1; }
int main(void) { for (;;) { printf("%d\n", answer()); fflush(stdout); usleep(20000); } }
C
sed 's/return 1;/return 2;/' "$TMP/loop.c" >"$TMP/loop2.c"
gcc -O2 -g -fplugin="$P/lib/polus/polus.so" -o "$TMP/loop" "$TMP/loop.c" || fail "building loop"
gcc -O2 -g -fplugin="$P/lib/polus/polus.so" -o "$TMP/loop2" "$TMP/loop2.c" || fail "building loop2"
"$P/bin/polus-mkpatch" -q "$TMP/loop" "$TMP/loop2" -o "$TMP/l12.so" >"$TMP/mk.out" 2>&1 ||
	fail "installed polus-mkpatch: $(tail -3 "$TMP/mk.out")"
"$TMP/loop" >"$TMP/loop.out" &
LPID=$!
track_pid $LPID
wait_for 10 grep -qx 1 "$TMP/loop.out" || fail "loop does not run"
"$P/bin/polus-apply" -q "$LPID" "$TMP/l12.so" || fail "the installed polus-apply failed"
wait_for 10 sh -c 'tail -n 1 "$1" | grep -qx 2' _ "$TMP/loop.out" || fail "the patch is not live"
grep -q 'polus:polus-rt' "/proc/$LPID/maps" || fail "no runtime mapped from lib/polus"
"$P/bin/polus-rollback" -q "$LPID" || fail "the installed polus-rollback failed"
wait_for 10 sh -c 'tail -n 1 "$1" | grep -qx 1' _ "$TMP/loop.out" || fail "the rollback is not live"
ok "the installed polus-apply and polus-rollback update a live process"

# completion: load as bash-completion would (by the command's name), then complete
complete_words() { # complete_words WORD...: the candidates for the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		f=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\) .*/\1/p"); "$f"; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$P/share/bash-completion/completions/$1" "$@"
}
complete_words polus-apply --ch | grep -qx -- --check || fail "polus-apply --ch does not complete"
complete_words polus-apply --require | grep -qx -- --require-signature || fail "--require-signature"
sleep 300 &
track_pid $!
complete_words polus-apply "$!" | grep -qx "$!" || fail "polus-apply does not complete a PID"
touch "$TMP/p12.so"
complete_words polus-apply 1 "$TMP/p1" | grep -qx "$TMP/p12.so" || fail "polus-apply does not complete PATCH.so"
complete_words polus-release a | grep -qx archive || fail "polus-release a"
complete_words polus-sign --ve | grep -qx -- --verify || fail "polus-sign --ve"
complete_words polus-mkpatch --di | grep -qx -- --diff || fail "polus-mkpatch --di"
complete_words polus-status --js | grep -qx -- --json || fail "polus-status --js"
complete_words polus-rollback --ch | grep -qx -- --check || fail "polus-rollback --ch"
ok "bash completion"
