#!/usr/bin/env bash
# What applying a patch costs the running program.
#   bench/apply.sh [--quick]    (REPEAT=N applies per thread count, default 3)
# 1. Pause and end-to-end time of `polus-apply` on the example server (v1 -> v2, built
#    -O2 with the plugin) with 1, 4, 16 and 64 worker threads, under load from loadgen
#    (2 threads). Pause = the longest gap of the server's own heartbeat thread (200 us
#    period) during the apply; the same measured over an equal window without an apply is
#    the noise floor; the injector's own figure (pause_ns of --json: how long it held the
#    threads stopped) is printed beside it. End to end = polus-apply's wall time. Loadgen's
#    failed requests are counted (they must be 0).
# 2. The example's throughput just before and just after the update (loadgen, SECS=3 s),
#    against a second, unpatched server loaded at the same time as a control; also the
#    server's CPU time per request (from /proc/PID/stat), which other load disturbs less.
# 3. The cost of a patched call: bench/callcost (a trivial function called in a loop,
#    CPU time per call) release 1 live-updated to release 2 (a jump at the old entry),
#    against itself before the update and against release 2 built and run natively at the
#    same time.
# 4. Both switches side by side (docs/stopfree.md): tests/stopfree/fixtures/live_server.c
#    with 1, 4, 16 and 64 threads (a sixteenth busy calling the patched function, the others
#    blocked in epoll, a futex, nanosleep, accept; a heartbeat thread, 100 us period) and a
#    client asking all along, built with the plugin twice: padded entries (the stop-free
#    switch, on the runtime's agent: no thread of the program stopped) and without them
#    (-fpatchable-function-entry=0: the stop-the-world switch). Each server is patched and
#    rolled back once first (the runtime and its agent are then there, as after any first
#    apply). Pause = the heartbeat's longest gap during the apply, floor = the same over as
#    long without one; end to end = polus-apply's wall time; threads held = how long
#    polus-apply held threads of the program (--json pause_ns: 0 for stop-free); agent =
#    how long the runtime's agent was held (--json agent_ns).
# Parts whose tools do not exist yet are skipped, saying so.
. "$(dirname "$0")/lib.sh"
SECS=${SECS:-3}
threads=(${THREADS:-1 4 16 64})
case ${1:-} in
--quick) threads=(1 4); REPEAT=1 ;;
--help | -h) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
"") ;;
*) echo "apply.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac
loadgen=$BUILD/examples/loadgen
mkpatch=$BUILD/polus-mkpatch
apply=$BUILD/polus-apply

# missing WHAT: says a part is skipped; returns 0 if something is missing.
missing() {
	local t
	for t in "$@"; do
		if [ ! -e "$t" ]; then
			echo "SKIPPED $part: $(basename "$t") not built yet ($t)"
			return 0
		fi
	done
	return 1
}
# try LOG CMD...: runs a polus tool; on failure says why and returns non-zero.
try() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 && return 0
	if grep -qi 'not implemented' "$log"; then
		echo "SKIPPED $part: $(grep -i -m1 'not implemented' "$log")"
	else
		echo "FAILED $part: $* : $(tail -n 3 "$log" | tr '\n' ' ')"
		status=1
	fi
	return 1
}
status=0

start_server() { # BIN THREADS: sets pid, port
	local out=$work/server.$RANDOM
	"$1" --port 0 --threads "$2" >"$out" 2>&1 &
	pid=$!
	pids+=($pid)
	for _ in $(seq 500); do grep -q '^listening' "$out" && break; sleep 0.02; done
	port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out")
	[ -n "$port" ]
}
ask() { # LINE: one request, one reply
	local fd line
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf '%s\nQUIT\n' "$1" >&$fd
	IFS= read -r -t 10 line <&$fd
	exec {fd}>&-
	printf '%s\n' "$line"
}
stat_of() { ask STATS | tr ' ' '\n' | sed -n "s/^$1=//p"; }
start_load() {
	"$loadgen" --port "$port" --threads 2 >"$work/load.out" 2>"$work/load.err" &
	lpid=$!
	pids+=($lpid)
	for _ in $(seq 500); do grep -q '^running' "$work/load.err" && break; sleep 0.02; done
}
stop_load() { # sets summary to loadgen's summary line; returns its status
	local rc=0
	kill -INT "$lpid"
	wait "$lpid" || rc=$?
	summary=$(cat "$work/load.out")
	return $rc
}

