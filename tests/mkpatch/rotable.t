#!/usr/bin/env bash
# A read-only table whose type changed (it grew an entry) holds no state: the patch's code
# takes its own new copy instead of a refusal ("changed type: not supported yet"), and the
# program's state (a counter) is kept (issue 7, class 8: over-conservative refusals; the
# corpus's unbound bison/flex tables).
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
build_main rotable ""
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "patch build refused: $(cat mk.err)"
ok "a grown read-only table is no refusal"
start_prog v1/prog
ask 9 10001
ask 9 10002
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
ask 9 60003
ask 2 3004
kill -0 $pid || fail "the process died"
ok "the new table answers, the counter went on"
