#!/usr/bin/env bash
# Functions left out of a patch on purpose: a version string that changes at every commit
# touches main (never returns) and usage (noreturn); changed only through that string,
# they are left out by default with a warning (--include-churn keeps them), and
# --exclude FUNC / --exclude GLOB leaves any other one out. Each left-out function is
# named in polus-mkpatch's output and in the version file's warnings; applied live, the
# fix goes live and the left-out function keeps the old code.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
build_main churn ""

# functions PATCH: the names in its version file, sorted, one line
functions() {
	"$MK" --show "$1" | python3 -c '
import sys, yaml
print(" ".join(sorted(f["name"] for f in yaml.safe_load(sys.stdin)["functions"])))'
}
# warned PATCH NAME WORDS: the version file has a warning about NAME containing WORDS
warned() {
	"$MK" --show "$1" | python3 -c '
import sys, yaml
w = yaml.safe_load(sys.stdin)["warnings"] or []
sys.exit(0 if any(x.startswith(sys.argv[1] + " ") and sys.argv[2] in x for x in w) else 1)' "$2" "$3"
}

"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "patch build: $(cat mk.err)"
[ "$(functions p.so)" = "api api_log" ] || fail "default patch has: $(functions p.so)"
for f in main usage; do
	grep -q "^polus-mkpatch: warning: $f (main.c): never returns and changed only through strings or constants" mk.err ||
		fail "no warning for $f: $(cat mk.err)"
	warned p.so "$f" "--include-churn" || fail "version file has no warning for $f"
done
ok "main and usage (changed only through the version string) left out with a warning"

"$MK" -q --include-churn v1/prog v2/prog -o all.so 2>/dev/null || fail "--include-churn build"
[ "$(functions all.so)" = "api api_log main usage" ] || fail "--include-churn has: $(functions all.so)"
ok "--include-churn keeps them"

"$MK" -q --exclude 'api_l*' --exclude nosuch v1/prog v2/prog -o ex.so 2> ex.err || fail "--exclude build"
[ "$(functions ex.so)" = "api" ] || fail "--exclude api_l* has: $(functions ex.so)"
grep -q "^polus-mkpatch: warning: api_log (main.c): left out on purpose (--exclude api_l\*): it keeps running the old code" ex.err ||
	fail "no warning for api_log: $(cat ex.err)"
warned ex.so api_log "--exclude" || fail "version file has no warning for api_log"
ok "--exclude GLOB leaves api_log out, saying so"

rc=0
"$MK" -q --exclude 'api*' v1/prog v2/prog -o none.so 2> none.err || rc=$?
[ $rc = 1 ] && [ ! -e none.so ] || fail "everything left out: exit $rc, wanted 1 and no patch"
[ "$(tail -n 1 none.err)" = "polus-mkpatch: nothing to patch: every changed function is left out (warnings above)" ] ||
	fail "everything left out: $(cat none.err)"
ok "everything left out: nothing to patch, the warnings say why"

start_prog v1/prog
ask 5 10
"$APPLY" "$pid" ex.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
ask 5 15
echo -1 >&3
wait_for 10 grep -q '^negative -1$' err.txt || fail "api_log does not run the old code: $(cat err.txt)"
ok "applied: api is new, api_log (left out) is the old one"
