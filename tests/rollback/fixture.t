#!/usr/bin/env bash
# polus-rollback on the injector's fixture target (13 threads, each blocked in another
# system call, workers calling compute() directly and through a pointer): the newest
# patch undone live, original bytes back at the site, state rolled-back, nothing
# unmapped; a patch with a newer one on top refused naming it; --to and --all; an apply
# again reuses the image still mapped (same address, no new mapping); every refusal and
# every failure injected after each change leaves the target exactly as it was (maps,
# descriptors, site bytes, registry bytes); a site changed by someone else is refused;
# the history lists every apply and rollback; no EINTR, the target still answers.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
. "$POLUS_TOP/tests/rollback/lib-rollback.sh"
need_tools
need_built "$ROLLBACK"
build_fixtures
make_patch_variant "$FX/p2.so" p2
SITE="compute:$(sym_addr "$FX/target" compute)"

state() { target_state "$SITE"; }

# refused RC PATTERN ARGS...: polus-rollback ARGS fails so, leaving the target as it was.
refused() {
	local rc=$1 pat=$2 before
	shift 2
	before=$(state)
	expect_fail "$rc" "$pat" "$ROLLBACK" "$@"
	[ "$(state)" = "$before" ] || { diff <(echo "$before") <(state) >&2; fail "refusal changed the target: $*"; }
}

start_target
wait_blocked
orig=$(code_bytes "$SITE")
refused 2 "^polus-rollback: no patch is applied to process $TPID$" "$TPID"
expect_fail 1 "expected PID" "$ROLLBACK"
expect_fail 1 "expected PID" "$ROLLBACK" --all "$TPID" p1
expect_fail 1 "not a process id" "$ROLLBACK" x
"$ROLLBACK" --help | grep -q -- '--to NAME' || fail "--help does not describe --to"

"$APPLY" -q "$TPID" "$FX/p1.so" || fail "p1 did not apply"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
with_p1=$(code_bytes "$SITE")
"$APPLY" -q "$TPID" "$FX/p2.so" || fail "p2 did not apply"
with_p2=$(code_bytes "$SITE")
images=$(polus_maps "$TPID")
refused 2 "^polus-rollback: patch p1 has newer patches applied on top of it in process $TPID: p2 \(roll those back first, or use --to\)$" "$TPID" p1
refused 2 "patch nosuch is not applied to process $TPID" --to nosuch "$TPID"

# each failure injected after a change of the rollback (the site, the record) is undone
before=$(state)
for n in 1 2 3; do
	out=$(POLUS_TEST_FAIL_AT=step:$n "$ROLLBACK" "$TPID" 2>&1 >/dev/null)
	[ $? = 4 ] || fail "step $n: wanted exit 4: $out"
	[ "$(state)" = "$before" ] || { diff <(echo "$before") <(state) >&2; fail "failure after step $n left a trace: $out"; }
	case $out in
	*"step $n not reached, the rollback made 2 changes"*) break ;;
	*"injected after step $n, "*) ok "undone: ${out#*"after step $n, "}" ;;
	*) fail "step $n: $out" ;;
	esac
done
[ $n = 3 ] || fail "the rollback made $((n - 1)) changes, wanted 2 (the site, the record)"

"$ROLLBACK" "$TPID" >"$TMP/rb.out" || fail "rollback of p2 failed: $(cat "$TMP/rb.out")"
grep -q '^rolled back p2: 1 function restored$' "$TMP/rb.out" || fail "output: $(cat "$TMP/rb.out")"
[ "$(code_bytes "$SITE")" = "$with_p1" ] || fail "the site does not hold p1's jump after p2's rollback"
[ "$(state_of p2 "$TPID")" = rolled-back ] && [ "$(state_of p1 "$TPID")" = applied ] ||
	fail "states: $("$STATUS" "$TPID")"
[ "$(polus_maps "$TPID")" = "$images" ] || fail "a rollback changed the patch mappings"
"$STATUS" "$TPID" | grep -q "^process $TPID: 2 polus patches (1 rolled back)$" || fail "status: $("$STATUS" "$TPID")"

"$ROLLBACK" -q "$TPID" p1 || fail "rollback of p1 by name failed"
[ "$(code_bytes "$SITE")" = "$orig" ] || fail "the original bytes are not back: $(code_bytes "$SITE") vs $orig"
refused 2 "no patch is applied to process $TPID" "$TPID"
"$ROLLBACK" --all "$TPID" | grep -q 'nothing to roll back' || fail "--all with nothing applied"
ok "rolled back p2 then p1: original code back, images still mapped"

