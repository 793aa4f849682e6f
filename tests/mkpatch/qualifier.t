#!/usr/bin/env bash
# A variable whose type changed only by a `volatile` qualifier keeps its storage: the
# patch binds the live variable (no "changed type" refusal), and the running total the
# process holds goes on in the new code.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
build_main qualifier ""
"$MK" --diff --json v1/prog v2/prog > d.json || fail "diff"
python3 -c '
import json, sys
v = {x["key"]: x for x in json.load(open(sys.argv[1]))["variables"]}
assert v["dying"]["change"] == "changed" and v["dying"]["reasons"] == ["type"], v' d.json ||
	fail "precondition: dying is not listed as a type change: $(cat d.json)"
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "patch build refused: $(cat mk.err)"
"$MK" --show p.so > p.yaml || fail "--show"
python3 -c '
import sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
assert "dying" in [b["name"] for b in v["binds"]], v["binds"]
assert [f["name"] for f in v["functions"]] == ["api"], v["functions"]' p.yaml ||
	fail "the patch does not bind the live dying: $(cat p.yaml)"
ok "volatile added: the patch binds the live variable"

start_prog v1/prog
ask 3 3
ask 2 5
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
ask 4 1009
ask 1 1010
kill -0 $pid || fail "the process died"
