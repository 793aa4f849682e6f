#!/usr/bin/env bash
# polus-apply SIGKILLed at random instants of its applies (20 times), the target under
# load from its own busy workers and a client: each time the target lives on untraced with
# its registers intact, answers, holds old or new code as its registry says, keeps no
# polus mapping twice, and a later apply works and leaves no polus descriptor open.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
. "$POLUS_TOP/tests/txn/lib-txn.sh"
txn_setup

# how long an apply takes here: the kills fall within it
start_regs_target
ORIG=$(compute_head)
t0=$(date +%s%N)
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "apply failed"
span_us=$((($(date +%s%N) - t0) / 1000))
stop_target
RANDOM=$$
for i in $(seq 1 20); do
	start_regs_target
	( while answers; do :; done ) 2>/dev/null &
	load=$!
	track_pid $load
	"$APPLY" -q "$TPID" "$FX/p1.so" >/dev/null 2>&1 &
	ap=$!
	at=$((RANDOM * 32768 + RANDOM))
	at=$((at % span_us))
	sleep "$(printf '0.%06d' "$at")"
	kill -9 $ap 2>/dev/null
	wait $ap 2>/dev/null
	kill $load 2>/dev/null
	wait $load 2>/dev/null
	healthy "kill $i (${at} us into the apply)"
	consistent p1 "kill $i"
	"$APPLY" -q "$TPID" "$FX/p2.so" >"$TMP/later.out" 2>&1 ||
		fail "kill $i: a later apply failed: $(tail -2 "$TMP/later.out")"
	healthy "the apply after kill $i"
	[ -z "$(polus_fds)" ] || fail "kill $i: polus descriptors left: $(polus_fds)"
	stop_target
done
ok "20 random kills under load: the target healthy and consistent each time"
