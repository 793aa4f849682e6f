#!/usr/bin/env bash
# A field inserted in the middle of a static struct that three threads update under a
# mutex (stats/): polus-mkpatch writes sync/stats.c (fields matched by name, the new one
# left at its initializer) and builds the patch; polus-apply --no-track refuses, exit 3 naming the
# function and the thread, while an old writer of the struct runs (hold() waits for
# input), and applies once it returned: the old copy synced into the new one with every
# thread stopped, the new field live, and at the end the program's own counter equals
# an independent tally of every increment (no write lost at the switch).
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-data.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
build_main stats ""
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "patch build: $(cat mk.err)"
[ -f sync/stats.c ] || fail "no sync/stats.c"
grep -q '^#define NEW_misses POLUS_AT(long int, NEW, 16)$' sync/stats.c || fail "accessor: $(cat sync/stats.c)"
grep -q '^    NEW_misses = (long int)OLD_misses;$' sync/stats.c || fail "sync of misses"
grep -q 'stats.errors: new: keeps its initializer' sync/stats.c || fail "added field"
python3 - p.yaml <<'PY' || fail "version file: $(cat p.yaml)"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))["data"]
assert len(d) == 1 and d[0]["variable"] == "stats", d
e = d[0]
assert e["old-size"] == 16 and e["new-size"] == 24, e
assert e["sync-old2new"] == "polus_sync_stats_old2new" and e["check"] == "polus_check_stats", e
assert e["file"].endswith("sync/stats.c"), e
assert {w["name"] for w in e["writers"]} == {"record", "hold"}, e["writers"]
assert "added stats.errors" in e["covers"], e
PY
ok "sync/stats.c generated, the version file lists it"

start_prog v1/prog
[ "$(say s | wc -w)" = 2 ] || fail "release 1 answers two counters"
[ "$(say h)" = holding ] || fail "hold did not start"
expect_fail 3 "^polus-apply: unsafe to update now: hold \(old code, writes stats, whose type changed\) runs in thread $pid \(prog\)" \
	"$APPLY" --no-track "$pid" p.so
grep -q 'polus:' /proc/$pid/maps && fail "a polus mapping was left: $(grep polus: /proc/$pid/maps)"
ok "refused while an old writer runs, nothing left"
[ "$(say go)" = released ] || fail "hold did not return"

"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
cat apply.txt
grep -qx 'stats: synced old -> new (struct stats, 16 -> 24 bytes); check clean' apply.txt ||
	fail "apply does not report the sync"
"$POLUS_BUILD/polus-status" "$pid" > status.txt || fail "polus-status"
grep -qx '  data stats: synced old -> new (struct stats, 16 -> 24 bytes); check clean' status.txt ||
	fail "polus-status: $(cat status.txt)"
ok "applied under load, reported by polus-apply and polus-status"

errors_live() { set -- $(say s); [ $# = 3 ] && [ "$3" -gt 0 ]; }
wait_for 10 errors_live || fail "the new field is not live: $(tail -n 1 out.txt)"
ok "the new field counts"
final=$(say stop)
[[ $final =~ ^hits=([0-9]+)\ tally=([0-9]+)$ ]] || fail "final line: $final"
[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || fail "counts differ: $final"
ok "every increment counted across the switch: $final"
