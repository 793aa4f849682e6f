#!/usr/bin/env bash
# runtime/rt_agent in-process (tests/stopfree/rt_agent_test.c): the runtime's own thread
# starts once, is named polus-agent, blocks every signal (50 signals to the process reach
# the program's thread, none the agent), idles in a futex wait; a tracer stops it alone
# while the program's thread runs on, and it goes back to its wait; a forked child
# starts its own.
. "${POLUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh" || exit 1
need_ptrace
unit_test rt-agent-test
