/*
 * track_unwind — frames of a stopped thread from .eh_frame (see track_unwind.h).
 */
#include "track_unwind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TU_MAX_DEPTH 512

int tu_init(struct tu_ctx *u, const struct pf_maps *maps, int memfd)
{
	memset(u, 0, sizeof(*u));
	u->memfd = memfd;
	if (!(u->m = calloc(maps->n + 1, sizeof(*u->m))))
		return -ENOMEM;
	for (size_t i = 0; i < maps->n; i++) {
		const struct pf_map *p = &maps->v[i];
		if (p->perms[2] != 'x' || p->path[0] != '/')
			continue;
		struct tu_module *m = &u->m[u->n];
		if (!(m->path = strdup(p->path)))
			return -ENOMEM;
		m->lo = p->start;
		m->hi = p->end;
		m->bias = p->start - p->offset; /* corrected from the file's segments when read */
		u->n++;
	}
	return 0;
}

void tu_free(struct tu_ctx *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->m[i].path);
		if (u->m[i].state == 1)
			cfi_close(&u->m[i].cfi);
	}
	free(u->m);
	memset(u, 0, sizeof(*u));
}

/* The module's .eh_frame and its exact bias: the PT_LOAD segment its mapping shows. */
static int load(struct tu_module *m, uint64_t file_off)
{
	struct ef_file f;
	char err[256];
	size_t n;
	m->state = -1;
	if (ef_open_path(&f, m->path, err, sizeof(err)) != 0)
		return -1;
	if (elf_getphdrnum(f.elf, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(f.elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_flags & PF_X) && file_off >= ph.p_offset &&
			    file_off < ph.p_offset + ph.p_filesz)
				m->bias = m->lo - (ph.p_vaddr + (file_off - ph.p_offset));
		}
	if (cfi_open(&m->cfi, &f) == 0)
		m->state = 1;
	ef_close(&f);
	return m->state == 1 ? 0 : -1;
}

static struct tu_module *module_of(struct tu_ctx *u, uint64_t pc)
{
	for (size_t i = 0; i < u->n; i++) {
		struct tu_module *m = &u->m[i];
		if (pc < m->lo || pc >= m->hi)
			continue;
		if (m->state == 0)
			load(m, m->lo - m->bias);
		return m->state == 1 ? m : NULL;
	}
	return NULL;
}

int tu_walk(struct tu_ctx *u, const struct user_regs_struct *r,
	    int (*visit)(void *ctx, uint64_t pc, uint64_t cfa), void *ctx)
{
	uint64_t pc = r->rip, sp = r->rsp, bp = r->rbp;
	for (int depth = 0; depth < TU_MAX_DEPTH; depth++) {
		/* a caller's pc is a return address: its call is the byte before */
		uint64_t at = depth ? pc - 1 : pc;
		struct tu_module *m = module_of(u, at);
		struct cfi_row row;
		if (!m || cfi_row(&m->cfi, at - m->bias, &row) != 0)
			return 0;
		uint64_t cfa = (row.reg == CFI_RSP ? sp : bp) + (uint64_t)row.off, ra;
		int rc = visit(ctx, pc, cfa);
		if (rc)
			return rc;
		if (row.ra_undef)
			return 1;
		if (cfa <= sp || pf_mem_read(u->memfd, cfa - 8, &ra, 8) != 0)
			return 0;
		if (ra == 0)
			return 1;
		if (row.rbp_saved &&
		    pf_mem_read(u->memfd, cfa + (uint64_t)row.rbp_off, &bp, 8) != 0)
			return 0;
		sp = cfa;
		pc = ra;
	}
	return 0;
}
