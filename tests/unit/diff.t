#!/usr/bin/env bash
# Unit test of gcc-plugin/mkpatch/diff (tests/unit/diff_test.c): two small builds as
# metadata text, each change rule once, and the compatibility refusals, in the normal
# and the sanitized build.
. "$POLUS_TOP/tests/lib.sh"
unit_test diff-test