# again: the images still mapped are reused, at the same addresses
"$APPLY" "$TPID" "$FX/p1.so" >"$TMP/again.out" || fail "p1 again failed"
grep -q '^reusing p1 at ' "$TMP/again.out" || fail "p1 not reused: $(cat "$TMP/again.out")"
[ "$(code_bytes "$SITE")" = "$with_p1" ] || fail "p1 again jumps elsewhere"
"$APPLY" -q "$TPID" "$FX/p2.so" || fail "p2 again failed"
[ "$(code_bytes "$SITE")" = "$with_p2" ] || fail "p2 again jumps elsewhere"
[ "$(polus_maps "$TPID")" = "$images" ] || fail "an apply again mapped something: $(polus_maps "$TPID")"
expect_fail 2 "already applied" "$APPLY" "$TPID" "$FX/p2.so"
ok "applied again: the images reused, no new mapping"

"$ROLLBACK" --json --to p1 "$TPID" >"$TMP/to.json" || fail "--to p1 failed"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [p["name"] for p in d["rolled_back"]] == ["p2"] and d["pause_ns"] > 0, d
assert d["rolled_back"][0]["functions"][0]["name"] == "compute", d' "$TMP/to.json" ||
	fail "--to --json: $(cat "$TMP/to.json")"
[ "$(code_bytes "$SITE")" = "$with_p1" ] || fail "--to p1 did not leave p1"
"$ROLLBACK" --to p1 "$TPID" | grep -q 'nothing to roll back' || fail "--to p1 twice"
"$APPLY" -q "$TPID" "$FX/p2.so" || fail "p2 a third time failed"
"$ROLLBACK" -q --all "$TPID" || fail "--all failed"
[ "$(code_bytes "$SITE")" = "$orig" ] || fail "--all did not bring the original code back"
[ "$(state_of p1 "$TPID")-$(state_of p2 "$TPID")" = rolled-back-rolled-back ] || fail "states after --all"
ok "--to and --all"

# the site changed behind polus's back: refused, untouched
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "p1 a third time failed"
# someone else points compute elsewhere (at p2's copy, still mapped: the target lives on)
"$STATUS" --json "$TPID" | python3 -c '
import json, sys
ps = json.load(sys.stdin)["patches"]
site = int([p for p in ps if p["name"] == "p1"][0]["functions"][0]["old_addr"], 16)
dest = int([p for p in ps if p["name"] == "p2"][0]["functions"][0]["new_addr"], 16)
with open(f"/proc/{sys.argv[1]}/mem", "r+b") as m:
    m.seek(site); was = m.read(5)
    m.seek(site); m.write(b"\xe9" + (dest - site - 5).to_bytes(4, "little", signed=True))
print("%x %s" % (site, was.hex()))' "$TPID" >"$TMP/tampered" || fail "cannot tamper with the site"
refused 2 "function compute at 0x[0-9a-f]+ no longer holds the jump patch p1 wrote \(something else changed it\): nothing rolled back" "$TPID"
read -r at was <"$TMP/tampered"
python3 -c '
import sys
with open(f"/proc/{sys.argv[1]}/mem", "r+b") as m:
    m.seek(int(sys.argv[2], 16)); m.write(bytes.fromhex(sys.argv[3]))' "$TPID" "$at" "$was"
"$ROLLBACK" -q "$TPID" || fail "rollback after the site was put back failed"
ok "a site changed by someone else is refused"

got=$(history_actions "$TPID")
want="apply:p1 apply:p2 rollback:p2 rollback:p1 apply:p1 apply:p2 rollback:p2 apply:p2 rollback:p2 rollback:p1 apply:p1 rollback:p1"
[ "$got" = "$want" ] || fail "history: $got, wanted $want"
"$STATUS" --history "$TPID" | grep -Eq '^[0-9T:-]+Z  rollback  p1  build [0-9a-f]+  uid 0  pause [0-9.]+ ms  ok$' ||
	fail "--history: $("$STATUS" --history "$TPID")"
wait_blocked
no_eintr
answers || fail "the target does not answer"
ok "history of 12 updates; no EINTR; the target answers"
