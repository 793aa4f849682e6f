#!/usr/bin/env bash
# The version file module round-trips a patch description and refuses broken documents,
# in the normal build and under ASan+UBSan.
. "$POLUS_TOP/tests/lib.sh"
unit_test vf-test
