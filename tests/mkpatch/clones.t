#!/usr/bin/env bash
# A change that reaches callers only through clones (issue 7, class 1): with -O3
# -fno-early-inlining, f's mode-1 path lives in caller1 and caller2 only as the inlined
# IPA-CP clone f.constprop, f's mode-3 path in caller3 through f.part.0. The patch must
# redirect every caller, say how f goes live, and polus-apply/polus-status must show it:
# - with today's records (`inline caller1 f f.constprop`);
# - with an older plugin's records (`inline caller1 f.constprop`, the clone as CALLEE),
#   which the diff used to drop: caller1 and caller2 kept the old f, polus-apply said ok;
# - a record naming no function of the build makes polus-mkpatch fail, naming it.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
APPLY=$POLUS_BUILD/polus-apply
STATUS=$POLUS_BUILD/polus-status
[ -x "$APPLY" ] && [ -x "$STATUS" ] || skip "needs polus-apply and polus-status built"
cd "$TMP" || fail "cd"
for v in v1 v2; do
	mkdir $v && cp "$HERE/clones/$v/main.c" $v/ || fail "copy"
	(cd $v && gcc -O3 -fno-early-inlining -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"
done
objcopy --dump-section .polus.meta=v1.meta v1/prog v1.tmp || fail "dump v1's records"
grep -q $'^inline\tcaller1\tf\tf.constprop' v1.meta ||
	fail "precondition: caller1 has no inlined clone of f: $(grep '^inline' v1.meta | tr '\n' ' ')"
! grep -q $'^inline\tcaller1\tf$' v1.meta || fail "precondition: f itself was inlined into caller1"
want=$(echo 3 | v2/prog | tail -n 1)

# apply_and_check PATCH: the answers of v1 before, of v2 after from every caller.
apply_and_check() {
	start_prog v1/prog
	ask 3 "$(echo 3 | v1/prog | tail -n 1)"
	"$APPLY" "$pid" "$1" > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply $1 failed"; }
	grep -q '^switched 3 functions; 4 changed: 1 live through inlining into them$' apply.txt ||
		fail "apply's summary: $(grep switched apply.txt)"
	ask 3 "$want"
	"$STATUS" "$pid" > status.txt || fail "polus-status"
	grep -q '^  live f: inlined into caller1, caller2, caller3 (redirected)$' status.txt ||
		fail "status: $(cat status.txt)"
	"$STATUS" --json "$pid" | python3 -c 'import json,sys
live = json.load(sys.stdin)["patches"][0]["live"]
assert {"name": "caller1", "how": "redirected"} in live, live' || fail "status --json live"
	kill $pid
	exec 3>&-
}

"$MK" v1/prog v2/prog -o p.so > mk.txt 2>&1 || { cat mk.txt; fail "patch build"; }
grep -q '^  f: inlined into caller1, caller2, caller3 (redirected)$' mk.txt ||
	fail "polus-mkpatch does not say how f goes live: $(cat mk.txt)"
grep -q "how: 'inlined into caller1, caller2, caller3 (redirected)'" p.yaml || fail "live list in p.yaml"
apply_and_check p.so
ok "today's records: every caller runs the new f"

# the records an older plugin wrote: the clone's name as CALLEE
sed -E 's/^inline\t([^\t]+)\t[^\t]+\t([^\t]+)$/inline\t\1\t\2/' v1.meta > old.meta
grep -q $'^inline\tcaller1\tf.constprop$' old.meta || fail "rewriting the records"
cp v1/prog v1old && objcopy --update-section .polus.meta=old.meta v1old || fail "objcopy"
"$MK" v1old v2/prog -o pold.so > mk.txt 2>&1 || { cat mk.txt; fail "patch build (old records)"; }
apply_and_check pold.so
ok "older records: every caller runs the new f"

# a record naming nothing: one line naming record, unit and name
sed 's/^inline\tcaller1\tf.constprop$/inline\tcaller1\tnosuch/' old.meta > bad.meta
cp v1/prog v1bad && objcopy --update-section .polus.meta=bad.meta v1bad || fail "objcopy"
expect_fail 1 "main\.c: record 'inline caller1 nosuch' names nosuch, which is no function" \
	"$MK" v1bad v2/prog -o pbad.so
[ ! -e pbad.so ] || fail "a patch was written"
