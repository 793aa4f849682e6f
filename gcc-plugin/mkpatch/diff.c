/*
 * diff — matching, reasons and propagation between two recorded builds.
 *
 * Phases (diff_builds): match_units, match_functions, match_variables, match_types,
 * mark_function_reasons (body / line-only / layout / const / signature from each
 * function's own facts), propagate_changes (inlined: and calls-clone: edges taken from
 * OLD's inline/emit/ecall lines, iterated until nothing moves).
 */
#include "diff.h"
#include "mkpatch_util.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void add_reason(struct d_item *it, const char *fmt_reason)
{
	for (size_t i = 0; i < it->nreasons; i++)
		if (!strcmp(it->reasons[i], fmt_reason))
			return;
	VEC_PUSH(it->reasons, it->nreasons, it->capreasons, xstrdup(fmt_reason));
}

static void add_reason2(struct d_item *it, const char *prefix, const char *what)
{
	char *r = xasprintf("%s%s", prefix, what);
	add_reason(it, r);
	free(r);
}

static void warn(struct diff *d, char *w)
{
	VEC_PUSH(d->warnings, d->nwarnings, d->capwarnings, w);
}

int d_is_changed(const struct d_item *it)
{
	return it->state == DS_CHANGED || it->state == DS_NEW || it->state == DS_REMOVED;
}

/* ---- unit matching ---- */

/* Path components `a` and `b` share at their end ("src/x.c" and "B/src/x.c": 2). */
static int common_suffix(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int n = 0;
	while (la && lb && a[la - 1] == b[lb - 1]) {
		la--;
		lb--;
		if (a[la] == '/')
			n++;
	}
	/* a whole component ends the match: at a start or right after a '/' on both */
	if ((!la || a[la - 1] == '/') && (!lb || b[lb - 1] == '/'))
		n++;
	return n;
}

/* The unmatched unit of `to` whose path shares the most trailing components with
 * from[i]'s, when exactly one does (else -1). */
static int best_suffix(const struct meta_build *from, size_t i, const struct meta_build *to,
		       const int *taken)
{
	int best = 0, at = -1, ties = 0;
	for (size_t j = 0; j < to->nunits; j++) {
		if (taken[j])
			continue;
		int s = common_suffix(from->units[i].key, to->units[j].key);
		if (s > best) {
			best = s;
			at = (int)j;
			ties = 0;
		} else if (s == best && s) {
			ties++;
		}
	}
	return ties ? -1 : at;
}

/*
 * For each unit of `a`, the index of the same unit in `b`, or -1. By key first; then a
 * unit left over on both sides is matched by the path below its build root: the leftover
 * of `b` sharing the most trailing path components with it, when each is the other's
 * only best (a tree copied and partly rebuilt elsewhere links objects compiled in both
 * directories, so NEW's keys keep a directory OLD's lack). *nsuffix: how many so.
 */
static int *map_units(const struct meta_build *a, const struct meta_build *b, size_t *nsuffix)
{
	struct smap keys = {0};
	int *map = xcalloc(a->nunits, sizeof(int)), *taken = xcalloc(b->nunits, sizeof(int));
	int *best = xcalloc(b->nunits, sizeof(int));
	*nsuffix = 0;
	for (size_t j = 0; j < b->nunits; j++)
		smap_put(&keys, b->units[j].key, (long)j);
	for (size_t i = 0; i < a->nunits; i++) {
		map[i] = (int)smap_get(&keys, a->units[i].key);
		if (map[i] >= 0)
			taken[map[i]] = 1;
	}
	int *a_taken = xcalloc(a->nunits, sizeof(int));
	for (size_t i = 0; i < a->nunits; i++)
		a_taken[i] = map[i] >= 0;
	for (size_t j = 0; j < b->nunits; j++)
		best[j] = taken[j] ? -1 : best_suffix(b, j, a, a_taken);
	for (size_t i = 0; i < a->nunits; i++) {
		if (map[i] >= 0)
			continue;
		int j = best_suffix(a, i, b, taken);
		if (j >= 0 && best[j] == (int)i) {
			map[i] = j;
			(*nsuffix)++;
		}
	}
	smap_free(&keys);
	free(taken);
	free(best);
	free(a_taken);
	return map;
}

/* The note on OLD's and NEW's units matched below different build roots, or on units
 * left unmatched that share a file name (built in directories nothing could pair). */
