/*
 * switch_method — the choice of switch (see switch_method.h).
 */
#include "switch_method.h"
#include "procfs.h"
#include "rt_agent.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *sw_name(enum sw_method m)
{
	return m == SW_STOP_FREE ? "stop-free" : "stop-the-world";
}

/* The status field `key` of thread tid as a number in `base` (0 if unreadable). */
static unsigned long long field(pid_t pid, pid_t tid, const char *key, int base)
{
	char buf[64];
	return pf_status_field(pid, tid, key, buf, sizeof(buf)) ? 0 : strtoull(buf, NULL, base);
}

static int is_agent(pid_t pid, pid_t tid)
{
	char buf[64];
	return !pf_status_field(pid, tid, "Name", buf, sizeof(buf)) &&
	       !strcmp(buf, POLUS_RT_AGENT_NAME);
}

int sw_read_facts(pid_t pid, struct sw_facts *f)
{
	pid_t *tids = NULL, self = getpid();
	int n, unfiltered = 0;
	f->tracer = f->trap_blocked = f->filtered = 0;
	if ((n = pf_tasks(pid, &tids)) < 0)
		return n;
	for (int i = 0; i < n; i++) {
		pid_t t = (pid_t)field(pid, tids[i], "TracerPid", 10);
		int agent = is_agent(pid, tids[i]), sc = field(pid, tids[i], "Seccomp", 10) == 2;
		if (t && t != self && !f->tracer)
			f->tracer = t;
		/* the runtime's agent blocks everything, and never runs the program's code */
		if (!agent && !f->trap_blocked &&
		    (field(pid, tids[i], "SigBlk", 16) >> (SIGTRAP - 1) & 1))
			f->trap_blocked = tids[i];
		if (agent && sc)
			f->filtered = tids[i];
		unfiltered += !agent && !sc;
	}
	if (n && !unfiltered && !f->filtered)
		f->filtered = -1;
	free(tids);
	return 0;
}

void sw_choose(const struct ps_site *sites, size_t n, int stopfree_ready, const struct sw_facts *f,
	       struct sw_choice *c)
{
	size_t unpadded = 0;
	const char *first = NULL;
	for (size_t i = 0; i < n; i++)
		if (!sites[i].padded && !unpadded++)
			first = sites[i].name;
	c->method = SW_STOP_WORLD;
	if (unpadded == n && n)
		snprintf(c->why, sizeof(c->why),
			 "entries not padded: built before polus padded them, or without its "
			 "build profile");
	else if (unpadded)
		snprintf(c->why, sizeof(c->why),
			 "%zu of %zu sites cannot take the short jump (%s: not padded, or its "
			 "first instruction is 1 byte)",
			 unpadded, n, first);
	else if (!stopfree_ready)
		snprintf(c->why, sizeof(c->why),
			 "entries padded, but this polus-apply cannot run the stop-free switch "
			 "in the target yet");
	else if (f->data)
		snprintf(c->why, sizeof(c->why),
			 "entries padded, but the patch changes variables: their sync runs "
			 "with every thread stopped");
	else if (f->filtered)
		snprintf(c->why, sizeof(c->why),
			 "%s runs under a seccomp filter: the runtime's agent may not make its "
			 "calls",
			 f->filtered < 0 ? "every thread" : "the runtime's agent");
	else if (f->tracer)
		snprintf(c->why, sizeof(c->why),
			 "process %d traces the target (a debugger?): it would take the "
			 "switch's int3 traps for its own",
			 (int)f->tracer);
	else if (f->trap_blocked)
		snprintf(c->why, sizeof(c->why),
			 "thread %d blocks SIGTRAP: meeting a site mid-switch would kill the "
			 "process",
			 (int)f->trap_blocked);
	else {
		c->method = SW_STOP_FREE;
		snprintf(c->why, sizeof(c->why), "every entry padded");
	}
}
