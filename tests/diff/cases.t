#!/usr/bin/env bash
# polus-mkpatch --diff on real builds: one folder per hazard under cases/, each with
# v1/ and v2/ sources (case.sh may set SAME=1 to build v1 twice, V1_CFLAGS/V2_CFLAGS,
# V1_PLUGIN=0, a build() function, and EXPECT_RC/EXPECT_ERR for refusals: *-FAIL).
# expect.py asserts on the --json output with the helpers below.
# Usage: ./cases.t [CASE...]
. "$POLUS_TOP/tests/lib.sh"
MK=${MKPATCH:-$POLUS_BUILD/polus-mkpatch}
SAN=$POLUS_SAN_BUILD/polus-mkpatch
export CC=${CC:-gcc}
[ -x "$MK" ] || fail "$MK not built (make tools)"
[ -f "$PLUGIN" ] || skip "needs the plugin: $PLUGIN is not built yet"
# the plugin must record: a probe object carries a format-1 record
echo 'int probe(int x) { return x + 1; }' > "$TMP/probe.c"
$CC -O2 -fplugin="$PLUGIN" -c -o "$TMP/probe.o" "$TMP/probe.c" 2> "$TMP/probe.err" ||
	skip "needs the plugin: record mode fails: $(head -n 1 "$TMP/probe.err")"
objcopy -O binary --only-section=.polus.meta "$TMP/probe.o" "$TMP/probe.meta" 2>/dev/null
head -n 1 "$TMP/probe.meta" 2>/dev/null | grep -q $'^polus-meta\t1$' ||
	skip "needs the plugin: $PLUGIN does not write .polus.meta records yet"

cat > "$TMP/helpers.py" <<'PY'
import json, subprocess, sys
D = json.load(open(sys.argv[1]))
OLD = sys.argv[2]
F = {f["name"]: f for f in D["functions"]}
V = {v["key"]: v for v in D["variables"]}
T = {t["name"]: t for t in D["types"]}
def fn(name, change, reasons):
    f = F.get(name)
    assert f, f"function {name} not listed; listed: {sorted(F)}"
    assert f["change"] == change, f
    assert sorted(f["reasons"]) == sorted(reasons), f"{name}: reasons {f['reasons']}, wanted {reasons}"
def var(key, change):
    v = V.get(key)
    assert v and v["change"] == change, f"variable {key}: {v}; listed: {sorted(V)}"
def typ(tag, change):
    t = T.get(tag)
    assert t and t["change"] == change, f"type {tag}: {t}"
def only_functions(*names):
    assert sorted(F) == sorted(names), f"listed {sorted(F)}, wanted {sorted(names)}"
def nothing():
    assert not D["functions"] and not D["variables"] and not D["types"], D
def old_symbol_like(prefix):
    out = subprocess.run(["nm", OLD], capture_output=True, text=True).stdout
    for line in out.splitlines():
        name = line.split()[-1]
        if name.startswith(prefix):
            return name
    return None
exec(open(sys.argv[3]).read())
PY

default_build() { # SRC OUT CFLAGS...
	local src=$1 out=$2; shift 2
	(cd "$src" && $CC "$@" -o "$out" ./*.c)
}

run_case() {
	local dir=$1 name v flags plugin_on
	name=$(basename "$dir")
	local SAME=0 V1_CFLAGS=-O2 V2_CFLAGS=-O2 V1_PLUGIN=1 V2_PLUGIN=1 EXPECT_RC=0 EXPECT_ERR=
	unset -f build
	[ -f "$dir/case.sh" ] && . "$dir/case.sh"
	declare -F build > /dev/null || build() { default_build "$@"; }
	for v in v1 v2; do
		local from=$dir/$v
		[ $SAME = 1 ] && from=$dir/v1
		local src=$TMP/$name/$v-tree/src
		mkdir -p "$src" && cp "$from"/*.c "$src"/ || fail "$name: copy"
		if [ $v = v1 ]; then flags=$V1_CFLAGS plugin_on=$V1_PLUGIN; else flags=$V2_CFLAGS plugin_on=$V2_PLUGIN; fi
		# shellcheck disable=SC2086
		if [ "$plugin_on" = 1 ]; then
			(build "$src" "$TMP/$name/$v" $flags -fplugin="$PLUGIN") || fail "$name: building $v"
		else
			(build "$src" "$TMP/$name/$v" $flags) || fail "$name: building $v"
		fi
	done
	if [ "$EXPECT_RC" != 0 ]; then
		expect_fail "$EXPECT_RC" "$EXPECT_ERR" "$MK" --diff --json "$TMP/$name/v1" "$TMP/$name/v2"
		return
	fi
	"$MK" --diff --json "$TMP/$name/v1" "$TMP/$name/v2" > "$TMP/$name/diff.json" ||
		fail "$name: polus-mkpatch --diff failed"
	python3 "$TMP/helpers.py" "$TMP/$name/diff.json" "$TMP/$name/v1" "$dir/expect.py" ||
		{ cat "$TMP/$name/diff.json"; fail "$name: unexpected diff"; }
	ok "$name"
}

if [ $# -gt 0 ]; then cases=("$@"); else cases=(cases/*/); fi
for c in "${cases[@]}"; do
	[ -d "$c" ] || c=cases/$c
	run_case "${c%/}"
done

# one case again with the ASan+UBSan build
if [ -x "$SAN" ] && [ -f "$TMP/inline-helper/diff.json" ]; then
	"$SAN" --diff --json "$TMP/inline-helper/v1" "$TMP/inline-helper/v2" > "$TMP/san.json" ||
		fail "sanitized polus-mkpatch failed"
	cmp -s "$TMP/san.json" "$TMP/inline-helper/diff.json" || fail "sanitized build differs"
	ok "sanitized build agrees on inline-helper"
fi