static void warn_units(const struct meta_build *o, const struct meta_build *n, const int *map,
		       size_t nsuffix, struct diff *d)
{
	if (nsuffix)
		warn(d, xasprintf("%zu unit%s matched by path below the build root only (OLD's "
				  "units lie below %s, NEW's below %s): objects of another tree "
				  "linked in, or a tree copied and partly rebuilt",
				  nsuffix, nsuffix == 1 ? "" : "s", o->root, n->root));
	int *hit = xcalloc(n->nunits, sizeof(int));
	for (size_t i = 0; i < o->nunits; i++)
		if (map[i] >= 0)
			hit[map[i]] = 1;
	for (size_t i = 0; i < o->nunits; i++) {
		if (map[i] >= 0)
			continue;
		for (size_t j = 0; j < n->nunits; j++)
			if (!hit[j] && common_suffix(o->units[i].key, n->units[j].key)) {
				warn(d, xasprintf("OLD's unit %s and NEW's %s share a file name "
						  "but no place: compiled in other directories? "
						  "taken as one removed and one new unit",
						  o->units[i].key, n->units[j].key));
				break;
			}
	}
	free(hit);
}

/* ---- compatibility ---- */

/* Options that change generated code; -I/-D/-U/-W/-g/-o/-M* and plugin options show up
 * in the hashes or do not matter. Returns the key under which the last one wins. */
static char *codegen_key(const char *opt)
{
	static const char *const ignored[] = {
	    "-fplugin",
	    "-fdiagnostics",
	    "-fdebug-prefix-map",
	    "-ffile-prefix-map",
	    "-fmacro-prefix-map",
	    "-fmessage-length",
	    "-fdump",
	    "-fcompare-debug",
	    "-fworking-directory",
	    "-fpreprocessed",
	    "-fdirectives-only",
	    "-fcolor",
	    "-fno-diagnostics",
	    "-fprofile-prefix-map",
	    "-fno-working-directory",
	};
	if (!strncmp(opt, "-O", 2))
		return xstrdup("-O");
	if (!strncmp(opt, "-std=", 5) || !strcmp(opt, "-ansi"))
		return xstrdup("-std");
	if (strncmp(opt, "-f", 2) && strncmp(opt, "-m", 2))
		return NULL;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (!strncmp(opt, ignored[i], strlen(ignored[i])))
			return NULL;
	const char *name = opt + 2;
	if (!strncmp(name, "no-", 3))
		name += 3;
	size_t len = strcspn(name, "=");
	return xasprintf("-%c%.*s", opt[1], (int)len, name);
}

/* The last option per key. */
struct optent {
	char *key;
	const char *val;
};

struct optset {
	struct optent *v;
	size_t n, cap;
};

static void optset_build(const struct meta_unit *u, struct optset *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < u->nopts; i++) {
		char *k = codegen_key(u->opts[i]);
		size_t j;
		if (!k)
			continue;
		for (j = 0; j < s->n; j++)
			if (!strcmp(s->v[j].key, k))
				break;
		if (j < s->n) {
			s->v[j].val = u->opts[i];
			free(k);
			continue;
		}
		struct optent e = {k, u->opts[i]};
		VEC_PUSH(s->v, s->n, s->cap, e);
	}
}

static void optset_free(struct optset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].key);
	free(s->v);
}

static const char *optset_get(const struct optset *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return s->v[i].val;
	return NULL;
}

/* Describes the first difference between two option sets, or NULL. */
static char *optset_diff(const struct optset *a, const struct optset *b)
{
	for (int pass = 0; pass < 2; pass++) {
		const struct optset *x = pass ? b : a, *y = pass ? a : b;
		for (size_t i = 0; i < x->n; i++) {
			const char *other = optset_get(y, x->v[i].key);
			if (other && !strcmp(other, x->v[i].val))
				continue;
			const char *ov = pass ? other : x->v[i].val;
			const char *nv = pass ? x->v[i].val : other;
			return xasprintf("option %s differs: OLD has %s, NEW has %s", x->v[i].key,
					 ov ? ov : "none", nv ? nv : "none");
		}
	}
	return NULL;
}

