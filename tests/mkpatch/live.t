#!/usr/bin/env bash
# The patch polus-mkpatch builds, applied to a running process with polus-apply: every
# hazard the diff must see shows up in the answers after the update: an inlined helper
# changed (api_scale), a function -O2 turned into work.constprop.0 changed (api_work,
# api_work2 call the clone), a const table changed (api_table reads it); and the
# state the changed api_scale counts in (served) is the running one, not a copy.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
APPLY=$POLUS_BUILD/polus-apply
need_built "$APPLY"
need_ptrace
cd "$TMP" || fail "cd"
for v in v1 v2; do
	mkdir $v && cp "$HERE/live/$v/main.c" $v/ || fail "copy"
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"
done
nm v1/prog | grep -q ' work\.constprop' || fail "precondition: -O2 did not clone work() in v1"
"$MK" -q v1/prog v2/prog -o p.so || fail "patch build"

start_prog v1/prog
ask 3 "10 6 16 40 1"
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
ask 3 "16 10 38 41 2"
ask 2 "11 2 11 31 3"
kill -0 $pid || fail "the process died"
