#!/usr/bin/env bash
# Patch size against program size (docs/performance.md, "Patch size"): the example server
# v1 -> v2 and a synthetic program of UNITS units (default 200) with a one-line fix in
# one unit. Prints, for each, NEW's .polus.meta, the patch file and the .polus.meta it
# carries, in bytes. Usage: bench/patch-size.sh   (BUILD=... for another build)
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