int diff_check_compat(const struct meta_build *o, const struct meta_build *n,
		      const struct diff_opts *opts, struct diff *d, char *err, size_t errlen)
{
	const struct meta_build *bs[2] = {o, n};
	for (int i = 0; i < 2; i++) {
		const char *lto = meta_find_opt(bs[i], "-flto");
		if (lto)
			return msg(err, errlen,
				   "%s was built with %s: cross-unit inlining (LTO) is not "
				   "supported, rebuild without it",
				   i ? "NEW" : "OLD", lto);
	}
	for (size_t i = 0; i < o->nunits; i++)
		for (size_t j = 0; j < n->nunits; j++)
			if (strcmp(o->units[i].compiler, n->units[j].compiler))
				return msg(err, errlen,
					   "incompatible builds: OLD was built with compiler %s "
					   "(%s), NEW with %s (%s)",
					   o->units[i].compiler, o->units[i].key,
					   n->units[j].compiler, n->units[j].key);
	for (size_t i = 0; i < o->nunits; i++)
		for (size_t j = 0; j < n->nunits; j++)
			if (o->units[i].hashes != n->units[j].hashes)
				return msg(err, errlen,
					   "incompatible builds: OLD was recorded under polus hash "
					   "rules %d (%s), NEW under %d (%s): record both with the "
					   "same polus.so",
					   o->units[i].hashes, o->units[i].key, n->units[j].hashes,
					   n->units[j].key);
	size_t nsuffix;
	int *map = map_units(o, n, &nsuffix), rc = 0;
	for (size_t i = 0; i < o->nunits && !rc; i++) {
		const struct meta_unit *ou = &o->units[i];
		const struct meta_unit *nu = map[i] >= 0 ? &n->units[map[i]] : NULL;
		if (!nu)
			continue;
		char *why = NULL;
		const char *op = ou->profile ? ou->profile : "none";
		const char *np = nu->profile ? nu->profile : "none";
		if (strcmp(op, np)) {
			why = xasprintf("live-patching profile differs: OLD %s, NEW %s", op, np);
		} else {
			struct optset a, b;
			optset_build(ou, &a);
			optset_build(nu, &b);
			why = optset_diff(&a, &b);
			optset_free(&a);
			optset_free(&b);
		}
		if (!why)
			continue;
		if (!opts->allow_option_change) {
			msg(err, errlen,
			    "incompatible builds: %s: %s (rebuild with the same options, or "
			    "pass --allow-option-change)",
			    ou->key, why);
			free(why);
			rc = -1;
			break;
		}
		warn(d, xasprintf("%s: %s (allowed by --allow-option-change)", ou->key, why));
		free(why);
	}
	free(map);
	return rc;
}

/* ---- matching ---- */

struct ctx {
	const struct meta_build *o, *n;
	const struct diff_opts *opts;
	struct diff *d;
	struct smap ofn;  /* "ou\1name" (and "\1g\1name" for globals) -> fn item */
	struct smap nfn;  /* "nu\1name" / "\1g\1name" -> fn item */
	struct smap ovar; /* "ou\1KEY" / "\1g\1KEY" -> var item */
	struct smap nvar;
	struct smap ntype_changed; /* "nu\1tag" of types changed in that unit; "\1g\1tag" */
	struct smap oxfn;	   /* "ou\1name" -> xfn item */
};

static char *ukey(int unit, const char *name)
{
	return xasprintf("%d\1%s", unit, name);
}

static char *gkey(const char *name)
{
	return xasprintf("\1g\1%s", name);
}

static long map_get2(const struct smap *m, int unit, const char *name)
{
	char *k = ukey(unit, name);
	long v = smap_get(m, k);
	free(k);
	if (v < 0) {
		k = gkey(name);
		v = smap_get(m, k);
		free(k);
	}
	return v;
}

static void map_put2(struct smap *m, int unit, const char *name, int global, long val)
{
	char *k = ukey(unit, name);
	smap_put(m, k, val);
	free(k);
	if (global) {
		k = gkey(name);
		smap_put(m, k, val);
		free(k);
	}
}

static void match_units(struct ctx *c)
{
	size_t nsuffix;
	free(c->d->unit_map);
	c->d->unit_map = map_units(c->o, c->n, &nsuffix);
	warn_units(c->o, c->n, c->d->unit_map, nsuffix, c->d);
}

static int old_unit_of(const struct ctx *c, int nu)
{
	for (size_t i = 0; i < c->o->nunits; i++)
		if (c->d->unit_map[i] == nu)
			return (int)i;
	return -1;
}

static struct d_item *new_item(struct d_item **v, size_t *n, size_t *cap)
{
	struct d_item z = {0};
	VEC_PUSH(*v, *n, *cap, z);
	return &(*v)[*n - 1];
}

