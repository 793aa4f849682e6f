#!/usr/bin/env bash
# Chains: polus-mkpatch OLD PATCH... NEW builds the next patch against OLD plus the
# patches the process runs. The diff is taken against the newest patch's release (its
# metadata travels in the patch), symbols and addresses stay OLD's, and the patch
# requires the ones below it; a function whose running code is an earlier patch's is
# redirected there. What a chain cannot do yet is refused by name.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
cd "$TMP" || fail "cd"

# release SRC-DIR NAME MAIN-SED UTIL-SED: a copy of SRC-DIR edited, built as NAME/prog
release() {
	mkdir -p "$2.src" && cp "$1"/* "$2.src"/ || fail "copy"
	[ -z "$3" ] || sed -i "$3" "$2.src/main.c" || fail "sed"
	[ -z "$4" ] || sed -i "$4" "$2.src/util.c" || fail "sed"
	build_prog "$2" "$2.src"
}
release "$HERE/prog/v1" v1 '' ''
release "$HERE/prog/v2" v2 '' ''
release "$HERE/prog/v2" v3 '' 's/return x + hits;/return x + hits + 1;/'
"$MK" -q v1/prog v2/prog -o p12.so 2>/dev/null || fail "p12"

"$MK" --diff --json v1/prog p12.so v3/prog > d13.json || fail "chain diff"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = sorted(f["name"] for f in d["functions"])
assert names == ["helper"], names' d13.json || fail "chain diff: $(cat d13.json)"
ok "diff against v1+p12 names only what v3 changed over v2"

"$MK" -q v1/prog p12.so v3/prog -o p23.so || fail "p23"
"$MK" --show p23.so > p23.yaml || fail "--show p23"
export P12_ID=$(readelf -n p12.so | sed -n 's/.*Build ID: //p') \
	V1_ID=$(readelf -n v1/prog | sed -n 's/.*Build ID: //p') HELPER=$(nm_addr v1/prog helper)
python3 - p23.yaml <<'PY' || fail "p23 version file"
import os, sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
assert v["target"]["build-id"] == os.environ["V1_ID"], v["target"]
assert v["requires"] == [os.environ["P12_ID"]], v["requires"]
f = {x["name"]: x for x in v["functions"]}
assert sorted(f) == ["helper"], sorted(f)
assert hex(f["helper"]["old-addr"]) == os.environ["HELPER"] and f["helper"]["redirect"] is True, f
PY
readelf -SW p23.so | grep -q '\.polus\.meta' || fail "p23 carries no metadata for the next link of the chain"
ok "p23: against v1's build-id, requires p12, old addresses are v1's"

expect_fail 1 'p12.so applies to build-id .*, OLD is .*: not a patch of OLD' "$MK" -q v2/prog p12.so v3/prog -o p.so
expect_fail 1 'p12.so requires 0 patch\(es\) below it, given 1 before it' \
	"$MK" -q v1/prog p12.so p12.so v3/prog -o p.so
expect_fail 1 'v2/prog: no .polus.version section: not a polus patch' "$MK" -q v1/prog v2/prog v3/prog -o p.so

# a variable that an earlier patch added lives in that patch: no binding into it yet
release "$HERE/prog/v2" v2n 's/^int limit = 11;/int limit = 11;\nint added = 4;/; s/return bump(x) \* 3 + helper(x) + limit;/return bump(x) * 3 + helper(x) + limit + added;/' ''
"$MK" -q v1/prog v2n/prog -o p12n.so || fail "p12n"
release v2n.src v3n 's/return bump(x) \* 3 + helper(x) + limit + added;/return bump(x) * 4 + helper(x) + limit + added;/' ''
expect_fail 2 'variable added \(main.c\) is not in OLD: an earlier patch added it' \
	"$MK" -q v1/prog p12n.so v3n/prog -o p.so

# a function that only an earlier patch has (new there) is replaced in that patch: the
# jump goes at its entry in p12f, which old-in names (old-addr counts from its load address)
release "$HERE/prog/v2" v2f 's/^int main(int argc/__attribute__((noinline)) int added_fn(int x)\n{\n\tint r = x * 5;\n\t__asm__ volatile("" : "+r"(r));\n\treturn r - 3;\n}\n\nint main(int argc/; s/printf("%d %ld %d\\n", api(argc)/printf("%d %ld %d\\n", added_fn(argc) + api(argc)/' ''
"$MK" -q v1/prog v2f/prog -o p12f.so || fail "p12f"
release v2f.src v3f 's/return r - 3;/return r - 4;/' ''
"$MK" -q v1/prog p12f.so v3f/prog -o p23f.so || fail "p23f: a function p12f brought new"
"$MK" --show p23f.so > p23f.yaml || fail "--show p23f"
export P12F_ID=$(readelf -n p12f.so | sed -n 's/.*Build ID: //p')
export ADDED=$(python3 -c 'import sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
print(hex([f for f in v["functions"] if f["name"] == "added_fn"][0]["new-addr"]))' p12f.yaml)
python3 - p23f.yaml <<'PY' || fail "p23f version file: $(cat p23f.yaml)"
import os, sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
f = [x for x in v["functions"] if x["name"] == "added_fn"]
assert len(f) == 1, f
f = f[0]
assert f["old-in"] == os.environ["P12F_ID"] and f["redirect"] is True, f
assert hex(f["old-addr"]) == os.environ["ADDED"], (f, os.environ["ADDED"])
PY
ok "p23f redirects added_fn at its entry in p12f"
