#!/usr/bin/env bash
# Unit test of injector/switch_method (tests/unit/switch_test.c): which switch a patch
# gets (padded or not, a tracer, a thread that blocks SIGTRAP) and the facts read from
# /proc, in the normal and the sanitized build.
. "$POLUS_TOP/tests/lib.sh"
unit_test switch-test
