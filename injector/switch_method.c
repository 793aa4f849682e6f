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

const char *sw_name(enum sw_method m)
{
	return m == SW_STOP_FREE ? "stop-free" : "stop-the-world";
}

int sw_read_facts(pid_t pid, struct sw_facts *f)
{
	char buf[64];
	pid_t *tids = NULL;
	int n, rc = pf_status_field(pid, 0, "TracerPid", buf, sizeof(buf));
	f->tracer = rc ? 0 : (pid_t)atoi(buf);
	f->trap_blocked = 0;
	if ((n = pf_tasks(pid, &tids)) < 0)
		return n;
	/* the runtime's agent blocks everything, and never runs the program's code */
	for (int i = 0; i < n && !f->trap_blocked; i++)
		if (!pf_status_field(pid, tids[i], "SigBlk", buf, sizeof(buf)) &&
		    (strtoull(buf, NULL, 16) >> (SIGTRAP - 1) & 1) &&
		    (pf_status_field(pid, tids[i], "Name", buf, sizeof(buf)) ||
		     strcmp(buf, POLUS_RT_AGENT_NAME)))
			f->trap_blocked = tids[i];
	free(tids);
	return rc;
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
