#!/usr/bin/env bash
# The example itself, without polus: v1 has the bug in an inlined helper (a GET of a
# 32-byte key fails) and v2 fixes it; both serve loadgen with no failed request; HOLD
# answers the release it ran in; no system call returned EINTR.
. "$POLUS_TOP/tests/lib.sh"
. ./e2e.sh
need_loadgen
build_release v1 -O2 plain
build_release v2 -O2 plain

# The bug must sit in code that GCC inlines: no out-of-line parse_key in v1 at -O2.
! nm "$BIN_v1" | grep -qw parse_key || fail "parse_key is not inlined at -O2"
ok "parse_key is inlined everywhere in v1 -O2"

for ver in v1 v2; do
	bin=BIN_$ver
	start_server "${!bin}" --threads 3
	start_load "$SRV_PORT" 2
	expect_reply "$SRV_PORT" "SET $LONGKEY long" OK
	if [ $ver = v1 ]; then
		expect_reply "$SRV_PORT" "GET $LONGKEY" "ERR bad key"
		expect_reply "$SRV_PORT" "MGET $LONGKEY" "ERR bad key"
	else
		expect_reply "$SRV_PORT" "GET $LONGKEY" "VALUE long"
		expect_reply "$SRV_PORT" "MGET $LONGKEY nokey" "VALUES long -"
	fi
	expect_reply "$SRV_PORT" VERSION "VERSION $ver"
	hold_open "$SRV_PORT"
	expect_reply "$SRV_PORT" PING PONG
	got=$(hold_release)
	[ "$got" = "HELD $ver" ] || fail "HOLD answered '$got'"
	ok "HOLD -> $got"
	a=$(stat_of "$SRV_PORT" stats_calls)
	b=$(stat_of "$SRV_PORT" stats_calls)
	[ "$b" -eq $((a + 1)) ] || fail "stats_calls went from $a to $b"
	stop_load
	[ "$(stat_of "$SRV_PORT" eintr)" = 0 ] || fail "a system call returned EINTR"
	kill "$SRV_PID"
done