static void match_functions(struct ctx *c)
{
	struct diff *d = c->d;
	struct smap oidx = {0}; /* old fn -> "ou\1fi" matched? */
	/* index OLD definitions */
	struct smap ofns = {0};
	for (size_t i = 0; i < c->o->nunits; i++) {
		const struct meta_unit *u = &c->o->units[i];
		for (size_t f = 0; f < u->nfns; f++) {
			long code = (long)(i << 24 | f);
			map_put2(&ofns, (int)i, u->fns[f].name, !u->fns[f].is_static, code);
		}
	}
	for (size_t j = 0; j < c->n->nunits; j++) {
		const struct meta_unit *u = &c->n->units[j];
		int ou = old_unit_of(c, (int)j);
		for (size_t f = 0; f < u->nfns; f++) {
			const struct meta_fn *nf = &u->fns[f];
			long code = -1;
			if (ou >= 0) {
				char *k = ukey(ou, nf->name);
				code = smap_get(&ofns, k);
				free(k);
			}
			if (code < 0 && !nf->is_static) {
				char *k = gkey(nf->name);
				code = smap_get(&ofns, k);
				free(k);
			}
			if (code >= 0) {
				char *k = xasprintf("%ld", code);
				if (smap_get(&oidx, k) >= 0)
					code = -1; /* already taken by another NEW definition */
				else
					smap_put(&oidx, k, 1);
				free(k);
			}
			struct d_item *it = new_item(&d->fns, &d->nfns, &d->capfns);
			it->name = it->key = nf->name;
			it->unit = u->key;
			it->nu = (int)j;
			it->new = nf;
			it->ou = -1;
			it->state = DS_NEW;
			if (code >= 0) {
				it->ou = (int)(code >> 24);
				it->old = &c->o->units[it->ou].fns[code & 0xffffff];
				it->state = DS_SAME;
			}
			map_put2(&c->nfn, (int)j, nf->name, !nf->is_static, (long)(d->nfns - 1));
			if (it->old) {
				const struct meta_fn *of = it->old;
				map_put2(&c->ofn, it->ou, of->name, !of->is_static,
					 (long)(d->nfns - 1));
			}
		}
	}
	for (size_t i = 0; i < c->o->nunits; i++) {
		const struct meta_unit *u = &c->o->units[i];
		for (size_t f = 0; f < u->nfns; f++) {
			char *k = xasprintf("%ld", (long)(i << 24 | f));
			long taken = smap_get(&oidx, k);
			free(k);
			if (taken >= 0)
				continue;
			struct d_item *it = new_item(&d->fns, &d->nfns, &d->capfns);
			it->name = it->key = u->fns[f].name;
			it->unit = u->key;
			it->ou = (int)i;
			it->nu = -1;
			it->old = &u->fns[f];
			it->state = DS_REMOVED;
			map_put2(&c->ofn, (int)i, u->fns[f].name, !u->fns[f].is_static,
				 (long)(d->nfns - 1));
		}
	}
	smap_free(&ofns);
	smap_free(&oidx);
}

static int var_is_global(const struct meta_var *v)
{
	return !strcmp(v->scope, "global");
}

static void compare_vars(struct d_item *it)
{
	const struct meta_var *a = it->old, *b = it->new;
	if (strcmp(a->type, b->type) || strcmp(a->size, b->size))
		add_reason(it, "type");
	if (strcmp(a->access, b->access))
		add_reason(it, "access");
	if (a->tls != b->tls)
		add_reason(it, "tls");
	if (strcmp(a->inithash, b->inithash))
		add_reason(it, "init");
	if (it->nreasons)
		it->state = DS_CHANGED;
}

static void match_variables(struct ctx *c)
{
	struct diff *d = c->d;
	struct smap ovars = {0}, taken = {0};
	for (size_t i = 0; i < c->o->nunits; i++) {
		const struct meta_unit *u = &c->o->units[i];
		for (size_t v = 0; v < u->nvars; v++)
			map_put2(&ovars, (int)i, u->vars[v].key, var_is_global(&u->vars[v]),
				 (long)(i << 24 | v));
	}
	for (size_t j = 0; j < c->n->nunits; j++) {
		const struct meta_unit *u = &c->n->units[j];
		int ou = old_unit_of(c, (int)j);
		for (size_t v = 0; v < u->nvars; v++) {
			const struct meta_var *nv = &u->vars[v];
			long code = -1;
			if (ou >= 0) {
				char *k = ukey(ou, nv->key);
				code = smap_get(&ovars, k);
				free(k);
			}
			if (code < 0 && var_is_global(nv)) {
				char *k = gkey(nv->key);
				code = smap_get(&ovars, k);
				free(k);
			}
			if (code >= 0) {
				char *k = xasprintf("%ld", code);
				if (smap_get(&taken, k) >= 0)
					code = -1;
				else
					smap_put(&taken, k, 1);
				free(k);
			}
			struct d_item *it = new_item(&d->vars, &d->nvars, &d->capvars);
			it->name = nv->name;
			it->key = nv->key;
			it->unit = u->key;
			it->nu = (int)j;
			it->ou = -1;
			it->new = nv;
			it->state = DS_NEW;
			if (code >= 0) {
				it->ou = (int)(code >> 24);
				it->old = &c->o->units[it->ou].vars[code & 0xffffff];
				it->state = DS_SAME;
				compare_vars(it);
				map_put2(&c->ovar, it->ou, nv->key,
					 var_is_global((const struct meta_var *)it->old),
					 (long)(d->nvars - 1));
			}
			map_put2(&c->nvar, (int)j, nv->key, var_is_global(nv),
				 (long)(d->nvars - 1));
		}
	}
	for (size_t i = 0; i < c->o->nunits; i++) {
		const struct meta_unit *u = &c->o->units[i];
		for (size_t v = 0; v < u->nvars; v++) {
			char *k = xasprintf("%ld", (long)(i << 24 | v));
			long t = smap_get(&taken, k);
			free(k);
			if (t >= 0)
				continue;
			struct d_item *it = new_item(&d->vars, &d->nvars, &d->capvars);
			it->name = u->vars[v].name;
			it->key = u->vars[v].key;
			it->unit = u->key;
			it->ou = (int)i;
			it->nu = -1;
			it->old = &u->vars[v];
			it->state = DS_REMOVED;
			map_put2(&c->ovar, (int)i, it->key, var_is_global(&u->vars[v]),
				 (long)(d->nvars - 1));
		}
	}
	smap_free(&ovars);
	smap_free(&taken);
}

