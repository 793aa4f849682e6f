#!/usr/bin/env bash
# polus demo: update the example server live from v1 to v2 while it is under load.
#
#   make demo          (or examples/demo.sh after `make examples`)
#
# Builds both releases with the plugin, starts v1, loads it with loadgen, shows v1's bug
# (a GET of a 32-byte key fails: an off-by-one in a helper that GCC inlined), prints
# `polus-mkpatch --diff`, builds the patch, applies it to the running process, and shows
# the fix live, the state kept (counters, a static local, the table), the pause the
# program itself measured; then rolls the patch back live (v1's behaviour returns, the
# state stays), applies it again (the copy still mapped is reused), shows the history,
# and loadgen's count of failed requests (it must be 0). Then a server of many processes
# (examples/mp/prefork): a patch built into a store, applied with --all to the master and
# its workers under load, a graceful restart forking workers that already run it,
# polus-status --all at each step, 0 failed requests. Last, examples/coexist: a release
# that inserts a field into the server's state, applied under load while an old request
# keeps writing the old copy (write tracking), until that request returns.
# While a piece of polus is not there yet, the demo goes as far as it can and says what is
# missing. Exit status: 0 if every step it attempted worked. Everything it starts is
# killed on exit, success or not.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
EX=$BUILD/examples
work=$(mktemp -d /tmp/polus-demo.XXXXXX)
pids=()
LONGKEY=k2345678901234567890123456789012

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' Y=$'\e[33m' N=$'\e[0m'; else B= G= R= Y= N=; fi
n=0
section() { n=$((n + 1)); printf '\n%s== %d. %s%s\n' "$B" $n "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
good() { printf '   %s%s%s\n' "$G" "$*" "$N"; }
die() { printf '\n%sdemo failed: %s%s\n' "$R" "$*" "$N"; exit 1; }
# The demo stops early, successfully, where polus is not complete yet.
not_yet() {
	printf '\n%snot there yet: %s%s\n' "$Y" "$*" "$N"
	printf '%sThe demo stops here; every step above worked.%s\n' "$Y" "$N"
	exit 0
}

# ask LINE...: one connection to the server, one reply per line.
ask() {
	local fd line
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf '%s\n' "$@" QUIT >&$fd
	while IFS= read -r -t 10 line <&$fd; do printf '%s\n' "$line"; done
	exec {fd}>&-
}
show() {
	local r
	r=$(ask "$1")
	printf '   > %-40s < %s\n' "$1" "$r"
	reply=$r
}
stat_of() { ask STATS | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# tool NAME: sets TOOL to the path of a polus tool; stops the demo if it is not built.
tool() {
	TOOL=$BUILD/$1
	[ -x "$TOOL" ] || not_yet "$1 is not built ($TOOL)"
}
# run LOG CMD...: runs a polus tool, shows its output; a "not implemented" answer stops
# the demo, any other failure fails it.
run() {
	local log=$1 rc=0
	shift
	printf '   $ %s\n' "$(echo "$*" | sed "s|$top/||g")"
	"$@" >"$log" 2>&1 || rc=$?
	sed 's/^/     /' "$log"
	if [ $rc -ne 0 ]; then
		grep -qi 'not implemented' "$log" && not_yet "$(basename "$1") answers: $(grep -i -m1 'not implemented' "$log")"
		die "$(basename "$1") exited $rc"
	fi
}

section "Build both releases (with the plugin recording metadata)"
[ -f "$BUILD/polus.so" ] || say "${Y}the plugin $BUILD/polus.so is not built: releases built without it${N}"
make -s -C "$top" examples >"$work/build.log" 2>&1 || { cat "$work/build.log"; die "make examples failed"; }
for v in v1 v2; do
	if readelf -S "$EX/$v/server" | grep -q '\.polus\.meta'; then
		say "${EX#$top/}/$v/server: $(stat -c %s "$EX/$v/server") bytes, metadata in .polus.meta"
	else
		say "${EX#$top/}/$v/server: no metadata"
	fi
done

section "Start release 1 and give it some state"
mkfifo "$work/hold"
"$EX/v1/server" --port 0 --threads 4 --hold-fifo "$work/hold" >"$work/server.out" 2>&1 &
srv=$!
pids+=($srv)
for _ in $(seq 500); do grep -q '^listening' "$work/server.out" && break; sleep 0.02; done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/server.out")
[ -n "$port" ] || die "the server did not start: $(cat "$work/server.out")"
say "server pid $srv on 127.0.0.1:$port"
show "SET $LONGKEY fits"
show "SET greeting hello"
show "INCR visits"
show "INCR visits"

section "Put it under load"
"$EX/loadgen" --port "$port" --threads 2 --rollbacks 1 >"$work/load.out" 2>"$work/load.err" &
load=$!
pids+=($load)
for _ in $(seq 500); do grep -q '^running' "$work/load.err" && break; sleep 0.02; done
grep -q '^running' "$work/load.err" || die "loadgen did not start: $(cat "$work/load.err")"
sleep 1 # let the load run a moment, for the figures below
say "loadgen: 2 threads, $(stat_of requests) requests served so far"

section "The bug in release 1"
show "GET $LONGKEY"
[ "$reply" = "ERR bad key" ] || die "v1 should refuse the 32-byte key"
say "SET accepts a 32-byte key, but GET refuses it: parse_key() checks n >= 32."
if nm "$EX/v1/server" | grep -qw parse_key; then
	say "parse_key is a function of its own in this build"
else
	say "parse_key has no symbol in v1's binary: GCC inlined it into cmd_get, cmd_mget, cmd_incr"
fi
show "VERSION"

section "What changed from v1 to v2"
tool polus-mkpatch
mkpatch=$TOOL
readelf -S "$EX/v1/server" | grep -q '\.polus\.meta' || not_yet "the releases carry no metadata (is the plugin built?)"
run "$work/diff.log" "$mkpatch" --diff "$EX/v1/server" "$EX/v2/server"

section "Build the patch"
patch=$EX/p12.so
rm -f "$patch"
run "$work/mkpatch.log" "$mkpatch" "$EX/v1/server" "$EX/v2/server" -o "$patch"
[ -f "$patch" ] || die "polus-mkpatch wrote no $patch"
say "${patch#$top/}: $(stat -c %s "$patch") bytes"

section "Apply it to the running server (pid $srv), under load"
tool polus-apply
apply=$TOOL
hold=
exec {hold}<>"/dev/tcp/127.0.0.1/$port" && printf 'HOLD\n' >&$hold && IFS= read -r -t 10 line <&$hold
say "a HOLD request is running in v1 code, blocked until we release it ($line)"
calls0=$(stat_of stats_calls)
ask HBRESET >/dev/null
t0=$(date +%s%N)
run "$work/apply.log" "$apply" "$srv" "$patch"
t1=$(date +%s%N)
good "applied in $(((t1 - t0) / 1000000)) ms (end to end, as the operator sees it)"

section "Release 2's behaviour, release 1's state"
show "GET $LONGKEY"
[ "$reply" = "VALUE fits" ] || die "the fix is not live"
show "MGET $LONGKEY greeting"
show "INCR visits"
[ "$reply" = "INT 3" ] || die "the table lost its state"
show "VERSION"
calls1=$(stat_of stats_calls)
say "STATS has run $calls1 times: a static local inside the replaced cmd_stats (was $calls0)"
timeout 10 bash -c 'echo go >"$1"' _ "$work/hold"
IFS= read -r -t 10 line <&$hold
say "the HOLD request that was running during the update finished in old code: $line"
[ "$line" = "HELD v1" ] || die "the held request should answer HELD v1"
good "longest time the server could not run, measured by its own heartbeat thread:" \
	"$(stat_of hb_max_gap_us) us (period $(stat_of hb_period_us) us)"
say "system calls of the server that returned EINTR: $(stat_of eintr)"
[ "$(stat_of eintr)" = 0 ] || die "the update interrupted a system call of the server"

section "What polus-status says"
tool polus-status
run "$work/status.log" "$TOOL" "$srv"

section "Roll it back, live"
tool polus-rollback
rollback=$TOOL
tool polus-status # TOOL stays polus-status for the sections below
status=$TOOL
run "$work/rollback.log" "$rollback" "$srv"
show "GET $LONGKEY"
[ "$reply" = "ERR bad key" ] || die "release 1's behaviour is not back"
show "INCR visits"
[ "$reply" = "INT 4" ] || die "the table lost its state in the rollback"
show "VERSION"
say "the patch stays mapped (a thread may still run it; pointers into it may have escaped)"

section "Apply it again: the copy still mapped is reused"
maps0=$(grep -c 'memfd:polus:' "/proc/$srv/maps")
run "$work/apply2.log" "$apply" "$srv" "$patch"
show "GET $LONGKEY"
[ "$reply" = "VALUE fits" ] || die "the fix is not live again"
good "polus mappings before and after: $maps0, $(grep -c 'memfd:polus:' "/proc/$srv/maps")"
run "$work/history.log" "$status" --history "$srv"
say "system calls of the server that returned EINTR: $(stat_of eintr)"
[ "$(stat_of eintr)" = 0 ] || die "a rollback interrupted a system call of the server"

section "The load generator's verdict"
kill -INT $load
rc=0
wait $load || rc=$?
say "$(cat "$work/load.out")"
[ $rc -eq 0 ] || die "loadgen saw failed requests: $(cat "$work/load.err")"
good "no request failed while the server was updated"

# ---- many processes: examples/mp/prefork (a master, 3 workers of 4 threads) ----
MP=$EX/mp
mpver() { # mpver: one new connection's VERSION answer
	local fd line
	exec {fd}<>"/dev/tcp/127.0.0.1/$mport" || return 1
	printf 'VERSION\nQUIT\n' >&$fd
	IFS= read -r -t 10 line <&$fd
	exec {fd}>&-
	printf '%s\n' "$line"
}

section "A server of many processes: a master and 3 pre-forked workers (release 1)"
"$MP/v1/prefork" --port 0 --workers 3 --threads 4 >"$work/mp.out" 2>&1 &
master=$!
pids+=($master)
for _ in $(seq 500); do grep -q '^generation 1' "$work/mp.out" && break; sleep 0.02; done
mport=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/mp.out")
[ -n "$mport" ] || die "prefork did not start: $(cat "$work/mp.out")"
say "master $master, workers $(sed -n 's/^generation 1: //p' "$work/mp.out"), on 127.0.0.1:$mport"
"$EX/loadgen" --port "$mport" --threads 4 --reconnect 20 >"$work/mpload.out" 2>"$work/mpload.err" &
mload=$!
pids+=($mload)
for _ in $(seq 500); do grep -q '^running' "$work/mpload.err" && break; sleep 0.02; done
say "loadgen: 4 threads, a new connection every 100 requests (any worker may answer)"
say "a new connection: $(mpver)"
run "$work/mpstatus0.log" "$TOOL" --all "$MP/v1/prefork"

section "Update every process of that build: polus-apply --all"
run "$work/mpmk.log" "$mkpatch" "$MP/v1/prefork" "$MP/v2/prefork" --store "$work/store" -o mp12.so --quiet
say "the patch went into a store: $(cd "$work/store" && find . -name '*.so' | sed 's|^\./||')"
run "$work/mpapply.log" "$apply" --store "$work/store" --all "$MP/v1/prefork"
run "$work/mpstatus1.log" "$TOOL" --all "$MP/v1/prefork"
say "new connections: $(mpver); $(mpver); $(mpver)"

section "A graceful restart forks new workers from the patched master"
kill -HUP "$master"
for _ in $(seq 500); do grep -q '^generation 2' "$work/mp.out" && break; sleep 0.02; done
say "new workers: $(sed -n 's/^generation 2: //p' "$work/mp.out") (the old ones finish their connections)"
gen2=" $(sed -n 's/^generation 2: //p' "$work/mp.out") "
for _ in $(seq 100); do # until a new worker answers (the old ones stop accepting)
	v=$(mpver)
	[[ $gen2 == *" ${v##*pid=} "* ]] && break
done
say "they were born running the patch: $v"
for _ in $(seq 250); do
	old=0
	for p in $(sed -n 's/^generation 1: //p' "$work/mp.out"); do [ -e /proc/$p ] && old=1; done
	[ $old = 0 ] && break
	sleep 0.02
done
run "$work/mpstatus2.log" "$TOOL" --all "$MP/v1/prefork"
kill -INT $mload
rc=0
wait $mload || rc=$?
say "$(cat "$work/mpload.out")"
[ $rc -eq 0 ] || die "loadgen saw failed requests: $(cat "$work/mpload.err")"
good "no request failed while every process of the server was updated"

# ---- state whose layout changes: examples/coexist (write tracking of old code) ----
CX=$EX/coexist
section "State whose layout changes while an old request keeps writing it"
"$CX/v1/server" --port 0 >"$work/cx.out" 2>&1 &
pids+=($!)
cx=$!
for _ in $(seq 500); do grep -q '^listening' "$work/cx.out" && break; sleep 0.02; done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/cx.out")
[ -n "$port" ] || die "examples/coexist did not start: $(cat "$work/cx.out")"
exec {watch}<>"/dev/tcp/127.0.0.1/$port"
echo WATCH >&$watch
IFS= read -r -t 10 line <&$watch
python3 "$top/examples/coexist/load.py" "$port" 4 "$work/cxstop" >"$work/cxload.out" 2>"$work/cxload.err" &
cxload=$!
pids+=($cxload)
for _ in $(seq 500); do grep -q '^running' "$work/cxload.err" && break; sleep 0.02; done
say "examples/coexist v1 (pid $cx): 4 clients send HIT back to back; a WATCH request"
say "($line) runs in v1 code, adding a tick to its state every millisecond."
say "Release 2 inserts a field in the middle of that state (struct stats)."
run "$work/cxmk.log" "$mkpatch" "$CX/v1/server" "$CX/v2/server" -o "$work/cx12.so" --quiet
printf '   $ %s\n' "polus-apply $cx cx12.so   (returns when the WATCH returns)"
"$apply" "$cx" "$work/cx12.so" >"$work/cxapply.log" 2>&1 &
cxapply=$!
for _ in $(seq 500); do grep -q '^coexistence: ' "$work/cxapply.log" && break; sleep 0.02; done
grep -v '^polus-apply: warning' "$work/cxapply.log" | sed 's/^/     /'
show VERSION
show STATS
run "$work/cxstatus.log" "$TOOL" "$cx"
touch "$work/cxstop"
wait $cxload || die "requests failed: $(cat "$work/cxload.out" "$work/cxload.err")"
echo DONE >&$watch
IFS= read -r -t 10 line <&$watch
say "the WATCH returned in v1 code: $line (hits as its old copy saw them)"
wait $cxapply || die "polus-apply failed: $(cat "$work/cxapply.log")"
sed -n 's/^coexistence ended/     coexistence ended/p' "$work/cxapply.log"
show STATS
say "clients: $(cat "$work/cxload.out")"
good "both sides' writes kept across the layout change, no request failed"
printf '\n%sdemo complete%s\n' "$G" "$N"
