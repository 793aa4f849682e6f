#!/usr/bin/env bash
# A patch that would call an IFUNC of OLD (target_clones) is refused at build time: OLD's
# symbol is the resolver, so a bound call would run the resolver instead of the code.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
cd "$TMP" || fail "cd"
for v in v1 v2; do
	mkdir $v && cp "$HERE/ifunc/$v/main.c" $v/ || fail "copy"
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"
done
readelf -sW v1/prog | grep -Eq 'IFUNC +GLOBAL +DEFAULT +[0-9]+ sum$' || fail "precondition: sum is no IFUNC in v1"
expect_fail 2 "^polus-mkpatch: sum \(main.c\): OLD's sum is an IFUNC .*cannot bind or redirect it" \
	"$MK" -q v1/prog v2/prog -o p.so
[ ! -e p.so ] && [ ! -e p.yaml ] || fail "a refused build left output behind"
