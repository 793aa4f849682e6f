#!/usr/bin/env bash
# The completeness proof (issue 7, class 6): a changed function the patch cannot redirect
# (its signature changed) is not shown live: a warning naming it, and with --strict an
# error (exit 2) and no patch.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
cd "$TMP" || fail "cd"
for v in v1 v2; do
	mkdir $v && cp "$HERE/strict/$v/main.c" $v/ || fail "copy"
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"
done
"$MK" v1/prog v2/prog -o p.so > mk.txt 2>&1 || { cat mk.txt; fail "patch build"; }
grep -q '^polus-mkpatch: warning: widen (main.c): its code differs (its source changed) but it is not redirected' mk.txt ||
	fail "no proof warning: $(cat mk.txt)"
grep -q '^  widen: NOT live in widen (not redirected)$' mk.txt || fail "how widen goes live: $(cat mk.txt)"
ok "warned without --strict"
out=$("$MK" --strict -q v1/prog v2/prog -o p2.so 2>&1); rc=$?
[ $rc -eq 2 ] || fail "--strict: exit $rc, wanted 2: $out"
printf '%s\n' "$out" | grep -q '^polus-mkpatch: error: widen (main.c): its code differs' || fail "--strict: $out"
printf '%s\n' "$out" | tail -n 1 | grep -q '^polus-mkpatch: 1 function not live (--strict)$' || fail "--strict: $out"
[ ! -e p2.so ] || fail "--strict wrote a patch"
ok "--strict refused: $(printf '%s\n' "$out" | tail -n 1)"
