#!/usr/bin/env bash
# Heap objects of a changed type: a field inserted into a struct the program holds on the
# heap is refused, naming the type and the changed functions that use it; the shadow
# route (examples/shadow: the struct kept, the new field attached by address with
# runtime/shadow.h) applies, and connections opened before the update get the new field.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-data.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
EX=$POLUS_TOP/examples/shadow
mkdir v1 layout v2 && cp "$EX/v1/main.c" v1/ && cp "$HERE/heap/main.c" layout/ &&
	cp "$EX/v2/main.c" "$POLUS_TOP/runtime/shadow.c" "$POLUS_TOP/runtime/shadow.h" v2/ || fail "copy"
for v in v1 layout; do
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"
done
(cd v2 && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c shadow.c) || fail "building v2"
expect_fail 2 '^polus-mkpatch: type conn changed layout \(on_data, show, main use it\): objects the running program already holds have the old layout: not supported yet \(--layout-ok conn if none can exist; or keep the type and attach the new fields with runtime/shadow.h\)$' \
	"$MK" -q v1/prog layout/prog -o layout.so
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "the shadow route refused: $(cat mk.err)"
ok "an inserted field refused, the shadow route built"

start_prog v1/prog
ask o 'opened 0'
ask 'd 0 100' 'conn 0: 100 bytes'
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
ask 's 0' 'conn 0: 100 bytes in 0 messages'
ask 'd 0 20' 'conn 0: 120 bytes in 1 messages'
ask o 'opened 1'
ask 'd 1 5' 'conn 1: 5 bytes in 1 messages'
ask 'd 0 1' 'conn 0: 121 bytes in 2 messages'
ok "objects from before the update carry the new field as shadow data"
