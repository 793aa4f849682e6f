#!/usr/bin/env bash
# The fixture and error tests again with the ASan+UBSan build of polus-mkpatch
# (make SAN=1 tools): leaks, overflows and undefined behaviour fail the test.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
SAN=$POLUS_SAN_BUILD/polus-mkpatch
need_built "$SAN"
export MKPATCH=$SAN ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1
./fixtures.t || fail "fixtures.t with the sanitized build"
./errors.t || fail "errors.t with the sanitized build"
