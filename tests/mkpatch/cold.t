#!/usr/bin/env bash
# A changed function that -O2 split into a hot part and a cold partition (check.cold):
# the patch redirects the entry, both paths of the new code run (the hot one and the cold
# one), and the cold path's state (errors, bound) is the live one.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
APPLY=$POLUS_BUILD/polus-apply
need_built "$APPLY"
need_ptrace
cd "$TMP" || fail "cd"
for v in v1 v2; do
	mkdir $v && cp "$HERE/cold/$v/main.c" $v/ || fail "copy"
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"
done
nm v1/prog | grep -q ' check\.cold$' || fail "precondition: no check.cold in v1"
"$MK" -q v1/prog v2/prog -o p.so || fail "patch build"
python3 - p.yaml <<'PY' || fail "the patch should redirect exactly check"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
names = sorted(f["name"] for f in d["functions"] if f.get("redirect"))
sys.exit(0 if names == ["check"] else 1)
PY

start_prog v1/prog
ask 4 "8 0"
ask -1 "-1 1"
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
ask 4 "12 1"   # the hot path of the new check
ask -5 "-2 2"  # its cold path, counting on in the live errors
grep -c '^bad negative' err.txt | grep -qx 2 || fail "the cold path's report did not run twice: $(cat err.txt)"
kill -0 $pid || fail "the process died"
