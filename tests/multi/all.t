#!/usr/bin/env bash
# polus-apply --all BINARY / --tree PID (injector/multi_apply.h): every process of the
# build, parents first, one line each and a summary; exit 0 when all were updated (or
# already were), 5 when only some, the failure's own code when none; a process that
# refuses (another tracer: exit 3) is retried, then reported, and the others are
# updated all the same; --json; polus-status --all: one line per process.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/multi/lib-multi.sh"
need_tools
build_forker

expect_fail 1 "^polus-apply: no running process runs $MX/forker \\(build [0-9a-f]+\\)$" \
	"$APPLY" --all "$MX/forker" "$MX/pa.so"
expect_fail 2 "^polus-apply: patch is for build [0-9a-f]+, $MX/mkvf is build [0-9a-f]+$" \
	"$APPLY" --all "$MX/mkvf" "$MX/pa.so"

start_forker
P=$FPID
fork_child "$P"; C1=$CHILD
fork_child "$P"; C2=$CHILD
fork_child "$C1"; G=$CHILD # a grandchild

# --tree C1: C1 and its child, parent first; P and C2 untouched
"$APPLY" --tree "$C1" "$MX/pa.so" >"$TMP/tree.out" || fail "--tree: exit $?: $(cat "$TMP/tree.out")"
cat "$TMP/tree.out"
[ "$(grep -c ': applied pa (pause' "$TMP/tree.out")" = 2 ] || fail "--tree did not apply twice"
[ "$(grep -n "^process $C1 " "$TMP/tree.out" | cut -d: -f1)" -lt \
	"$(grep -n "^process $G " "$TMP/tree.out" | cut -d: -f1)" ] || fail "--tree: child before parent"
grep -q '^2 processes: 2 updated, 0 already up to date, 0 not updated$' "$TMP/tree.out" ||
	fail "--tree summary"
[ "$(result "$C1")" = 30 ] && [ "$(result "$G")" = 30 ] || fail "--tree: not running pa"
[ "$(result "$P")" = 20 ] && [ "$(result "$C2")" = 20 ] || fail "--tree touched other processes"
ok "--tree: the process and its descendants, parents first"

# --all with C2 held by another tracer: the others are updated, C2 is retried and named
hold_trace "$C2"
"$APPLY" --all "$MX/forker" --deadline 20 "$MX/pa.so" >"$TMP/all.out" 2>"$TMP/all.err"
rc=$?
cat "$TMP/all.out" "$TMP/all.err"
[ $rc = 5 ] || fail "--all with one process refusing: exit $rc, wanted 5"
grep -q "^process $P (forker): applied pa (pause" "$TMP/all.out" || fail "P not applied"
grep -q "^process $C1 (forker): already up to date$" "$TMP/all.out" || fail "C1 not already"
grep -q "^process $G (forker): already up to date$" "$TMP/all.out" || fail "G not already"
grep -Eq "^polus-apply: process $C2 \\(forker\\): not updated \\(exit 3, 5 tries\\): process $C2 is already traced" \
	"$TMP/all.err" || fail "C2's refusal not named"
grep -q '^4 processes: 1 updated, 2 already up to date, 1 not updated$' "$TMP/all.out" ||
	fail "--all summary"
[ "$(result "$P")" = 30 ] || fail "P does not run pa"
[ "$(patches "$C2")" = "" ] || fail "C2 has patches: $("$STATUS" "$C2")" # (a signal would stop it: traced)
ok "--all: a refusing process is retried and named, the others updated (exit 5)"

kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
wait_for 10 grep -q '^TracerPid:[[:space:]]*0$' /proc/$C2/status || fail "holdtrace still attached"
"$APPLY" --json --all "$MX/forker" "$MX/pa.so" >"$TMP/all.json" || fail "--all --json: exit $?"
python3 - "$TMP/all.json" "$P" "$C1" "$C2" "$G" <<'PY' || fail "--json: $(cat "$TMP/all.json")"
import json, sys
j = json.load(open(sys.argv[1]))
want = {int(p): r for p, r in zip(sys.argv[2:], ["already", "already", "applied", "already"])}
got = {p["pid"]: p["result"] for p in j["processes"]}
assert got == want, got
c2 = [p for p in j["processes"] if p["result"] == "applied"][0]
assert c2["applies"][0]["patch"] == "pa" and c2["applies"][0]["pid"] == c2["pid"], c2
assert (j["applied"], j["already"], j["failed"], j["exit"]) == (1, 3, 0, 0), j
assert j["mode"] == "all" and j["build_id"], j
PY
[ "$(result "$C2")" = 30 ] || fail "C2 does not run pa"
ok "--all --json: one object, each process's result and apply"

"$STATUS" --all "$MX/forker" >"$TMP/status.out" || fail "status --all: exit $?"
cat "$TMP/status.out"
for p in "$P" "$C1" "$C2" "$G"; do
	grep -Eq "^process $p \\(forker, parent [0-9]+\\): build [0-9a-f]+, 1 patch: pa$" "$TMP/status.out" ||
		fail "status --all: no line for $p"
done
grep -q '^4 processes: all run pa$' "$TMP/status.out" || fail "status --all summary"
ok "polus-status --all: one line per process, and whether they agree"

# a process whose binary was deleted (replaced on disk) is found by its build-id all the same
cp "$MX/forker" "$MX/forker-old"
"$MX/forker-old" "$TMP/old.log" &
D=$!
track_pid $D
wait_for 10 grep -q '^ready' "$TMP/old.log" || fail "forker-old did not start"
rm "$MX/forker-old"
"$APPLY" --all "$MX/forker" "$MX/pa.so" >"$TMP/del.out" || fail "--all with a deleted binary: exit $?"
grep -q "^process $D (forker-old): applied pa " "$TMP/del.out" || fail "deleted binary: $(cat "$TMP/del.out")"
grep -q '^5 processes: 1 updated, 4 already up to date, 0 not updated$' "$TMP/del.out" ||
	fail "deleted binary: $(cat "$TMP/del.out")"
ok "--all: a process of a deleted binary of the build is updated too"
