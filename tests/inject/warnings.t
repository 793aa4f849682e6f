#!/usr/bin/env bash
# polus-apply repeats the version file's warnings about functions that never return,
# naming the threads that run them (rip or a stack word inside the whole old function)
# and so keep the old code: main (the main thread, "target", waits in epoll_wait from
# main), worker (two "worker" threads loop in it), h_busy (no such thread without
# --busy-site: nobody runs it). Other warnings are printed as they are; --json too.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
t=$FX/target
new=$(sym_addr "$FX/patch-raw.so" compute)
keeps="running threads keep the old code there"
fn() { echo "$1:$(sym_addr "$t" "$1"):$(sym_size "$t" "$1"):$new:0"; }
make_patch "$FX/w.so" w -f "$(fn main)" -f "$(fn worker)" -f "$(fn h_busy)" \
	-w "main: changed, but it never returns: $keeps" \
	-w "worker: changed, but it is a thread entry (passed to pthread_create) and may never return: $keeps" \
	-w "h_busy: changed, but it is a thread entry (passed to pthread_create) and may never return: $keeps" \
	-w "get_len: changed: objects already built keep the old layout"
start_target
wait_blocked
workers=$(for d in /proc/$TPID/task/*; do [ "$(cat $d/comm)" = worker ] && basename $d; done | sort -n)
[ "$(echo "$workers" | wc -l)" = 2 ] || fail "expected two worker threads: $workers"
w1=$(echo "$workers" | sed -n 1p) w2=$(echo "$workers" | sed -n 2p)
"$APPLY" "$TPID" "$FX/w.so" >"$TMP/out" 2>"$TMP/err" || fail "apply failed: $(cat "$TMP/err")"
cat "$TMP/err"
want() {
	grep -qxF -- "polus-apply: warning: $1" "$TMP/err" || fail "missing warning line: $1"
}
want "main: changed, but it never returns: thread $TPID (target) runs it and keeps the old code"
# the order of the threads is the order polus-apply met them: accept either
grep -qxE -- "polus-apply: warning: worker: changed, but it is a thread entry \(passed to pthread_create\) and may never return: threads ($w1 \(worker\), $w2|$w2 \(worker\), $w1) \(worker\) run it and keep the old code" "$TMP/err" ||
	fail "missing warning line for worker"
want "h_busy: changed, but it is a thread entry (passed to pthread_create) and may never return: no thread runs it now"
want "get_len: changed: objects already built keep the old layout"
[ "$(grep -c warning: "$TMP/err")" = 4 ] || fail "expected 4 warnings"

# --json carries the same text
make_patch_variant "$FX/w2.so" w2 -f "$(fn main)" -w "main: changed, but it never returns: $keeps"
"$APPLY" --json "$TPID" "$FX/w2.so" >"$TMP/j" 2>/dev/null || fail "apply --json failed"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["warnings"] == ["main: changed, but it never returns: thread %s (target) runs it and keeps the old code" % sys.argv[2]], d
' "$TMP/j" "$TPID" || fail "json warnings: $(cat "$TMP/j")"
wait_blocked
no_eintr
ok "never-returning functions: the threads that keep the old code are named"
