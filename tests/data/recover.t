#!/usr/bin/env bash
# Tainted state (pool/): release 1's bugs leave a counter wrong and a table entry naming
# no owner. The author writes the check and the recover in sync/pool.c: with a recover
# that repairs nothing, polus-apply abandons the update (exit 2, the check's message, the
# process exactly as it was); with a real one, the check finds the taint, the recover
# repairs it and the fixed code goes on from sound state; a check of the patch's own (a
# file of its own in the sync folder) runs too. A recover that calls printf is refused at
# build time (it runs while the program's threads are held).
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-data.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
build_main pool ""
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "patch build: $(cat mk.err)"
for d in noop good printf; do
	mkdir $d && cp sync/pool.c sync/polus_recover.h $d/ || fail "copy"
	"$HERE/author.py" $d/pool.c check || fail "author: check"
done
"$HERE/author.py" noop/pool.c recover-noop && "$HERE/author.py" good/pool.c recover &&
	"$HERE/author.py" printf/pool.c recover-printf || fail "author: recover"
# a check of the patch's own, of state that is no changed variable
cat > good/limits.c <<'C'
#include "polus_recover.h"
int polus_check_limits(struct polus_msg *m)
{
    (void)m;
    return 0;
}
C
for d in noop good; do
	"$MK" -q --sync-dir $d v1/prog v2/prog -o $d.so 2> $d.err || fail "$d: $(cat $d.err)"
	cmp -s $d/pool.c sync/pool.c && fail "$d/pool.c was overwritten"
done
expect_fail 2 '^polus-mkpatch: printf/pool.c calls printf: its functions run while the program.s threads are held, and must not lock, allocate or block$' \
	"$MK" -q --sync-dir printf v1/prog v2/prog -o printf.so
[ -e printf.so ] && fail "printf.so written"

start_prog v1/prog
ask 't 0 1' 'used=1 slots=1000'
ask 'g 2' 'used=0 slots=1000'
ask 't 1 9' 'used=1 slots=1900'
maps_before=$(grep -c . /proc/$pid/maps)
expect_fail 2 '^polus-apply: pool: the state is tainted and recovery did not repair it: pool.slot\[1\] names no owner \(update abandoned, the process is left as it was\)$' \
	"$APPLY" "$pid" noop.so
grep -q 'polus:' /proc/$pid/maps && fail "a polus mapping was left: $(grep polus: /proc/$pid/maps)"
[ "$(grep -c . /proc/$pid/maps)" = "$maps_before" ] || fail "the mappings changed"
"$POLUS_BUILD/polus-status" "$pid" | grep -q 'no polus patches applied' || fail "a patch is recorded"
ask 'g 3' 'used=0 slots=1900'
ok "a check still failing after recover: abandoned, the process as it was (old code runs)"

"$APPLY" "$pid" good.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
grep -qx 'pool: synced old -> new (struct pool, 20 -> 24 bytes); check found taint (pool.slot\[1\] names no owner), recovered' apply.txt ||
	fail "apply: $(cat apply.txt)"
"$POLUS_BUILD/polus-status" "$pid" | grep -q '^  data pool: synced old -> new (struct pool, 20 -> 24 bytes); check found taint (pool.slot\[1\] names no owner), recovered$' ||
	fail "status: $("$POLUS_BUILD/polus-status" "$pid")"
grep -qx 'limits: check clean' apply.txt || fail "the patch's own check did not run: $(cat apply.txt)"
ask 's' 'used=1 slots=1000 takes=0'
ask 'g 2' 'used=1 slots=1000 takes=0'
ask 't 2 3' 'used=2 slots=1030 takes=1'
ok "the taint repaired at the switch; the fixed code goes on from sound state"