/* An enum whose every old enumerator keeps its value (new ones appended): what objects
 * of it hold means the same to the new code. */
static int enum_grown(const struct meta_type *ot, const struct meta_type *nt)
{
	if (strcmp(ot->kind, "enum") || strcmp(nt->kind, "enum") || strcmp(ot->size, nt->size))
		return 0;
	size_t nl = strlen(nt->layout);
	for (const char *p = ot->layout; *p;) {
		size_t n = strcspn(p, ";");
		int found = 0;
		for (const char *q = nt->layout; q < nt->layout + nl && !found;) {
			size_t m = strcspn(q, ";");
			found = m == n && !strncmp(p, q, n);
			q += m + (q[m] == ';');
		}
		if (!found)
			return 0;
		p += n + (p[n] == ';');
	}
	return 1;
}

/* Types are defined wherever a header is included: compare per matched unit, report
 * once per tag (at the first unit where it changed); new/removed over the whole build. */
static void match_types(struct ctx *c)
{
	struct diff *d = c->d;
	struct smap otags = {0}, ntags = {0}, reported = {0};
	for (size_t i = 0; i < c->o->nunits; i++)
		for (size_t t = 0; t < c->o->units[i].ntypes; t++)
			smap_put(&otags, c->o->units[i].types[t].tag, (long)(i << 24 | t));
	for (size_t j = 0; j < c->n->nunits; j++)
		for (size_t t = 0; t < c->n->units[j].ntypes; t++)
			smap_put(&ntags, c->n->units[j].types[t].tag, (long)(j << 24 | t));
	for (size_t j = 0; j < c->n->nunits; j++) {
		const struct meta_unit *u = &c->n->units[j];
		int ou = old_unit_of(c, (int)j);
		for (size_t t = 0; t < u->ntypes; t++) {
			const struct meta_type *nt = &u->types[t], *ot = NULL;
			if (ou >= 0)
				for (size_t k = 0; k < c->o->units[ou].ntypes && !ot; k++)
					if (!strcmp(c->o->units[ou].types[k].tag, nt->tag))
						ot = &c->o->units[ou].types[k];
			long anyold = smap_get(&otags, nt->tag);
			if (!ot && anyold >= 0)
				ot = &c->o->units[anyold >> 24].types[anyold & 0xffffff];
			int state = DS_SAME;
			if (!ot)
				state = DS_NEW;
			else if ((strcmp(ot->kind, nt->kind) || strcmp(ot->size, nt->size) ||
				  strcmp(ot->layout, nt->layout)) &&
				 !enum_grown(ot, nt))
				state = DS_CHANGED;
			if (state == DS_SAME)
				continue;
			if (state == DS_CHANGED)
				map_put2(&c->ntype_changed, (int)j, nt->tag, 1, 1);
			if (smap_get(&reported, nt->tag) >= 0)
				continue;
			smap_put(&reported, nt->tag, 1);
			struct d_item *it = new_item(&d->types, &d->ntypes, &d->captypes);
			it->name = it->key = nt->tag;
			it->unit = u->key;
			it->nu = (int)j;
			it->ou = ou;
			it->old = ot;
			it->new = nt;
			it->state = state;
			if (state == DS_CHANGED) {
				if (strcmp(ot->size, nt->size))
					add_reason(it, "size");
				if (strcmp(ot->layout, nt->layout) || strcmp(ot->kind, nt->kind))
					add_reason(it, "layout");
			}
		}
	}
	for (size_t i = 0; i < c->o->nunits; i++)
		for (size_t t = 0; t < c->o->units[i].ntypes; t++) {
			const struct meta_type *ot = &c->o->units[i].types[t];
			if (smap_get(&ntags, ot->tag) >= 0 || smap_get(&reported, ot->tag) >= 0)
				continue;
			smap_put(&reported, ot->tag, 1);
			struct d_item *it = new_item(&d->types, &d->ntypes, &d->captypes);
			it->name = it->key = ot->tag;
			it->unit = c->o->units[i].key;
			it->ou = (int)i;
			it->nu = -1;
			it->old = ot;
			it->state = DS_REMOVED;
		}
	smap_free(&otags);
	smap_free(&ntags);
	smap_free(&reported);
}

