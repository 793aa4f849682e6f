#!/usr/bin/env bash
# A patch switched stop-free (a build with the plugin: padded entries) rolls back with
# polus-rollback as it is: the registry's `fn` lines of a stop-free switch restore the
# padding's NOPs and the site's original bytes (injector/stopfree_apply.h). Cycles of
# apply (stop-free, the image reused after the first rollback), rollback: each answer is
# the right release's, the function's bytes are exactly the original ones after each
# rollback (padding included), no thread of the program is stopped by an apply but the
# first (it starts the runtime's agent), and one agent serves all of them.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/mkpatch/lib-mkpatch.sh" || exit 1
. "$POLUS_TOP/tests/stopfree/lib-stopfree.sh" || exit 1
cd "$TMP" || fail "cd"
build_live

start_prog v1/prog
ask 3 "10 6 16 40 1"
orig=$(text_of "$pid")
[ -n "$orig" ] || fail "cannot read the functions' bytes"

for i in 1 2 3 4 5; do
	"$APPLY" "$pid" p.so >apply.txt 2>&1 || { cat apply.txt; fail "apply $i failed"; }
	grep -q '^switch: stop-free (every entry padded)$' apply.txt || { cat apply.txt; fail "apply $i: not stop-free"; }
	if [ $i = 1 ]; then
		grep -q "^started the runtime's agent" apply.txt || { cat apply.txt; fail "apply 1 started no agent"; }
	else
		grep -q "^started" apply.txt && { cat apply.txt; fail "apply $i started another agent"; }
		grep -q '^pause 0.00 ms: no thread of the program stopped' apply.txt ||
			{ cat apply.txt; fail "apply $i stopped a thread of the program"; }
	fi
	[ $i = 1 ] || grep -q '^reusing ' apply.txt || { cat apply.txt; fail "apply $i did not reuse the image"; }
	ask 3 "16 10 38 41 $((2 * i))"
	"$ROLLBACK" "$pid" >rb.txt 2>&1 || { cat rb.txt; fail "rollback $i failed"; }
	grep -q "rolled back .*: 4 functions restored" rb.txt || { cat rb.txt; fail "rollback $i: $(cat rb.txt)"; }
	ask 3 "10 6 16 40 $((2 * i + 1))"
	[ "$(text_of "$pid")" = "$orig" ] || fail "rollback $i: the functions' bytes differ from the build's"
done
ok "5 stop-free applies and rollbacks: the right release each time, the original bytes back"
n=0
for t in /proc/$pid/task/*; do [ "$(cat $t/comm)" = polus-agent ] && n=$((n + 1)); done
[ $n = 1 ] || fail "$n agents in the process"
ok "one agent"
