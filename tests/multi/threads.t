#!/usr/bin/env bash
# Threads that keep old code (injector/thread_frames.h): a thread whose stack holds a
# return address into a redirected function stays in the old code until that call
# returns; polus-apply names each one, however the thread was started (loop-p by
# pthread_create, loop-c by C11 thrd_create, which polus-mkpatch's thread-entry warning
# cannot see), and with --all per process.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/multi/lib-multi.sh"
need_tools
build_forker
start_forker --threads
P=$FPID
"$APPLY" -q "$P" "$MX/pa.so" || fail "pa"
tid_of() { local d; for d in /proc/$1/task/*; do [ "$(cat "$d/comm")" = "$2" ] && basename "$d"; done; }
lp=$(tid_of "$P" loop-p) lc=$(tid_of "$P" loop-c)
[ -n "$lp" ] && [ -n "$lc" ] || fail "no loop threads"
"$APPLY" "$P" "$MX/pd.so" >"$TMP/out" 2>"$TMP/err" || fail "pd: $(cat "$TMP/err")"
cat "$TMP/err"
keeps="inside it now (a return address on its stack): that call goes on in the old code until it returns, and a loop there keeps it for good"
grep -qxF "polus-apply: warning: loop_p: thread $lp (loop-p) is $keeps" "$TMP/err" || fail "loop-p not named"
grep -qxF "polus-apply: warning: loop_c: thread $lc (loop-c) is $keeps" "$TMP/err" || fail "loop-c not named"
[ "$(grep -c warning: "$TMP/err")" = 2 ] || fail "expected 2 warnings"
ok "threads inside old loops are named, pthread_create'd or not"

# --all: P runs pd already, Q gets it: the warning names Q and its thread
"$MX/forker" "$TMP/f2.log" --threads &
Q=$!
track_pid $Q
wait_for 10 grep -q '^threads ready' "$TMP/f2.log" || fail "second forker"
"$APPLY" --all "$MX/forker" "$MX/pd.so" >"$TMP/all.out" 2>"$TMP/all.err" || fail "--all: $(cat "$TMP/all.err")"
cat "$TMP/all.err"
qlp=$(tid_of "$Q" loop-p)
grep -qF "polus-apply: process $Q (forker): warning: loop_p: thread $qlp (loop-p) is inside it" "$TMP/all.err" &&
	! grep -q "process $P .*loop_p" "$TMP/all.err" || fail "per-process warnings"
ok "--all: each process's threads named with their process"