/* ---- reasons ---- */

static int type_changed(const struct ctx *c, int nu, const char *tag)
{
	return map_get2(&c->ntype_changed, nu, tag) >= 0;
}

static const struct d_item *find_var(const struct ctx *c, int ou, int nu, const char *key)
{
	long v = -1;
	if (nu >= 0)
		v = map_get2(&c->nvar, nu, key);
	if (v < 0 && ou >= 0)
		v = map_get2(&c->ovar, ou, key);
	return v >= 0 ? &c->d->vars[v] : NULL;
}

static const struct d_item *find_fn_new(const struct ctx *c, int nu, const char *name)
{
	long v = map_get2(&c->nfn, nu, name);
	return v >= 0 ? &c->d->fns[v] : NULL;
}

static int has_reason(const struct d_item *it, const char *r)
{
	for (size_t i = 0; i < it->nreasons; i++)
		if (!strcmp(it->reasons[i], r))
			return 1;
	return 0;
}

static int has_reason_prefix(const struct d_item *it, const char *prefix)
{
	size_t n = strlen(prefix);
	for (size_t i = 0; i < it->nreasons; i++)
		if (!strncmp(it->reasons[i], prefix, n))
			return 1;
	return 0;
}

/* Whether C type text `type` holds a `tag` object by value (not behind a pointer). */
static int type_holds(const char *type, const char *tag)
{
	size_t n = strlen(tag);
	for (const char *p = strstr(type, tag); p; p = strstr(p + 1, tag)) {
		int starts = p == type || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
		int ends = !(isalnum((unsigned char)p[n]) || p[n] == '_');
		if (!starts || !ends)
			continue;
		const char *q = p + n;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '*')
			return 1;
	}
	return 0;
}

/* A variable whose type is a struct/union whose layout changed (same type name, same
 * size perhaps, fields moved) changed type as much as one whose TYPE text changed. */
static void mark_variable_layouts(struct ctx *c)
{
	for (size_t i = 0; i < c->d->nvars; i++) {
		struct d_item *it = &c->d->vars[i];
		const struct meta_var *nv = it->new;
		if (!it->old || !nv || it->state == DS_REMOVED)
			continue;
		const struct meta_unit *u = &c->n->units[it->nu];
		for (size_t t = 0; t < u->ntypes; t++) {
			const char *tag = u->types[t].tag;
			if (type_changed(c, it->nu, tag) && type_holds(nv->type, tag)) {
				add_reason2(it, "layout:", tag);
				it->state = DS_CHANGED;
			}
		}
	}
}

/* Facts from one side's `use` lines of function `it`. */
static void reasons_from_uses(struct ctx *c, struct d_item *it, const struct meta_unit *u,
			      int layout_only, int *layout_found)
{
	for (long i = meta_first_use(u, it->name); i >= 0; i = meta_next_use(u, i)) {
		const struct meta_use *us = &u->uses[i];
		if (!strcmp(us->kind, "type")) {
			if (layout_only && it->nu >= 0 && type_changed(c, it->nu, us->target)) {
				add_reason2(it, "layout:", us->target);
				*layout_found = 1;
			}
		} else if (!strcmp(us->kind, "read") || !strcmp(us->kind, "write")) {
			const struct d_item *v = find_var(c, it->ou, it->nu, us->target);
			if (!v || v->state != DS_CHANGED)
				continue;
			const struct meta_var *ov = v->old, *nv = v->new;
			if (has_reason(v, "type") || has_reason_prefix(v, "layout:"))
				add_reason2(it, "var-type:", v->key);
			/* a constant, or a variable OLD folded into its readers (no storage):
			 * readers carry the old value */
			else if (!strcmp(us->kind, "read") && has_reason(v, "init") &&
				 (!strcmp(ov->access, "ro") || !strcmp(nv->access, "ro") ||
				  !strcmp(ov->asm_name, "-")))
				add_reason2(it, "const:", v->key);
		} else if (!strcmp(us->kind, "call")) {
			const struct d_item *callee = find_fn_new(c, it->nu, us->target);
			if (!callee || !callee->old || !callee->new || callee == it)
				continue;
			const struct meta_fn *of = callee->old, *nf = callee->new;
			if (strcmp(of->sig, nf->sig))
				add_reason2(it, "signature:", callee->name);
		}
	}
}