machine
part="apply pause and time"
patch_ready=0
if ! missing "$PLUGIN" "$mkpatch" "$loadgen"; then
	for v in v1 v2; do
		cp -r "$top/examples/server/$v" "$work/$v"
		make -s -C "$work/$v" clean >/dev/null
		make -s -C "$work/$v" CFLAGS="-O2 -g -fplugin=$PLUGIN" server >/dev/null || exit 1
	done
	try "$work/mkpatch.log" "$mkpatch" "$work/v1/server" "$work/v2/server" -o "$work/p12.so" &&
		patch_ready=1
fi
if [ $patch_ready = 1 ] && ! missing "$apply"; then
	echo "== $part: example server -O2, loadgen 2 threads, median of $REPEAT"
	for t in "${threads[@]}"; do
		ends=() pauses=() floors=() injs=() fails=0
		for ((r = 1; r <= REPEAT; r++)); do
			start_server "$work/v1/server" "$t" || exit 1
			start_load
			sleep 0.5
			ask HBRESET >/dev/null
			t0=$(date +%s%N)
			try "$work/apply.log" "$apply" --json "$pid" "$work/p12.so" || break 2
			t1=$(date +%s%N)
			pauses+=("$(stat_of hb_max_gap_us)")
			injs+=("$(sed -n 's/.*"pause_ns":\([0-9]*\).*/\1/p' "$work/apply.log" | awk '{print int($1 / 1000)}')")
			ends+=($(((t1 - t0) / 1000)))
			# The noise floor: the heartbeat's longest gap over as long, with no apply.
			ask HBRESET >/dev/null
			sleep "$(awk -v us=$(((t1 - t0) / 1000)) 'BEGIN {printf "%.3f", us / 1e6}')"
			floors+=("$(stat_of hb_max_gap_us)")
			[ "$(ask VERSION)" = "VERSION v2" ] || { echo "FAILED $part: not v2 after the apply"; status=1; }
			stop_load || fails=$((fails + 1))
			kill -9 "$pid"
			wait "$pid" 2>/dev/null
		done
		printf '  %2d workers: apply %7.1f ms end to end   pause %6d us (floor without apply %6d us; injector says %6d us)   loadgen runs with failures: %d\n' \
			"$t" "$(awk -v u="$(median "${ends[@]}")" 'BEGIN {print u / 1000}')" \
			"$(median "${pauses[@]}")" "$(median "${floors[@]}")" "$(median "${injs[@]}")" "$fails"
		echo "      runs: apply us ${ends[*]}; pause us ${pauses[*]}; floor us ${floors[*]}; injector us ${injs[*]}; last load: $summary"
	done
fi

