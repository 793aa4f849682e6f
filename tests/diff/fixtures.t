#!/usr/bin/env bash
# polus-mkpatch --diff on hand-written metadata (fixtures/*/v{1,2}-*.meta, '|' = tab):
# tests the reader (records concatenated by the linker, unknown kinds, escapes,
# relative/absolute paths in two directories) and the diff rules without the plugin.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
MK=${MKPATCH:-$POLUS_BUILD/polus-mkpatch}
[ -x "$MK" ] || fail "$MK not built (make tools)"

# mkbin OUT META...: a binary with one object per record, like a real build.
mkbin() {
	local out=$1 objs=() i=0 m; shift
	echo 'int main(void) { return 0; }' > "$TMP/main.c"
	gcc -c -o "$TMP/main.o" "$TMP/main.c" || fail "gcc"
	for m in "$@"; do
		i=$((i + 1))
		tr '|' '\t' < "$m" > "$TMP/rec$i.txt"
		echo "int unit$i;" > "$TMP/u$i.c"
		gcc -c -o "$TMP/u$i.o" "$TMP/u$i.c" || fail "gcc"
		objcopy --add-section .polus.meta="$TMP/rec$i.txt" \
			--set-section-flags .polus.meta=readonly "$TMP/u$i.o" || fail "objcopy"
		objs+=("$TMP/u$i.o")
	done
	gcc -o "$out" "$TMP/main.o" "${objs[@]}" || fail "link"
}

F=fixtures/basic
mkbin "$TMP/v1" $F/v1-server.meta $F/v1-util.meta
mkbin "$TMP/v2" $F/v2-util.meta $F/v2-server.meta

"$MK" --diff --json "$TMP/v1" "$TMP/v2" > "$TMP/out.json" || fail "diff failed"
cat "$TMP/out.json"
python3 - "$TMP/out.json" <<'PY' || fail "unexpected diff"
import json, sys
d = json.load(open(sys.argv[1]))
fns = {f["name"]: f for f in d["functions"]}
def want(name, change, reasons, unit="server.c"):
    f = fns.get(name)
    assert f, f"{name} not listed"
    assert f["change"] == change, (name, f)
    assert sorted(f["reasons"]) == sorted(reasons), (name, f)
    assert f["unit"] == unit, (name, f)
want("parse_cmd", "changed", ["body"])
want("handle_request", "changed", ["inlined:parse_cmd"])
want("outer", "changed", ["inlined:handle_request"])          # fixpoint
want("work", "changed", ["body"])
want("caller_of_work", "changed", ["calls-clone:work.constprop.0"])
want("uses_a", "changed", ["layout:conn"])
want("reader", "changed", ["const:table"])
want("helper", "changed", ["body"], "lib/util.c")
want("sigcaller", "changed", ["signature:helper"])
want("gone", "removed", [])
want("newfn", "new", [])
want("reader2", "changed", ["const:folded"])    # OLD folded the variable into its reader
want("logit", "changed", ["line-only"]); assert fns["logit"]["line_only"] is True
want("wrap_log", "changed", ["line-only"]); assert fns["wrap_log"]["line_only"] is True
for n in ("uses_b", "counter_fn", "main"):
    assert n not in fns, f"{n} listed but unchanged"
assert len(fns) == 14, sorted(fns)
vs = {v["key"]: v for v in d["variables"]}
assert vs["table"]["change"] == "changed" and vs["table"]["reasons"] == ["init"], vs
assert vs["counter_fn/extra"]["change"] == "new" and vs["counter_fn/extra"]["name"] == "extra"
assert "counter_fn/calls" not in vs and "gstate" not in vs, vs
assert vs["gpair"]["reasons"] == ["layout:pair"], vs["gpair"]  # same size, fields moved
assert vs["folded"]["reasons"] == ["init"], vs["folded"]
assert "ppair" not in vs, vs["ppair"]                           # a pointer: layout-proof
assert len(vs) == 4, vs
ts = {t["name"]: t for t in d["types"]}
assert ts["conn"]["change"] == "changed" and ts["pair"]["reasons"] == ["layout"] and len(ts) == 2, ts
PY
ok "json diff"

# --line-only: line-only changes spread like real ones
"$MK" --diff --json --line-only "$TMP/v1" "$TMP/v2" > "$TMP/lo.json" || fail "diff --line-only"
python3 -c '
import json, sys
f = {x["name"]: x for x in json.load(open(sys.argv[1]))["functions"]}
assert f["wrap_log"]["reasons"] == ["inlined:logit"], f["wrap_log"]
assert "line_only" not in f["wrap_log"]
assert f["logit"]["line_only"] is True' "$TMP/lo.json" || fail "--line-only"
ok "--line-only"

# text output
"$MK" --diff "$TMP/v1" "$TMP/v2" > "$TMP/out.txt" || fail "text diff"
cat "$TMP/out.txt"
grep -q '^function handle_request (server.c): changed — inlined callee parse_cmd changed$' \
	"$TMP/out.txt" || fail "text line"
grep -q '^summary: functions 10 changed, 1 new, 1 removed, 2 line-only' "$TMP/out.txt" ||
	fail "summary"
ok "text diff"

# same build against itself: nothing
"$MK" --diff --json "$TMP/v1" "$TMP/v1" > "$TMP/same.json" || fail "self diff"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"functions": [], "variables": [], "types": []}, d' "$TMP/same.json" || fail "self diff not empty"
ok "no change, nothing listed"
