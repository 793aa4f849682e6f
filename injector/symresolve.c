/*
 * symresolve — symbol lookup in the target's loaded objects (see symresolve.h).
 */
#include "symresolve.h"
#include "ifunc_self.h"

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

/* The target's executable mappings and its vDSO: where an IFUNC's choice may point. */
static int note_ranges(struct sr_ctx *c, const struct pf_maps *maps)
{
	if (maps->n && !(c->exec = calloc(maps->n, sizeof(*c->exec))))
		return -ENOMEM;
	for (size_t i = 0; i < maps->n; i++) {
		const struct pf_map *m = &maps->v[i];
		struct sr_range r = {m->start, m->end};
		if (strchr(m->perms, 'x'))
			c->exec[c->nexec++] = r;
		if (!strcmp(m->path, "[vdso]"))
			c->vdso = r;
	}
	return 0;
}

int sr_open(struct sr_ctx *c, pid_t pid, const struct pf_maps *maps, const char *exe_path,
	    int memfd)
{
	int rc;
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->memfd = memfd;
	if ((rc = note_ranges(c, maps)) != 0)
		return rc;
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
	free(c->exec);
	c->v = NULL;
	c->n = 0;
	c->exec = NULL;
	c->nexec = 0;
}

static int executable(const struct sr_ctx *c, uint64_t a)
{
	for (size_t i = 0; i < c->nexec; i++)
		if (a >= c->exec[i].lo && a < c->exec[i].hi)
			return 1;
	return 0;
}

/* An IFUNC as object o's GOT has it: 1 and *addr, else 0; *lazy set when o imports it
 * but its slot still holds the PLT stub the loader put there (never called yet). */
static int got_choice(struct sr_ctx *c, struct sr_obj *o, const char *name, const char *version,
		      uint64_t *addr, int *lazy)
{
	struct ef_import *imp;
	size_t n;
	int found = 0;
	if (ef_got_imports(&o->ef, name, &imp, &n) != 0)
		return 0;
	for (size_t i = 0; i < n && !found; i++) {
		uint64_t v;
		/* another version of the symbol may be another function */
		if (imp[i].version && version && strcmp(imp[i].version, version) != 0)
			continue;
		if (pf_mem_read(c->memfd, o->bias + imp[i].slot, &v, sizeof(v)) != 0 || !v)
			continue;
		if (imp[i].initial && v == o->bias + imp[i].initial) {
			*lazy = 1;
			continue;
		}
		if (executable(c, v)) {
			*addr = v;
			found = 1;
		}
	}
	free(imp);
	return found;
}

/* (c): the slot of the defining library's R_X86_64_IRELATIVE for this resolver. */
static int irelative_choice(struct sr_ctx *c, struct sr_obj *o, const GElf_Sym *s, uint64_t *addr)
{
	uint64_t slot, v;
	if (ef_irelative_slot(&o->ef, s->st_value, &slot) != 0 ||
	    pf_mem_read(c->memfd, o->bias + slot, &v, 8) != 0 || !v || !executable(c, v))
		return 0;
	*addr = v;
	return 1;
}

/* The implementation of IFUNC `name` (symbol s of o, default version `version`) that
 * the process uses, in the order of symresolve.h. */
static int ifunc_choice(struct sr_ctx *c, struct sr_obj *o, const char *name, const char *version,
			const GElf_Sym *s, uint64_t *addr, char *err, size_t errlen)
{
	struct is_target t = {c->pid, c->memfd, o->path, &o->ef, o->bias, c->vdso.lo, c->vdso.hi};
	char why[512] = "";
	int lazy = 0, rc;
	for (size_t i = 0; i < c->n; i++)
		if (got_choice(c, &c->v[i], name, version, addr, &lazy))
			return 0;
	if (irelative_choice(c, o, s, addr))
		return 0;
	if ((rc = is_choose(&t, name, version, addr, why, sizeof(why))) == 0)
		return 0;
	if (!why[0])
		snprintf(why, sizeof(why), "polus-apply cannot choose for it: %s", strerror(-rc));
	const char *base = strrchr(o->path, '/');
	snprintf(err, errlen,
		 "symbol %s is an IFUNC of %s whose choice in this process cannot be had: %s, "
		 "%s has no IRELATIVE slot for it, and %s",
		 name, o->path,
		 lazy ? "no loaded object's GOT holds it resolved (lazy binding: not called yet)"
		      : "no loaded object imports it",
		 base ? base + 1 : o->path, why);
	return -ENOTSUP;
}

int sr_lookup(void *ctx, const char *name, uint64_t *addr, char *err, size_t errlen)
{
	struct sr_ctx *c = ctx;
	for (size_t i = 0; i < c->n; i++) {
		struct sr_obj *o = &c->v[i];
		const char *version = NULL;
		GElf_Sym s;
		if (ef_dynsym_find(&o->ef, name, &s, &version) != 0)
			continue;
		switch (GELF_ST_TYPE(s.st_info)) {
		case STT_TLS:
			snprintf(err, errlen, "symbol %s is thread-local in %s (unsupported)", name,
				 o->path);
			return -ENOTSUP;
		case STT_GNU_IFUNC:
			return ifunc_choice(c, o, name, version, &s, addr, err, errlen);
		default:
			*addr = s.st_shndx == SHN_ABS ? s.st_value : o->bias + s.st_value;
			return 0;
		}
	}
	snprintf(err, errlen, "cannot resolve symbol %s in the target's libraries", name);
	return -ENOENT;
}