part="stop-free against stop-the-world"
if ! missing "$PLUGIN" "$mkpatch" "$apply" "$BUILD/polus-rollback"; then
	live="python3 $top/tests/stopfree/live.py"
	for kind in padded unpadded; do
		extra=$([ $kind = unpadded ] && echo -fpatchable-function-entry=0)
		for v in 1 2; do
			mkdir -p "$work/$kind$v"
			sed "s/^#define RELEASE 1$/#define RELEASE $v/" "$top/tests/stopfree/fixtures/live_server.c" \
				>"$work/$kind$v/live_server.c"
			(cd "$work/$kind$v" && gcc -O2 -g -pthread -fplugin="$PLUGIN" $extra -o srv live_server.c) || exit 1
		done
		try "$work/sf-mk.log" "$mkpatch" "$work/${kind}1/srv" "$work/${kind}2/srv" -o "$work/$kind.so" || break
	done
	# one KIND THREADS: "end_us pause_us floor_us agent_us held_us switch" of one apply
	# (held: how long polus-apply held the program's threads, --json pause_ns)
	one() {
		local out=$work/live.$RANDOM t0 t1 pause
		"$work/${1}1/srv" --threads "$2" >"$out" 2>&1 &
		pid=$!
		pids+=($pid)
		for _ in $(seq 500); do grep -qs '^port' "$out" && break; sleep 0.02; done
		port=$(sed -n 's/^port //p' "$out")
		rm -f "$work/cstop"
		$live client "$port" "$work/cstop" 2 >"$work/client.out" &
		cpid=$!
		"$apply" -q "$pid" "$work/$1.so" >"$work/sf-fail.log" 2>&1 &&
			"$BUILD/polus-rollback" -q "$pid" >>"$work/sf-fail.log" 2>&1 || { kill -9 "$pid" $cpid; return 1; }
		sleep 0.3
		$live ask "$port" GAP >/dev/null
		t0=$(date +%s%N)
		"$apply" --json "$pid" "$work/$1.so" >"$work/sf-apply.json" 2>"$work/sf-fail.log" ||
			{ kill -9 "$pid" $cpid; return 1; }
		t1=$(date +%s%N)
		pause=$($live ask "$port" GAP)
		sleep "$(awk -v us=$(((t1 - t0) / 1000)) 'BEGIN {printf "%.3f", us / 1e6}')"
		touch "$work/cstop"
		wait $cpid
		grep -q ' failed 0$' "$work/client.out" || { echo "FAILED $part: $(cat "$work/client.out")"; status=1; }
		echo "$(((t1 - t0) / 1000)) $pause $($live ask "$port" GAP)" \
			"$(sed -n 's/.*"agent_ns":\([0-9]*\).*/\1/p' "$work/sf-apply.json" | awk '{print int($1 / 1000)}')" \
			"$(sed -n 's/.*"pause_ns":\([0-9]*\).*/\1/p' "$work/sf-apply.json" | awk '{print int($1 / 1000)}')" \
			"$(sed -n 's/.*"switch":"\([a-z-]*\)".*/\1/p' "$work/sf-apply.json")"
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		return 0
	}
	if [ -e "$work/unpadded.so" ]; then
		echo "== $part: tests/stopfree/fixtures/live_server.c -O2, client 2 threads, median of $REPEAT"
		runs=
		for t in "${threads[@]}"; do
			line="  $(printf '%2d' "$t") threads:"
			for kind in unpadded padded; do
				ends=() pauses=() floors=() agents=() helds=() sw=
				for ((r = 1; r <= REPEAT; r++)); do
					res=$(one $kind "$t") || {
						echo "FAILED $part ($kind, $t threads): $(tail -n 2 "$work/sf-fail.log")"
						status=1
						continue 3
					}
					read -r e p f a h sw <<<"$res"
					ends+=("$e") pauses+=("$p") floors+=("$f") agents+=("$a") helds+=("$h")
				done
				line+=$(printf '   %s: apply %6.1f ms, pause %6d us (floor %6d us), threads held %5d us' "$sw" \
					"$(awk -v u="$(median "${ends[@]}")" 'BEGIN {print u / 1000}')" \
					"$(median "${pauses[@]}")" "$(median "${floors[@]}")" "$(median "${helds[@]}")")
				[ "$sw" = stop-free ] && line+=" agent $(median "${agents[@]}") us"
				runs+="      $t $sw runs: apply us ${ends[*]}; pause us ${pauses[*]}; floor us ${floors[*]}"$'\n'
			done
			echo "$line"
		done
		printf '%s' "$runs"
	fi
fi

part="throughput before/after"
if [ $patch_ready = 0 ]; then
	echo "SKIPPED $part: no patch to apply (see above)"
