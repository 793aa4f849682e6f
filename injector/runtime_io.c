/*
 * runtime_io — the runtime in the target: loaded once, found again, called (see
 * runtime_io.h).
 */
#include "runtime_io.h"
#include "errmsg.h"
#include "exitcodes.h"
#include "placement.h"
#include "procfs.h"
#include "seccomp_eval.h"
#include "stopfree_apply.h"
#include "test_kill.h"
#include "track_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_CAND 8

#define fail(c, code, ...) px_err((c)->err, (c)->errlen, code, __VA_ARGS__)

int rt_open(struct rt_ctx *c, char *err, size_t errlen)
{
	char path[4096];
	GElf_Sym sym;
	memset(c, 0, sizeof(*c));
	c->err = err;
	c->errlen = errlen;
	if (tst_rt_path(path, sizeof(path)) != 0)
		return fail(c, PX_INTERNAL,
			    "polus-rt.so is not beside this tool nor in ../lib/polus: "
			    "set POLUS_RT to its path");
	if (ld_open_runtime(path, &c->lp, err, errlen) != 0)
		return fail(c, PX_INTERNAL, "the runtime: %s", err);
	c->have_lp = 1;
	const struct {
		const char *name;
		uint64_t *off;
	} want[] = {{RT_SYM_COMMIT, &c->off_commit},
		    {RT_SYM_TRAMPOLINE, &c->off_tramp},
		    {RT_SYM_COMMIT_SF, &c->off_commit_sf},
		    {RT_SYM_AGENT, &c->off_agent}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (ef_dynsym_lookup(&c->lp.ef, want[i].name, &sym) != 0 || !sym.st_value)
			return fail(c, PX_INTERNAL, "%s: no %s", path, want[i].name);
		*want[i].off = sym.st_value;
	}
	if (!c->lp.build_id[0])
		return fail(c, PX_INTERNAL, "%s: no build-id", path);
	return 0;
}

void rt_close(struct rt_ctx *c)
{
	ld_image_free(&c->img);
	if (c->have_lp)
		ld_close(&c->lp);
	c->have_lp = 0;
}

/* The base of the newest runtime line of `text` with our build-id, or 0. */
static uint64_t recorded_base(const struct rt_ctx *c, const char *text)
{
	return tst_recorded_base(text, c->lp.build_id);
}

/* A thread in seccomp filter mode must allow calls[0..n). */
static int check_calls(struct rt_ctx *c, const struct pt_thread *t, pid_t pid,
		       const struct sc_call *calls, size_t n)
{
	char buf[32];
	if (pf_status_field(pid, t->tid, "Seccomp", buf, sizeof(buf)) != 0 || atoi(buf) != 2)
		return 0;
	return sc_check(t->tid, t->regs.rip, calls, n, c->err, c->errlen) ? PX_NOTAPPLY : 0;
}

static int load(struct rt_ctx *c, struct rl_ctx *rl, struct tg_info *tg, struct ld_target tgt)
{
	uint64_t cand[MAX_CAND], addr;
	size_t ncand;
	if (tg_refresh_maps(tg))
		return fail(c, PX_INTERNAL, "cannot re-read the map of process %d", (int)tg->pid);
	ncand = pl_candidates(&tg->maps, tg->exe_lo, tg->exe_hi, tg->heap_end != 0,
			      c->lp.span_hi - c->lp.span_lo, cand, MAX_CAND);
	if (!ncand)
		return fail(c, PX_NOTAPPLY, "process %d: no room for the polus runtime",
			    (int)tg->pid);
	struct rl_job j = {&c->lp, tgt, cand, ncand, "polus-rt"};
	size_t n = rl_calls(rl, &j, 0, NULL, 0);
	struct sc_call *calls = calloc(n, sizeof(*calls));
	if (!calls)
		return fail(c, PX_INTERNAL, "out of memory");
	rl_calls(rl, &j, 0, calls, n);
	int rc = check_calls(c, rl->rs.t, tg->pid, calls, n);
	free(calls);
	if (rc || (rc = rl_load(rl, &j, &c->img, &addr)))
		return rc;
	c->base = c->img.base;
	c->fresh = 1;
	snprintf(c->line, sizeof(c->line), RT_LINE_FMT, (unsigned long long)c->base,
		 c->lp.build_id);
	return 0;
}

