#!/usr/bin/env bash
# Unit test of injector/placement (tests/unit/placement_test.c): candidate addresses for
# a patch image on synthetic memory maps, in the normal and the sanitized build.
. "$POLUS_TOP/tests/lib.sh"
unit_test placement-test
