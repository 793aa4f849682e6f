#!/usr/bin/env bash
# The fork-per-connection example server (examples/mp/forkconn) under load from loadgen
# reconnecting all the time (a process per connection): polus-apply --store --all applies
# v1 -> v2 (built into a store by polus-mkpatch --store)
# to the master and every connection's process (those that end meanwhile are said to),
# 0 failed requests; a connection opened before the update is served by v2 after it (its
# process was patched); every new connection answers v2; polus-status --all agrees.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/multi/lib-mp.sh"
need_mp
build_mp forkconn
start_mp "$TMP/v1/forkconn"
start_load --threads 4 --reconnect 10

# a long-lived connection: asks VERSION once now, once after the update
mkfifo "$TMP/go"
python3 - "$SRV_PORT" "$TMP/go" >"$TMP/old.out" <<'PY' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile()
s.sendall(b"VERSION\n"); print(f.readline().strip(), flush=True)
open(sys.argv[2]).read()
s.sendall(b"VERSION\n"); print(f.readline().strip(), flush=True)
PY
OLD=$!
track_pid $OLD
wait_for 10 grep -q '^VERSION v1 pid=' "$TMP/old.out" || fail "old connection: $(cat "$TMP/old.out")"
old_pid=$(sed -n 's/^VERSION v1 pid=//p' "$TMP/old.out")

# the patch goes through a store (polus-mkpatch --store, polus-apply --store)
"$MKPATCH" "$TMP/v1/forkconn" "$TMP/v2/forkconn" --store "$TMP/store" -o p12.so >"$TMP/mk.log" 2>&1 ||
	fail "polus-mkpatch --store: $(tail -n 3 "$TMP/mk.log")"
[ -f "$TMP/store/$(readelf -n "$TMP/v1/forkconn" | awk '/Build ID/ { print $3 }')/01-p12.so" ] ||
	fail "no 01-p12.so in the store: $(find "$TMP/store")"
"$APPLY" --store "$TMP/store" --all "$TMP/v1/forkconn" >"$TMP/apply.out" 2>&1 ||
	fail "--all: exit $?: $(cat "$TMP/apply.out")"
cat "$TMP/apply.out"
head -n 1 "$TMP/apply.out" | grep -q "^process $SRV_PID (forkconn): applied p12 " ||
	fail "master not first"
grep -q "^process $old_pid (forkconn): applied p12 " "$TMP/apply.out" ||
	fail "the old connection's process not applied"
grep -Eq '^[0-9]+ processes: [0-9]+ updated, [0-9]+ already up to date, 0 not updated' \
	"$TMP/apply.out" || fail "summary"

echo >"$TMP/go"
wait "$OLD"
grep -q "^VERSION v2 pid=$old_pid\$" "$TMP/old.out" || fail "old connection: $(cat "$TMP/old.out")"
ok "a connection opened before the update is served by v2 after it"
python3 - "$SRV_PORT" <<'PY' || fail "new connections"
import socket, sys
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"VERSION\nQUIT\n")
    v = s.makefile().readline().split()[1]
    assert v == "v2", v
PY
consistent "$TMP/v1/forkconn" p12
ok "new connections run v2; status consistent"
stop_load
