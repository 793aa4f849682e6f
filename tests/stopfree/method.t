#!/usr/bin/env bash
# The switch is chosen per build (docs/stopfree.md). A build with the plugin has padded
# entries: polus-mkpatch marks each redirected function `padded: true` in the version
# file. A build without them (recorded before polus padded entries; here: the user's own
# -fpatchable-function-entry=0) marks none, and polus-apply switches it stop-the-world.
# polus-apply says which switch it used and why (stop-free for the padded build), in its
# output and in --json; both patches go live.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/mkpatch/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
APPLY=$POLUS_BUILD/polus-apply
need_built "$APPLY"
need_ptrace
SRC=$POLUS_TOP/tests/mkpatch/live
cd "$TMP" || fail "cd"

# build KIND EXTRA...: KIND/v1/prog and KIND/v2/prog, and the patch KIND.so
build() {
	local kind=$1 v
	shift
	for v in v1 v2; do
		mkdir -p $kind/$v && cp "$SRC/$v/main.c" $kind/$v/ || fail "copy"
		(cd $kind/$v && gcc -O2 -g -fplugin="$PLUGIN" "$@" -o prog main.c) || fail "building $kind $v"
	done
	"$MK" -q $kind/v1/prog $kind/v2/prog -o $kind.so || fail "patch build ($kind)"
}
build padded
build unpadded -fpatchable-function-entry=0

objcopy -O binary --only-section=.polus.meta --set-section-flags .polus.meta=alloc padded/v1/prog meta.txt
grep -q "^pad	5	5	plugin$" meta.txt || fail "no pad record in the padded build"
objcopy -O binary --only-section=.polus.meta --set-section-flags .polus.meta=alloc unpadded/v1/prog meta.txt
grep -q "^pad	" meta.txt && fail "a pad record in the unpadded build"
n=$(grep -c '^  padded: true$' padded.yaml)
r=$(grep -c '^  redirect: true$' padded.yaml)
[ "$n" -gt 0 ] && [ "$n" = "$r" ] || fail "padded build: $n of $r redirected functions marked padded"
grep -q '^  padded:' unpadded.yaml && fail "unpadded build: a function marked padded"
ok "padded build: all $n redirected functions marked padded; unpadded build: none"

start_prog padded/v1/prog
ask 3 "10 6 16 40 1"
"$APPLY" "$pid" padded.so >apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed (padded)"; }
grep -q '^switch: stop-free (every entry padded)$' apply.txt ||
	{ cat apply.txt; fail "apply does not say which switch (padded)"; }
ask 3 "16 10 38 41 2"
ok "padded build: polus-apply names the switch it used"

start_prog unpadded/v1/prog
ask 3 "10 6 16 40 1"
"$APPLY" --json "$pid" unpadded.so >apply.json 2>apply.err || { cat apply.err apply.json; fail "polus-apply failed (unpadded)"; }
python3 - apply.json <<'PY' || fail "--json: $(cat apply.json)"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["switch"] == "stop-the-world", j["switch"]
assert j["switch_why"].startswith("entries not padded"), j["switch_why"]
PY
ask 3 "16 10 38 41 2"
ok "unpadded build: stop-the-world, --json says so and why"
