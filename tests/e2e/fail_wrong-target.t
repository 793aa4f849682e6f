#!/usr/bin/env bash
# A patch built for v1 must be refused, with one clear line and exit 2 ("does not apply to
# this process"), by a process that runs v2; the process goes on serving unharmed.
. "$POLUS_TOP/tests/lib.sh"
. ./e2e.sh
need_polus
make_patch -O2
start_server "$BIN_v2" --threads 2
start_load "$SRV_PORT" 2
# named mappings only: a worker's first request under load creates its malloc arena
# (anonymous mappings) at a time of its own
named_maps() { awk 'NF >= 6' "/proc/$SRV_PID/maps" | wc -l; }
maps0=$(named_maps)
[ -e "$POLUS_BUILD/polus-apply" ] || fail "polus-apply not built (run make)"
expect_fail 2 'build|does not apply' "$POLUS_BUILD/polus-apply" "$SRV_PID" "$PATCH"
[ "$(named_maps)" -eq "$maps0" ] && ! grep -q "memfd:polus" "/proc/$SRV_PID/maps" ||
	fail "the refused apply left mappings behind: $(grep "memfd:polus" "/proc/$SRV_PID/maps")"
expect_reply "$SRV_PORT" VERSION "VERSION v2"
stop_load
[ "$(stat_of "$SRV_PORT" eintr)" = 0 ] || fail "the refused apply interrupted a system call"
