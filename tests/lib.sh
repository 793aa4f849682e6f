# Shared helpers for polus's shell tests. Source it first: . "$POLUS_TOP/tests/lib.sh"
# Every process a test starts is registered with track_pid and killed on exit,
# pass or fail. Waits poll a condition until a deadline; a sleep is never a proof.
set -u
: "${POLUS_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${POLUS_BUILD:=$POLUS_TOP/build}"
: "${POLUS_SAN_BUILD:=$POLUS_TOP/build/san}"
export POLUS_TOP POLUS_BUILD POLUS_SAN_BUILD
PLUGIN=$POLUS_BUILD/polus.so
TMP=$(mktemp -d /tmp/polus-t.XXXXXX)
_tracked=()

track_pid() { _tracked+=("$1"); }

_cleanup() {
	local p
	for p in "${_tracked[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${_tracked[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap _cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
ok() { echo "ok: $*"; }

# A product that `make check` builds, or a polus step, that is missing or fails FAILS the
# test; only facts of the machine (no ptrace permission, not root, no AVX2...) skip.

# need_built FILE...: each FILE exists (make check builds it).
need_built() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || fail "$f not built (make check builds it)"
	done
}

# need_plugin: $PLUGIN loads and records: a probe unit ($TMP/probe.c) compiled with it
# carries a format-1 .polus.meta record.
need_plugin() {
	need_built "$PLUGIN"
	echo 'int probe(int x) { return x + 1; }' >"$TMP/probe.c"
	${CC:-gcc} -O2 -fplugin="$PLUGIN" -c -o "$TMP/probe.o" "$TMP/probe.c" 2>"$TMP/probe.err" ||
		fail "the plugin fails in record mode: $(head -n 1 "$TMP/probe.err")"
	objcopy --dump-section .polus.meta="$TMP/probe.meta" "$TMP/probe.o" "$TMP/probe2.o" 2>/dev/null
	head -n 1 "$TMP/probe.meta" 2>/dev/null | grep -q $'^polus-meta\t1$' ||
		fail "$PLUGIN wrote no .polus.meta record"
}

# need_ptrace: this process may ptrace a process it did not start (as polus-apply does);
# a container without CAP_SYS_PTRACE or yama's ptrace_scope 3 cannot: skip.
need_ptrace() {
	local p why
	sleep 60 &
	p=$!
	track_pid $p
	why=$(python3 - $p <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(0x4206, int(sys.argv[1]), None, None) != 0:  # PTRACE_SEIZE
    print(os.strerror(ctypes.get_errno()))
    sys.exit(1)
PY
	)
	local rc=$?
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	[ $rc -eq 0 ] || skip "no permission to ptrace here: $why"
}

# wait_for SECONDS CMD...: polls CMD every 20 ms until it succeeds or the deadline passes.
wait_for() {
	local secs=$1; shift
	local end=$(($(date +%s%N) + secs * 1000000000))
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s%N)" -lt $end ] || return 1
		sleep 0.02
	done
}

# unit_test NAME: runs the C unit test build*/tests/NAME in the normal build and under
# ASan+UBSan (both built by make check); fails when either is missing or fails. Exit 77
# from it (a fact of the machine, its last line says which) skips.
unit_test() {
	local b out rc
	for b in "$POLUS_BUILD" "$POLUS_SAN_BUILD"; do
		[ -x "$b/tests/$1" ] || fail "$b/tests/$1 not built (run make check)"
		out=$("$b/tests/$1" 2>&1)
		rc=$?
		printf '%s\n' "$out"
		[ $rc -ne 77 ] || skip "$(printf '%s\n' "$out" | tail -n 1)"
		[ $rc -eq 0 ] || fail "$1 failed in $b (exit $rc)"
		ok "$1 in $b"
	done
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# expect_fail RC_WANTED PATTERN CMD...: CMD must exit with a non-zero code (RC_WANTED, or
# any non-zero if RC_WANTED is '*') and print exactly one line to stderr matching PATTERN.
expect_fail() {
	local want=$1 pat=$2; shift 2
	local out rc
	out=$("$@" 2>&1 >/dev/null); rc=$?
	[ $rc -ne 0 ] || fail "expected failure from: $* (got exit 0)"
	[ "$want" = '*' ] || [ $rc -eq "$want" ] || fail "exit $rc, wanted $want from: $*: $out"
	[ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] || fail "wanted one error line from: $*, got: $out"
	printf '%s\n' "$out" | grep -Eq -- "$pat" || fail "error line '$out' does not match /$pat/"
	ok "refused ($rc): $out"
}
