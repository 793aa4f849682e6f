#!/usr/bin/env bash
# dnsmasq, CVE-2026-4893 (src/forward.c): the fix goes live under dig load (sample.sh).
. "$POLUS_TOP/tests/lib.sh"
. ./sample.sh
sample dnsmasq-06-CVE-2026-4893 "applied: switched 1 (process_reply),"
