/*
 * meta — parser of .polus.meta records (docs/metadata.md). Fields are unescaped in
 * place; structs hold pointers into the section buffer.
 */
#include "meta.h"
#include "formats.h"
#include "mkpatch_util.h"
#include <stdlib.h>
#include <string.h>

#define MAXF 16

static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* Splits the NUL-terminated line into at most MAXF fields; returns the count. */
static int split(char *line, char **f)
{
	int n = 0;
	char *p = line;
	for (;;) {
		char *t = strchr(p, '\t');
		if (n < MAXF)
			f[n++] = p;
		if (!t)
			break;
		*t = 0;
		p = t + 1;
	}
	for (int i = 0; i < n; i++)
		unescape(f[i]);
	return n;
}

/* One line being read: the handler of its kind gets it whole. */
struct rd {
	struct meta_unit *u; /* the open record; NULL once `end` closed it */
	char **f;	     /* f[0] the kind, f[1..n-1] its fields, unescaped */
	int n;
	size_t lineno;
	char *err;
	size_t errlen;
};

static void index_unit(struct meta_unit *u);
static int meta_check_links(const struct meta_unit *u, char *err, size_t errlen);

/* One handler per kind of versionfiles/meta_format.h, named read_<ID>: a kind added to
 * the table does not compile here until it has one. The table has already checked
 * that at least NREQUIRED fields are there. */
static int read_COMPILER(struct rd *r)
{
	r->u->compiler = r->f[1];
	return 0;
}

static int read_HASHES(struct rd *r)
{
	r->u->hashes = atoi(r->f[1]);
	if (r->u->hashes < 1)
		return msg(r->err, r->errlen, POLUS_META_SECTION " line %zu: bad hashes '%s'",
			   r->lineno, r->f[1]);
	return 0;
}

static int read_DRIVER(struct rd *r)
{
	r->u->driver = r->f[1];
	return 0;
}

static int read_CWD(struct rd *r)
{
	r->u->cwd = r->f[1];
	return 0;
}

static int read_SRC(struct rd *r)
{
	r->u->src = r->f[1];
	return 0;
}

static int read_OPT(struct rd *r)
{
	struct meta_unit *u = r->u;
	VEC_PUSH(u->opts, u->nopts, u->capopts, r->f[1]);
	return 0;
}

/* which of the three ways the pass-through options were found (none in older records) */
static int read_OPTSRC(struct rd *r)
{
	r->u->optsrc = r->f[1];
	return 0;
}

static int read_CC1OPT(struct rd *r)
{
	struct meta_pair p = {r->f[1], r->n > 2 ? r->f[2] : NULL, NULL};
	VEC_PUSH(r->u->cc1opts, r->u->ncc1opts, r->u->capcc1opts, p);
	return 0;
}

static int read_ENV(struct rd *r)
{
	struct meta_pair p = {r->f[1], r->f[2], NULL};
	VEC_PUSH(r->u->envs, r->u->nenvs, r->u->capenvs, p);
	return 0;
}

/* SETTER came later than LEVEL: older records have only LEVEL */
static int read_PROFILE(struct rd *r)
{
	r->u->profile = r->f[1];
	r->u->profile_by = r->n > 2 ? r->f[2] : "-";
	return 0;
}

/* padded entries: SIZE NOPs, BEFORE of them before the entry (docs/stopfree.md) */
static int read_PAD(struct rd *r)
{
	r->u->pad_size = r->f[1];
	r->u->pad_before = r->f[2];
	r->u->pad_by = r->f[3];
	return 0;
}

static struct meta_fn fn_fields(char **f)
{
	struct meta_fn fn = {.name = f[1],
			     .asm_name = f[2],
			     .linkage = f[3],
			     .sig = f[4],
			     .hash = f[5],
			     .hash_noline = f[6],
			     .hash_nolayout = f[7],
			     .is_static = !strncmp(f[3], "static", 6)};
	return fn;
}

static int read_FN(struct rd *r)
{
	struct meta_fn fn = fn_fields(r->f);
	VEC_PUSH(r->u->fns, r->u->nfns, r->u->capfns, fn);
	return 0;
}

/* An extern inline body is no definition a patch can replace, but the callers that
 * inlined it carry it: a change of it changes them. */
static int read_XFN(struct rd *r)
{
	struct meta_fn fn = fn_fields(r->f);
	VEC_PUSH(r->u->xfns, r->u->nxfns, r->u->capxfns, fn);
	return 0;
}

