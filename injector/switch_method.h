/*
 * switch_method — which switch polus-apply uses for a patch, and why (docs/stopfree.md).
 *
 * The stop-free switch (int3 + membarrier, run by the polus runtime inside the target)
 * needs every site padded: the version file says so (polus-mkpatch saw the unit's `pad`
 * record, the NOPs and a first instruction the short jump can replace) and ps_prepare
 * saw the same bytes live (common/site_rules site_stopfree). A patch with any
 * unpadded site (a build recorded before padding, a site in an earlier patch) switches
 * the way it always has: every thread stopped while the jumps are written. So does a
 * process with a thread that blocks SIGTRAP (an int3 met there would kill the process)
 * or one traced by another process (a debugger would take the int3s for its own).
 * sw_read_facts reads those two facts from /proc; sw_choose is pure.
 */
#ifndef POLUS_SWITCH_METHOD_H
#define POLUS_SWITCH_METHOD_H
#include "patch_site.h"
#include <stddef.h>
#include <sys/types.h>

enum sw_method { SW_STOP_WORLD, SW_STOP_FREE };

struct sw_choice {
	enum sw_method method;
	char why[256]; /* one phrase: "entries not padded (built before ...)" */
};

struct sw_facts {
	pid_t tracer;	    /* TracerPid: another process traces the target (0: none) */
	pid_t trap_blocked; /* a thread whose signal mask blocks SIGTRAP (0: none) */
	pid_t filtered;	    /* the runtime's agent under a seccomp filter (-1: every thread) */
	int data;	    /* set by the caller: the patch changes variables (their sync
			       runs with every thread stopped) */
};

/*
 * The facts of process pid (a tracer other than this process: the update lock's own
 * seize does not count); 0 or -errno (the facts read so far are kept).
 */
int sw_read_facts(pid_t pid, struct sw_facts *f);

/* `stopfree_ready`: this polus-apply can run the stop-free switch in the target. */
void sw_choose(const struct ps_site *sites, size_t n, int stopfree_ready, const struct sw_facts *f,
	       struct sw_choice *c);
/* "stop-the-world" or "stop-free" */
const char *sw_name(enum sw_method m);

#endif