static void mark_function_reasons(struct ctx *c)
{
	for (size_t i = 0; i < c->d->nfns; i++) {
		struct d_item *it = &c->d->fns[i];
		if (it->state != DS_SAME)
			continue;
		const struct meta_fn *of = it->old, *nf = it->new;
		int layout_only = 0, layout_found = 0, line_only = 0;
		if (strcmp(of->hash, nf->hash)) {
			if (!strcmp(of->hash_noline, nf->hash_noline))
				line_only = 1;
			else if (!strcmp(of->hash_nolayout, nf->hash_nolayout))
				layout_only = 1;
			else
				add_reason(it, "body");
		}
		reasons_from_uses(c, it, &c->o->units[it->ou], layout_only, &layout_found);
		reasons_from_uses(c, it, &c->n->units[it->nu], layout_only, &layout_found);
		if (layout_only && !layout_found)
			add_reason(it, "layout");
		if (it->nreasons)
			it->state = DS_CHANGED;
		else if (line_only)
			it->state = DS_LINE;
	}
}

/* Extern inline bodies of each OLD unit against NEW's unit of the same key. */
static void match_xfns(struct ctx *c)
{
	for (size_t i = 0; i < c->o->nunits; i++) {
		const struct meta_unit *ou = &c->o->units[i];
		int j = c->d->unit_map[i];
		for (size_t x = 0; x < ou->nxfns && j >= 0; x++) {
			const struct meta_fn *of = &ou->xfns[x], *nf;
			const struct meta_unit *nu = &c->n->units[j];
			struct d_item *it = new_item(&c->d->xfns, &c->d->nxfns, &c->d->capxfns);
			it->name = it->key = of->name;
			it->unit = nu->key;
			it->ou = (int)i;
			it->nu = j;
			it->old = of;
			it->state = DS_SAME;
			if (!(nf = meta_fn_named(nu, of->name, 1)) &&
			    !(nf = meta_fn_named(nu, of->name, 0))) {
				/* callers now call it out of line, or not at all: their code
				 * differs from OLD's, which carries the old body */
				it->state = DS_CHANGED;
				add_reason(it, "no longer inline");
				continue;
			}
			it->new = nf;
			if (!strcmp(of->hash, nf->hash))
				continue;
			if (!strcmp(of->hash_noline, nf->hash_noline)) {
				it->state = DS_LINE;
				continue;
			}
			it->state = DS_CHANGED;
			add_reason(it, "body");
		}
	}
	for (size_t k = 0; k < c->d->nxfns; k++)
		map_put2(&c->oxfn, c->d->xfns[k].ou, c->d->xfns[k].name, 0, (long)k);
}

/* ---- propagation over OLD's inline and clone facts ---- */

struct edge {
	struct d_item *caller;
	const struct d_item *callee;
	char *reason;
};

/* The item of function NAME of OLD's unit ou: its definition there, else its extern
 * inline body there (what that unit inlined, whichever unit defines NAME out of line),
 * else a global definition. */
static const struct d_item *old_fn_item(const struct ctx *c, int ou, const char *name)
{
	char *k = ukey(ou, name);
	long v = smap_get(&c->ofn, k), x = smap_get(&c->oxfn, k);
	free(k);
	if (v >= 0 || x >= 0)
		return v >= 0 ? &c->d->fns[v] : &c->d->xfns[x];
	v = map_get2(&c->ofn, ou, name);
	return v >= 0 ? &c->d->fns[v] : NULL;
}

/* Adds the edge CALLER <- CALLEE (both resolved in unit u of build b); a name the running
 * release no longer has (only an earlier build of a chain does) is said, not dropped. */
static void add_edge(struct ctx *c, const struct meta_unit *u, int ou, const char *caller,
		     const char *callee, char *reason, struct edge **edges, size_t *nedges,
		     size_t *cap)
{
	const struct d_item *a = old_fn_item(c, ou, caller), *f = old_fn_item(c, ou, callee);
	if (a && a->ou != ou)
		a = NULL; /* a body of this unit, not another's global */
	if (a && f && a != f) {
		struct edge e = {(struct d_item *)a, f, reason};
		VEC_PUSH(*edges, *nedges, *cap, e);
		return;
	}
	if (!a || !f)
		warn(c->d, xasprintf("%s: %s (from an earlier build of the chain) names %s, "
				     "which the running release does not define: not followed",
				     u->key, reason, a ? callee : caller));
	free(reason);
}