static int read_USE(struct rd *r)
{
	struct meta_unit *u = r->u;
	struct meta_use us = {.fn = r->f[1], .kind = r->f[2], .target = r->f[3]};
	VEC_PUSH(u->uses, u->nuses, u->capuses, us);
	return 0;
}

/* emit, inline and ecall lines: two names each, kept in their own list */
static int push_pair(struct rd *r, struct meta_pair **v, size_t *n, size_t *cap)
{
	struct meta_pair p = {r->f[1], r->f[2], NULL};
	VEC_PUSH(*v, *n, *cap, p);
	return 0;
}

/* CALLEE is the source name; a record of an older plugin named the clone there
 * (f.part.0): its origin is the name up to the first '.', as C names have none. */
static void inline_callee(struct meta_unit *u, struct meta_pair *p, const char *clone)
{
	const char *dot = strchr(p->b, '.');
	p->c = clone && strcmp(clone, "-") ? clone : NULL;
	if (p->c || !dot || dot == p->b)
		return;
	char *origin = xasprintf("%.*s", (int)(dot - p->b), p->b);
	VEC_PUSH(u->owned, u->nowned, u->capowned, origin);
	p->c = p->b;
	p->b = origin;
}

static int read_EMIT(struct rd *r)
{
	return push_pair(r, &r->u->emits, &r->u->nemits, &r->u->capemits);
}

static int read_INLINE(struct rd *r)
{
	struct meta_unit *u = r->u;
	push_pair(r, &u->inlines, &u->ninlines, &u->capinlines);
	inline_callee(u, &u->inlines[u->ninlines - 1], r->n > 3 ? r->f[3] : NULL);
	return 0;
}

static int read_ECALL(struct rd *r)
{
	return push_pair(r, &r->u->ecalls, &r->u->necalls, &r->u->capecalls);
}

static int read_VAR(struct rd *r)
{
	struct meta_unit *u = r->u;
	char **f = r->f;
	struct meta_var v = {.key = f[1],
			     .name = f[2],
			     .asm_name = f[3],
			     .scope = f[4],
			     .owner = f[5],
			     .type = f[6],
			     .size = f[7],
			     .access = f[8],
			     .inithash = f[9],
			     .flags = f[10],
			     .tls = strstr(f[10], "tls") != NULL};
	VEC_PUSH(u->vars, u->nvars, u->capvars, v);
	return 0;
}

static int read_TYPE(struct rd *r)
{
	struct meta_unit *u = r->u;
	struct meta_type t = {.tag = r->f[1], .kind = r->f[2], .size = r->f[3], .layout = r->f[4]};
	VEC_PUSH(u->types, u->ntypes, u->captypes, t);
	return 0;
}

/* a stub of a patch's records: release_merge (mkpatch_release.c) fills it in */
static int read_SAME_AS_BELOW(struct rd *r)
{
	(void)r;
	return 0;
}

static int read_END(struct rd *r)
{
	struct meta_unit *u = r->u;
	if (!u->src || !u->cwd || !u->compiler)
		return msg(r->err, r->errlen,
			   POLUS_META_SECTION " line %zu: record without compiler/cwd/src",
			   r->lineno);
	u->abs_src = path_absolute(u->cwd, u->src);
	index_unit(u);
	if (meta_check_links(u, r->err, r->errlen))
		return -1;
	r->u = NULL;
	return 0;
}

static int (*const readers[META_NKEYS])(struct rd *) = {
#define META_READER(id, key, nfields, nrequired, fields, meaning) [META_K_##id] = read_##id,
    META_KEYS(META_READER)
#undef META_READER
};

/* The kind named s, or -1: a kind written by a newer plugin, ignored by design. */
static int find_key(const char *s)
{
	for (int k = 0; k < META_NKEYS; k++)
		if (!strcmp(s, meta_key_def(k)->key))
			return k;
	return -1;
}

/* Dispatches one line of an open record to its kind's reader. */
static int read_line(struct rd *r)
{
	int k = find_key(r->f[0]);
	if (k < 0)
		return 0;
	const struct meta_key_def *d = meta_key_def(k);
	if (r->n - 1 < d->nrequired)
		return msg(r->err, r->errlen,
			   POLUS_META_SECTION " line %zu: '%s' has %d fields, expected %d",
			   r->lineno, d->key, r->n - 1, d->nrequired);
	return readers[k](r);
}

