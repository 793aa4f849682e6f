/*
 * symresolve — symbol lookup in the target's loaded objects (see symresolve.h).
 */
#include "symresolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_obj(struct sr_ctx *c, pid_t pid, const struct pf_map *m)
{
	char path[4200];
	struct sr_obj o;
	uint64_t link;
	memset(&o, 0, sizeof(o));
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	if (ef_open_path(&o.ef, path, NULL, 0) != 0) {
		snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, m->path);
		if (ef_open_path(&o.ef, path, NULL, 0) != 0)
			return 0; /* not an ELF file we can read: skip it */
	}
	if (ef_link_base(&o.ef, &link) != 0) {
		ef_close(&o.ef);
		return 0;
	}
	o.bias = m->start - m->offset - link;
	if (!(o.path = strdup(m->path))) {
		ef_close(&o.ef);
		return -ENOMEM;
	}
	struct sr_obj *nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
	if (!nv) {
		free(o.path);
		ef_close(&o.ef);
		return -ENOMEM;
	}
	c->v = nv;
	c->v[c->n++] = o;
	return 0;
}

static int seen(struct sr_ctx *c, const char *path)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].path, path) == 0)
			return 1;
	return 0;
}

int sr_open(struct sr_ctx *c, pid_t pid, const struct pf_maps *maps, const char *exe_path,
	    int memfd)
{
	int rc;
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->memfd = memfd;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < maps->n; i++) {
			const struct pf_map *m = &maps->v[i];
			int is_exe = strcmp(m->path, exe_path) == 0;
			if (m->path[0] != '/' || strncmp(m->path, "/memfd:", 7) == 0 ||
			    m->offset != 0 || seen(c, m->path))
				continue;
			if ((pass == 0) != is_exe)
				continue;
			if ((rc = add_obj(c, pid, m)) != 0) {
				sr_close(c);
				return rc;
			}
		}
	return 0;
}

void sr_close(struct sr_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].path);
		ef_close(&c->v[i].ef);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

int sr_lookup(void *ctx, const char *name, uint64_t *addr, char *err, size_t errlen)
{
	struct sr_ctx *c = ctx;
	for (size_t i = 0; i < c->n; i++) {
		struct sr_obj *o = &c->v[i];
		GElf_Sym s;
		if (ef_dynsym_lookup(&o->ef, name, &s) != 0)
			continue;
		switch (GELF_ST_TYPE(s.st_info)) {
		case STT_TLS:
			snprintf(err, errlen, "symbol %s is thread-local in %s (unsupported)", name,
				 o->path);
			return -ENOTSUP;
		case STT_GNU_IFUNC: {
			uint64_t slot, v;
			if (ef_irelative_slot(&o->ef, s.st_value, &slot) != 0 ||
			    pf_mem_read(c->memfd, o->bias + slot, &v, 8) != 0 || !v) {
				snprintf(err, errlen,
					 "symbol %s is an IFUNC in %s whose choice cannot be read",
					 name, o->path);
				return -ENOTSUP;
			}
			*addr = v;
			return 0;
		}
		default:
			*addr = s.st_shndx == SHN_ABS ? s.st_value : o->bias + s.st_value;
			return 0;
		}
	}
	snprintf(err, errlen, "cannot resolve symbol %s in the target's libraries", name);
	return -ENOENT;
}
