#!/usr/bin/env bash
# Live update of the example server built at -O2 (the bug sits in an inlined helper),
# under load, with polus-apply; see live_update in e2e.sh for every check.
. "$POLUS_TOP/tests/lib.sh"
. ./e2e.sh
live_update -O2 "$POLUS_BUILD"
