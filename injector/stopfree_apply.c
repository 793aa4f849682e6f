/*
 * stopfree_apply — the agent, the registry lines and the commit of the stop-free switch
 * (see stopfree_apply.h).
 */
#include "stopfree_apply.h"
#include "errmsg.h"
#include "exitcodes.h"
#include "procfs.h"
#include "rt_agent.h"
#include "test_kill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JMP32 0xe9
#define JMP8 0xeb
#define ENDBR_LEN 4

pid_t sf_agent_find(pid_t pid)
{
	pid_t *tids = NULL, found = 0;
	char name[64];
	int n = pf_tasks(pid, &tids);
	for (int i = 0; i < n && !found; i++)
		if (!pf_status_field(pid, tids[i], "Name", name, sizeof(name)) &&
		    !strcmp(name, POLUS_RT_AGENT_NAME))
			found = tids[i];
	free(tids);
	return found;
}

int sf_publish_line(int memfd, struct tg_info *tg, const char *line, char *err, size_t errlen)
{
	char *text = NULL, *tail;
	size_t used = 0, n;
	uint64_t start;
	int rc = tg_refresh_maps(tg);
	if (!rc)
		rc = tg_registry_read(memfd, &tg->maps, &text, &used, &start);
	if (rc)
		return px_err(err, errlen, PX_INTERNAL,
			      "cannot read the registry of process %d: %s", (int)tg->pid,
			      strerror(-rc));
	free(text);
	n = (used ? 0 : strlen(REG_MAGIC)) + strlen(line);
	if (used + n + 1 >= REG_MAP_SIZE || !(tail = malloc(n + 1)))
		return px_err(err, errlen, PX_NOTAPPLY, "the registry of process %d is full",
			      (int)tg->pid);
	snprintf(tail, n + 1, "%s%s", used ? "" : REG_MAGIC, line);
	/* all but the first byte, the NUL after them included; then the first byte */
	rc = pf_mem_write(memfd, start + used + 1, tail + 1, n);
	tk_step("registry write");
	if (!rc)
		rc = pf_mem_write(memfd, start + used, tail, 1);
	tk_step("registry write");
	free(tail);
	if (rc)
		return px_err(err, errlen, PX_INTERNAL,
			      "cannot write the registry of process %d: %s", (int)tg->pid,
			      strerror(-rc));
	return 0;
}

