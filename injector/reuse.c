/*
 * reuse — the image of a rolled-back patch, applied again (see reuse.h).
 */
#include "reuse.h"
#include "formats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

const struct reg_patch *ru_find(const struct reg_patch *v, size_t n, const char *build_id)
{
	if (!build_id[0])
		return NULL;
	for (size_t i = n; i-- > 0;)
		if (strcasecmp(v[i].build_id, build_id) == 0 &&
		    strcmp(v[i].state, REG_STATE_ROLLED_BACK) == 0)
			return &v[i];
	return NULL;
}

struct cmp_ctx {
	int memfd;
	const struct pf_maps *maps;
	const struct ld_image *img;
	const char *mapname;
	char *err;
	size_t errlen;
};

/* The mapping of the target that holds addr, or NULL. */
static const struct pf_map *map_at(const struct pf_maps *m, uint64_t addr)
{
	for (size_t i = 0; i < m->n; i++)
		if (addr >= m->v[i].start && addr < m->v[i].end)
			return &m->v[i];
	return NULL;
}

/* One run of pages: mapped from our memfd; if read-only, the same bytes as the image. */
static int cmp_run(void *ctx, uint64_t addr, uint64_t len, int prot)
{
	struct cmp_ctx *c = ctx;
	const struct pf_map *m = map_at(c->maps, addr);
	const char *at = m ? strstr(m->path, c->mapname) : NULL;
	char after = at ? at[strlen(c->mapname)] : 'x';
	if (!at || (after != 0 && after != ' ') || m->end < addr + len) {
		snprintf(c->err, c->errlen, "its image is no longer mapped at 0x%llx",
			 (unsigned long long)addr);
		return 1;
	}
	if (prot & PROT_WRITE)
		return 0; /* the patch's variables: their values are its state */
	uint8_t *now = malloc(len);
	if (!now)
		return -ENOMEM;
	int rc = pf_mem_read(c->memfd, addr, now, len);
	if (!rc && memcmp(now, c->img->buf + (addr - c->img->addr), len) != 0)
		rc = 1;
	free(now);
	if (rc)
		snprintf(c->err, c->errlen, "its image at 0x%llx differs from the patch",
			 (unsigned long long)addr);
	return rc < 0 ? 1 : rc;
}

int ru_check(int memfd, const struct pf_maps *maps, const struct ld_patch *lp,
	     const struct ld_image *img, char *err, size_t errlen)
{
	char name[300];
	snprintf(name, sizeof(name), "memfd:" POLUS_MEMFD_PREFIX "%s",
		 lp->vf.name ? lp->vf.name : "patch");
	struct cmp_ctx c = {memfd, maps, img, name, err, errlen};
	return ld_each_prot(lp, img, cmp_run, &c);
}
