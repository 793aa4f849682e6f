/*
 * patch_store — the store of patches and the per-process choice (see patch_store.h).
 */
#include "patch_store.h"
#include "errmsg.h"
#include "exitcodes.h"
#include "formats.h"
#include "loader.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define fail(err, errlen, code, ...) px_err(err, errlen, code, __VA_ARGS__)

static void free_patch(struct pst_patch *p)
{
	free(p->path);
	free(p->name);
	free(p->build_id);
	free(p->target);
	for (size_t i = 0; i < p->nrequires; i++)
		free(p->requires[i]);
	free(p->requires);
}

void pst_close(struct pst_store *s)
{
	for (size_t i = 0; i < s->n; i++)
		free_patch(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s ? s : "");
	for (char *c = d; c && *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	return d;
}

/* Opens the patch at path (as polus-apply would) and adds what the choice needs. */
static int add_patch(struct pst_store *s, const char *path, char *err, size_t errlen)
{
	struct ld_patch lp;
	struct pst_patch *nv, *p;
	if (ld_open(path, &lp, err, errlen) != 0)
		return PX_INPUT;
	if (!(nv = realloc(s->v, (s->n + 1) * sizeof(*s->v)))) {
		ld_close(&lp);
		return fail(err, errlen, PX_INTERNAL, "out of memory");
	}
	s->v = nv;
	p = memset(&s->v[s->n++], 0, sizeof(*p));
	p->path = strdup(path);
	p->name = strdup(lp.vf.name ? lp.vf.name : "patch");
	p->build_id = lower_dup(lp.build_id);
	p->target = lower_dup(lp.vf.target_build_id);
	p->requires = calloc(lp.vf.nrequires + 1, sizeof(char *));
	for (size_t i = 0; p->requires && i < lp.vf.nrequires; i++)
	p->requires[p->nrequires++] = lower_dup(lp.vf.requires[i]);
	ld_close(&lp);
	if (!p->path || !p->name || !p->build_id || !p->target || !p->requires)
		return fail(err, errlen, PX_INTERNAL, "out of memory");
	if (!p->build_id[0])
		return fail(err, errlen, PX_INPUT, "%s: the patch has no build-id", path);
	return 0;
}

int pst_single(const char *path, struct pst_store *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->single = 1;
	return add_patch(s, path, err, errlen);
}

static int is_patch_name(const struct dirent *d)
{
	size_t l = strlen(d->d_name);
	return d->d_name[0] != '.' && l > 3 && strcmp(d->d_name + l - 3, ".so") == 0;
}

/* Adds DIR/BUILD/ *.so in name order (their place in the chain first). */
static int add_build(struct pst_store *s, const char *dir, const char *build, char *err,
		     size_t errlen)
{
	char path[4096];
	struct dirent **names;
	int rc = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, build);
	int n = scandir(path, &names, is_patch_name, alphasort);
	if (n < 0)
		return 0; /* not a folder */
	for (int i = 0; i < n; i++) {
		if (!rc && snprintf(path, sizeof(path), "%s/%s/%s", dir, build, names[i]->d_name) >=
			       (int)sizeof(path))
			rc = fail(err, errlen, PX_INPUT, "%s/%s: path too long", dir, build);
		if (!rc && (rc = add_patch(s, path, err, errlen)) == 0 &&
		    strcasecmp(s->v[s->n - 1].target, build) != 0)
			rc = fail(err, errlen, PX_INPUT,
				  "%s: in the store's folder of build %s, but the patch is for "
				  "build %s",
				  path, build, s->v[s->n - 1].target);
		free(names[i]);
	}
	free(names);
	return rc;
}

int pst_open(const char *dir, struct pst_store *s, char *err, size_t errlen)
{
	struct dirent **names;
	int rc = 0;
	memset(s, 0, sizeof(*s));
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return fail(err, errlen, PX_INPUT, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		if (!rc && names[i]->d_name[0] != '.')
			rc = add_build(s, dir, names[i]->d_name, err, errlen);
		free(names[i]);
	}
	free(names);
	if (rc)
		pst_close(s);
	return rc;
}

int pst_has_build(const struct pst_store *s, const char *bid)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcasecmp(s->v[i].target, bid) == 0)
			return 1;
	return 0;
}

/* Patch build-id id is applied, or chosen among out[0..n). */
static int have(const struct pst_store *s, const char *id, const struct reg_patch *applied,
		size_t napplied, const size_t *out, size_t n)
{
	for (size_t i = 0; i < napplied; i++)
		if (strcasecmp(applied[i].build_id, id) == 0 &&
		    strcmp(applied[i].state, REG_STATE_APPLIED) == 0)
			return 1;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(s->v[out[i]].build_id, id) == 0)
			return 1;
	return 0;
}

/* The records of applied patches (rollback will add other states). */
static size_t count_applied(const struct reg_patch *applied, size_t napplied)
{
	size_t k = 0;
	for (size_t i = 0; i < napplied; i++)
		k += strcmp(applied[i].state, REG_STATE_APPLIED) == 0;
	return k;
}

/* p sits exactly on the chain applied + chosen: it requires every patch below it. */
static int fits(const struct pst_store *s, const struct pst_patch *p,
		const struct reg_patch *applied, size_t napplied, const size_t *out, size_t n)
{
	if (s->single)
		return 1;
	if (p->nrequires != count_applied(applied, napplied) + n)
		return 0;
	for (size_t r = 0; r < p->nrequires; r++)
		if (!have(s, p->requires[r], applied, napplied, out, n))
			return 0;
	return 1;
}

size_t pst_plan(const struct pst_store *s, const char *bid, const struct reg_patch *applied,
		size_t napplied, size_t *out, size_t max)
{
	size_t n = 0;
	for (int grew = 1; grew && n < max;) { /* one place of the chain per pass */
		grew = 0;
		for (size_t i = 0; i < s->n && n < max && !grew; i++) {
			const struct pst_patch *p = &s->v[i];
			if (strcasecmp(p->target, bid) == 0 &&
			    !have(s, p->build_id, applied, napplied, out, n) &&
			    fits(s, p, applied, napplied, out, n)) {
				out[n++] = i;
				grew = 1;
			}
		}
	}
	return n;
}

int pst_path(const char *dir, const char *target, size_t nrequires, const char *name, char *buf,
	     size_t len)
{
	int n = snprintf(buf, len, POLUS_STORE_PATH_FMT, dir, target, nrequires + 1, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