/* Edges from one build's inline/clone facts; `umap` maps its units to OLD's. meta_parse
 * has resolved every name within its own unit. */
static void collect_edges(struct ctx *c, const struct meta_build *b, const int *umap,
			  struct edge **edges, size_t *nedges, size_t *cap)
{
	for (size_t bu = 0; bu < b->nunits; bu++) {
		const struct meta_unit *u = &b->units[bu];
		int ou = umap ? umap[bu] : (int)bu;
		if (ou < 0)
			continue;
		for (size_t i = 0; i < u->ninlines; i++) {
			const struct meta_pair *p = &u->inlines[i];
			const char *caller = meta_origin(u, p->a);
			add_edge(c, u, ou, caller ? caller : p->a, p->b,
				 xasprintf("inlined:%s", p->b), edges, nedges, cap);
		}
		for (size_t i = 0; i < u->necalls; i++) {
			const char *callee = meta_origin(u, u->ecalls[i].b);
			if (!callee || !strcmp(callee, u->ecalls[i].b))
				continue; /* not a clone: a plain call is redirected */
			add_edge(c, u, ou, meta_origin(u, u->ecalls[i].a), callee,
				 xasprintf("calls-clone:%s", u->ecalls[i].b), edges, nedges, cap);
		}
	}
}

static void propagate_changes(struct ctx *c)
{
	struct edge *edges = NULL;
	size_t nedges = 0, cap = 0;
	collect_edges(c, c->o, NULL, &edges, &nedges, &cap);
	for (size_t x = 0; x < c->opts->nextra_facts; x++) {
		const struct meta_build *b = c->opts->extra_facts[x];
		size_t nsuffix;
		int *umap = map_units(b, c->o, &nsuffix);
		collect_edges(c, b, umap, &edges, &nedges, &cap);
		free(umap);
	}
	for (int moved = 1; moved;) {
		moved = 0;
		for (size_t i = 0; i < nedges; i++) {
			struct d_item *caller = edges[i].caller;
			const struct d_item *callee = edges[i].callee;
			if (caller->state == DS_REMOVED || caller->state == DS_NEW)
				continue;
			int real = callee->state == DS_CHANGED ||
				   (callee->state == DS_LINE && c->opts->line_only);
			if (real) {
				if (caller->state != DS_CHANGED ||
				    !has_reason(caller, edges[i].reason))
					moved = 1;
				caller->state = DS_CHANGED;
				add_reason(caller, edges[i].reason);
			} else if (callee->state == DS_LINE && caller->state == DS_SAME) {
				caller->state = DS_LINE;
				moved = 1;
			}
		}
	}
	for (size_t i = 0; i < nedges; i++)
		free(edges[i].reason);
	free(edges);
}

/* Line-only items carry the single reason "line-only"; with --line-only they count as
 * changed (and still say line-only). */
static void finish_line_only(struct ctx *c)
{
	for (size_t i = 0; i < c->d->nfns; i++) {
		struct d_item *it = &c->d->fns[i];
		if (it->state != DS_LINE)
			continue;
		add_reason(it, "line-only");
	}
}

int diff_builds(const struct meta_build *o, const struct meta_build *n,
		const struct diff_opts *opts, struct diff *d, char *err, size_t errlen)
{
	struct ctx c = {.o = o, .n = n, .opts = opts, .d = d};
	(void)err;
	(void)errlen;
	match_units(&c);
	match_functions(&c);
	match_variables(&c);
	match_types(&c);
	mark_variable_layouts(&c);
	mark_function_reasons(&c);
	match_xfns(&c);
	propagate_changes(&c);
	finish_line_only(&c);
	smap_free(&c.ofn);
	smap_free(&c.nfn);
	smap_free(&c.ovar);
	smap_free(&c.nvar);
	smap_free(&c.ntype_changed);
	smap_free(&c.oxfn);
	return 0;
}

static void free_items(struct d_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t r = 0; r < v[i].nreasons; r++)
			free(v[i].reasons[r]);
		free(v[i].reasons);
	}
	free(v);
}

void diff_free(struct diff *d)
{
	free_items(d->fns, d->nfns);
	free_items(d->vars, d->nvars);
	free_items(d->types, d->ntypes);
	free_items(d->xfns, d->nxfns);
	free(d->unit_map);
	for (size_t i = 0; i < d->nwarnings; i++)
		free(d->warnings[i]);
	free(d->warnings);
	memset(d, 0, sizeof(*d));
}
