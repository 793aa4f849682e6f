#!/usr/bin/env bash
# Addresses of a redirected function stay the running program's: release 1 stores &api
# in a global at start-up; release 2 changes api and check(), which compares the stored
# pointer with api. The patch takes &api as OLD's entry (keep's ADDRSYM, bound in the
# version file to api's old address), so after a live update with polus-apply the
# comparison still holds, and a call through the stored pointer reaches the new api;
# also when api and check() are in different units.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
cd "$TMP" || fail "cd"
mkdir v1 v2
cat > v1/main.c <<'C'
#include <stdio.h>
#include <stdlib.h>
typedef int (*op_fn)(int);
op_fn saved;

__attribute__((noinline)) int api(int x)
{
	return x * x + 100;
}

__attribute__((noinline)) int check(void)
{
	return saved == api ? 1 : 0;
}

int main(void)
{
	char line[64];
	saved = api;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		int x = atoi(line);
		printf("%d %d %d\n", api(x), saved(x), check());
	}
	return 0;
}
C
sed 's/x \* x + 100/x * x + 200/; s/saved == api ? 1 : 0/saved == api ? 2 : 0/' v1/main.c > v2/main.c
for v in v1 v2; do (cd $v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"; done
POLUS_KEEP_TMP=1 "$MK" -q v1/prog v2/prog -o p.so 2> mk.err || { cat mk.err; fail "patch build"; }
tmpd=$(sed -n 's/^polus-mkpatch: kept //p' mk.err)
grep -Eq $'^keep\tapi\t__polus_f_[0-9]+\t__polus_b_[0-9]+$' "$tmpd"/*.plan || fail "plan: $(cat "$tmpd"/*.plan)"
rm -rf "$tmpd"
"$MK" --show p.so > p.yaml || fail "--show"
API_OLD=$(nm_addr v1/prog api) python3 - p.yaml p.so <<'PY' || fail "version file"
import os, subprocess, sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
binds = [b for b in v["binds"] if b["name"] == "api"]
assert len(binds) == 1, v["binds"]
b = binds[0]
assert hex(b["addr"]) == os.environ["API_OLD"], (b, os.environ["API_OLD"])
und = subprocess.run(["nm", "-u", sys.argv[2]], capture_output=True, text=True).stdout.split()
assert b["symbol"] in und, (b, und)
f = {x["name"]: x for x in v["functions"]}
assert f["api"]["redirect"] and f["check"]["redirect"], f
PY
ok "&api in the patch is a bind to api's old address"

# the same with api in a unit of its own: main.c, which takes &api, is recompiled too
# and binds api to the keep's ADDRSYM (calls included: through OLD's entry)
mkdir s1 s2
for v in 1 2; do
	sed -n '/^__attribute__((noinline)) int api/,/^}/p' v$v/main.c > s$v/api.c
	sed '/^__attribute__((noinline)) int api/,/^}/d; s/^op_fn saved;/&\nint api(int x);/' v$v/main.c > s$v/main.c
	(cd s$v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c api.c) || fail "building s$v"
done
POLUS_KEEP_TMP=1 "$MK" -q s1/prog s2/prog -o s.so 2> mk.err || { cat mk.err; fail "patch build (two units)"; }
tmpd=$(sed -n 's/^polus-mkpatch: kept //p' mk.err)
cat "$tmpd"/*.plan
addrsym=$(sed -n 's/^keep\tapi\t__polus_f_[0-9]*\t\(__polus_b_[0-9]*\)$/\1/p' "$tmpd"/*.plan)
[ -n "$addrsym" ] || fail "api kept without ADDRSYM"
grep -q $'^bind-fn\tapi\t'"$addrsym"'$' "$tmpd"/*.plan || fail "main.c does not bind api to $addrsym"
rm -rf "$tmpd"
ok "a unit taking the address of another unit's kept api binds its ADDRSYM"

APPLY=$POLUS_BUILD/polus-apply
need_built "$APPLY"
need_ptrace
live() { # live PROG PATCH: the answers before and after applying PATCH
	start_prog "$1"
	ask 3 "109 109 1"
	"$APPLY" "$pid" "$2" > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply $2 failed"; }
	ask 3 "209 209 2"
	kill -0 $pid || fail "the process died"
	exec 3>&-
}
live v1/prog p.so
live s1/prog s.so
