#!/usr/bin/env bash
# A patch built for v1 must be refused, with one clear line and exit 2 ("does not apply to
# this process"), by a process that runs v2; the process goes on serving unharmed.
. "$POLUS_TOP/tests/lib.sh"
. ./e2e.sh
need_polus
make_patch -O2
start_server "$BIN_v2" --threads 2
start_load "$SRV_PORT" 2
maps0=$(wc -l <"/proc/$SRV_PID/maps")
[ -e "$POLUS_BUILD/polus-apply" ] || fail "polus-apply not built (run make)"
expect_fail 2 'build|does not apply' "$POLUS_BUILD/polus-apply" "$SRV_PID" "$PATCH"
[ "$(wc -l <"/proc/$SRV_PID/maps")" -eq "$maps0" ] || fail "the refused apply left mappings behind"
expect_reply "$SRV_PORT" VERSION "VERSION v2"
stop_load
[ "$(stat_of "$SRV_PORT" eintr)" = 0 ] || fail "the refused apply interrupted a system call"
