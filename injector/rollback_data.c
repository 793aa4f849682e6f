/*
 * rollback_data — syncing changed variables back on a rollback (see rollback_data.h).
 */
#include "rollback_data.h"
#include "errmsg.h"
#include "exitcodes.h"
#include "patch_site.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t rd_count(const struct rb_ctx *c)
{
	size_t n = 0;
	for (size_t u = 0; u < c->nundo; u++)
		n += c->v[c->undo[u]].nback;
	return n;
}

/* The threads of g in the executable mappings of the image at load (one object). */
static int threads_in_image(const struct pf_maps *maps, uint64_t load, const struct pt_group *g,
			    int memfd, pid_t *tid)
{
	const char *path = NULL;
	for (size_t i = 0; i < maps->n; i++) {
		const struct pf_map *m = &maps->v[i];
		if (m->start == load)
			path = m->path;
		if (!path || m->start < load || strcmp(m->path, path) != 0)
			continue;
		if (m->perms[2] != 'x')
			continue;
		int n = ps_threads_in(g, memfd, m->start, m->end, tid, 1);
		if (n != 0)
			return n;
	}
	return 0;
}

int rd_busy(const struct rb_ctx *c, const struct pf_maps *maps, const struct pt_group *g, int memfd,
	    char *what, size_t len)
{
	for (size_t u = 0; u < c->nundo; u++) {
		const struct reg_patch *p = &c->v[c->undo[u]];
		pid_t tid = 0;
		if (!p->nback)
			continue;
		int n = threads_in_image(maps, p->load_addr, g, memfd, &tid);
		if (n < 0)
			return n;
		if (n > 0) {
			char comm[64] = "?", path[64];
			snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)c->pid,
				 (int)tid);
			FILE *f = fopen(path, "r");
			if (f) {
				if (fgets(comm, sizeof(comm), f))
					comm[strcspn(comm, "\n")] = 0;
				fclose(f);
			}
			snprintf(
			    what, len,
			    "new code of patch %s (it changed the type of %s) runs in thread %d "
			    "(%s)",
			    p->name, p->back[0].name, (int)tid, comm);
			return 1;
		}
	}
	return 0;
}

int rd_sync_back(const struct rb_ctx *c, struct rs_ctx *rs, void (*line)(void *, const char *),
		 void *ctx, char *err, size_t errlen)
{
	for (size_t u = 0; u < c->nundo; u++) {
		const struct reg_patch *p = &c->v[c->undo[u]];
		for (size_t k = 0; k < p->nback; k++) {
			long args[6] = {0}, res = 0;
			char text[256];
			int rc = rs_fncall(rs, p->back[k].addr, args, &res);
			if (rc)
				return px_err(
				    err, errlen, PX_INTERNAL,
				    "patch %s: the sync back of %s in thread %d failed: %s",
				    p->name, p->back[k].name, (int)rs->t->tid, strerror(-rc));
			snprintf(text, sizeof(text), "%s: synced new -> old", p->back[k].name);
			line(ctx, text);
		}
	}
	return 0;
}
