#!/usr/bin/env bash
# Rolling back a patch that changed a variable's type (tests/data/stats: a field inserted
# in a static struct three threads update): the new code counts into the new copy for a
# while; polus-rollback syncs it back into the old copy (new -> old, with every thread
# stopped and none running the patch's code) before the old code takes over, so at the
# end the program's own counter (old code, old copy) equals an independent tally of every
# increment: none made under the patch is lost. Applied again, the patch syncs old -> new.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/data/lib-data.sh" || exit 1
HERE=$POLUS_TOP/tests/data
ROLLBACK=$POLUS_BUILD/polus-rollback
need_live
cd "$TMP" || fail "cd"
build_main stats ""
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "patch build: $(cat mk.err)"

# rollback ARGS...: polus-rollback, again while it exits 3 (unsafe now: the workers are
# almost always inside the patch's record(), and on a loaded machine stopping three busy
# threads may take longer than the tool waits; the tool's answer is "try again")
rollback() {
	local i rc
	for i in 1 2 3 4 5; do
		"$ROLLBACK" "$@" > rb.txt 2>&1
		rc=$?
		[ $rc = 3 ] || break
		# the patch's code running, or (a loaded machine) the stop taking too long
		grep -Eq 'unsafe to roll back now: new code of patch p \(it changed the type of stats\) runs in thread|timed out while stopping the threads' rb.txt ||
			fail "exit 3 for another reason: $(cat rb.txt)"
	done
	return $rc
}

start_prog v1/prog
"$APPLY" -q "$pid" p.so > apply.txt 2>&1 || fail "polus-apply failed: $(cat apply.txt)"
grep -q "^back stats 0x" <(python3 - "$pid" <<'PY'
import sys, re
pid = int(sys.argv[1])
for l in open(f"/proc/{pid}/maps"):
    if "polus:registry" in l:
        a, b = (int(x, 16) for x in l.split()[0].split("-"))
        with open(f"/proc/{pid}/mem", "rb") as m:
            m.seek(a)
            t = m.read(b - a).split(b"\0")[0].decode()
        print(t.replace("\t", " "))
PY
) || fail "the registry has no back line for stats"
errors_live() { set -- $(say s); [ $# = 3 ] && [ "$3" -gt 0 ]; }
wait_for 10 errors_live || fail "the new field is not live: $(tail -n 1 out.txt)"
under=$(say s)
ok "applied; the new code counts: $under"

rollback "$pid" || fail "polus-rollback failed: $(cat rb.txt)"
cat rb.txt
grep -qx 'stats: synced new -> old' rb.txt || fail "the rollback does not report the sync back"
two_counters() { set -- $(say s); [ $# = 2 ]; }
wait_for 10 two_counters || fail "the old code is not back: $(tail -n 1 out.txt)"
set -- $(say s)
[ "$1" -ge "${under%% *}" ] || fail "the old copy went back in time: $1 after $under"
ok "rolled back: the old code counts on from the new copy's values ($1 >= ${under%% *})"

"$APPLY" -q "$pid" p.so > apply2.txt 2>&1 || fail "applying again failed: $(cat apply2.txt)"
wait_for 10 errors_live || fail "the new field is not live again"
rollback -q "$pid" || fail "the second rollback failed: $(cat rb.txt)"
wait_for 10 two_counters || fail "the old code is not back the second time"
"$POLUS_BUILD/polus-status" --history --json "$pid" > hist.json || fail "polus-status --history"
python3 - hist.json <<'PY' || fail "history: $(cat hist.json)"
import json, sys
h = json.load(open(sys.argv[1]))["history"]
acts = [(e["action"], e["result"]) for e in h]
assert [a for a, _ in acts] == ["apply", "rollback", "apply", "rollback"], acts
for a, r in acts:
    want = "ok; stats: synced old -> new" if a == "apply" else "ok; stats: synced new -> old"
    assert r.startswith(want), (a, r)
assert acts[0][1].endswith("check clean"), acts[0]
PY
ok "the history records each sync and check: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["history"][0]["result"])' hist.json)"
final=$(say stop)
[[ $final =~ ^hits=([0-9]+)\ tally=([0-9]+)$ ]] || fail "final line: $final"
[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || fail "counts differ: $final"
ok "two apply/rollback cycles, every increment counted: $final"
