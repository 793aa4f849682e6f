# Helpers of the stop-free tests over tests/mkpatch/live (a padded build with the plugin).
# Source after tests/lib.sh and tests/mkpatch/lib-mkpatch.sh.
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
APPLY=$POLUS_BUILD/polus-apply
ROLLBACK=$POLUS_BUILD/polus-rollback
STATUS=$POLUS_BUILD/polus-status
need_built "$APPLY"
need_built "$ROLLBACK"
need_ptrace

# build_live: v1/prog, v2/prog and p.so (with p.yaml) in the current directory.
build_live() {
	local v
	for v in v1 v2; do
		mkdir -p $v && cp "$POLUS_TOP/tests/mkpatch/live/$v/main.c" $v/ || fail "copy"
		(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"
	done
	"$MK" -q v1/prog v2/prog -o p.so || fail "patch build"
}

# site_state PID: old, new or mixed (tests/stopfree/sites.py); text_of PID: the bytes of
# the redirected functions, padding included.
site_state() { python3 "$POLUS_TOP/tests/stopfree/sites.py" state "$1"; }
text_of() { python3 "$POLUS_TOP/tests/stopfree/sites.py" bytes "$1"; }

# registry_state PID: "applied" when polus-status records p applied, else "none".
registry_state() {
	"$STATUS" --json "$1" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print("applied" if any(p["state"] == "applied" for p in j.get("patches", [])) else "none")'
}

# free_running PID: no thread of PID is stopped or traced.
free_running() {
	local t st
	for t in /proc/$1/task/*; do
		st=$(awk '/^State:/ {print $2}' "$t/status")
		case $st in t | T) fail "thread ${t##*/} is stopped ($st)" ;; esac
		[ "$(awk '/^TracerPid:/ {print $2}' "$t/status")" = 0 ] ||
			fail "thread ${t##*/} is traced"
	done
}

# answer N: the program's answer to N, its request counter left out.
answer() {
	local before
	before=$(wc -l <out.txt)
	echo "$1" >&3
	wait_for 10 _more_lines "$before" || fail "no answer to $1"
	tail -n 1 out.txt | cut -d' ' -f1-4
}
OLD_ANSWER="10 6 16 40" NEW_ANSWER="16 10 38 41"

# The live server (tests/stopfree/fixtures/live_server.c) and its helpers (live.py).
LIVE="python3 $POLUS_TOP/tests/stopfree/live.py"
# build_server: v1/srv, v2/srv (RELEASE 2) and srv.so
build_server() {
	local v
	for v in 1 2; do
		mkdir -p v$v && sed "s/^#define RELEASE 1$/#define RELEASE $v/" \
			"$POLUS_TOP/tests/stopfree/fixtures/live_server.c" >v$v/live_server.c || fail "copy"
		(cd v$v && gcc -O2 -g -pthread -fplugin="$PLUGIN" -o srv live_server.c) || fail "building v$v"
	done
	"$MK" -q v1/srv v2/srv -o srv.so || fail "patch build"
	[ "$(grep -c '^  padded: true$' srv.yaml)" = "$(grep -c '^  redirect: true$' srv.yaml)" ] ||
		fail "not every redirected function is padded: $(cat srv.yaml)"
}

# start_server ARGS...: SPID, PORT
start_server() {
	v1/srv "$@" >srv.out 2>&1 &
	SPID=$!
	track_pid $SPID
	wait_for 10 grep -q '^port ' srv.out || fail "the server did not start: $(cat srv.out)"
	PORT=$(sed -n 's/^port //p' srv.out)
}
q() { $LIVE ask "$PORT" "$1"; }

