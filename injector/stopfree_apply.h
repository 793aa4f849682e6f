/*
 * stopfree_apply — what polus-apply needs for the stop-free switch (docs/stopfree.md),
 * beside apply_main's phases.
 *
 * The runtime's agent (runtime/rt_agent.h: a thread named polus-agent, idle in a futex
 * wait) is started once per process by one injected call in a hijacked thread, after the
 * runtime's registry line is published on its own (so that no later apply takes the
 * runtime for one a dead apply left and unmaps it under the agent). From then on
 * polus-apply stops only the agent: it loads the patch and calls
 * polus_rt_commit_stopfree there (runtime/rt_abi.h), which switches every site while the
 * program runs and publishes the record in the same call.
 *
 * A stop-free switch leaves `EB disp8` at each site and a `jmp rel32` to the new code in
 * the padding before the entry. Its registry `fn` line says so: OLD-ADDR is the
 * padding's jump (the entry - 5), the one address that holds a `jmp rel32` to NEW-ADDR as
 * polus-rollback checks; ORIG-BYTES are the site's first five bytes, as for any switch.
 * polus-rollback's commit (runtime_io, revert) asks sf_revert_bytes for the bytes to
 * write there: the padding's NOPs, the endbr64 if any, the site's first two bytes.
 * Functions return 0 or a PX_* code with one line in err; nothing prints.
 */
#ifndef POLUS_STOPFREE_APPLY_H
#define POLUS_STOPFREE_APPLY_H
#include "patch_site.h"
#include "registry.h"
#include "remote_load.h"
#include "runtime_io.h"
#include "target.h"

#define SF_AGENT_WAIT_MS 2000 /* for a new agent to name itself */

/* The tid of a live runtime agent of process pid (a task named polus-agent), or 0. */
pid_t sf_agent_find(pid_t pid);

/*
 * Publishes the registry line `line` on its own now (all but its first byte, then that
 * byte: readers see all of it or nothing), after the text there; an empty registry gets
 * its header first.
 */
int sf_publish_line(int memfd, struct tg_info *tg, const char *line, char *err, size_t errlen);

/* Starts the agent from rl's thread (polus_rt_agent_start) and waits for its name. */
int sf_start_agent(struct rt_ctx *rt, struct rl_ctx *rl, pid_t *tid);

/* rec's fn lines (fill_record's, one per site in order) name the padding's jump. */
int sf_record_fns(const struct ps_site *sites, size_t n, struct reg_patch *rec);

/*
 * For the revert of fn line s (OLD-ADDR in s->site, NEW-ADDR in s->target, ORIG-BYTES):
 * when memory there holds what a stop-free switch leaves, the bytes from s->site to the
 * end of the short jump now (old) and once reverted (new), and their count; else 0 (a
 * line of the stop-the-world switch).
 */
int sf_revert_bytes(int memfd, const struct ps_site *s, uint8_t old[RT_SITE_MAX],
		    uint8_t new[RT_SITE_MAX]);

/*
 * Runs polus_rt_commit_stopfree in rl's thread (the agent): 0 when every site is
 * switched and the record published; PX_NOTAPPLY/PX_INTERNAL with nothing changed.
 */
int sf_commit(struct rt_ctx *rt, struct rl_ctx *rl, const struct rt_commit_job *j);

#endif
