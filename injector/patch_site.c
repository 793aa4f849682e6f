/*
 * patch_site — capstone checks of a patch site and the jump itself (see patch_site.h).
 */
#include "patch_site.h"
#include "procfs.h"

#include "site_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

/* The verdict of common/site_rules as the error of ps_prepare. */
static int site_error(enum site_verdict v, const struct ps_site *s, const struct site_span *sp,
		      char *err, size_t errlen)
{
	switch (v) {
	case SITE_OK:
		return 0;
	case SITE_NO_SIZE:
		snprintf(err, errlen, "function %s has no size: its code cannot be checked",
			 s->name);
		return -EINVAL;
	case SITE_TOO_SHORT:
	case SITE_SPAN_PAST_END:
		snprintf(err, errlen, "function %s is too short for a jump (%llu bytes)", s->name,
			 (unsigned long long)s->size);
		return -EINVAL;
	case SITE_NOT_BOUNDARY:
		snprintf(err, errlen, "function %s: the site is not an instruction boundary",
			 s->name);
		return -EINVAL;
	case SITE_UNDECODABLE:
		snprintf(err, errlen, "function %s: cannot decode its first instructions", s->name);
		return -EINVAL;
	case SITE_BRANCH_INTO:
		snprintf(err, errlen,
			 "function %s: the instruction at +0x%llx branches into the bytes the "
			 "jump would replace",
			 s->name, (unsigned long long)(sp->branch_at - s->func));
		return -EINVAL;
	case SITE_NO_DISASSEMBLER:
		snprintf(err, errlen, "capstone cannot be opened to check function %s", s->name);
		return -ENOMEM;
	}
	return -EINVAL;
}

int ps_prepare(int memfd, struct ps_site *s, char *err, size_t errlen)
{
	struct site_span sp;
	enum site_verdict v;
	uint8_t *code;
	size_t len = s->size < SITE_MAX_CODE ? s->size : SITE_MAX_CODE;
	if (!(code = malloc(len ? len : 1)))
		return -ENOMEM;
	if (len && pf_mem_read(memfd, s->func, code, len) != 0) {
		snprintf(err, errlen, "cannot read function %s at 0x%llx in the target", s->name,
			 (unsigned long long)s->func);
		free(code);
		return -EIO;
	}
	v = site_check(code, len, s->size, s->func, &sp);
	if (s->padded) {
		uint8_t pre[SITE_PAD_BEFORE];
		s->padded = s->func >= SITE_PAD_BEFORE &&
			    pf_mem_read(memfd, s->func - SITE_PAD_BEFORE, pre, sizeof(pre)) == 0 &&
			    site_stopfree(pre, code, len, s->size, s->func);
	}
	s->site = sp.site;
	s->end = sp.end;
	if (v == SITE_OK) {
		s->norig = PS_JMP_LEN;
		memcpy(s->orig, code + (s->site - s->func), PS_JMP_LEN);
	}
	free(code);
	return site_error(v, s, &sp, err, errlen);
}

static const struct ps_site *inside(const struct ps_site *sites, size_t n, uint64_t a)
{
	for (size_t i = 0; i < n; i++)
		if (a > sites[i].site && a < sites[i].end)
			return &sites[i];
	return NULL;
}

/* Reads as much of the stack above rsp as is mapped, up to PS_STACK_SCAN bytes. */
static size_t read_stack(int memfd, uint64_t rsp, uint64_t *stk)
{
	uint64_t base = rsp & ~7ull;
	for (size_t want = PS_STACK_SCAN; want >= 4096; want /= 2) {
		size_t lim = want - (size_t)(base & 4095);
		if (pf_mem_read(memfd, base, stk, lim) == 0)
			return lim;
	}
	return 0;
}

/*
 * A signal frame (x86-64 rt_sigframe) as the kernel writes it: the restorer's address
 * (where the handler returns: `mov $15, %rax; syscall`, rt_sigreturn), then the
 * ucontext: uc_flags (small), uc_link (0), uc_stack (3 words), then the saved registers
 * r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip.
 */
#define SF_FLAGS 1
#define SF_LINK 2
#define SF_RSP 21
#define SF_WORDS 23

struct scan {
	int memfd;
	uint64_t *stk;
	uint64_t yes[4], no[64]; /* restorer candidates already read */
	size_t nyes, nno;
	int (*hit)(void *ctx, uint64_t word);
	void *ctx;
};

static int is_restorer(struct scan *sc, uint64_t a)
{
	static const uint8_t rt_sigreturn[2][9] = {
	    {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05}, /* mov $15, %rax */
	    {0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x00, 0x00}, /* mov $15, %eax */
	};
	uint8_t code[9];
	int yes;
	for (size_t i = 0; i < sc->nyes; i++)
		if (sc->yes[i] == a)
			return 1;
	for (size_t i = 0; i < sc->nno; i++)
		if (sc->no[i] == a)
			return 0;
	yes = pf_mem_read(sc->memfd, a, code, sizeof(code)) == 0 &&
	      (memcmp(code, rt_sigreturn[0], 9) == 0 || memcmp(code, rt_sigreturn[1], 7) == 0);
	if (yes && sc->nyes < sizeof(sc->yes) / sizeof(sc->yes[0]))
		sc->yes[sc->nyes++] = a;
	else if (!yes && sc->nno < sizeof(sc->no) / sizeof(sc->no[0]))
		sc->no[sc->nno++] = a;
	return yes;
}

