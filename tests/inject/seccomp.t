#!/usr/bin/env bash
# Seccomp: the injector reads the target's filters and runs them on the calls it would
# inject (remote_load's list, the registry's calls included). A filter that forbids
# memfd_create, only the registry's memfd flags (MFD_NOEXEC_SEAL) or only the registry's
# mmap (a file's at address 0) is refused cleanly before anything is done (exit 2, one
# line, target unchanged, no EINTR, it still answers); a filter that forbids something
# else lets the apply through.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures

# refused MODE CALL: under --seccomp=MODE the apply is refused naming CALL, nothing done
refused() {
	start_target --seccomp="$1"
	wait_blocked
	grep -q '^Seccomp:[[:space:]]*2' /proc/$TPID/status || fail "target not in seccomp filter mode"
	before=$(snapshot)
	expect_fail 2 "seccomp filter of thread [0-9]+ forbids $2\\(\\)" "$APPLY" "$TPID" "$FX/p1.so"
	[ "$(snapshot)" = "$before" ] || fail "target changed by a refused apply ($1)"
	"$STATUS" "$TPID" | grep -q 'no polus patch' || fail "status after a refusal: $("$STATUS" "$TPID")"
	wait_blocked
	no_eintr
	answers || fail "the target does not answer after a refusal ($1)"
	kill -9 "$TPID"; wait "$TPID" 2>/dev/null
}
refused deny-memfd memfd_create
refused deny-memfd-noexec-seal memfd_create
refused deny-mmap-file-0 mmap
POLUS_NO_PIDFD=1 refused deny-mmap-file-0 mmap

start_target --seccomp=allow
wait_blocked
"$APPLY" "$TPID" "$FX/p1.so" || fail "apply refused under a filter that allows its calls"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
wait_blocked
no_eintr
ok "filters evaluated: refused when they forbid a call, applied otherwise"
