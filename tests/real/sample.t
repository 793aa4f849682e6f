#!/usr/bin/env bash
# CI sample of the real-server corpus (all of it: make check-real): one change per server,
# each fetched from the Debian archive, built as two releases with the plugin, patched
# live under load from the server's client (run-case says what is checked). A case here
# must give the result written beside it; skips only when the archive cannot be reached.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/real/lib-real.sh"
[ -x "$PLUGIN" ] || fail "polus.so not built ($PLUGIN missing; run make)"
real_apt_update || skip "$REAL_WHY"

# CASE  EXPECTED (a prefix of run-case's result line)
sample=(
	dnsmasq-06-CVE-2026-4893 "applied: switched 1 (process_reply),"
)
for ((i = 0; i < ${#sample[@]}; i += 2)); do
	c=${sample[i]} want=${sample[i + 1]}
	rc=0
	got=$(REAL_LOG=$TMP/$c "$POLUS_TOP/tests/real/run-case" "$POLUS_TOP/tests/real/cases/$c.case") || rc=$?
	[ $rc = 77 ] && skip "$got"
	[[ $got == "$want"* ]] || fail "$c: $got (wanted: $want...)"
	ok "$c: $got"
done