int rt_find(struct rt_ctx *c, struct tg_info *tg, int memfd, int *found)
{
	char *text = NULL;
	size_t used;
	uint64_t start;
	*found = c->base != 0;
	if (c->base)
		return 0;
	if (tg_refresh_maps(tg))
		return fail(c, PX_INTERNAL, "cannot re-read the map of process %d", (int)tg->pid);
	if (tg_registry_read(memfd, &tg->maps, &text, &used, &start) == 0) {
		c->base = recorded_base(c, text);
		free(text);
	}
	*found = c->base != 0;
	return 0;
}

int rt_ensure(struct rt_ctx *c, struct rl_ctx *rl, struct tg_info *tg, int memfd,
	      struct ld_target tgt)
{
	int found, rc = rt_find(c, tg, memfd, &found);
	return rc || found ? rc : load(c, rl, tg, tgt);
}

/* PROT_* of the mapping holding addr (0 if none). */
static int prot_at(const struct pf_maps *m, uint64_t addr)
{
	for (size_t i = 0; i < m->n; i++)
		if (addr >= m->v[i].start && addr < m->v[i].end)
			return (m->v[i].perms[0] == 'r' ? PROT_READ : 0) |
			       (m->v[i].perms[1] == 'w' ? PROT_WRITE : 0) |
			       (m->v[i].perms[2] == 'x' ? PROT_EXEC : 0);
	return 0;
}

/* The mprotect calls polus_rt_commit makes for [addr, addr + len) with protection prot. */
static size_t protect_calls(struct sc_call *out, uint64_t addr, uint32_t len, int prot)
{
	uint64_t lo = addr & ~4095ull, hi = (addr + len + 4095) & ~4095ull;
	out[0] = (struct sc_call){
	    "mprotect", SYS_mprotect, {lo, hi - lo, (uint64_t)(prot | PROT_WRITE)}};
	out[1] = (struct sc_call){"mprotect", SYS_mprotect, {lo, hi - lo, (uint64_t)prot}};
	return 2;
}

/*
 * The bytes site s holds now (old) and will hold (new); the length written. A revert of
 * a stop-free switch writes its own span (stopfree_apply.h).
 */
static int site_bytes(const struct rt_commit_job *j, const struct ps_site *s, int memfd,
		      uint8_t old[RT_SITE_MAX], uint8_t new[RT_SITE_MAX])
{
	uint8_t jmp[PS_JMP_LEN];
	int sf = j->revert ? sf_revert_bytes(memfd, s, old, new) : 0;
	if (sf)
		return sf;
	if (ps_encode(s, jmp) != 0 || s->norig > RT_SITE_MAX)
		return -1;
	memcpy(j->revert ? new : old, s->orig, s->norig);
	memcpy(j->revert ? old : new, jmp, PS_JMP_LEN);
	return j->revert ? (int)s->norig : PS_JMP_LEN;
}

/* The journal's entry for the site at addr, if one is there already (a chain's). */
static struct polus_rt_site *entry_at(struct polus_rt_journal *jn, uint64_t addr)
{
	for (uint32_t i = 0; i < jn->nsites; i++)
		if (jn->sites[i].addr == addr)
			return &jn->sites[i];
	return NULL;
}

/* The journal of job j, in memory, with the registry bytes to copy after it; *len its size. */
static struct polus_rt_journal *build_journal(const struct rt_commit_job *j,
					      const struct pf_maps *m, int memfd, size_t *len)
{
	size_t head = sizeof(struct polus_rt_journal) + j->nsites * sizeof(struct polus_rt_site);
	*len = head + j->copy_len;
	struct polus_rt_journal *jn = calloc(1, *len);
	if (!jn)
		return NULL;
	jn->size = sizeof(*jn);
	jn->publish = j->publish;
	jn->publish_byte = j->publish_byte;
	jn->publish_prot = (uint32_t)prot_at(m, j->publish);
	jn->copy_len = j->copy_len;
	jn->copy_src = j->copy_len ? j->journal + head : 0;
	if (j->copy_len)
		memcpy((uint8_t *)jn + head, j->copy, j->copy_len);
	for (size_t i = 0; i < j->nsites; i++) {
		const struct ps_site *s = &j->sites[i];
		uint8_t old[RT_SITE_MAX], new[RT_SITE_MAX];
		int n = site_bytes(j, s, memfd, old, new);
		struct polus_rt_site *r = entry_at(jn, s->site);
		if (n < 0) {
			free(jn);
			return NULL;
		}
		if (r) { /* undone twice in one rollback: it ends as the older patch left it */
			memcpy(r->new_bytes, new, (size_t)n);
			continue;
		}
		r = &jn->sites[jn->nsites++];
		r->addr = s->site;
		r->len = (uint32_t)n;
		r->prot = (uint32_t)prot_at(m, s->site);
		memcpy(r->old_bytes, old, (size_t)n);
		memcpy(r->new_bytes, new, (size_t)n);
	}
	return jn;
}