/*
 * Scans the stack of a thread from rsp, and from the stack pointer saved in each signal
 * frame found there when it points outside what was scanned (a handler on an alternate
 * signal stack, or deeper than the bound): that stack holds the interrupted code's
 * return addresses. Returns 1 as soon as sc->hit says so.
 */
static int scan_thread(struct scan *sc, uint64_t rsp)
{
	uint64_t todo[PS_MAX_STACKS];
	size_t ntodo = 1;
	todo[0] = rsp;
	for (size_t r = 0; r < ntodo; r++) {
		uint64_t base = todo[r] & ~7ull;
		size_t got = read_stack(sc->memfd, todo[r], sc->stk) / 8;
		for (size_t k = 0; k < got; k++) {
			uint64_t *w = &sc->stk[k], srsp;
			if (sc->hit(sc->ctx, *w))
				return 1;
			if (k + SF_WORDS > got || *w < 0x10000 || w[SF_LINK] != 0 ||
			    w[SF_FLAGS] > 0xff || ntodo == PS_MAX_STACKS || !is_restorer(sc, *w))
				continue;
			srsp = w[SF_RSP];
			if (srsp >= base && srsp < base + got * 8)
				continue;
			int seen = 0;
			for (size_t j = 0; j < ntodo; j++)
				seen |= todo[j] == srsp;
			if (!seen)
				todo[ntodo++] = srsp;
		}
	}
	return 0;
}

struct busy_ctx {
	const struct ps_site *sites, *found;
	size_t n;
};

static int busy_hit(void *ctx, uint64_t w)
{
	struct busy_ctx *b = ctx;
	return (b->found = inside(b->sites, b->n, w)) != NULL;
}

int ps_busy(const struct ps_site *sites, size_t n, struct pt_group *g, int memfd, char *err,
	    size_t errlen)
{
	struct busy_ctx b = {sites, NULL, n};
	struct scan sc = {.memfd = memfd, .hit = busy_hit, .ctx = &b};
	if (!(sc.stk = malloc(PS_STACK_SCAN)))
		return -ENOMEM;
	for (size_t i = 0; i < g->n; i++) {
		struct pt_thread *t = &g->v[i];
		struct user_regs_struct r;
		const struct ps_site *s;
		if (t->state != PT_STOPPED)
			continue;
		if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0)
			continue;
		if ((s = inside(sites, n, r.rip))) {
			snprintf(err, errlen, "thread %d is executing the first bytes of %s",
				 (int)t->tid, s->name);
			free(sc.stk);
			return 1;
		}
		if (scan_thread(&sc, r.rsp)) {
			snprintf(err, errlen,
				 "thread %d has a return address or signal frame inside the "
				 "first bytes of %s",
				 (int)t->tid, b.found->name);
			free(sc.stk);
			return 1;
		}
	}
	free(sc.stk);
	return 0;
}

struct range_ctx {
	uint64_t lo, hi;
};

static int range_hit(void *ctx, uint64_t w)
{
	const struct range_ctx *r = ctx;
	return w >= r->lo && w < r->hi;
}

int ps_threads_in(const struct pt_group *g, int memfd, uint64_t lo, uint64_t hi, pid_t *tids,
		  size_t max)
{
	size_t n = 0;
	struct range_ctx rc = {lo, hi};
	struct scan sc = {.memfd = memfd, .hit = range_hit, .ctx = &rc};
	if (!(sc.stk = malloc(PS_STACK_SCAN)))
		return -ENOMEM;
	for (size_t i = 0; i < g->n && n < max; i++) {
		const struct pt_thread *t = &g->v[i];
		struct user_regs_struct r;
		if (t->state != PT_STOPPED || ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0)
			continue;
		if ((r.rip >= lo && r.rip < hi) || scan_thread(&sc, r.rsp))
			tids[n++] = t->tid;
	}
	free(sc.stk);
	return (int)n;
}

int ps_encode(const struct ps_site *s, uint8_t j[PS_JMP_LEN])
{
	int64_t rel = (int64_t)(s->target - (s->site + PS_JMP_LEN));
	int32_t r32 = (int32_t)rel;
	if (rel != r32)
		return -ERANGE;
	j[0] = 0xe9;
	memcpy(j + 1, &r32, 4);
	return 0;
}

int ps_write(int memfd, const struct ps_site *s)
{
	uint8_t j[PS_JMP_LEN];
	int rc = ps_encode(s, j);
	return rc ? rc : pf_mem_write(memfd, s->site, j, sizeof(j));
}
