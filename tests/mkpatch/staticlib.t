#!/usr/bin/env bash
# A function of a static library linked into the program but built without the plugin
# (a vendored liblua.a, say) has no record and is not in the executable's dynamic symbol
# table: a patch that calls it must be bound to the program's own copy (and its state),
# not looked up in the shared libraries (where polus-apply found nothing: "cannot resolve
# symbol vendor_bump in the target's libraries").
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
mkdir lib && gcc -O2 -g -c -o lib/vendor.o "$HERE/staticlib/lib/vendor.c" &&
	ar rcs lib/libvendor.a lib/vendor.o || fail "building the vendored library"
for v in v1 v2; do
	mkdir -p $v && cp "$HERE/staticlib/$v/main.c" $v/ || fail "copy $v"
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c ../lib/libvendor.a) ||
		fail "building $v"
done
readelf --dyn-syms -W v1/prog | grep -q vendor_bump &&
	fail "precondition: vendor_bump is exported by the executable"
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "patch build refused: $(cat mk.err)"
"$MK" --show p.so > p.yaml || fail "--show"
want=$(nm_addr v1/prog vendor_bump) || fail "no vendor_bump in v1/prog"
python3 - p.yaml "$want" <<'PY' || fail "the patch does not bind vendor_bump to the program's copy: $(cat p.yaml)"
import sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
b = {x["name"]: x for x in v["binds"]}
assert b["vendor_bump"]["addr"] == int(sys.argv[2], 16), b
PY
ok "the patch binds vendor_bump to the program's own copy"

start_prog v1/prog
ask 3 30
ask -1 100
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
ask 3 133   # 30 + the program's own state: 100 + 3
ask -1 103  # old code reads the same state the patch wrote
kill -0 $pid || fail "the process died"
ok "the patched api counts into the vendored library's live state"