/* Waits until task tid of pid is named as the agent (it names itself first thing). */
static int wait_named(pid_t pid, pid_t tid)
{
	char name[64];
	for (int ms = 0; ms < SF_AGENT_WAIT_MS; ms++) {
		if (!pf_status_field(pid, tid, "Name", name, sizeof(name)) &&
		    !strcmp(name, POLUS_RT_AGENT_NAME))
			return 0;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

int sf_start_agent(struct rt_ctx *rt, struct rl_ctx *rl, pid_t *tid)
{
	long res = -1, args[6] = {0};
	int rc;
	if (rs_set_trampoline(&rl->rs, rt->base + rt->off_tramp) != 0)
		return px_err(rt->err, rt->errlen, PX_INTERNAL,
			      "process %d: the runtime at 0x%llx is not ours", (int)rl->pid,
			      (unsigned long long)rt->base);
	if ((rc = rs_fncall(&rl->rs, rt->base + rt->off_agent, args, &res)) != 0 || res <= 0)
		return px_err(rt->err, rt->errlen, PX_INTERNAL,
			      "process %d: cannot start the runtime's agent: %s", (int)rl->pid,
			      strerror(rc    ? -rc
				       : res ? (int)-res
					     : EINVAL));
	*tid = (pid_t)res;
	if (wait_named(rl->pid, *tid) != 0)
		return px_err(rt->err, rt->errlen, PX_INTERNAL,
			      "process %d: the runtime's agent %d did not start", (int)rl->pid,
			      (int)*tid);
	return 0;
}

int sf_record_fns(const struct ps_site *sites, size_t n, struct reg_patch *rec)
{
	for (size_t i = 0; i < n && i < rec->nfns; i++) /* fill_record's order: the sites' */
		rec->fns[i].old_addr = sites[i].func - SITE_PAD_BEFORE;
	return 0;
}

/*
 * The bytes a stop-free switch leaves from the padding (pad: the fn line, its site the
 * padding's address) to the end of the short jump at entry + site_off; their count.
 */
static size_t switched_bytes(const struct ps_site *pad, size_t site_off, uint8_t out[RT_SITE_MAX])
{
	size_t at = SITE_PAD_BEFORE + site_off, len = at + 2;
	if (ps_encode(pad, out) != 0 || len > RT_SITE_MAX)
		return 0;
	out[at] = JMP8;
	out[at + 1] = (uint8_t)(int8_t)(-(int)len); /* back to the padding */
	return len;
}

int sf_revert_bytes(int memfd, const struct ps_site *s, uint8_t old[RT_SITE_MAX],
		    uint8_t new[RT_SITE_MAX])
{
	static const uint8_t endbr[ENDBR_LEN] = {0xf3, 0x0f, 0x1e, 0xfa};
	uint8_t live[RT_SITE_MAX];
	if (pf_mem_read(memfd, s->site, live, sizeof(live)) != 0)
		return 0;
	for (size_t off = 0; off <= ENDBR_LEN; off += ENDBR_LEN) { /* the site after any endbr64 */
		size_t len = switched_bytes(s, off, old);
		if (!len || (off && memcmp(live + SITE_PAD_BEFORE, endbr, ENDBR_LEN)) ||
		    memcmp(live, old, len))
			continue;
		/* the padding's NOPs, the endbr64, the site's first two bytes */
		memcpy(new, live, len);
		memset(new, 0x90, SITE_PAD_BEFORE);
		memcpy(new + len - 2, s->orig, 2);
		return (int)len;
	}
	return 0;
}

/* The journal of j for polus_rt_commit_stopfree; *len its size. */
static struct polus_rt_sf_journal *build_journal(const struct rt_commit_job *j, size_t *len)
{
	struct polus_rt_sf_journal *jn;
	*len = sizeof(*jn) + j->nsites * sizeof(jn->sites[0]);
	if (!(jn = calloc(1, *len)))
		return NULL;
	jn->size = sizeof(*jn);
	jn->nsites = (uint32_t)j->nsites;
	jn->publish = j->publish;
	jn->publish_byte = j->publish_byte;
	for (size_t i = 0; i < j->nsites; i++) {
		const struct ps_site *s = &j->sites[i];
		struct polus_rt_swsite *w = &jn->sites[i];
		w->func = s->func;
		w->site = s->site;
		w->target = s->target;
		w->kind = POLUS_RT_ENTRY;
		memcpy(w->orig, s->orig, sizeof(w->orig));
	}
	return jn;
}

/* The outcome: res from polus_rt_commit_stopfree, or the mechanism failed (rc). */
static int outcome(struct rt_ctx *c, struct rl_ctx *rl, const struct rt_commit_job *j, int rc,
		   long res)
{
	if (rc) { /* did it run to the end? the publish byte says */
		if (rt_published(rl, j))
			return 0;
		return px_err(c->err, c->errlen, PX_INTERNAL,
			      "the stop-free switch in thread %d failed: %s", (int)rl->rs.t->tid,
			      strerror(-rc));
	}
	if (res == -EINVAL)
		return px_err(c->err, c->errlen, PX_NOTAPPLY,
			      "a function of the patch changed since it was checked");
	if (res == -ENOSYS)
		return px_err(c->err, c->errlen, PX_NOTAPPLY,
			      "process %d: the kernel has no membarrier SYNC_CORE for the "
			      "stop-free switch",
			      (int)rl->pid);
	if (res == -EBUSY)
		return px_err(c->err, c->errlen, PX_NOTAPPLY,
			      "process %d: an entry of the patch already leads elsewhere (an "
			      "earlier stop-free switch)",
			      (int)rl->pid);
	if (res)
		return px_err(c->err, c->errlen, PX_INTERNAL,
			      "the stop-free switch in process %d failed: %s", (int)rl->pid,
			      strerror((int)-res));
	return 0;
}

int sf_commit(struct rt_ctx *c, struct rl_ctx *rl, const struct rt_commit_job *j)
{
	size_t len;
	long res = -1, args[6] = {0};
	struct polus_rt_sf_journal *jn = build_journal(j, &len);
	int rc;
	if (!jn)
		return px_err(c->err, c->errlen, PX_INTERNAL, "out of memory");
	rc = rt_write_journal(c, rl, j, jn, len);
	free(jn);
	if (rc)
		return rc;
	if (rs_set_trampoline(&rl->rs, c->base + c->off_tramp) != 0)
		return px_err(c->err, c->errlen, PX_INTERNAL,
			      "process %d: the runtime at 0x%llx is not ours", (int)rl->pid,
			      (unsigned long long)c->base);
	args[0] = (long)j->journal;
	rc = rs_fncall(&rl->rs, c->base + c->off_commit_sf, args, &res);
	return outcome(c, rl, j, rc, res);
}
