#!/usr/bin/env bash
# The deployed copy may be stripped (docs/architecture.md, "Build-ids"): the
# patch is built from the unstripped v1 and applied, under load, to a process running
# `strip --strip-all` of the same binary. The fix goes live and no request fails.
. "$POLUS_TOP/tests/lib.sh"
. ./e2e.sh
need_polus
make_patch -O2
strip --strip-all -o "$TMP/server.stripped" "$BIN_v1" || fail "strip failed"
! readelf -S "$TMP/server.stripped" | grep -q '\.symtab' || fail "strip left a symbol table"
start_server "$TMP/server.stripped" --threads 3
expect_reply "$SRV_PORT" "SET $LONGKEY long" OK
expect_reply "$SRV_PORT" "GET $LONGKEY" "ERR bad key"
start_load "$SRV_PORT" 2
step "$TMP/apply.log" "$POLUS_BUILD/polus-apply" "$SRV_PID" "$PATCH" || fail "polus-apply failed"
expect_reply "$SRV_PORT" VERSION "VERSION v2"
expect_reply "$SRV_PORT" "GET $LONGKEY" "VALUE long"
stop_load