/* The calls the commit of jn makes with one way of writing: mprotect or /proc/self/mem. */
static size_t commit_calls(const struct polus_rt_journal *jn, long fd, int mprotect,
			   struct sc_call *out)
{
	size_t n = 0;
	out[n++] = (struct sc_call){"rt_sigreturn", SYS_rt_sigreturn, {0}};
	if (!mprotect) {
		out[n++] = (struct sc_call){
		    "openat", SYS_openat, {(uint64_t)AT_FDCWD, 0, O_RDWR | O_CLOEXEC, 0}};
		out[n++] = (struct sc_call){"close", SYS_close, {(uint64_t)fd}};
	}
	for (uint32_t i = 0; i <= jn->nsites; i++) {
		uint64_t a = i < jn->nsites ? jn->sites[i].addr : jn->publish;
		uint32_t len = i < jn->nsites ? jn->sites[i].len
			       : jn->copy_len ? (uint32_t)jn->copy_len
					      : 1;
		int prot = (int)(i < jn->nsites ? jn->sites[i].prot : jn->publish_prot);
		if (mprotect)
			n += protect_calls(out + n, a, len, prot);
		else
			out[n++] =
			    (struct sc_call){"pwrite64", SYS_pwrite64, {(uint64_t)fd, 0, len, a}};
	}
	return n;
}

/*
 * How the commit of jn writes (jn->flags): through /proc/self/mem, falling back to
 * mprotect; for a thread under a seccomp filter only what the filter allows (PX_NOTAPPLY
 * if neither).
 */
static int commit_method(struct rt_ctx *c, struct rl_ctx *rl, struct polus_rt_journal *jn)
{
	char buf[32];
	struct sc_call *calls = calloc(2 * jn->nsites + 8, sizeof(*calls));
	const struct pt_thread *t = rl->rs.t;
	int procmem, mprot, rc = 0;
	if (!calls)
		return fail(c, PX_INTERNAL, "out of memory");
	jn->flags = RT_MPROTECT_OK;
	if (pf_status_field(rl->pid, t->tid, "Seccomp", buf, sizeof(buf)) == 0 && atoi(buf) == 2) {
		long fd = rl_next_fd(rl->pid);
		size_t n = commit_calls(jn, fd, 0, calls);
		procmem = sc_check(t->tid, t->regs.rip, calls, n, c->err, c->errlen) == 0;
		n = commit_calls(jn, fd, 1, calls);
		mprot = sc_check(t->tid, t->regs.rip, calls, n, c->err, c->errlen) == 0;
		jn->flags = (uint8_t)((procmem ? 0 : RT_NO_PROCMEM) | (mprot ? RT_MPROTECT_OK : 0));
		rc = procmem || mprot ? 0 : PX_NOTAPPLY; /* err names what mprotect needs */
	}
	free(calls);
	return rc;
}

/* The journal written where j says, its old bytes logged first (taken back on undo). */
int rt_write_journal(struct rt_ctx *c, struct rl_ctx *rl, const struct rt_commit_job *j,
		     const void *jn, size_t len)
{
	uint8_t *was = malloc(len);
	if (!was)
		return fail(c, PX_INTERNAL, "out of memory");
	if (len > j->journal_room || pf_mem_read(rl->memfd, j->journal, was, len) != 0) {
		free(was);
		return fail(c, PX_NOTAPPLY, "the registry of process %d is full", (int)rl->pid);
	}
	struct ul_entry *e = ul_add(rl->log, UL_BYTES, j->journal, len, was, "the commit journal");
	free(was);
	if (!e)
		return fail(c, PX_INTERNAL, "out of memory");
	e->made = 1; /* written in part at worst: the undo writes it all back */
	if (pf_mem_write(rl->memfd, j->journal, jn, len) != 0)
		return fail(c, PX_INTERNAL, "cannot write to the registry of process %d",
			    (int)rl->pid);
	tk_step("commit journal written");
	return 0;
}