static void index_unit(struct meta_unit *u)
{
	struct smap last = {0};
	u->use_next = xcalloc(u->nuses, sizeof(long));
	for (size_t i = 0; i < u->nuses; i++) {
		long prev = smap_get(&last, u->uses[i].fn);
		u->use_next[i] = -1;
		if (prev < 0) {
			smap_put(&u->use_first, u->uses[i].fn, (long)i);
			smap_put(&last, u->uses[i].fn, (long)i);
		} else {
			u->use_next[prev] = (long)i;
			smap_set(&last, u->uses[i].fn, (long)i);
		}
	}
	smap_free(&last);
	for (size_t i = 0; i < u->nemits; i++)
		smap_put(&u->emit_at, u->emits[i].a, (long)i);
	for (size_t i = 0; i < u->nfns; i++)
		smap_put(&u->fn_at, u->fns[i].name, (long)i);
	for (size_t i = 0; i < u->nxfns; i++)
		smap_put(&u->xfn_at, u->xfns[i].name, (long)i);
}

const struct meta_fn *meta_fn_named(const struct meta_unit *u, const char *name, int xfn)
{
	long i = smap_get(xfn ? &u->xfn_at : &u->fn_at, name);
	return i < 0 ? NULL : xfn ? &u->xfns[i] : &u->fns[i];
}

static int is_function(const struct meta_unit *u, const char *name)
{
	return meta_fn_named(u, name, 0) || meta_fn_named(u, name, 1);
}

/* Whether `clone` (f.constprop.0) is a clone of `origin` (f). */
static int clone_of(const char *clone, const char *origin)
{
	size_t n = strlen(origin);
	return !strncmp(clone, origin, n) && clone[n] == '.';
}

static int unresolved(const struct meta_unit *u, const char *kind, const struct meta_pair *p,
		      const char *name, const char *why, char *err, size_t errlen)
{
	return msg(err, errlen,
		   ".polus.meta of %s: record '%s %s %s%s%s' names %s, which %s: the record "
		   "is corrupt or from another build",
		   u->src, kind, p->a, p->b, p->c ? " " : "", p->c ? p->c : "", name, why);
}

/* Every inline, clone and call record names functions of the unit (see meta.h). */
static int meta_check_links(const struct meta_unit *u, char *err, size_t errlen)
{
	for (size_t i = 0; i < u->ninlines; i++) {
		const struct meta_pair *p = &u->inlines[i];
		if (!meta_origin(u, p->a) && !is_function(u, p->a))
			return unresolved(u, "inline", p, p->a, "is no function of that unit", err,
					  errlen);
		if (!is_function(u, p->b))
			return unresolved(u, "inline", p, p->b, "is no function of that unit", err,
					  errlen);
		if (p->c && !clone_of(p->c, p->b))
			return unresolved(u, "inline", p, p->c, "is no clone of it", err, errlen);
	}
	for (size_t i = 0; i < u->nemits; i++) {
		const struct meta_pair *p = &u->emits[i];
		/* a body without a source function is the compiler's own (ASan's
		 * constructors); a clone's origin must be there */
		if (strcmp(p->a, p->b) && !is_function(u, p->b))
			return unresolved(u, "emit", p, p->b, "is no function of that unit", err,
					  errlen);
	}
	for (size_t i = 0; i < u->necalls; i++) {
		const struct meta_pair *p = &u->ecalls[i];
		const char *dot = strchr(p->b, '.');
		if (!meta_origin(u, p->a))
			return unresolved(u, "ecall", p, p->a, "is no body emitted by that unit",
					  err, errlen);
		if (meta_origin(u, p->b) || !dot || dot == p->b)
			continue; /* emitted here, or a call out of the unit */
		char *origin = xasprintf("%.*s", (int)(dot - p->b), p->b);
		int mine = is_function(u, origin);
		free(origin);
		if (mine)
			return unresolved(u, "ecall", p, p->b,
					  "is a clone that unit emitted no body for", err, errlen);
	}
	return 0;
}

const char *meta_origin(const struct meta_unit *u, const char *asm_name)
{
	long i = smap_get(&u->emit_at, asm_name);
	return i < 0 ? NULL : u->emits[i].b;
}

long meta_first_use(const struct meta_unit *u, const char *fn)
{
	return smap_get(&u->use_first, fn);
}

long meta_next_use(const struct meta_unit *u, long i)
{
	return u->use_next[i];
}

