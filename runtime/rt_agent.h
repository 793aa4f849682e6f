/*
 * rt_agent — the runtime's own thread in the target (docs/stopfree.md).
 *
 * polus-apply runs its injected calls (loading, the stop-free switch) on this thread, so
 * that no thread of the program is ever stopped or held: it is created once per process
 * by a raw clone (its own stack, named "polus-agent", every signal blocked so that the
 * program's signals go to its own threads) and idles blocked in a futex wait; a ptrace
 * stop interrupts the wait and the tracer re-issues it. It runs only the runtime's own
 * code: raw system calls, no TLS (it shares its creator's TLS pointer), no libc. A fork
 * copies only the forking thread: in the child, polus_rt_agent_start makes a new one.
 */
#ifndef POLUS_RT_AGENT_H
#define POLUS_RT_AGENT_H

#define POLUS_RT_AGENT_NAME "polus-agent" /* its /proc/PID/task/TID/comm */
#define POLUS_RT_AGENT_STACK (64 * 1024)

/* Starts the agent unless this process has one alive; returns its tid, or -errno. */
int polus_rt_agent_start(void);

/* The tid of this process's live agent, or 0. */
int polus_rt_agent_tid(void);

#endif
