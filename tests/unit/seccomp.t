#!/usr/bin/env bash
# Unit test of injector/seccomp_eval (tests/unit/seccomp_test.c): small seccomp programs
# judge the injector's calls (allow, errno, kill, trap, log, argument compares, ALU,
# stacked filters), in the normal and the sanitized build.
. "$POLUS_TOP/tests/lib.sh"
unit_test seccomp-test
