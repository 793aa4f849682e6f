#!/usr/bin/env bash
# Repeated applies into one process leak nothing: after each, the fd count is the same
# and the only new mappings are the patch's own (plus the registry, once). A patch that
# requires another is refused until that one is applied. Also: the target runs from a
# stripped copy of its binary that has since been deleted (build-id read through
# /proc/PID/exe), and --json describes the apply. One apply takes the loading path of
# kernels without pidfd_getfd.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
for i in 1 2 3 4 5; do make_patch_variant "$FX/r$i.so" "r$i"; done
r1_bid=$(build_id "$FX/patch-r1.so")
make_patch_variant "$FX/chain.so" chain -r "$r1_bid"

# run a stripped copy, then delete it
cp "$FX/target" "$FX/unstripped"
strip --strip-all "$FX/target"
[ "$(build_id "$FX/target")" = "$(build_id "$FX/unstripped")" ] || fail "strip changed the build-id"
start_target
rm -f "$FX/target"
wait_for 5 grep -q '(deleted)' <(readlink /proc/$TPID/exe) || fail "exe not shown deleted"
wait_blocked

other_maps() { grep -vc 'memfd:polus:' /proc/$TPID/maps; }
fds=$(ls /proc/$TPID/fd | wc -l)
others=$(other_maps)
expect_fail 2 "patch requires patch $r1_bid, which is not applied in process $TPID" \
	"$APPLY" "$TPID" "$FX/chain.so"
for i in 1 2 3 4 5; do
	# r3 loads the way kernels without pidfd_getfd need (through the target only)
	nopidfd=0; [ $i = 3 ] && nopidfd=1
	POLUS_NO_PIDFD=$nopidfd "$APPLY" --json "$TPID" "$FX/r$i.so" >"$TMP/r$i.json" ||
		fail "apply r$i failed"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["patch"] == sys.argv[2] and d["pid"] == int(sys.argv[3]), d
assert d["relocations"] == 12 and d["binds"] == 3 and d["threads"] >= 13, d
assert d["functions"][0]["name"] == "compute" and d["pause_ns"] > 0, d
' "$TMP/r$i.json" "r$i" "$TPID" || fail "bad --json output: $(cat "$TMP/r$i.json")"
	[ "$(ls /proc/$TPID/fd | wc -l)" = "$fds" ] || fail "fd count changed after r$i"
	[ "$(other_maps)" = "$others" ] || fail "non-polus mappings changed after r$i"
	[ "$(grep -c 'memfd:polus:registry' /proc/$TPID/maps)" = 1 ] || fail "registry count"
	[ "$(grep -c "memfd:polus:r$i " /proc/$TPID/maps)" -ge 1 ] || fail "r$i not mapped"
	if [ $i = 1 ]; then
		"$APPLY" -q "$TPID" "$FX/chain.so" || fail "chain refused after r1"
	fi
done
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
wait_blocked
no_eintr
"$STATUS" "$TPID" | grep -q "^process $TPID: 6 polus patches$" || fail "status: $("$STATUS" "$TPID")"
ok "6 applies, no leak; chain order enforced; stripped deleted binary"