elif ! missing "$apply"; then
	# Two v1 servers side by side, each loaded by its own loadgen (1 thread) at the same
	# time: A gets the patch, B is the control that sees the same machine load.
	echo "== $part: two -O2 servers (4 workers) loaded together, loadgen 1 thread each x $SECS s"
	start_server "$work/v1/server" 4 || exit 1
	pa=$pid porta=$port
	start_server "$work/v1/server" 4 || exit 1
	pb=$pid portb=$port
	both() { # prints "rpsA rpsB"
		"$loadgen" --port "$porta" --threads 1 --duration "$SECS" >"$work/la" 2>/dev/null &
		local l=$!
		"$loadgen" --port "$portb" --threads 1 --duration "$SECS" >"$work/lb" 2>/dev/null
		wait $l
		echo "$(sed 's/.* rps=\([0-9]*\).*/\1/' "$work/la") $(sed 's/.* rps=\([0-9]*\).*/\1/' "$work/lb")"
	}
	# cpu PID PORT: "ticks requests": the server's CPU time so far and requests served.
	cpu() {
		local p=$port t
		port=$2
		t=$(awk '{print $14 + $15}' "/proc/$1/stat")
		echo "$t $(stat_of requests)"
		port=$p
	}
	# per_req BEFORE AFTER: CPU microseconds per request between two cpu() samples.
	per_req() {
		awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {
			split(a, x, " "); split(b, y, " ")
			printf "%.2f", (y[1] - x[1]) * 1e6 / hz / (y[2] - x[2]) }'
	}
	ca0=$(cpu "$pa" "$porta") cb0=$(cpu "$pb" "$portb")
	b1=$(both)
	ca1=$(cpu "$pa" "$porta") cb1=$(cpu "$pb" "$portb")
	if try "$work/apply.log" "$apply" --quiet "$pa" "$work/p12.so"; then
		port=$porta
		[ "$(ask VERSION)" = "VERSION v2" ] || { echo "FAILED $part: A is not v2"; status=1; }
		ca2=$(cpu "$pa" "$porta") cb2=$(cpu "$pb" "$portb")
		a1=$(both)
		ca3=$(cpu "$pa" "$porta") cb3=$(cpu "$pb" "$portb")
		ua=$(per_req "$ca0" "$ca1") ub=$(per_req "$cb0" "$cb1") va=$(per_req "$ca2" "$ca3") vb=$(per_req "$cb2" "$cb3")
		echo "  before: A (v1) ${b1% *} rps, $ua us CPU/request   B (v1) ${b1#* } rps, $ub us CPU/request"
		echo "  after:  A (v1 patched to v2) ${a1% *} rps, $va us CPU/request   B (v1) ${a1#* } rps, $vb us CPU/request"
		echo "  A's change relative to B: rps $(awk -v a="${a1% *}" -v b="${a1#* }" -v c="${b1% *}" -v d="${b1#* }" 'BEGIN {printf "%.3f", (a / b) / (c / d)}')," \
			"CPU per request $(awk -v a="$va" -v b="$vb" -v c="$ua" -v d="$ub" 'BEGIN {printf "%.3f", (a / b) / (c / d)}')"
	fi
	kill -9 "$pa" "$pb"
	wait "$pa" "$pb" 2>/dev/null
fi

part="patched-call overhead"
if ! missing "$PLUGIN" "$mkpatch" "$apply"; then
	for v in v1 v2; do
		mkdir -p "$work/cc-$v"
		cp "$top/bench/callcost/$v/callcost.c" "$work/cc-$v/"
		(cd "$work/cc-$v" && gcc -O2 -g -fplugin="$PLUGIN" -c callcost.c && gcc -o callcost callcost.o) || exit 1
	done
	# ns FILE FROM: median and least ns_per_call of the 9 batches after line FROM of FILE.
	ns() {
		local want=$(($2 + 9)) v
		for _ in $(seq 3000); do [ "$(wc -l <"$1")" -ge $want ] && break; sleep 0.02; done
		v=$(sed -n "$(($2 + 1)),${want}p" "$1" | sed 's/ns_per_call=\([0-9.]*\).*/\1/')
		echo "$(median $v) $(best_min $v)"
	}
	if try "$work/cc.log" "$mkpatch" "$work/cc-v1/callcost" "$work/cc-v2/callcost" -o "$work/cc.so"; then
		# Both run side by side, so the machine's other load hits both the same way.
		: >"$work/cc-v1.out"
		: >"$work/cc-v2.out"
		"$work/cc-v2/callcost" >"$work/cc-v2.out" &
		p2=$!
		"$work/cc-v1/callcost" >"$work/cc-v1.out" &
		p1=$!
		pids+=($p1 $p2)
		unpatched=$(ns "$work/cc-v1.out" 1)
		native0=$(ns "$work/cc-v2.out" 1)
		if try "$work/cc-apply.log" "$apply" --quiet "$p1" "$work/cc.so"; then
			n1=$(wc -l <"$work/cc-v1.out") n2=$(wc -l <"$work/cc-v2.out")
			patched=$(ns "$work/cc-v1.out" $((n1 + 1)))
			native=$(ns "$work/cc-v2.out" $((n2 + 1)))
			echo "== $part: ns per call of a trivial function (9 batches of 20M calls; median, best)"
			echo "  before: v1 unpatched $unpatched ns   v2 native $native0 ns   v1/v2 ${unpatched%% *} / ${native0%% *} = $(ratio "${unpatched%% *}" "${native0%% *}")"
			echo "  after:  v1 patched to v2 $patched ns   v2 native $native ns   patched/native median $(ratio "${patched%% *}" "${native%% *}"), best $(ratio "${patched##* }" "${native##* }")"
			echo "  v1 patched / v1 unpatched (medians): $(ratio "${patched%% *}" "${unpatched%% *}");" \
				"the same with v2's drift over the same time divided out: $(awk -v a="${patched%% *}" \
				-v b="${unpatched%% *}" -v c="${native%% *}" -v d="${native0%% *}" 'BEGIN {printf "%.3f", (a / b) / (c / d)}')"
		fi
		kill -9 $p1 $p2
		wait $p1 $p2 2>/dev/null
	fi
fi
exit $status
