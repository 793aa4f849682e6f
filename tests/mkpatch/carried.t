#!/usr/bin/env bash
# An unchanged function that OLD has no out-of-line copy of (-O2 left only its
# .constprop clone) is carried in the patch, and the copy works on the live state: after
# the update, the carried `account` adds to the running process's `total`, which old code
# (get_total) then reads.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
APPLY=$POLUS_BUILD/polus-apply
need_built "$APPLY"
need_ptrace
cd "$TMP" || fail "cd"
for v in v1 v2; do
	mkdir $v && cp "$HERE/carried/$v/main.c" $v/ || fail "copy"
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"
done
nm v1/prog | grep -q ' account\.constprop' || fail "precondition: -O2 did not clone account() in v1"
nm v1/prog | grep -q ' account$' && fail "precondition: v1 kept an out-of-line account()"
"$MK" -q v1/prog v2/prog -o p.so || fail "patch build"
nm p.so | grep -Eq ' t account$' || fail "the patch carries no copy of account: $(nm p.so)"
nm p.so | grep -q ' [bBdD] total$' && fail "the patch has its own copy of total"
ok "account carried in the patch, total bound"

start_prog v1/prog
ask 1 "16 5"    # total 5: 5*2 + 5 + 1
ask 1 "26 10"   # total 10
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
ask 7 "1041 17" # the carried account adds 7 to the live total: 17*2 + 7 + 1000
ask 3 "1043 20"
kill -0 $pid || fail "the process died"
