# Helpers of the multi-process example tests (prefork.t, forkconn.t): the two releases of
# examples/mp built with the plugin in $TMP/v1 and $TMP/v2, the patch between them, the
# server under load from loadgen. Source after tests/lib.sh.
APPLY=$POLUS_BUILD/polus-apply
STATUS=$POLUS_BUILD/polus-status
MKPATCH=$POLUS_BUILD/polus-mkpatch
LOADGEN=$POLUS_BUILD/examples/loadgen

need_mp() {
	need_built "$APPLY" "$STATUS" "$MKPATCH" "$LOADGEN"
	need_plugin
	need_ptrace
}

# build_mp PROGRAM: both releases of PROGRAM, and $TMP/p12.so from v1 to v2.
build_mp() {
	local v
	for v in v1 v2; do
		cp -r "$POLUS_TOP/examples/mp/$v" "$TMP/$v" &&
			make -s -C "$TMP/$v" CFLAGS="-O2 -g -fplugin=$PLUGIN" "$1" >"$TMP/build-$v.log" 2>&1 ||
			fail "building $v/$1: $(tail -n 5 "$TMP/build-$v.log")"
	done
	"$MKPATCH" "$TMP/v1/$1" "$TMP/v2/$1" -o "$TMP/p12.so" >"$TMP/mkpatch.log" 2>&1 ||
		fail "polus-mkpatch: $(tail -n 5 "$TMP/mkpatch.log")"
}

# start_mp BIN ARGS...: the server on a free port; SRV_PID, SRV_PORT, SRV_OUT.
start_mp() {
	local bin=$1
	shift
	SRV_OUT=$TMP/server.out
	"$bin" --port 0 "$@" >"$SRV_OUT" 2>&1 &
	SRV_PID=$!
	track_pid $SRV_PID
	wait_for 10 grep -q '^listening on 127.0.0.1:' "$SRV_OUT" ||
		fail "server did not start: $(cat "$SRV_OUT")"
	SRV_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$SRV_OUT")
}

# start_load ARGS...: loadgen on the server (LG_PID, output in $TMP/loadgen.*).
start_load() {
	"$LOADGEN" --port "$SRV_PORT" "$@" >"$TMP/loadgen.out" 2>"$TMP/loadgen.err" &
	LG_PID=$!
	track_pid $LG_PID
	wait_for 20 grep -q '^running' "$TMP/loadgen.err" || fail "loadgen: $(cat "$TMP/loadgen.err")"
}

# stop_load: loadgen's summary must say 0 failed; prints it.
stop_load() {
	kill -INT "$LG_PID"
	wait "$LG_PID"
	local rc=$?
	cat "$TMP/loadgen.out"
	[ $rc = 0 ] && grep -q ' failed=0 ' "$TMP/loadgen.out" ||
		fail "loadgen saw failures (exit $rc): $(cat "$TMP/loadgen.out" "$TMP/loadgen.err")"
}

# answered_by PIDS VERSION [SECS]: new connections until each of PIDS (space separated)
# answered VERSION at least once; every answer of another version fails (the new code).
answered_by() {
	python3 - "$SRV_PORT" "$1" "$2" "${3:-30}" <<'PY' || fail "not every process answers $2"
import socket, sys, time
port, want, ver, secs = int(sys.argv[1]), set(sys.argv[2].split()), sys.argv[3], float(sys.argv[4])
end = time.time() + secs
while want and time.time() < end:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"VERSION\nQUIT\n")
    got = s.makefile().readline().split()
    s.close()
    if got[1] != ver:
        sys.exit(f"process {got[2]} answered {got[1]}")
    want.discard(got[2][4:])
if want:
    sys.exit(f"no answer from {sorted(want)} within {secs} s")
PY
}

# consistent BIN PATCH: polus-status --all BIN says every process runs PATCH.
consistent() {
	"$STATUS" --all "$1" >"$TMP/status.out" || fail "polus-status --all: exit $?"
	tail -n 1 "$TMP/status.out"
	tail -n 1 "$TMP/status.out" | grep -Eq "^[0-9]+ process(es)?: all run $2\$" ||
		fail "status not consistent: $(cat "$TMP/status.out")"
}
