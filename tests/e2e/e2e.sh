# Helpers for the end-to-end tests: build releases of the example server, run them,
# talk to them, load them with loadgen, and drive the polus tools. Source after lib.sh.
# Every polus tool is part of `make check`'s build: a missing tool or a failing step
# fails the test (a skip here would hide a regression).
EX_SRC=$POLUS_TOP/examples/server
LOADGEN=$POLUS_BUILD/examples/loadgen
HOLD_FIFO=$TMP/hold.fifo
LONGKEY=k2345678901234567890123456789012 # 32 bytes: TABLE_KEY_MAX, refused by v1's GET

need_loadgen() {
	[ -x "$LOADGEN" ] || fail "loadgen not built ($LOADGEN missing; run make)"
}

# need_tool NAME [DIR]: DIR/NAME must exist (DIR defaults to $POLUS_BUILD).
need_tool() {
	local p=${2:-$POLUS_BUILD}/$1
	[ -e "$p" ] || fail "$1 not built ($p missing; run make)"
}

# step LOG CMD...: runs CMD, output to LOG. Fails the test if CMD is missing; if CMD
# fails, prints LOG and returns CMD's status.
step() {
	local log=$1 rc=0
	shift
	[ -e "$1" ] || fail "$(basename "$1") not built ($1 missing; run make)"
	"$@" >"$log" 2>&1 || rc=$?
	[ $rc -eq 0 ] && return 0
	echo "--- $* (exit $rc):"
	cat "$log"
	return $rc
}

# build_release VER OPT [plain]: builds examples/server/VER with OPT and the plugin (or
# without it: plain) in $TMP/VER; sets BIN_<VER> to the binary.
build_release() {
	local ver=$1 opt=$2 dir=$TMP/$1 plug="-fplugin=$PLUGIN"
	[ "${3:-}" = plain ] && plug=
	rm -rf "$dir"
	cp -r "$EX_SRC/$ver" "$dir"
	make -s -C "$dir" clean >/dev/null
	step "$TMP/build-$ver.log" /usr/bin/make -C "$dir" CFLAGS="$opt -g $plug" server ||
		fail "building $ver with $opt $plug failed"
	eval "BIN_$ver=\$dir/server"
}

# has_meta BIN: the binary carries record-mode metadata.
has_meta() {
	readelf -S "$1" 2>/dev/null | grep -q '\.polus\.meta'
}

# meta_of BIN: prints the .polus.meta records.
meta_of() {
	local out=$TMP/meta.$$.$RANDOM
	objcopy --dump-section .polus.meta="$out" "$1" "$out.junk" && tr -d '\0' <"$out"
	rm -f "$out" "$out.junk"
}

# start_server BIN [ARGS...]: starts it on a port it picks; sets SRV_PID and SRV_PORT.
start_server() {
	local bin=$1
	shift
	SRV_OUT=$TMP/server.$RANDOM.out
	[ -p "$HOLD_FIFO" ] || mkfifo "$HOLD_FIFO"
	"$bin" --port 0 --hold-fifo "$HOLD_FIFO" "$@" >"$SRV_OUT" 2>&1 &
	SRV_PID=$!
	track_pid $SRV_PID
	wait_for 10 grep -q '^listening on 127.0.0.1:' "$SRV_OUT" ||
		fail "server did not start: $(cat "$SRV_OUT")"
	SRV_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$SRV_OUT")
}

# server_state: for a failure message when the server answered nothing: still running, or
# how it ended and what it printed.
server_state() {
	local rc=0
	if kill -0 "$SRV_PID" 2>/dev/null; then
		echo "server $SRV_PID still running"
	else
		wait "$SRV_PID" 2>/dev/null || rc=$?
		echo "server $SRV_PID ended with status $rc: $(tail -n 20 "$SRV_OUT")"
	fi
}

# ask PORT LINE...: sends the lines on one connection, prints the replies.
ask() {
	local port=$1 fd line
	shift
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf '%s\n' "$@" QUIT >&$fd
	while IFS= read -r -t 10 line <&$fd; do printf '%s\n' "$line"; done
	exec {fd}>&-
}