/* Longest common directory of all units' abs_src, then each unit's key relative to it. */
static void assign_keys(struct meta_build *b)
{
	size_t common = 0;
	struct smap seen = {0};
	if (!b->nunits) {
		b->root = xstrdup("/");
		return;
	}
	const char *first = b->units[0].abs_src;
	const char *slash = strrchr(first, '/');
	common = (size_t)(slash - first); /* directory of the first unit, without the '/' */
	for (size_t i = 1; i < b->nunits; i++) {
		const char *s = b->units[i].abs_src;
		size_t j = 0;
		while (j < common && s[j] == first[j])
			j++;
		/* on a mismatch, back up to the last directory both share */
		if (j < common || s[j] != '/') {
			if (j > 0)
				j--;
			while (j > 0 && first[j] != '/')
				j--;
		}
		common = j;
	}
	b->root = common ? strndup(first, common) : xstrdup("/");
	for (size_t i = 0; i < b->nunits; i++) {
		struct meta_unit *u = &b->units[i];
		u->key = u->abs_src + common + (u->abs_src[common] == '/');
		if (smap_get(&seen, u->key) >= 0) {
			/* the same source built twice (different -D, say): keep keys unique */
			for (int k = 2;; k++) {
				free(u->key_buf);
				u->key_buf = xasprintf("%s#%d", u->key, k);
				if (smap_get(&seen, u->key_buf) < 0)
					break;
			}
			u->key = u->key_buf;
		}
		smap_put(&seen, u->key, (long)i);
	}
	smap_free(&seen);
}

int meta_parse(char *buf, size_t len, struct meta_build *b, char *err, size_t errlen)
{
	size_t pos = 0;
	char *f[MAXF];
	struct rd r = {.f = f, .err = err, .errlen = errlen};

	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->len = len;
	while (pos < len) {
		if (!r.u && buf[pos] == 0) { /* linker padding between records */
			pos++;
			continue;
		}
		char *line = buf + pos;
		char *nl = memchr(line, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		r.lineno++;
		if (memchr(line, 0, end - pos))
			return msg(err, errlen,
				   POLUS_META_SECTION " line %zu: NUL byte inside a record",
				   r.lineno);
		if (!nl)
			return msg(err, errlen, POLUS_META_SECTION " line %zu: truncated record",
				   r.lineno);
		*nl = 0;
		pos = end + 1;
		r.n = split(line, f);
		if (r.u) {
			if (read_line(&r))
				return -1;
			continue;
		}
		if (strcmp(f[0], META_MAGIC))
			return msg(err, errlen,
				   POLUS_META_SECTION " line %zu: expected '" META_MAGIC
						      "', got '%s'",
				   r.lineno, f[0]);
		if (r.n < 2 || strcmp(f[1], POLUS_STR(META_FORMAT)))
			return msg(err, errlen,
				   "metadata format version %s is not supported (this "
				   "polus-mkpatch reads version %d)",
				   r.n < 2 ? "-" : f[1], META_FORMAT);
		struct meta_unit z = {.hashes = 1};
		VEC_PUSH(b->units, b->nunits, b->capunits, z);
		r.u = &b->units[b->nunits - 1];
	}
	if (r.u)
		return msg(err, errlen,
			   POLUS_META_SECTION ": last record has no 'end' (truncated)");
	if (!b->nunits)
		return msg(err, errlen, POLUS_META_SECTION " holds no record");
	assign_keys(b);
	return 0;
}

void meta_free(struct meta_build *b)
{
	for (size_t i = 0; i < b->nunits; i++) {
		struct meta_unit *u = &b->units[i];
		free(u->abs_src);
		free(u->key_buf);
		free(u->opts);
		free(u->envs);
		free(u->cc1opts);
		free(u->fns);
		free(u->xfns);
		for (size_t k = 0; k < u->nowned; k++)
			free(u->owned[k]);
		free(u->owned);
		smap_free(&u->fn_at);
		smap_free(&u->xfn_at);
		free(u->uses);
		free(u->emits);
		free(u->inlines);
		free(u->ecalls);
		free(u->vars);
		free(u->types);
		free(u->use_next);
		smap_free(&u->use_first);
		smap_free(&u->emit_at);
	}
	free(b->units);
	free(b->root);
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

const char *meta_find_opt(const struct meta_build *b, const char *prefix)
{
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < b->nunits; i++)
		for (size_t j = 0; j < b->units[i].nopts; j++)
			if (!strncmp(b->units[i].opts[j], prefix, pl))
				return b->units[i].opts[j];
	return NULL;
}
