#!/usr/bin/env bash
# The completeness proof (issue 7, class 6): a static function whose signature changed
# cannot be redirected, but when its address is never taken and every caller is
# redirected, new calls reach the patch's copy only: it is live ("replaced for new calls"),
# no warning, --strict accepts it, and the fix answers in the running process.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
build_main sigcallers ""
"$MK" --strict v1/prog v2/prog -o p.so > mk.txt 2>&1 || { cat mk.txt; fail "patch build refused"; }
grep -q '^  scale: replaced for new calls in scale (not redirectable; every caller redirected)$' mk.txt ||
	fail "how scale goes live: $(cat mk.txt)"
grep -q 'scale.*not redirected: its old callers keep' mk.txt && fail "scale still warned about: $(cat mk.txt)"
ok "scale goes live through its redirected caller, --strict accepts it"

start_prog v1/prog
ask 3 7
ask 3000000000 -2589934591
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
ask 3000000000 6000000001
ask 3 7
kill -0 $pid || fail "the process died"
ok "the widened scale answers in the running process"