# expect_reply PORT LINE WANT: the reply to LINE must be exactly WANT.
expect_reply() {
	local got
	got=$(ask "$1" "$2")
	[ -n "$got" ] || fail "'$2' had no answer, wanted '$3'; $(server_state)"
	[ "$got" = "$3" ] || fail "'$2' answered '$got', wanted '$3'"
	ok "'$2' -> '$got'"
}

# stat_of PORT FIELD: one field of STATS.
stat_of() {
	ask "$1" STATS | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# start_load PORT THREADS [LOADGEN OPTIONS...]: runs loadgen until stop_load; sets LOAD_PID.
start_load() {
	"$LOADGEN" --port "$1" --threads "$2" "${@:3}" >"$TMP/load.out" 2>"$TMP/load.err" &
	LOAD_PID=$!
	track_pid $LOAD_PID
	wait_for 20 grep -q '^running' "$TMP/load.err" || fail "loadgen did not start: $(cat "$TMP/load.err")"
}

# stop_load: stops loadgen; fails the test if any request failed. Sets LOAD_SUMMARY.
stop_load() {
	local rc=0
	kill -INT "$LOAD_PID"
	wait "$LOAD_PID" || rc=$?
	LOAD_SUMMARY=$(cat "$TMP/load.out")
	[ $rc -eq 0 ] || fail "loadgen exit $rc: $LOAD_SUMMARY $(cat "$TMP/load.err")"
	case $LOAD_SUMMARY in
	*" failed=0 "*) ok "load: $LOAD_SUMMARY" ;;
	*) fail "load: $LOAD_SUMMARY" ;;
	esac
}

# hold_open PORT: starts a HOLD request; returns once the server is inside its handler.
hold_open() {
	local line
	exec {HOLD_FD}<>"/dev/tcp/127.0.0.1/$1" || fail "cannot connect for HOLD"
	printf 'HOLD\n' >&$HOLD_FD
	IFS= read -r -t 10 line <&$HOLD_FD || true
	[ "$line" = HOLDING ] || fail "HOLD answered '$line'"
}

# hold_release: lets the held request finish; prints its final answer (HELD vN).
hold_release() {
	local line=
	timeout 10 bash -c 'echo go >"$1"' _ "$HOLD_FIFO" || fail "nobody reads the hold fifo"
	IFS= read -r -t 10 line <&$HOLD_FD || true
	exec {HOLD_FD}>&-
	printf '%s\n' "$line"
}

# nfds PID / nmaps PID: open descriptors; mappings that are not polus's own (the runtime
# and patch objects: a .so whose path names polus, or a memfd).
nfds() {
	ls "/proc/$1/fd" | wc -l
}
nmaps() {
	awk '!($6 ~ /memfd:/ || ($6 ~ /polus/ && $6 ~ /\.so/))' "/proc/$1/maps" | wc -l
}

# own_fds PID: its descriptors that are not TCP connections (the listening socket, epoll
# instances, files, pipes, memfds: what an apply could leak). A client's connection is
# accepted by the server some time after the client's connect() returned, and closed some
# time after the client saw the reply: counting those would race with every client. The fd
# list is read before the socket table, so a connection accepted or closed meanwhile can
# only be counted as the process's own, never hide one of its own: compare with wait_for.
own_fds() {
	local pid=$1 f l ino conns=" " n=0 tab
	local -a fds=("/proc/$pid/fd/"*)
	for tab in "/proc/$pid/net/tcp" "/proc/$pid/net/tcp6"; do
		[ -r "$tab" ] || continue
		conns+=$(awk 'FNR > 1 && $4 != "0A" { printf "%s ", $10 }' "$tab")
	done
	for f in "${fds[@]}"; do
		l=$(readlink "$f") || continue # closed since the listing
		case $l in
		socket:\[*\])
			ino=${l#socket:\[}
			[[ $conns == *" ${ino%]} "* ]] && continue
			;;
		esac
		n=$((n + 1))
	done
	echo "$n"
}

