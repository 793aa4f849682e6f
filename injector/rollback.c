/*
 * rollback — planning and undoing patches in a live process (see rollback.h).
 */
#include "rollback.h"
#include "errmsg.h"
#include "exitcodes.h"
#include "procfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define fail(c, code, ...) px_err((c)->err, (c)->errlen, code, __VA_ARGS__)

void rb_init(struct rb_ctx *c, pid_t pid, int memfd, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->memfd = memfd;
	c->err = err;
	c->errlen = errlen;
}

void rb_free(struct rb_ctx *c)
{
	reg_free(c->v, c->n);
	free(c->undo);
	free(c->sites);
	free(c->site_rec);
	c->v = NULL;
	c->undo = NULL;
	c->sites = NULL;
	c->site_rec = NULL;
}

static int is_applied(const struct reg_patch *p)
{
	return strcmp(p->state, REG_STATE_APPLIED) == 0;
}

/* The newest applied record named `name` (or of that build-id), or -1. */
static long find_applied(const struct rb_ctx *c, const char *name)
{
	for (size_t i = c->n; i-- > 0;)
		if (is_applied(&c->v[i]) &&
		    (strcmp(c->v[i].name, name) == 0 || strcasecmp(c->v[i].build_id, name) == 0))
			return (long)i;
	return -1;
}

/* The applied records after index `from` (exclusive), newest first, into the plan. */
static void plan_above(struct rb_ctx *c, long from)
{
	for (size_t i = c->n; i-- > 0 && (long)i > from;)
		if (is_applied(&c->v[i]))
			c->undo[c->nundo++] = i;
}

