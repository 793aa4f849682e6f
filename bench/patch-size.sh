#!/usr/bin/env bash
# Patch size against program size (docs/performance.md, "Patch size"): the example server
# v1 -> v2 and a synthetic program of UNITS units (default 200) with a one-line fix in
# one unit; with SQLITE=1 also SQLite 3.51.0 -> 3.51.1 (the amalgamation in
# bench/sqlite-work.c's program; fetched from npm once). Prints, for each, NEW's
# .polus.meta, the patch file and the .polus.meta it carries, in bytes.
# Usage: bench/patch-size.sh   (BUILD=... for another build, SQLITE=1)
. "$(dirname "$0")/lib.sh"
UNITS=${UNITS:-200}
MK=$BUILD/polus-mkpatch

section_size() { # FILE SECTION: bytes of the section, 0 when absent
	local hex
	hex=$(readelf -SW "$1" | awk -v s="$2" '$2 == s {print $6}')
	echo $((16#${hex:-0}))
}
report() { # NAME NEW PATCH
	printf '%-28s NEW .polus.meta %9d   patch %9d   carried .polus.meta %9d\n' "$1" \
		"$(section_size "$2" .polus.meta)" "$(stat -c %s "$3")" "$(section_size "$3" .polus.meta)"
}

for v in v1 v2; do
	cp -r "$top/examples/server/$v" "$work/$v" && make -s -C "$work/$v" clean >/dev/null &&
		make -s -C "$work/$v" CFLAGS="-O2 -g -fplugin=$PLUGIN" server >/dev/null || exit 1
done
"$MK" -q "$work/v1/server" "$work/v2/server" -o "$work/server.so" || exit 1
report "example server v1 -> v2" "$work/v2/server" "$work/server.so"

mkdir -p "$work/s1"
for k in $(seq 1 "$UNITS"); do
	cat >"$work/s1/u$k.c" <<C
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int calls_$k;
__attribute__((noinline)) int f${k}_a(int x) { calls_$k++; return x + $k; }
__attribute__((noinline)) int f${k}_b(const char *s) { return (int)strlen(s) + f${k}_a(atoi(s)); }
void f${k}_c(FILE *f, int x) { fprintf(f, "%d %d\n", f${k}_a(x), calls_$k); }
C
done
printf 'int main(void) { return 0; }\n' >"$work/s1/main.c"
cp -r "$work/s1" "$work/s2" && sed -i 's/return x + 7;/return x + 70;/' "$work/s2/u7.c"
for s in s1 s2; do
	(cd "$work/$s" && gcc -O2 -g -fplugin="$PLUGIN" -o prog ./*.c) || exit 1
done
"$MK" -q "$work/s1/prog" "$work/s2/prog" -o "$work/synth.so" || exit 1
report "synthetic, $UNITS units" "$work/s2/prog" "$work/synth.so"

[ "${SQLITE:-0}" = 1 ] || exit 0
for v in 12.4.6 12.5.0; do
	src=$(sqlite_src $v) || exit 1
	mkdir -p "$work/q$v" && cp "$src" "${src%.c}.h" "$top/bench/sqlite-work.c" "$work/q$v"/ &&
		(cd "$work/q$v" && gcc -O2 -g -fplugin="$PLUGIN" -DSQLITE_THREADSAFE=0 \
			-DSQLITE_OMIT_LOAD_EXTENSION -o work sqlite-work.c sqlite3.c -lm) || exit 1
done
/usr/bin/time -f '%e s %M KB' "$MK" -q "$work/q12.4.6/work" "$work/q12.5.0/work" \
	-o "$work/sqlite.so" 2>"$work/sq.time" || { cat "$work/sq.time"; exit 1; }
report "SQLite 3.51.0 -> 3.51.1" "$work/q12.5.0/work" "$work/sqlite.so"
echo "  polus-mkpatch: $(tail -n 1 "$work/sq.time")"
