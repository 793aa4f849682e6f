#!/usr/bin/env bash
# polus-rollback --check PID: every check of a rollback, nothing changed. Exit 0 for a
# rollback that would go through; for a refusal the same exit code and error line as the
# rollback itself (a name that is not the newest patch: 2). After each --check the
# target's memory map, descriptors, registry bytes and the bytes at the patch site are
# as they were, and the rollback that follows works; its refusal comes as a JSON error
# object with --json.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
ROLLBACK=$POLUS_BUILD/polus-rollback
[ -x "$POLUS_SAN_BUILD/polus-rollback" ] && ROLLBACK=$POLUS_SAN_BUILD/polus-rollback
build_fixtures
t=$FX/target
start_target
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "apply p1 failed"
state() {
	snapshot
	echo "registry $(registry_bytes)"
	code_bytes compute:"$(sym_addr "$t" compute)"
}
state >"$TMP/before"

"$ROLLBACK" --check "$TPID" >"$TMP/out" 2>&1 || fail "--check refused: $(cat "$TMP/out")"
grep -q "^check: .* nothing changed$" "$TMP/out" || fail "no check line: $(cat "$TMP/out")"
state >"$TMP/after"
cmp -s "$TMP/before" "$TMP/after" || fail "--check changed the target: $(diff "$TMP/before" "$TMP/after")"
ok "--check of a rollback that would go through: exit 0, target unchanged"

# a refusal: the same exit code and line as the rollback itself
expect_fail 2 "nosuchpatch" "$ROLLBACK" --check "$TPID" nosuchpatch
chk=$("$ROLLBACK" --check "$TPID" nosuchpatch 2>&1)
expect_fail 2 "nosuchpatch" "$ROLLBACK" "$TPID" nosuchpatch
real=$("$ROLLBACK" "$TPID" nosuchpatch 2>&1)
[ "$chk" = "$real" ] || fail "--check said '$chk', the rollback '$real'"
state >"$TMP/after"
cmp -s "$TMP/before" "$TMP/after" || fail "a refused --check changed the target"
ok "a refused --check: exit 2, the rollback's own line, target unchanged"

"$ROLLBACK" --check --json "$TPID" >"$TMP/json" || fail "--check --json failed"
grep -q '"check":"would-roll-back"' "$TMP/json" || fail "no check field: $(cat "$TMP/json")"
"$ROLLBACK" --json "$TPID" nosuchpatch >"$TMP/json" 2>/dev/null
[ $? -eq 2 ] || fail "--json refusal: wrong exit"
grep -q '^{"error":{"code":"does-not-apply","exit":2,' "$TMP/json" ||
	fail "no JSON error object: $(cat "$TMP/json")"
ok "--json: the check field and the error object"

"$ROLLBACK" -q "$TPID" || fail "the rollback after --check failed"
"$STATUS" "$TPID" | grep -q "rolled back" || fail "status does not show the rollback"
ok "the rollback after --check works"
