#!/usr/bin/env bash
# A changed extern inline (gnu_inline) body reaches its callers (issue 7, class 1): the
# record reads it as an `xfn` line, which the diff used to ignore, so answer(), which
# inlined scale() from scale.h, stayed old although scale.h changed; util.c's
# out-of-line scale() does not change.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
APPLY=$POLUS_BUILD/polus-apply
[ -x "$APPLY" ] || skip "needs polus-apply built"
cd "$TMP" || fail "cd"
build_prog v1 "$HERE/xfn/v1"
build_prog v2 "$HERE/xfn/v2"
"$MK" v1/prog v2/prog -o p.so > mk.txt 2>&1 || { cat mk.txt; fail "patch build"; }
grep -q '^  scale: inlined into answer (redirected)$' mk.txt || fail "how scale goes live: $(cat mk.txt)"
start_prog v1/prog
ask 5 16
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
grep -q '^switched 1 function; 2 changed: 1 live through inlining into them$' apply.txt ||
	fail "apply's summary: $(grep switched apply.txt)"
ask 5 36
