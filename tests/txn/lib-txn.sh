# Helpers of the transaction tests (tests/txn/*.t). Source after tests/lib.sh and
# tests/inject/lib-inject.sh. The target runs with --regs: its main thread (the one
# polus-apply hijacks) waits in a raw read(2) holding magic values in its general and
# vector registers, and checks them each time a byte arrives through its pipe.

# txn_setup: tools and an AVX2 CPU needed, the fixtures built, p2 (a variant of p1), and
# COMPUTE (compute's name:address for code_bytes).
txn_setup() {
	need_tools
	grep -qw avx2 /proc/cpuinfo || skip "no AVX2 on this CPU (the fixture checks ymm registers)"
	build_fixtures
	make_patch_variant "$FX/p2.so" p2
	COMPUTE=compute:$(sym_addr "$FX/target" compute)
}

# compute_head: the first 5 bytes of compute in the running target, in hex.
compute_head() { code_bytes "$COMPUTE" | cut -d' ' -f2 | cut -c1-10; }

# start_regs_target: start_target --regs, main thread in its read; sets RFD and NCHECK.
start_regs_target() {
	start_target --regs
	RFD=$(sed -n 's/^regs pipe=//p' "$TLOG")
	[ -n "$RFD" ] || fail "no regs pipe in the log"
	NCHECK=0
}

# not_held: no thread of the target is stopped or traced.
not_held() {
	local d st tp rest
	for d in /proc/$TPID/task/*; do
		st=$(sed 's/^.*) //' "$d/stat" 2>/dev/null | cut -c1)
		case $st in t | T) return 1 ;; esac
		tp=$(awk '/^TracerPid:/ { print $2 }' "$d/status" 2>/dev/null)
		[ "${tp:-0}" = 0 ] || return 1
	done
}

# polus_fds: the target's descriptors naming a polus memfd (none outside an apply).
polus_fds() {
	local f
	for f in /proc/$TPID/fd/*; do
		case $(readlink "$f" 2>/dev/null) in /memfd:polus:*) echo "$f" ;; esac
	done
}

# healthy WHAT: alive, not held, its main thread's registers intact after it went back
# to its read, still serving, nothing bad logged.
healthy() {
	local st
	st=$(sed 's/^.*) //' "/proc/$TPID/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ] || fail "target died ($1): $(tail -3 "$TLOG")"
	wait_for 10 not_held || fail "target left stopped or traced ($1)"
	wait_for 10 thread_in target 0 || fail "main thread not back in its read ($1)"
	printf x >"/proc/$TPID/fd/$RFD" || fail "cannot write to the target's pipe ($1)"
	NCHECK=$((NCHECK + 1))
	wait_for 10 grep -q "^main regs ok $NCHECK read=1 " "$TLOG" ||
		fail "no register check $NCHECK after $1: $(tail -3 "$TLOG")"
	answers || fail "target does not answer ($1)"
	! grep -E '^(BAD|SIGTRAP|SIGSEGV|STATE)' "$TLOG" ||
		fail "the target reported ($1): $(grep -E '^(BAD|SIG|STATE)' "$TLOG" | head -3)"
}

# stop_target: kills the current target and waits for it.
stop_target() {
	kill -9 "$TPID" 2>/dev/null
	wait "$TPID" 2>/dev/null
}

# consistent NAME WHAT: compute holds its old code ($ORIG, its first 5 bytes in hex) or a
# jump, and the registry records patch NAME exactly when it jumps; each polus mapping (an
# image, the runtime, the registry) is there once at most. Needs COMPUTE and ORIG.
consistent() {
	local code st m
	code=$(compute_head)
	st=$("$STATUS" "$TPID" 2>&1) || fail "$2: polus-status failed: $st"
	if [ "$code" = "$ORIG" ]; then
		! grep -q "^patch $1 " <<<"$st" || fail "$2: $1 recorded, compute unchanged: $st"
	else
		[ "${code:0:2}" = e9 ] || fail "$2: compute holds neither its code nor a jump: $code"
		grep -q "^patch $1 " <<<"$st" || fail "$2: compute switched, $1 not recorded: $st"
	fi
	for m in $(awk '$6 ~ /^\/memfd:polus:/ { print $6 }' "/proc/$TPID/maps" | sort -u); do
		[ "$(awk -v m="$m" '$6 == m { print $5 }' "/proc/$TPID/maps" | sort -u | wc -l)" -le 1 ] ||
			fail "$2: $m mapped more than once"
	done
}
