#!/usr/bin/env bash
# Unwinding through patched code: the patch's compute calls base_helper, which (target
# --unwind) takes a backtrace() once when called from outside the executable and logs
# whether it got past the patched frame into the worker. The patch's .eh_frame is not
# registered (injector/README.md, "Unwinding"): until it is, this test is skipped with
# that reason; a backtrace that does not even reach the patched frame fails.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
start_target --unwind
wait_blocked
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "apply failed"
wait_for 10 grep -q '^unwind ' "$TLOG" || fail "base_helper was not called from the new code"
line=$(grep -m1 '^unwind ' "$TLOG")
echo "$line"
frames=$(echo "$line" | sed -n 's/.*frames=\([0-9]*\).*/\1/p')
[ "$frames" -ge 2 ] || fail "backtrace() did not reach the patched frame: $line"
no_eintr
echo "$line" | grep -q 'through=1' ||
	skip "backtraces stop at patched code: its .eh_frame is not registered (injector/README.md, Unwinding)"
ok "backtrace() unwinds through patched code"
