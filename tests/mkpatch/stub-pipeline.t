#!/usr/bin/env bash
# polus-mkpatch OLD NEW -o PATCH.so end to end, with the plugin's real record mode and a
# stand-in for its patch mode (stub-plugin.cc: aliases kept functions, references binds):
# plans, recompile from the recorded command, link, version file from OLD's and the
# patch's symbols, embedding, warnings.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
build_stub
build_prog "$TMP/v1" "$HERE/prog/v1"
build_prog "$TMP/v2" "$HERE/prog/v2"

cd "$TMP" || fail "cd"
expect_fail 1 'out/p12.so: cannot write there: No such file' \
	env POLUS_PLUGIN="$TMP/stub/polus.so" "$MK" -q v1/prog v2/prog -o "$TMP/out/p12.so"
mkdir -p out
POLUS_PLUGIN=$TMP/stub/polus.so POLUS_KEEP_TMP=1 "$MK" v1/prog v2/prog -o out/p12.so \
	> progress.txt 2> stderr.txt || { cat progress.txt stderr.txt; fail "patch build failed"; }
cat progress.txt stderr.txt
grep -q '^\[1/4\] diff: 3 functions changed, 0 new' progress.txt || fail "progress diff line"
grep -q '^\[4/4\] link out/p12.so: 3 functions' progress.txt || fail "progress link line"
grep -q 'warning: main: changed, but it never returns' stderr.txt || fail "main warning"
grep -q 'warning: variable limit (main.c): initializer changed' stderr.txt || fail "limit warning"
grep -q 'warning: sig: signature changed (int (int) -> long int (long int)): not redirected' stderr.txt ||
	grep -q 'warning: sig: signature changed' stderr.txt || fail "sig warning"
ok "progress and warnings"

# the plan of main.c (kept by POLUS_KEEP_TMP)
tmpd=$(sed -n 's/^polus-mkpatch: kept //p' stderr.txt)
[ -d "$tmpd" ] || fail "no kept temporary directory"
plan=$(grep -l $'^keep\tapi\t' "$tmpd"/*.plan) || fail "no plan keeps api"
cat "$plan"
head -n 1 "$plan" | grep -q $'^polus-plan\t1$' || fail "plan header"
for want in $'keep\tapi\t__polus_f_' $'keep\tsig\t__polus_f_' $'keep\tmain\t__polus_f_' \
	$'bind-fn\tbump\t__polus_b_' $'bind-fn\thelper\t__polus_b_' $'bind-var\tcounter\t__polus_b_' \
	$'bind-var\thits\t__polus_b_' $'bind-var\tlimit\t__polus_b_'; do
	grep -q "^$want[0-9]*\$" "$plan" || fail "plan lacks: $want"
done
grep -q $'\tchecked\t' "$plan" && ! grep -q $'^bind-fn\tchecked\t' "$plan" && fail "checked is unchanged: bind only"
[ "$(ls "$tmpd"/*.plan | wc -l)" = 1 ] || fail "only main.c needs recompiling"
rm -rf "$tmpd"
ok "plan"

# the embedded version file parses (versionfiles, via --show) and equals p12.yaml
readelf -SW out/p12.so | grep -q '\.polus\.version' || fail "no .polus.version section"
"$MK" --show out/p12.so > shown.yaml || fail "--show cannot parse the embedded version file"
objcopy --dump-section .polus.version=embedded.yaml out/p12.so junk.so || fail "dump section"
cmp -s embedded.yaml out/p12.yaml || fail "p12.yaml differs from the embedded copy"
ok "embedded version file parses and matches p12.yaml"

export API_OLD=$(nm_addr v1/prog api) BUMP_OLD=$(nm_addr v1/prog bump main.c) \
	HITS_MAIN=$(nm_addr v1/prog hits main.c) HITS_UTIL=$(nm_addr v1/prog hits util.c) \
	HELPER_OLD=$(nm_addr v1/prog helper) COUNTER_OLD=$(nm_addr v1/prog counter) \
	LIMIT_OLD=$(nm_addr v1/prog limit) MAIN_OLD=$(nm_addr v1/prog main)
[ "$HITS_MAIN" != "$HITS_UTIL" ] || fail "precondition: two different statics 'hits'"
BUILD_ID=$(readelf -n v1/prog | sed -n 's/.*Build ID: //p')
export BUILD_ID
python3 - shown.yaml out/p12.so <<'PY' || fail "version file content"
import os, subprocess, sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
env = os.environ
assert v["polus-patch"] == 1 and v["name"] == "p12", v
assert v["target"]["build-id"] == env["BUILD_ID"], v["target"]
fns = {f["name"]: f for f in v["functions"]}
assert sorted(fns) == ["api", "main", "sig"], sorted(fns)
api = fns["api"]
assert api["change"] == "changed" and api["reasons"] == ["body"], api
assert api["old-symbol"] == "api" and hex(api["old-addr"]) == env["API_OLD"], api
assert api["redirect"] is True, api
assert fns["sig"]["redirect"] is False, fns["sig"]
assert fns["main"]["redirect"] is True, fns["main"]
syms = {}
for line in subprocess.run(["nm", sys.argv[2]], capture_output=True, text=True).stdout.splitlines():
    p = line.split()
    if len(p) == 3:
        syms[p[2]] = int(p[0], 16)
for f in fns.values():
    assert f["new-symbol"].startswith("__polus_f_"), f
    assert syms[f["new-symbol"]] == f["new-addr"], (f, syms.get(f["new-symbol"]))
binds = {b["name"]: b for b in v["binds"]}
want = {"bump": "BUMP_OLD", "hits": "HITS_MAIN", "helper": "HELPER_OLD", "counter": "COUNTER_OLD", "limit": "LIMIT_OLD"}
for name, var in want.items():
    assert name in binds, (name, sorted(binds))
    assert hex(binds[name]["addr"]) == env[var], (name, binds[name], env[var])
    assert binds[name]["symbol"].startswith("__polus_b_"), binds[name]
for b in binds.values():
    assert not b.get("tls"), b
w = "\n".join(v["warnings"])
assert "main: changed, but it never returns" in w and "limit" in w and "sig: signature changed" in w, w
PY
ok "version file: functions, old/new addresses, binds (statics told apart by STT_FILE)"

# --quiet prints nothing on stdout
POLUS_PLUGIN=$TMP/stub/polus.so "$MK" --quiet v1/prog v2/prog -o out/q.so > quiet.txt 2>/dev/null ||
	fail "--quiet build"
[ ! -s quiet.txt ] || fail "--quiet printed: $(cat quiet.txt)"
ok "--quiet"
