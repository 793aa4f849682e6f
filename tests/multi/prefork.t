#!/usr/bin/env bash
# The pre-forked example server (examples/mp/prefork: a master, 3 workers of 4 threads)
# under load from loadgen (reconnecting, so connections move between workers): polus-apply
# --all applies v1 -> v2 to the master and every worker, 0 failed requests; every worker
# answers v2; after a graceful restart (SIGHUP) the new workers, forked by the patched
# master, run v2 and carry the patch in their registry; polus-status --all agrees.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/multi/lib-mp.sh"
need_mp
build_mp prefork
start_mp "$TMP/v1/prefork" --workers 3 --threads 4
gen1=$(sed -n 's/^generation 1: //p' "$SRV_OUT")
[ -n "$gen1" ] || fail "no workers: $(cat "$SRV_OUT")"
start_load --threads 6 --reconnect 20
answered_by "$gen1" v1

"$APPLY" --all "$TMP/v1/prefork" "$TMP/p12.so" >"$TMP/apply.out" 2>&1 ||
	fail "--all: exit $?: $(cat "$TMP/apply.out")"
cat "$TMP/apply.out"
grep -q "^process $SRV_PID (prefork): applied p12 " "$TMP/apply.out" || fail "master not applied"
head -n 1 "$TMP/apply.out" | grep -q "^process $SRV_PID " || fail "master not first"
grep -q '^4 processes: 4 updated, 0 already up to date, 0 not updated$' "$TMP/apply.out" ||
	fail "summary"
answered_by "$gen1" v2
consistent "$TMP/v1/prefork" p12
ok "--all: master and workers run v2 under load"

kill -HUP "$SRV_PID"
wait_for 10 grep -q '^generation 2: ' "$SRV_OUT" || fail "no graceful restart"
gen2=$(sed -n 's/^generation 2: //p' "$SRV_OUT")
answered_by "$gen2" v2
for p in $gen2; do
	"$STATUS" "$p" | grep -q '^patch p12 ' || fail "new worker $p: $("$STATUS" "$p")"
done
gone() { local p; for p in $gen1; do [ ! -e /proc/$p ] || return 1; done; }
wait_for 30 gone || fail "old workers did not finish"
consistent "$TMP/v1/prefork" p12
ok "after a graceful restart the new workers run v2 and carry the patch"
stop_load
