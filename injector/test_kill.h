/*
 * test_kill — for tests of crash safety only: POLUS_TEST_KILL_AT=N makes the tool SIGKILL
 * itself at its Nth step. Steps are counted by tk_step at every stage of an injected call
 * (remote_syscall), every write to the target's registry (registry_io, runtime_io) and
 * every phase boundary (polus-apply), so a test can kill it at each one in turn.
 * POLUS_TEST_KILL_AT=list prints each step as it is counted ("polus: step N: WHAT" on stderr) and
 * kills nothing.
 */
#ifndef POLUS_TEST_KILL_H
#define POLUS_TEST_KILL_H

void tk_step(const char *what);

#endif
