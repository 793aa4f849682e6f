#!/usr/bin/env bash
# Live update of the example server built at -O0, under load, with the injector built
# with AddressSanitizer and UBSan (make SAN=1 tools); see live_update in e2e.sh.
. "$POLUS_TOP/tests/lib.sh"
. ./e2e.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
live_update -O0 "$POLUS_SAN_BUILD"