/* The undo log's entry for write i of the commit (the registry's: i == nsites). */
static struct ul_entry *log_write(struct rl_ctx *rl, const struct rt_commit_job *j, size_t i)
{
	const struct ps_site *s = &j->sites[i < j->nsites ? i : 0];
	uint8_t jmp[PS_JMP_LEN];
	struct ul_entry *e;
	if (i == j->nsites)
		return ul_add(rl->log, UL_BYTES, j->publish, j->copy_len, j->was,
			      "the registry's records");
	if (j->revert)
		return ps_encode(s, jmp) == 0 ? ul_add(rl->log, UL_BYTES, s->site, PS_JMP_LEN, jmp,
						       "the entry of %s restored", s->name)
					      : NULL;
	e = ul_add(rl->log, UL_BYTES, s->site, s->norig, s->orig, "the jump in %s", s->name);
	if (e)
		e->leads_to = s->target;
	return e;
}

/*
 * After the commit: each site (and the registry's bytes of a revert) in the undo log, as
 * if written here. All are made before the first is counted: a failure injected at any of
 * them undoes them all.
 */
static int log_writes(struct rt_ctx *c, struct rl_ctx *rl, const struct rt_commit_job *j)
{
	size_t n = j->nsites + (j->copy_len ? 1 : 0), first = rl->log->n;
	for (size_t i = 0; i < n; i++) {
		struct ul_entry *e = log_write(rl, j, i);
		if (!e)
			return fail(c, PX_INTERNAL, "out of memory");
		e->made = 1;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = ul_made(rl->log, &rl->log->v[first + i], c->err, c->errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* The site of the journal's entry i (entries: the sites' distinct addresses, in order). */
static const struct ps_site *entry_site(const struct rt_commit_job *j, size_t i)
{
	for (size_t k = 0; k < j->nsites; k++) {
		size_t seen = 0;
		while (seen < k && j->sites[seen].site != j->sites[k].site)
			seen++;
		if (seen == k && i-- == 0)
			return &j->sites[k];
	}
	return &j->sites[0];
}

/* The registry holds the bytes a revert's commit copies in (the commit ran to its end). */
static int copied(struct rl_ctx *rl, const struct rt_commit_job *j)
{
	uint8_t *now = malloc(j->copy_len);
	int same = now && pf_mem_read(rl->memfd, j->publish, now, j->copy_len) == 0 &&
		   memcmp(now, j->copy, j->copy_len) == 0;
	free(now);
	return same;
}

int rt_published(const struct rl_ctx *rl, const struct rt_commit_job *j)
{
	uint8_t pub = 0;
	return pf_mem_read(rl->memfd, j->publish, &pub, 1) == 0 && pub == j->publish_byte;
}

/* The outcome of the call: res from polus_rt_commit, or the mechanism failed (rc). */
static int outcome(struct rt_ctx *c, struct rl_ctx *rl, const struct rt_commit_job *j, int rc,
		   long res)
{
	if (rc) { /* did it run to the end? the registry says */
		if (j->copy_len ? copied(rl, j) : rt_published(rl, j))
			return 0;
		return fail(c, PX_INTERNAL, "the commit in thread %d failed: %s",
			    (int)rl->rs.t->tid, strerror(-rc));
	}
	if (res <= -RT_ESITE && res > -RT_ESITE - (long)j->nsites)
		return fail(c, PX_NOTAPPLY, "function %s changed since it was checked",
			    entry_site(j, (size_t)(-res - RT_ESITE))->name);
	if (res)
		return fail(c, PX_INTERNAL, "the commit in process %d failed: %s", (int)rl->pid,
			    strerror((int)-res));
	return 0;
}

int rt_commit(struct rt_ctx *c, struct rl_ctx *rl, const struct tg_info *tg,
	      const struct rt_commit_job *j)
{
	size_t len;
	long res = -1, args[6] = {0};
	struct polus_rt_journal *jn = build_journal(j, &tg->maps, rl->memfd, &len);
	int rc;
	if (!jn)
		return fail(c, PX_INTERNAL, "out of memory");
	if ((rc = commit_method(c, rl, jn)) || (rc = rt_write_journal(c, rl, j, jn, len))) {
		free(jn);
		return rc;
	}
	free(jn);
	if (rs_set_trampoline(&rl->rs, c->base + c->off_tramp) != 0)
		return fail(c, PX_INTERNAL, "process %d: the runtime at 0x%llx is not ours",
			    (int)rl->pid, (unsigned long long)c->base);
	args[0] = (long)j->journal;
	rc = rs_fncall(&rl->rs, c->base + c->off_commit, args, &res);
	if ((rc = outcome(c, rl, j, rc, res)))
		return rc;
	return log_writes(c, rl, j);
}