# own_fds_are PID N / nfds_are PID N: conditions for wait_for.
own_fds_are() { [ "$(own_fds "$1")" -eq "$2" ]; }
nfds_are() { [ "$(nfds "$1")" -eq "$2" ]; }

# fd_listing PID: what a descriptor failure prints.
fd_listing() {
	ls -l "/proc/$1/fd" | sed -n 's/.* \([0-9]* -> .*\)/\1/p' | tr '\n' ' '
}

# expect_fds PID N WHAT: once every client connection is left out, PID has N descriptors
# (a connection being accepted or closed is given 10 s to settle; a leak never does).
expect_fds() {
	wait_for 10 own_fds_are "$1" "$2" ||
		fail "$3: $(own_fds "$1") descriptors besides client connections, wanted $2: $(fd_listing "$1")"
}

# expect_no_conns PID N WHAT: once every client has gone, PID has N descriptors again.
expect_no_conns() {
	wait_for 10 nfds_are "$1" "$2" ||
		fail "$3: $(nfds "$1") descriptors with every client gone, wanted $2: $(fd_listing "$1")"
}

# need_polus [INJ_DIR]: the plugin, mkpatch, and polus-apply/-status (from INJ_DIR).
need_polus() {
	need_loadgen
	need_tool polus.so
	need_tool polus-mkpatch
	need_tool polus-apply "${1:-$POLUS_BUILD}"
	need_tool polus-status
	need_ptrace
}

# make_patch OPT: builds v1 and v2 with the plugin at OPT and the patch $TMP/p12.so.
make_patch() {
	build_release v1 "$1"
	build_release v2 "$1"
	has_meta "$BIN_v1" || fail "the plugin recorded no .polus.meta in $BIN_v1"
	PATCH=$TMP/p12.so
	step "$TMP/mkpatch.log" "$POLUS_BUILD/polus-mkpatch" "$BIN_v1" "$BIN_v2" -o "$PATCH" ||
		fail "polus-mkpatch failed"
	[ -f "$PATCH" ] || fail "polus-mkpatch wrote no $PATCH"
	ok "built $(basename "$PATCH"): $(tr '\n' ' ' <"$TMP/mkpatch.log" | cut -c1-300)"
}

# make_chain OPT: make_patch OPT, v3 built too, and $P23: v2 -> v3 on top of p12 (the
# chain form of docs/patch-format.md: the base binary, the patches it runs, the new
# release).
make_chain() {
	make_patch "$1"
	build_release v3 "$1"
	P23=$TMP/p23.so
	step "$TMP/mkpatch23.log" "$POLUS_BUILD/polus-mkpatch" "$BIN_v1" "$PATCH" "$BIN_v3" -o "$P23" ||
		fail "polus-mkpatch (chain) failed"
}

