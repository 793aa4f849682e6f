# The CI sample of the real-server corpus (all of it: make check-real): the sample-SERVER.t
# tests run one change of each server, fetched from the Debian archive, built as two
# releases with the plugin, patched live under load from the server's client (run-case
# says what is checked). One test per server keeps each within tests/run's time limit on a
# cold cache. Source after tests/lib.sh.
. "$POLUS_TOP/tests/real/lib-real.sh"

# sample CASE WANT: run-case's result line for CASE must start with WANT; skips only when
# the archive cannot be reached.
sample() {
	local c=$1 want=$2 got rc=0
	[ -x "$PLUGIN" ] || fail "polus.so not built ($PLUGIN missing; run make)"
	real_apt_update || skip "$REAL_WHY"
	rc=0
	got=$(REAL_LOG=$TMP/$c "$POLUS_TOP/tests/real/run-case" "$POLUS_TOP/tests/real/cases/$c.case") || rc=$?
	[ $rc = 77 ] && skip "$got"
	[[ $got == "$want"* ]] || fail "$c: $got (wanted: $want...)"
	ok "$c: $got"
}
