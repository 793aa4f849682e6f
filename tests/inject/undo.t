#!/usr/bin/env bash
# The undo log: a failure injected after every single change polus-apply makes to a live
# target (POLUS_TEST_FAIL_AT=step:N: the memfd, each mapping, the registry's memfd and
# mapping, the record, the jump), through our own descriptor for the memfd and without
# one (POLUS_NO_PIDFD=1), in a process without a registry and in one with a patch
# already applied. After each: exit 4, one error line naming the step, and the target as
# before (its maps, descriptors, code bytes at the site, registry bytes, polus-status),
# no new code ran, no EINTR, it still answers; then a normal apply works. Last, an undo
# step that fails (POLUS_TEST_FAIL_UNDO) is named in the error, and the mappings of the
# patch a jump left in place leads to stay (code, data, GOT): the target keeps running.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
make_patch_variant "$FX/p2.so" p2
make_patch_variant "$FX/p3.so" p3
SITE="compute:$(sym_addr "$FX/target" compute)"

state() { target_state "$SITE"; }

# walk_steps PATCH MIN: fail after step 1, 2, ... until the apply says the step is past
# its last change; at least MIN changes; every failure leaves the target as it was.
walk_steps() {
	local patch=$1 min=$2 before n out rc n_new
	before=$(state)
	n_new=$(grep -c '^new direct' "$TLOG")
	for ((n = 1; n < 100; n++)); do
		out=$(POLUS_TEST_FAIL_AT=step:$n "$APPLY" "$TPID" "$patch" 2>&1 >/dev/null)
		rc=$?
		[ $rc = 4 ] || fail "step $n: exit $rc, wanted 4: $out"
		[ "$(printf '%s\n' "$out" | grep -c .)" = 1 ] || fail "step $n: not one error line: $out"
		[ "$(state)" = "$before" ] ||
			{ diff <(echo "$before") <(state) >&2; fail "the failure after step $n left a trace: $out"; }
		[ "$(grep -c '^new direct' "$TLOG")" = "$n_new" ] || fail "new code ran after a failure at step $n"
		no_eintr
		answers || fail "the target does not answer after a failure at step $n"
		case $out in
		*"test failure injected after step $n, "*) ok "undone: ${out#*"after step $n, "}" ;;
		*"test failure: step $n not reached, the apply made $((n - 1)) changes"*) break ;;
		*) fail "step $n: unexpected error: $out" ;;
		esac
	done
	[ $((n - 1)) -ge "$min" ] || fail "$((n - 1)) changes counted, at least $min expected"
}

start_target
wait_blocked
fds=$(ls "/proc/$TPID/fd" | wc -l)
# memfd, a mapping per run (at least 2), the registry's memfd and mapping, record, jump
walk_steps "$FX/p1.so" 7
POLUS_NO_PIDFD=1 walk_steps "$FX/p1.so" 6
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "p1 did not apply after the failed attempts"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
[ "$(ls "/proc/$TPID/fd" | wc -l)" = "$fds" ] || fail "fd count changed"

# with a registry: the record goes after p1's and is taken back byte for byte
walk_steps "$FX/p2.so" 4
POLUS_NO_PIDFD=1 walk_steps "$FX/p2.so" 3
"$APPLY" -q "$TPID" "$FX/p2.so" || fail "p2 did not apply after the failed attempts"
"$STATUS" "$TPID" | grep -q "^process $TPID: 2 polus patches" || fail "status: $("$STATUS" "$TPID")"
wait_blocked
no_eintr
answers || fail "the target does not answer after the applies"
ok "a failure after every change left the target as it was; the patches then applied"

# The jump cannot be taken back: said so, and its destination stays mapped.
last=$(POLUS_TEST_FAIL_AT=step:99 "$APPLY" "$TPID" "$FX/p3.so" 2>&1 | sed -n 's/.*the apply made \([0-9]*\) changes.*/\1/p')
[ -n "$last" ] || fail "no step count for p3"
# what p3 maps: one mapping per run of pages (the step count minus memfd, record, jump)
p3_maps=$((last - 3))
POLUS_TEST_FAIL_UNDO="the jump" expect_fail 4 \
	"injected after step $last, the jump in compute .*; could not undo the jump in compute \(Input/output error\); our registry record kept: the jump in compute is still live; polus:p3 at 0x[0-9a-f]+ (and its [0-9]+ other mappings? )?left mapped: the jump in compute still leads there$" \
	env POLUS_TEST_FAIL_AT=step:$last "$APPLY" "$TPID" "$FX/p3.so"
[ "$(grep -c 'memfd:polus:p3' "/proc/$TPID/maps")" = "$p3_maps" ] ||
	fail "a mapping of the patch the jump leads to was unmapped: $(grep polus:p3 "/proc/$TPID/maps")"
answers || fail "the target does not answer with the jump left in place"
"$STATUS" "$TPID" | grep -q "p3" || fail "polus-status does not show the jump left live: $("$STATUS" "$TPID")"
no_eintr
kill -0 "$TPID" || fail "the target died"
ok "an undo step that fails is reported; the code a jump still leads to stays mapped, and the registry says it runs"
