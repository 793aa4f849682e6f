#!/usr/bin/env bash
# The version file module round-trips a patch description and refuses broken documents,
# in the normal build and under ASan+UBSan.
. "$POLUS_TOP/tests/lib.sh"
for b in "$POLUS_BUILD" "$POLUS_SAN_BUILD"; do
	[ -x "$b/tests/vf-test" ] || fail "$b/tests/vf-test not built (run make check)"
	"$b/tests/vf-test" || fail "vf-test failed in $b"
	ok "vf-test in $b"
done
