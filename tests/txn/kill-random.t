#!/usr/bin/env bash
# polus-apply SIGKILLed at random instants of its applies (20 times), the target under
# load from its own busy workers and a client: each time the target lives on untraced with
# its registers intact, answers, holds old or new code as its registry says, keeps no
# polus mapping twice, and a later apply works and leaves no polus descriptor open. Then
# polus-rollback is SIGKILLed at a random instant of a rollback, under the same load: the
# target is healthy and a rollback --all finds every applied record's jump where it
# should be and brings the original code back.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
. "$POLUS_TOP/tests/txn/lib-txn.sh"
. "$POLUS_TOP/tests/rollback/lib-rollback.sh"
txn_setup

# sleep_into SPAN-US: sleeps a random part of SPAN-US microseconds (AT: how long).
sleep_into() {
	AT=$(((RANDOM * 32768 + RANDOM) % $1))
	sleep "$(printf '0.%06d' "$AT")"
}

# how long an apply takes here: the kills fall within it
start_regs_target
ORIG=$(compute_head)
t0=$(date +%s%N)
"$APPLY" -q "$TPID" "$FX/p1.so" || fail "apply failed"
span_us=$((($(date +%s%N) - t0) / 1000))
t0=$(date +%s%N)
"$ROLLBACK" -q "$TPID" || fail "rollback failed"
rb_us=$((($(date +%s%N) - t0) / 1000))
stop_target
RANDOM=$$
for i in $(seq 1 20); do
	start_regs_target
	( while answers; do :; done ) 2>/dev/null &
	load=$!
	track_pid $load
	"$APPLY" -q "$TPID" "$FX/p1.so" >/dev/null 2>&1 &
	ap=$!
	sleep_into "$span_us"
	at=$AT
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
	( while answers; do :; done ) 2>/dev/null &
	load=$!
	track_pid $load
	"$ROLLBACK" -q "$TPID" >/dev/null 2>&1 &
	rp=$!
	sleep_into "$rb_us"
	at=$AT
	kill -9 $rp 2>/dev/null
	wait $rp 2>/dev/null
	kill $load 2>/dev/null
	wait $load 2>/dev/null
	healthy "rollback kill $i (${at} us into it)"
	"$ROLLBACK" -q --all "$TPID" >"$TMP/later.out" 2>&1 ||
		fail "rollback kill $i: rollback --all failed: $(tail -2 "$TMP/later.out")"
	[ "$(compute_head)" = "$ORIG" ] || fail "rollback kill $i: compute not back to its code"
	healthy "the rollback --all after rollback kill $i"
	stop_target
done
ok "20 random kills of an apply and 20 of a rollback under load: the target healthy and consistent each time"
