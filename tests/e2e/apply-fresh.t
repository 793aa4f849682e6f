#!/usr/bin/env bash
# The same patch applied to three fresh v1 processes under load, with the sanitized
# injector: every apply succeeds, makes v2 live, fails no request, and changes each
# process the same way (the same number of new mappings, no new descriptor: the same
# descriptors besides client connections right after, and the same descriptors once the
# load has stopped): neither the injector nor what it leaves behind depends on a previous run.
. "$POLUS_TOP/tests/lib.sh"
. ./e2e.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
need_polus "$POLUS_SAN_BUILD"
make_patch -O2
deltas=()
both_stored() { [ "$(ask "$1" "GET lg0.0" "GET lg1.0" | grep -c '^VALUE ')" = 2 ]; }
for i in 1 2 3; do
	start_server "$BIN_v1" --threads 2
	fds0=$(own_fds "$SRV_PID") # no client yet
	start_load "$SRV_PORT" 2
	# A worker's first insert creates its malloc arena (new mappings, not the apply's):
	# count once both load connections (one per worker) have stored their first key.
	wait_for 10 both_stored "$SRV_PORT" || fail "run $i: the load stored no key in 10 s"
	all0=$(wc -l <"/proc/$SRV_PID/maps")
	step "$TMP/apply$i.log" "$POLUS_SAN_BUILD/polus-apply" "$SRV_PID" "$PATCH" || fail "apply $i failed"
	! grep -q 'Sanitizer' "$TMP/apply$i.log" || fail "sanitizer report: $(cat "$TMP/apply$i.log")"
	expect_reply "$SRV_PORT" VERSION "VERSION v2"
	expect_fds "$SRV_PID" "$fds0" "run $i, after the apply"
	deltas+=($(($(wc -l <"/proc/$SRV_PID/maps") - all0)))
	stop_load
	expect_no_conns "$SRV_PID" "$fds0" "run $i, load stopped"
	kill -9 "$SRV_PID"
	wait "$SRV_PID" 2>/dev/null
done
echo "mappings added per apply: ${deltas[*]}"
[ "${deltas[0]}" = "${deltas[1]}" ] && [ "${deltas[1]}" = "${deltas[2]}" ] ||
	fail "applies changed the processes differently: ${deltas[*]} new mappings"
ok "three applies, same footprint each: ${deltas[0]} new mappings"
