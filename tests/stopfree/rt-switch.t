#!/usr/bin/env bash
# runtime/rt_switch in-process (tests/stopfree/rt_switch_test.c): a program with 64
# threads (busy callers, threads blocked in epoll_wait/accept/futex/nanosleep, a
# heartbeat) switches its own padded functions to new code and back 200 times while they
# run; plain and after endbr64 (-fcf-protection). No half-written instruction runs (the
# steps in another order crash it), the switch is one, a thread parked at a site
# mid-switch resumes in the new code, no blocked call fails, and the program's SIGTRAP
# handlers keep their own traps.
. "${POLUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh" || exit 1
# Built in both builds (the runtime is never sanitized: it is code that runs in targets).
unit_test rt-switch-test
unit_test rt-switch-test-endbr
