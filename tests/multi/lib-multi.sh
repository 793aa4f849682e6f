# Helpers of the multi-process tests (tests/multi/*.t). Source after tests/lib.sh; it
# takes need_tools, sym_addr, sym_size, build_id, $APPLY and $STATUS from lib-inject.sh.
# build_forker: compiles the forker fixture, its two patches ($MX/pa.so, $MX/pb.so, each
# with its version file) and mkvf into $MX.
# start_forker: starts $MX/forker with log $FLOG, sets FPID.
. "$POLUS_TOP/tests/inject/lib-inject.sh"
MX=$TMP/mx
MXSRC=$POLUS_TOP/tests/multi/fixtures
FLOG=$TMP/forker.log

# fpatch NAME [-r REQUIRED-BUILD-ID] FN...: $MX/NAME.so from $MXSRC/NAME.c, redirecting
# each FN of forker, binding __polus_b_0 to forker's `calls`.
fpatch() {
	local name=$1 t=$MX/forker fn args=(); shift
	[ "$1" != -r ] || { args+=(-r "$2"); shift 2; }
	gcc -O2 -fPIC -shared -o "$MX/$name-raw.so" "$MXSRC/$name.c" || fail "cannot build $name"
	for fn in "$@"; do
		args+=(-f "$fn:$(sym_addr "$t" "$fn"):$(sym_size "$t" "$fn"):$(sym_addr "$MX/$name-raw.so" "$fn"):1")
	done
	"$MX/mkvf" "$name" "$(build_id "$t")" "${args[@]}" \
		-b "__polus_b_0:calls:$(sym_addr "$t" calls):0" >"$MX/$name.yaml" || fail "mkvf failed"
	embed "$MX/$name.so" "$MX/$name-raw.so" "$MX/$name.yaml" # sealed (lib-inject.sh)
}

build_forker() {
	mkdir -p "$MX"
	# a build-id of its own: --all finds processes by build-id, and tests run in parallel
	gcc -O2 -g -flive-patching=inline-clone -pthread -Wl,--build-id=0x$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n') \
		-o "$MX/forker" "$MXSRC/forker.c" ||
		fail "cannot build forker"
	gcc -O2 -I"$POLUS_TOP/versionfiles" -o "$MX/mkvf" "$POLUS_TOP/tests/inject/fixtures/mkvf.c" \
		"$POLUS_BUILD/obj/versionfiles/versionfile.o" -lyaml || fail "cannot build mkvf"
	gcc -O2 -o "$MX/holdtrace" "$POLUS_TOP/tests/inject/fixtures/holdtrace.c" ||
		fail "cannot build holdtrace"
	fpatch pa compute poke
	fpatch pb compute
	fpatch pc -r "$(build_id "$MX/pa.so")" compute
	fpatch pd compute loop_p loop_c
}

# hold_trace PID: another tracer on PID (polus-apply then exits 3), tracked; sets HOLDER.
hold_trace() {
	"$MX/holdtrace" "$1" >"$TMP/hold.$1" &
	HOLDER=$!
	track_pid $HOLDER
	wait_for 10 grep -q traced "$TMP/hold.$1" || fail "holdtrace did not attach to $1"
}

# start_forker [--threads]
start_forker() {
	: >"$FLOG"
	"$MX/forker" "$FLOG" "$@" &
	FPID=$!
	track_pid $FPID
	wait_for 10 grep -q "^pid=$FPID r=20" "$FLOG" || fail "forker did not start: $(cat "$FLOG")"
}

# more_than N PATTERN: $FLOG has more than N lines matching PATTERN.
more_than() { [ "$(grep -c -- "$2" "$FLOG")" -gt "$1" ]; }

# fork_child PID: PID forks; sets CHILD (tracked) once it logged its first result.
fork_child() {
	local n
	n=$(grep -c "^child [0-9]* of $1\$" "$FLOG")
	kill -USR1 "$1"
	wait_for 10 more_than "$n" "^child [0-9]* of $1\$" ||
		fail "process $1 did not fork"
	CHILD=$(sed -n "s/^child \([0-9]*\) of $1\$/\1/p" "$FLOG" | tail -n 1)
	track_pid "$CHILD"
	wait_for 10 grep -q "^pid=$CHILD r=" "$FLOG" || fail "child $CHILD does not run"
}

# result PID: the last result PID logged (compute(10) now, after a SIGHUP report).
result() {
	local n
	n=$(grep -c "^pid=$1 report" "$FLOG")
	kill -HUP "$1"
	wait_for 10 more_than "$n" "^pid=$1 report" ||
		fail "process $1 did not report"
	sed -n "s/^pid=$1 report r=//p" "$FLOG" | tail -n 1
}

# patches PID: the names of the patches polus-status lists for PID, space separated.
patches() {
	"$STATUS" "$1" | sed -n 's/^patch \([^ ]*\) .*/\1/p' | tr '\n' ' ' | sed 's/ $//'
}
