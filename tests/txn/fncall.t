#!/usr/bin/env bash
# rs_fncall: a function of code mapped in the target, called in its hijacked main thread
# through the runtime's trampoline, returns its result (a system call inside it too), and
# the caller killed at every step of the call leaves the target alive, untraced, its
# counter either before or after the call (never else), and answering.
. "$POLUS_TOP/tests/lib.sh"
PROBE=$POLUS_BUILD/tests/rs-probe
need_built "$PROBE"
need_ptrace
gcc -O2 -o "$TMP/fntarget" "$POLUS_TOP/tests/txn/fixtures/fntarget.c" \
	"$POLUS_TOP/runtime/rt_trampoline.S" || fail "cannot build fntarget"
mkfifo "$TMP/in"
"$TMP/fntarget" <"$TMP/in" >"$TMP/log" &
TPID=$!
track_pid $TPID
exec 5>"$TMP/in"
wait_for 10 grep -q '^ready' "$TMP/log" || fail "fntarget did not start"
read -r _ tramp bump pidp < <(sed -n 's/^ready tramp=\(.*\) bump=\(.*\) pid_plus=\(.*\)/x \1 \2 \3/p' "$TMP/log")
n_alive=0
answered() { [ "$(grep -c '^alive' "$TMP/log")" -ge $n_alive ]; }
untraced() { [ "$(awk '/^TracerPid:/ { print $2 }' /proc/$TPID/status)" = 0 ]; }
# alive_with N: the target answers a byte with its counter, N.
alive_with() {
	printf x >&5
	n_alive=$((n_alive + 1))
	wait_for 10 answered ||
		fail "fntarget does not answer: $(tail -2 "$TMP/log")"
	got=$(grep '^alive' "$TMP/log" | sed -n "${n_alive}p" | cut -d' ' -f2)
	[ "$got" = "$1" ] || fail "counter $got, expected $1"
}
out=$("$PROBE" $TPID "$tramp" "$bump" 5) || fail "rs-probe failed"
[ "$out" = "result 10" ] || fail "bump(5) gave '$out'"
alive_with 5
out=$("$PROBE" $TPID "$tramp" "$pidp" 7) || fail "rs-probe failed"
[ "$out" = "result $((TPID + 7))" ] || fail "pid_plus(7) gave '$out', pid $TPID"
ok "results returned, a system call inside the function"
POLUS_TEST_KILL_AT=list "$PROBE" $TPID "$tramp" "$bump" 1 >/dev/null 2>"$TMP/steps" ||
	fail "rs-probe failed"
count=6
total=$(grep -c '^polus: step ' "$TMP/steps")
[ "$total" -ge 4 ] || fail "only $total steps"
alive_with $count
for n in $(seq 1 "$total"); do
	POLUS_TEST_KILL_AT=$n "$PROBE" $TPID "$tramp" "$bump" 1 >/dev/null 2>&1
	[ $? = 137 ] || fail "rs-probe not killed at step $n"
	wait_for 10 untraced ||
		fail "still traced after a kill at step $n"
	printf x >&5
	n_alive=$((n_alive + 1))
	wait_for 10 answered ||
		fail "fntarget dead or stuck after a kill at step $n: $(tail -2 "$TMP/log")"
	got=$(grep '^alive' "$TMP/log" | sed -n "${n_alive}p" | cut -d' ' -f2)
	[ "$got" = $count ] || [ "$got" = $((count + 1)) ] ||
		fail "counter $got after a kill at step $n (was $count)"
	count=$got
done
ok "killed at each of $total steps of a function call: the target went on by itself"