/* "p23" or "p23, p34 (newest)": the applied records above index i, for a refusal. */
static void names_above(const struct rb_ctx *c, size_t i, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (size_t k = i + 1; k < c->n && o < len; k++)
		if (is_applied(&c->v[k]))
			o +=
			    (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", c->v[k].name);
}

int rb_plan(struct rb_ctx *c, struct reg_patch *v, size_t n, enum rb_mode mode, const char *name)
{
	char above[512];
	long at = -1;
	c->v = v;
	c->n = n;
	if (!(c->undo = calloc(n + 1, sizeof(*c->undo))))
		return fail(c, PX_INTERNAL, "out of memory");
	if (mode == RB_NAMED || mode == RB_TO) {
		if ((at = find_applied(c, name)) < 0)
			return fail(c, PX_NOTAPPLY, "patch %s is not applied to process %d", name,
				    (int)c->pid);
	}
	switch (mode) {
	case RB_NEWEST:
		plan_above(c, -1);
		if (c->nundo > 1)
			c->nundo = 1;
		if (!c->nundo)
			return fail(c, PX_NOTAPPLY, "no patch is applied to process %d",
				    (int)c->pid);
		break;
	case RB_NAMED:
		names_above(c, (size_t)at, above, sizeof(above));
		if (above[0])
			return fail(
			    c, PX_NOTAPPLY,
			    "patch %s has newer patches applied on top of it in process %d: "
			    "%s (roll those back first, or use --to)",
			    c->v[at].name, (int)c->pid, above);
		c->undo[c->nundo++] = (size_t)at;
		break;
	case RB_ALL:
		plan_above(c, -1);
		break;
	case RB_TO:
		plan_above(c, at);
		break;
	}
	return 0;
}

/*
 * The bytes now at site k as they will be once the sites before it in the plan are
 * restored: memory, with the original bytes of those earlier sites laid over it.
 */
static int bytes_then(struct rb_ctx *c, const struct ps_site *sites, size_t k, int memfd,
		      uint8_t out[PS_JMP_LEN])
{
	const struct ps_site *s = &sites[k];
	int rc = pf_mem_read(memfd, s->site, out, PS_JMP_LEN);
	(void)c;
	if (rc)
		return rc;
	for (size_t j = 0; j < k; j++)
		for (size_t b = 0; b < sites[j].norig; b++) {
			uint64_t a = sites[j].site + b;
			if (a >= s->site && a < s->site + PS_JMP_LEN)
				out[a - s->site] = sites[j].orig[b];
		}
	return 0;
}

/* Site k holds the jump its record wrote (with the restores before it done). */
static int check_site(struct rb_ctx *c, const struct ps_site *sites, size_t k, int memfd, char *err,
		      size_t errlen)
{
	const struct ps_site *s = &sites[k];
	const struct reg_patch *p = &c->v[c->site_rec[k]];
	uint8_t now[PS_JMP_LEN], jmp[PS_JMP_LEN];
	int rc = bytes_then(c, sites, k, memfd, now);
	if (rc)
		return px_err(err, errlen, PX_INTERNAL,
			      "cannot read function %s at 0x%llx in process %d: %s", s->name,
			      (unsigned long long)s->site, (int)c->pid, strerror(-rc));
	if (ps_encode(s, jmp) != 0 || memcmp(now, jmp, sizeof(jmp)) != 0)
		return px_err(err, errlen, PX_NOTAPPLY,
			      "function %s at 0x%llx no longer holds the jump patch %s wrote "
			      "(something else changed it): nothing rolled back",
			      s->name, (unsigned long long)s->site, p->name);
	return 0;
}

int rb_verify(void *ctx, struct ps_site *sites, size_t nsites, int memfd, char *err, size_t errlen)
{
	struct rb_ctx *c = ctx;
	for (size_t k = 0; k < nsites; k++) {
		int rc = check_site(c, sites, k, memfd, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int rb_sites(struct rb_ctx *c)
{
	size_t total = 0;
	for (size_t u = 0; u < c->nundo; u++)
		total += c->v[c->undo[u]].nfns;
	c->sites = calloc(total + 1, sizeof(*c->sites));
	c->site_rec = calloc(total + 1, sizeof(*c->site_rec));
	if (!c->sites || !c->site_rec)
		return fail(c, PX_INTERNAL, "out of memory");
	for (size_t u = 0; u < c->nundo; u++) {
		const struct reg_patch *p = &c->v[c->undo[u]];
		for (size_t k = 0; k < p->nfns; k++) {
			const struct reg_fn *f = &p->fns[k];
			struct ps_site *s = &c->sites[c->nsites];
			if (f->norig != PS_JMP_LEN)
				return fail(
				    c, PX_NOTAPPLY,
				    "patch %s: the registry of process %d keeps no original "
				    "bytes of function %s: it cannot be rolled back",
				    p->name, (int)c->pid, f->name);
			s->name = f->name;
			s->func = s->site = f->old_addr;
			s->size = f->norig;
			s->end = f->old_addr + f->norig;
			s->target = f->new_addr;
			s->norig = f->norig;
			memcpy(s->orig, f->orig, f->norig);
			c->site_rec[c->nsites++] = c->undo[u];
		}
	}
	return rb_verify(c, c->sites, c->nsites, c->memfd, c->err, c->errlen);
}

int rb_restore(struct rb_ctx *c, struct ul_log *log, struct ri_ctx *reg,
	       int (*write)(void *ctx, uint64_t addr, const void *buf, size_t len), void *ctx)
{
	int rc;
	for (size_t k = 0; k < c->nsites; k++) {
		const struct ps_site *s = &c->sites[k];
		uint8_t jmp[PS_JMP_LEN];
		ps_encode(s, jmp); /* what is there now (rb_verify) */
		struct ul_entry *e = ul_add(log, UL_BYTES, s->site, PS_JMP_LEN, jmp,
					    "the entry of %s restored", s->name);
		if (!e)
			return fail(c, PX_INTERNAL, "out of memory");
		if ((rc = write(ctx, s->site, s->orig, s->norig)) != 0) {
			e->made = 1; /* maybe written in part: the undo writes the jump back */
			return fail(c, PX_INTERNAL, "cannot restore the entry of %s: %s", s->name,
				    strerror(-rc));
		}
		if ((rc = ul_made(log, e, c->err, c->errlen)))
			return rc;
	}
	return ri_set_state(reg, c->undo, c->nundo, REG_STATE_ROLLED_BACK, 1);
}

size_t rb_functions(const struct rb_ctx *c, size_t rec)
{
	const struct reg_patch *p = &c->v[rec];
	size_t n = 0;
	for (size_t i = 0; i < p->nfns; i++) {
		size_t k = 0;
		while (k < i && strcmp(p->fns[k].name, p->fns[i].name))
			k++;
		n += k == i;
	}
	return n;
}
