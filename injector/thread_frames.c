/*
 * thread_frames — threads inside old functions, from their stacks (see thread_frames.h).
 */
#include "thread_frames.h"
#include "patch_site.h"
#include "procfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct range {
	uint64_t lo, hi;
	size_t hit; /* index in the output */
};

/* A version-file warning already says that `name` never returns (thread_scan.h). */
static int warned(const struct vf_patch *vf, const char *name)
{
	size_t l = strlen(name);
	for (size_t i = 0; i < vf->nwarnings; i++)
		if (strncmp(vf->warnings[i], name, l) == 0 && vf->warnings[i][l] == ':' &&
		    strstr(vf->warnings[i], "never return"))
			return 1;
	return 0;
}

/*
 * The bytes before a return address hold a call: e8 rel32, or ff /2 (call *reg, *(reg),
 * *disp8(reg), *disp32(reg), *rip-relative, with or without a SIB byte). A function's
 * entry or a pointer kept in a local does not, but for chance.
 */
int tf_after_call(int memfd, uint64_t a)
{
	uint8_t b[7];
	if (a < 7 || pf_mem_read(memfd, a - 7, b, sizeof(b)) != 0)
		return 0;
	if (b[2] == 0xe8)
		return 1;
	for (int len = 2; len <= 7; len++) {
		const uint8_t *op = &b[7 - len];
		if (op[0] == 0xff && ((op[1] >> 3) & 7) == 2)
			return 1;
	}
	return 0;
}

/* The stack above rsp, as far as it is mapped (up to PS_STACK_SCAN bytes): words read. */
size_t tf_read_stack(int memfd, uint64_t rsp, uint64_t *buf)
{
	uint64_t at = rsp & ~7ull;
	size_t got = 0;
	while (got < PS_STACK_SCAN) {
		size_t chunk = 4096 - (size_t)((at + got) & 4095);
		if (got + chunk > PS_STACK_SCAN)
			chunk = PS_STACK_SCAN - got;
		if (pf_mem_read(memfd, at + got, (uint8_t *)buf + got, chunk) != 0)
			break;
		got += chunk;
	}
	return got / 8;
}

static void note(struct tf_hit *h, pid_t tid)
{
	for (int k = 0; k < h->ntids; k++)
		if (h->tids[k] == tid)
			return;
	if (h->ntids < TF_MAX_TIDS)
		h->tids[h->ntids++] = tid;
}

/* Every return address on t's stack that falls in one of the ranges. */
static void scan(const struct pt_thread *t, int memfd, uint64_t *stk, const struct range *r,
		 size_t nr, struct tf_hit *hits)
{
	size_t got = tf_read_stack(memfd, t->regs.rsp, stk);
	for (size_t k = 0; k < got; k++)
		for (size_t i = 0; i < nr; i++)
			if (stk[k] > r[i].lo && stk[k] < r[i].hi && tf_after_call(memfd, stk[k]))
				note(&hits[r[i].hit], t->tid);
}

int tf_find(const struct vf_patch *vf, uint64_t bias, const struct pt_group *g, int memfd,
	    struct tf_hit **out, size_t *n)
{
	struct range *r = calloc(vf->nfunctions + 1, sizeof(*r));
	struct tf_hit *hits = calloc(vf->nfunctions + 1, sizeof(*hits));
	uint64_t *stk = malloc(PS_STACK_SCAN);
	size_t nr = 0;
	*out = NULL;
	*n = 0;
	if (!r || !hits || !stk) {
		free(r), free(hits), free(stk);
		return -ENOMEM;
	}
	for (size_t i = 0; i < vf->nfunctions; i++) {
		const struct vf_function *f = &vf->functions[i];
		if (!f->redirect || f->old_in || !f->old_addr || !f->old_size || !f->name ||
		    warned(vf, f->name))
			continue;
		r[nr] = (struct range){bias + f->old_addr, bias + f->old_addr + f->old_size, nr};
		hits[nr++].name = f->name;
	}
	for (size_t i = 0; nr && i < g->n; i++)
		if (g->v[i].state == PT_STOPPED)
			scan(&g->v[i], memfd, stk, r, nr, hits);
	for (size_t i = 0; i < nr; i++) /* keep the functions some thread is in */
		if (hits[i].ntids)
			hits[(*n)++] = hits[i];
	free(r);
	free(stk);
	*out = hits;
	return 0;
}

void tf_text(pid_t pid, const struct tf_hit *h, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "%s: ", h->name);
	for (int k = 0; k < h->ntids && o < len; k++) {
		char comm[32] = "?";
		pf_status_field(pid, h->tids[k], "Name", comm, sizeof(comm));
		o += (size_t)snprintf(buf + o, len - o, "%s%d (%s)",
				      k		      ? ", "
				      : h->ntids == 1 ? "thread "
						      : "threads ",
				      (int)h->tids[k], comm);
	}
	if (o < len)
		snprintf(buf + o, len - o,
			 " %s inside it now (a return address on %s stack): that call goes on "
			 "in the old code until it returns, and a loop there keeps it for good",
			 h->ntids == 1 ? "is" : "are", h->ntids == 1 ? "its" : "their");
}
