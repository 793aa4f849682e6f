#!/usr/bin/env bash
# polus-apply under load: compute() of a busy multithreaded target is replaced; the new
# code is visible through direct calls and through a function pointer stored before the
# apply; the target's own state (a global, a thread-local) keeps counting; threads blocked
# in accept, read, epoll_wait, futex, nanosleep, poll, sigtimedwait see no EINTR and no
# short wait; polus-status shows the patch; fds and mappings change only as expected.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
make_patch "$FX/p1.so" p1 -w "compute: a test warning"

start_target
wait_blocked
out=$("$STATUS" "$TPID") || fail "polus-status failed on an unpatched process"
[ "$out" = "process $TPID: no polus patches applied" ] || fail "status: $out"
fds_before=$(ls /proc/$TPID/fd | wc -l)
maps_before=$(wc -l </proc/$TPID/maps)

out=$("$APPLY" "$TPID" "$FX/p1.so" 2>"$TMP/err") || fail "apply failed: $(cat "$TMP/err")"
echo "$out"
echo "$out" | grep -Eq '^attached [0-9]+ threads$' || fail "no 'attached' step"
echo "$out" | grep -Eq '^loaded p1 at 0x[0-9a-f]+ \(12 relocations, 3 binds' || fail "no 'loaded' step"
echo "$out" | grep -q '^switched 1 function$' || fail "no 'switched' step"
echo "$out" | grep -Eq '^pause [0-9.]+ ms \(max over [0-9]+ threads; loading held one thread [0-9.]+ ms\)$' || fail "no pause"
grep -q 'warning: compute: a test warning' "$TMP/err" || fail "version file warning not repeated"

wait_for 10 [ "$(grep -c '^new direct' "$TLOG")" -ge 2 ] || fail "new code not reached directly"
wait_for 10 [ "$(grep -c '^new pointer' "$TLOG")" -ge 2 ] || fail "new code not reached through the pointer"
ok "both workers run the new compute(), directly and through the old pointer"

wait_blocked # every blocked thread went back into its call...
no_eintr     # ...without an EINTR or a short wait
exec 3<>/dev/tcp/127.0.0.1/$PORT && read -r -t 5 line <&3 && [ "$line" = ok ] ||
	fail "the accept thread does not answer"
exec 3<&-
ok "blocked threads saw no EINTR and still serve"

[ "$(ls /proc/$TPID/fd | wc -l)" = "$fds_before" ] || fail "fd count changed"
grep -q 'memfd:polus:p1' /proc/$TPID/maps || fail "patch mapping not named polus:p1"
grep -q 'memfd:polus:registry' /proc/$TPID/maps || fail "no registry mapping"
added=$(($(wc -l </proc/$TPID/maps) - maps_before))
patch_maps=$(grep -c 'memfd:polus:' /proc/$TPID/maps)
[ "$added" = "$patch_maps" ] || fail "$added mappings added, $patch_maps are polus's"
ok "only the patch and the registry were mapped; no fd left open"

st=$("$STATUS" "$TPID") || fail "polus-status failed"
echo "$st"
echo "$st" | grep -q "^process $TPID: 1 polus patch$" || fail "status header"
echo "$st" | grep -Eq '^patch p1 .* applied .* pause [0-9.]+ ms' || fail "status patch line"
echo "$st" | grep -Eq '^  compute  0x[0-9a-f]+ -> 0x[0-9a-f]+$' || fail "status function line"
"$STATUS" --json "$TPID" | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = d["patches"][0]
assert p["name"] == "p1" and p["state"] == "applied", p
assert p["pause_ns"] > 0, p
f = p["functions"][0]
assert f["name"] == "compute" and len(f["orig_bytes"]) == 10, f
' || fail "status --json"
ok "polus-status shows the patch"
no_eintr
kill -0 "$TPID" || fail "target died"