# live_update OPT INJ_DIR: the whole story on one process. v1 runs with state in its
# counters, a static local and the table; loadgen loads it; a HOLD keeps one invocation
# of changed code open; polus-apply (from INJ_DIR) applies the patch. Then the fix is
# live through the direct call (GET) and the table's function pointer (MGET), every
# piece of state is kept, the held request finishes in v1 while a new one runs v2, no
# request failed, no system call returned EINTR, and nothing leaked.
live_update() {
	local opt=$1 inj=$2 calls0 calls1 fds0 maps0 maps1 req0 req1 keys0 held
	need_polus "$inj"
	make_patch "$opt"

	start_server "$BIN_v1" --threads 4
	expect_reply "$SRV_PORT" "SET $LONGKEY long" OK
	expect_reply "$SRV_PORT" "SET plain kept" OK
	ask "$SRV_PORT" "INCR hits" "INCR hits" "INCR hits" >/dev/null
	expect_reply "$SRV_PORT" "GET $LONGKEY" "ERR bad key"
	fds0=$(own_fds "$SRV_PID") # no client connected: each ask's connection is closed
	start_load "$SRV_PORT" 2
	hold_open "$SRV_PORT"
	req0=$(stat_of "$SRV_PORT" requests)
	keys0=$(stat_of "$SRV_PORT" keys)
	calls0=$(stat_of "$SRV_PORT" stats_calls)
	maps0=$(nmaps "$SRV_PID")
	ask "$SRV_PORT" HBRESET >/dev/null

	step "$TMP/apply.log" "$inj/polus-apply" "$SRV_PID" "$PATCH" || fail "polus-apply failed"
	ok "applied: $(tail -n 3 "$TMP/apply.log" | tr '\n' ' ')"
	# Same threads as before the apply: only polus's mappings may be new, and no descriptor
	# (client connections come and go with loadgen; they are counted once it has stopped).
	expect_fds "$SRV_PID" "$fds0" "after the apply"
	maps1=$(nmaps "$SRV_PID")
	[ "$maps1" -eq "$maps0" ] ||
		fail "mappings besides polus's own: $maps0 before, $maps1 after: $(cat /proc/$SRV_PID/maps)"
	ok "no leak: $fds0 descriptors besides client connections, other mappings $maps0 -> $maps1"
	calls1=$(stat_of "$SRV_PORT" stats_calls)
	[ -n "$calls1" ] || fail "STATS had no answer after the apply; $(server_state)"
	[ "$calls1" -eq $((calls0 + 1)) ] || fail "static local stats_calls: $calls0 before, $calls1 after"
	ok "static local kept: stats_calls $calls0 -> $calls1"
	echo "pause seen by the heartbeat: $(stat_of "$SRV_PORT" hb_max_gap_us) us" \
		"(period $(stat_of "$SRV_PORT" hb_period_us) us)"

	expect_reply "$SRV_PORT" VERSION "VERSION v2"
	expect_reply "$SRV_PORT" "GET $LONGKEY" "VALUE long"
	expect_reply "$SRV_PORT" "MGET $LONGKEY plain" "VALUES long kept"
	expect_reply "$SRV_PORT" "INCR hits" "INT 4"
	req1=$(stat_of "$SRV_PORT" requests)
	[ "$req1" -gt "$req0" ] || fail "request counter went from $req0 to $req1"
	[ "$(stat_of "$SRV_PORT" keys)" -ge "$keys0" ] || fail "table lost keys"
	ok "counters and table kept: requests $req0 -> $req1, keys >= $keys0"

	held=$(hold_release)
	[ "$held" = "HELD v1" ] || fail "the held invocation answered '$held', wanted 'HELD v1'"
	ok "held invocation finished in old code: $held"
	hold_open "$SRV_PORT"
	held=$(hold_release)
	[ "$held" = "HELD v2" ] || fail "a new HOLD answered '$held', wanted 'HELD v2'"
	ok "new invocation runs new code: $held"

	stop_load
	case $LOAD_SUMMARY in *" v2="*) ;; *) fail "loadgen never saw v2: $LOAD_SUMMARY" ;; esac
	[ "$(stat_of "$SRV_PORT" eintr)" = 0 ] || fail "a system call of the target returned EINTR"
	ok "no EINTR in the target"
	expect_no_conns "$SRV_PID" "$fds0" "load stopped, HOLDs answered"
	ok "no descriptor leaked: $fds0 once every client has gone"


	step "$TMP/status.log" "$POLUS_BUILD/polus-status" "$SRV_PID" || fail "polus-status failed"
	grep -q p12 "$TMP/status.log" || fail "polus-status does not show p12: $(cat "$TMP/status.log")"
	ok "polus-status: $(tr '\n' ' ' <"$TMP/status.log" | cut -c1-300)"
	step "$TMP/status.json" "$POLUS_BUILD/polus-status" --json "$SRV_PID" || fail "polus-status --json failed"
	python3 - "$TMP/status.json" <<'PY' || fail "polus-status --json: $(cat "$TMP/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
p = [p for p in d["patches"] if p["name"] == "p12"]
assert p, "no patch p12"
names = {f["name"] for f in p[0]["functions"]}
assert "cmd_stats" in names and "proto_hold" in names, names
PY
	ok "polus-status --json lists p12 and its functions"
}

# rss_kb PID: resident memory of the process.
rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}
