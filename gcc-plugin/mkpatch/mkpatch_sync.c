/*
 * mkpatch_sync — generated sync, check and recover code (see mkpatch_sync.h).
 *
 * A type text of the record (`struct stats`, `long int`, `int [8]`, `char *`, a typedef
 * tag) is read into a node; two nodes are matched recursively: per direction, one
 * statement per leaf field, written through accessor macros named after the field's path
 * (OLD_hits, NEW_table(i0), NEW_inner_x).
 */
#include "mkpatch_sync.h"
#include "elffile.h"
#include "mkpatch_util.h"
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum lk { L_INT, L_FLOAT, L_ENUM, L_PTR, L_STRUCT, L_UNION, L_ARRAY, L_OTHER };

struct lnode {
	enum lk k;
	char *text;  /* the type text, qualifiers dropped */
	long size;   /* bytes; -1 unknown */
	char *ctype; /* scalars: how C spells it */
	const struct meta_type *ty;
	long count; /* arrays */
	char *elem; /* arrays: the element's type text */
};

struct field {
	char *name, *type;
	long bitpos, bitsize;
};

struct gen {
	const struct meta_build *b[2]; /* OLD, NEW */
	int unit[2];
	FILE *acc;    /* accessor macros */
	FILE *fwd[3]; /* sync bodies: [0] old2new, [1] new2old, [2] the tracked old2new */
	FILE *chk;    /* check statements (pointers into the old copy) */
	struct sync_result *r;
	int depth;     /* loop nesting: i0, i1... */
	int stubbed;   /* a field left to the author: the tracked sync carries it all */
	char *carried; /* summary lists */
	char *added, *dropped;
};

static const struct {
	const char *name;
	long size;
	enum lk k;
} scalars[] = {
    {"char", 1, L_INT},
    {"signed char", 1, L_INT},
    {"unsigned char", 1, L_INT},
    {"_Bool", 1, L_INT},
    {"short int", 2, L_INT},
    {"short unsigned int", 2, L_INT},
    {"int", 4, L_INT},
    {"unsigned int", 4, L_INT},
    {"long int", 8, L_INT},
    {"long unsigned int", 8, L_INT},
    {"long long int", 8, L_INT},
    {"long long unsigned int", 8, L_INT},
    {"__int128", 16, L_INT},
    {"__int128 unsigned", 16, L_INT},
    {"float", 4, L_FLOAT},
    {"double", 8, L_FLOAT},
    {"long double", 16, L_FLOAT},
};

/* Type text without const/volatile (malloc'd). */
static char *unqualified(const char *t)
{
	for (;;) {
		if (!strncmp(t, "const ", 6))
			t += 6;
		else if (!strncmp(t, "volatile ", 9))
			t += 9;
		else
			break;
	}
	return xstrdup(t);
}

/* The struct/union TAG of build b, preferring unit u's record. */
static const struct meta_type *find_type(const struct meta_build *b, int u, const char *tag)
{
	if (u >= 0)
		for (size_t t = 0; t < b->units[u].ntypes; t++)
			if (!strcmp(b->units[u].types[t].tag, tag))
				return &b->units[u].types[t];
	for (size_t i = 0; i < b->nunits; i++)
		for (size_t t = 0; t < b->units[i].ntypes; t++)
			if (!strcmp(b->units[i].types[t].tag, tag))
				return &b->units[i].types[t];
	return NULL;
}

static void node_free(struct lnode *n)
{
	free(n->text);
	free(n->ctype);
	free(n->elem);
	memset(n, 0, sizeof(*n));
}

/* Reads type text `text` of `size` bytes (-1: unknown) into n. */
static void parse_node(const struct meta_build *b, int u, const char *text, long size,
		       struct lnode *n)
{
	size_t len;
	memset(n, 0, sizeof(*n));
	n->text = unqualified(text);
	n->size = size;
	n->k = L_OTHER;
	len = strlen(n->text);
	if (len && n->text[len - 1] == ']') {
		char *open = strrchr(n->text, '[');
		if (open && open > n->text + 1 && open[-1] == ' ' && open[1] != ']') {
			n->k = L_ARRAY;
			n->count = strtol(open + 1, NULL, 10);
			n->elem = xasprintf("%.*s", (int)(open - 1 - n->text), n->text);
		}
		return;
	}
	if (strstr(n->text, "_Atomic"))
		return;
	if ((len && n->text[len - 1] == '*') || strstr(n->text, "(*)")) {
		n->k = L_PTR;
		n->ctype = xstrdup("void *");
		return;
	}
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if (!strcmp(n->text, scalars[i].name)) {
			n->k = scalars[i].k;
			n->ctype = xstrdup(n->text);
			if (n->size < 0)
				n->size = scalars[i].size;
			return;
		}
	if (!strncmp(n->text, "enum ", 5)) {
		n->k = L_ENUM;
		n->ty = find_type(b, u, n->text + 5); /* its enumerators, when recorded */
		if (n->ty && strcmp(n->ty->kind, "enum"))
			n->ty = NULL;
		if (n->size < 0)
			n->size = 4;
		n->ctype = xstrdup(n->size == 1	  ? "signed char"
				   : n->size == 2 ? "short int"
				   : n->size == 8 ? "long int"
						  : "int");
		return;
	}
	const char *tag = n->text;
	if (!strncmp(tag, "struct ", 7))
		tag += 7;
	else if (!strncmp(tag, "union ", 6))
		tag += 6;
	n->ty = find_type(b, u, tag);
	if (n->ty) {
		n->k = !strcmp(n->ty->kind, "union") ? L_UNION : L_STRUCT;
		if (n->size < 0)
			n->size = strtol(n->ty->size, NULL, 10);
	}
}

/* The fields of a `type` LAYOUT ("name:type@bitpos/bitsize;..."). */
static struct field *parse_fields(const char *layout, size_t *nf)
{
	struct field *v = NULL;
	size_t n = 0, cap = 0;
	char *copy = xstrdup(layout), *save = NULL;
	for (char *f = strtok_r(copy, ";", &save); f; f = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(f, ':'), *at = strrchr(f, '@');
		if (!colon || !at || at < colon)
			continue;
		struct field fl = {0};
		fl.name = xasprintf("%.*s", (int)(colon - f), f);
		fl.type = xasprintf("%.*s", (int)(at - colon - 1), colon + 1);
		fl.bitpos = strtol(at + 1, NULL, 10);
		const char *slash = strchr(at, '/');
		fl.bitsize = slash ? strtol(slash + 1, NULL, 10) : -1;
		VEC_PUSH(v, n, cap, fl);
	}
	free(copy);
	*nf = n;
	return v;
}

static void fields_free(struct field *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].type);
	}
	free(v);
}

static const char *lock_names[] = {
    "pthread_mutex_t", "pthread_rwlock_t",	   "pthread_spinlock_t",
    "pthread_cond_t",  "pthread_barrier_t",	   "pthread_once_t",
    "sem_t",	       "struct __pthread_mutex_s", "struct __pthread_rwlock_arch_t"};

static int is_lock(const char *text)
{
	if (strstr(text, "_Atomic") || !strncmp(text, "atomic_", 7))
		return 1;
	for (size_t i = 0; i < sizeof(lock_names) / sizeof(lock_names[0]); i++)
		if (!strcmp(text, lock_names[i]))
			return 1;
	return 0;
}

static char *lock_in(const struct meta_build *b, int u, const char *path, const char *text,
		     int depth)
{
	struct lnode n;
	char *found = NULL;
	if (depth > 16)
		return NULL;
	if (is_lock(text))
		return xasprintf("%s (%s)", path, text);
	parse_node(b, u, text, -1, &n);
	if (n.k == L_ARRAY) {
		char *p = xasprintf("%s[]", path);
		found = lock_in(b, u, p, n.elem, depth + 1);
		free(p);
	} else if (n.k == L_STRUCT || n.k == L_UNION) {
		size_t nf;
		struct field *f = parse_fields(n.ty->layout, &nf);
		for (size_t i = 0; i < nf && !found; i++) {
			char *p = xasprintf("%s.%s", path, f[i].name);
			found = lock_in(b, u, p, f[i].type, depth + 1);
			free(p);
		}
		fields_free(f, nf);
	}
	node_free(&n);
	return found;
}

char *sync_lock_field(const struct meta_build *b, int unit, const struct meta_var *v)
{
	return lock_in(b, unit, v->name, v->type, 0);
}

char *sync_ident(const char *key)
{
	char *id = xmalloc(strlen(key) * 2 + 1), *o = id;
	for (const char *k = key; *k; k++) {
		if (*k == '/') {
			*o++ = '_';
			*o++ = '_';
		} else if ((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
			   (*k >= '0' && *k <= '9') || *k == '_') {
			*o++ = *k;
		} else {
			*o++ = '_';
		}
	}
	*o = 0;
	return id;
}

/* ---- generation ---- */

/* One side of a matched pair: its node and where it lies, as C text. */
struct side {
	struct lnode n;
	char *acc;    /* accessor name without side prefix: "hits", "table" */
	char *args;   /* "(i0, i1)" or "" */
	char *params; /* the same, as macro parameters */
	char *off;    /* byte offset expression, in the macro's parameters */
	long bitpos;  /* bit-field: bit offset when off is constant; -1 otherwise */
	long bits;    /* bit-field width, or 0 */
	int isigned;
};

static void add_list(char **list, const char *item)
{
	char *more = xasprintf("%s%s%s", *list ? *list : "", *list && **list ? ", " : "", item);
	free(*list);
	*list = more;
}

static void stub(struct gen *g, const char *path, const char *why)
{
	char *s = xasprintf("%s: %s", path, why);
	VEC_PUSH(g->r->stubs, g->r->nstubs, g->r->capstubs, s);
	g->stubbed = 1;
	fprintf(g->fwd[0],
		"%*s/* %s: %s.\n"
		"%*s * Write its sync by hand, here and in the new -> old direction below,\n"
		"%*s * then delete the #error line. */\n"
		"%*s#error \"polus: the sync of %s is left to you (%s)\"\n",
		4 + 4 * g->depth, "", path, why, 4 + 4 * g->depth, "", 4 + 4 * g->depth, "",
		4 + 4 * g->depth, "", path, why);
	fprintf(g->fwd[1], "%*s/* %s: %s: write its sync by hand (see above). */\n",
		4 + 4 * g->depth, "", path, why);
}

static int is_scalar(enum lk k)
{
	return k == L_INT || k == L_FLOAT || k == L_ENUM;
}

/* The accessor macro of a leaf of side s (prefix OLD or NEW). */
static void define_accessor(struct gen *g, const char *prefix, const struct side *s)
{
	if (s->bits)
		fprintf(g->acc, "#define %s_%s%s polus_getbits(%s, %ld, %ld, %d) /* bit-field */\n",
			prefix, s->acc, s->params, prefix, s->bitpos, s->bits, s->isigned);
	else
		fprintf(g->acc, "#define %s_%s%s POLUS_AT(%s, %s, %s)\n", prefix, s->acc, s->params,
			s->n.ctype, prefix, s->off);
}

/* The value of enumerator NAME in LAYOUT ("A=0;B=1"): 1 and *v, or 0. */
static int enumerator(const char *layout, const char *name, size_t len, long long *v)
{
	for (const char *p = layout; *p;) {
		size_t n = strcspn(p, ";");
		const char *eq = memchr(p, '=', n);
		if (eq && (size_t)(eq - p) == len && !strncmp(p, name, len)) {
			*v = strtoll(eq + 1, NULL, 10);
			return 1;
		}
		p += n + (p[n] == ';');
	}
	return 0;
}

/* An enum renumbered: each value mapped by its enumerator's name. */
static void enum_switch(struct gen *g, FILE *f, const struct side *from, const struct side *to,
			const char *fp, const char *tp)
{
	int ind = 4 + 4 * g->depth;
	fprintf(f, "%*sswitch (%s_%s%s) { /* %s: by enumerator name */\n", ind, "", fp, from->acc,
		from->args, from->n.text);
	for (const char *p = from->n.ty->layout; *p;) {
		size_t n = strcspn(p, ";");
		const char *eq = memchr(p, '=', n);
		long long v;
		if (eq && enumerator(to->n.ty->layout, p, (size_t)(eq - p), &v))
			fprintf(f, "%*scase %lld: %s_%s%s = %lld; break; /* %.*s */\n", ind, "",
				strtoll(eq + 1, NULL, 10), tp, to->acc, to->args, v, (int)(eq - p),
				p);
		else if (eq)
			fprintf(f,
				"%*s/* %.*s (%lld): no such enumerator on the other side: kept "
				"as a number */\n",
				ind, "", (int)(eq - p), p, strtoll(eq + 1, NULL, 10));
		p += n + (p[n] == ';');
	}
	fprintf(f, "%*sdefault: %s_%s%s = (%s)%s_%s%s; break;\n%*s}\n", ind, "", tp, to->acc,
		to->args, to->n.ctype, fp, from->acc, from->args, ind, "");
}

/* Where a leaf of OLD lies, for the tracked sync's guard: "OFF, SIZE" (malloc'd). */
static char *old_extent(const struct side *o)
{
	if (o->bits)
		return xasprintf("%ld, %ld", o->bitpos / 8, (o->bitpos % 8 + o->bits + 7) / 8);
	return xasprintf("%s, %ld", o->off, o->n.size > 0 ? o->n.size : 1L << 30);
}

/* One direction of a leaf's sync into f: d 0 old -> new, 1 new -> old. */
static void leaf_dir(struct gen *g, FILE *f, int d, const struct side *o, const struct side *n)
{
	const struct side *sd[2] = {o, n};
	const char *pre[2] = {"OLD", "NEW"};
	const struct side *from = sd[d], *to = sd[!d];
	const char *fp = pre[d], *tp = pre[!d];
	if (o->n.k == L_ENUM && n->n.k == L_ENUM && o->n.ty && n->n.ty && !to->bits &&
	    !from->bits && strcmp(o->n.ty->layout, n->n.ty->layout)) {
		enum_switch(g, f, from, to, fp, tp);
		return;
	}
	fprintf(f, "%*s", 4 + 4 * g->depth, "");
	if (to->bits)
		fprintf(f, "polus_putbits(%s, %ld, %ld, (long long)%s_%s%s);", tp, to->bitpos,
			to->bits, fp, from->acc, from->args);
	else
		fprintf(f, "%s_%s%s = (%s)%s_%s%s;", tp, to->acc, to->args, to->n.ctype, fp,
			from->acc, from->args);
	if (strcmp(o->n.text, n->n.text))
		fprintf(f, " /* %s -> %s */", from->n.text, to->n.text);
	else if (o->n.k == L_ENUM)
		fprintf(f, " /* %s: copied as a number */", o->n.text);
	fputc('\n', f);
}

static void leaf(struct gen *g, const char *path, const struct side *o, const struct side *n)
{
	define_accessor(g, "OLD", o);
	define_accessor(g, "NEW", n);
	for (int d = 0; d < 2; d++)
		leaf_dir(g, g->fwd[d], d, o, n);
	/* tracked: only when the bytes old code wrote touch this field */
	char *ext = old_extent(o);
	fprintf(g->fwd[2], "%*sif (POLUS_TOUCHED(%s))\n", 4 + 4 * g->depth, "", ext);
	free(ext);
	g->depth++;
	leaf_dir(g, g->fwd[2], 0, o, n);
	g->depth--;
	if (o->n.k == L_PTR)
		fprintf(g->chk,
			"%*sif (POLUS_POINTS_INTO(NEW_%s%s, OLD, sizeof(OLD)))\n"
			"%*s    return polus_say(m, \"%s points into the old copy\");\n",
			4 + 4 * g->depth, "", n->acc, n->args, 4 + 4 * g->depth, "", path);
}

static void match(struct gen *g, const char *path, struct side *o, struct side *n);

/* A member of side s: field f of its struct, or element i<depth> of its array. */
static void member(struct gen *g, int which, const struct side *s, const char *name,
		   const char *type, long bitpos, long bitsize, const char *index, long esize,
		   struct side *m)
{
	memset(m, 0, sizeof(*m));
	parse_node(g->b[which], g->unit[which], type,
		   bitsize >= 0 && !(bitsize % 8) ? bitsize / 8 : -1, &m->n);
	if (index) {
		m->acc = xstrdup(s->acc);
		m->args = *s->args
			      ? xasprintf("%.*s, %s)", (int)strlen(s->args) - 1, s->args, index)
			      : xasprintf("(%s)", index);
		m->params = xstrdup(m->args);
		m->off = xasprintf("%s + (%s) * %ld", s->off, index, esize);
		m->bitpos = -1;
		return;
	}
	m->acc = *s->acc ? xasprintf("%s_%s", s->acc, name) : xstrdup(name);
	m->args = xstrdup(s->args);
	m->params = xstrdup(s->params);
	m->off = strcmp(s->off, "0") ? xasprintf("%s + %ld", s->off, bitpos / 8)
				     : xasprintf("%ld", bitpos / 8);
	m->bitpos = s->bitpos >= 0 && !*s->args ? s->bitpos + bitpos : -1;
	if (m->n.k == L_INT && bitsize > 0 &&
	    (bitsize % 8 || bitpos % 8 || bitsize / 8 != m->n.size)) {
		m->bits = bitsize;
		m->isigned = !strstr(m->n.ctype, "unsigned") && strcmp(m->n.ctype, "_Bool");
	}
}

static void side_free(struct side *s)
{
	node_free(&s->n);
	free(s->acc);
	free(s->args);
	free(s->params);
	free(s->off);
}

static void match_structs(struct gen *g, const char *path, struct side *o, struct side *n)
{
	size_t nof, nnf;
	struct field *of = parse_fields(o->n.ty->layout, &nof);
	struct field *nf = parse_fields(n->n.ty->layout, &nnf);
	for (size_t j = 0; j < nnf; j++) {
		size_t i = 0;
		char *p = xasprintf("%s.%s", path, nf[j].name);
		while (i < nof && strcmp(of[i].name, nf[j].name))
			i++;
		if (!strcmp(nf[j].name, "<anon>")) {
			stub(g, p, "an anonymous member");
		} else if (i == nof) {
			add_list(&g->added, p);
			for (int d = 0; d < 2; d++)
				fprintf(g->fwd[d], "%*s/* %s: %s */\n", 4 + 4 * g->depth, "", p,
					d ? "new, not in OLD: dropped"
					  : "new: keeps its initializer");
		} else {
			struct side om, nm;
			member(g, 0, o, of[i].name, of[i].type, of[i].bitpos, of[i].bitsize, NULL,
			       0, &om);
			member(g, 1, n, nf[j].name, nf[j].type, nf[j].bitpos, nf[j].bitsize, NULL,
			       0, &nm);
			if ((om.bits || nm.bits) && (om.bitpos < 0 || nm.bitpos < 0))
				stub(g, p, "a bit-field inside an array");
			else
				match(g, p, &om, &nm);
			side_free(&om);
			side_free(&nm);
		}
		free(p);
	}
	for (size_t i = 0; i < nof; i++) {
		size_t j = 0;
		while (j < nnf && strcmp(of[i].name, nf[j].name))
			j++;
		if (j == nnf) {
			char *p = xasprintf("%s.%s", path, of[i].name);
			add_list(&g->dropped, p);
			for (int d = 0; d < 2; d++)
				fprintf(g->fwd[d], "%*s/* %s: %s */\n", 4 + 4 * g->depth, "", p,
					d ? "removed in NEW: OLD keeps its value"
					  : "removed in NEW: dropped");
			free(p);
		}
	}
	fields_free(of, nof);
	fields_free(nf, nnf);
}

static void match_arrays(struct gen *g, const char *path, struct side *o, struct side *n)
{
	long cnt = o->n.count < n->n.count ? o->n.count : n->n.count;
	long oes = o->n.count > 0 && o->n.size > 0 ? o->n.size / o->n.count : -1;
	long nes = n->n.count > 0 && n->n.size > 0 ? n->n.size / n->n.count : -1;
	if (oes <= 0 || nes <= 0) {
		stub(g, path, "an array of unknown size");
		return;
	}
	char *idx = xasprintf("i%d", g->depth);
	char *p = xasprintf("%s[%s]", path, idx);
	struct side om, nm;
	member(g, 0, o, NULL, o->n.elem, 0, oes * 8, idx, oes, &om);
	member(g, 1, n, NULL, n->n.elem, 0, nes * 8, idx, nes, &nm);
	for (int d = 0; d < 3; d++)
		fprintf(g->fwd[d], "%*sfor (long %s = 0; %s < %ld; %s++) {%s\n", 4 + 4 * g->depth,
			"", idx, idx, cnt, idx,
			o->n.count != n->n.count ? " /* the shorter length */" : "");
	/* the check's loop only when its body checks something (pointers) */
	FILE *outer = g->chk;
	char *inner = NULL;
	size_t ilen;
	if (!(g->chk = open_memstream(&inner, &ilen))) {
		fprintf(stderr, "polus-mkpatch: out of memory\n");
		exit(4);
	}
	g->depth++;
	match(g, p, &om, &nm);
	g->depth--;
	fclose(g->chk);
	g->chk = outer;
	if (ilen)
		fprintf(g->chk, "%*sfor (long %s = 0; %s < %ld; %s++) {\n%s%*s}\n",
			4 + 4 * g->depth, "", idx, idx, cnt, idx, inner, 4 + 4 * g->depth, "");
	free(inner);
	for (int d = 0; d < 3; d++)
		fprintf(g->fwd[d], "%*s}\n", 4 + 4 * g->depth, "");
	side_free(&om);
	side_free(&nm);
	free(p);
	free(idx);
}

/* The accessors of every leaf under side s (prefix OLD or NEW): what an author needs to
 * write a sync no rule could. */
static void define_tree(struct gen *g, int which, const char *prefix, const struct side *s)
{
	if (g->depth > 6)
		return;
	if ((is_scalar(s->n.k) || s->n.k == L_PTR) && (!s->bits || s->bitpos >= 0)) {
		define_accessor(g, prefix, s);
	} else if (s->n.k == L_STRUCT) {
		size_t nf;
		struct field *f = parse_fields(s->n.ty->layout, &nf);
		for (size_t i = 0; i < nf; i++) {
			struct side m;
			member(g, which, s, f[i].name, f[i].type, f[i].bitpos, f[i].bitsize, NULL,
			       0, &m);
			define_tree(g, which, prefix, &m);
			side_free(&m);
		}
		fields_free(f, nf);
	} else if (s->n.k == L_ARRAY && s->n.count > 0 && s->n.size > 0) {
		char *idx = xasprintf("i%d", g->depth);
		long es = s->n.size / s->n.count;
		struct side m;
		member(g, which, s, NULL, s->n.elem, 0, es * 8, idx, es, &m);
		g->depth++;
		define_tree(g, which, prefix, &m);
		g->depth--;
		side_free(&m);
		free(idx);
	}
}

/* A field no rule carries: its accessors, and the #error the author replaces. */
static void left_to_author(struct gen *g, const char *path, const struct side *o,
			   const struct side *n, const char *why)
{
	define_tree(g, 0, "OLD", o);
	define_tree(g, 1, "NEW", n);
	stub(g, path, why);
}

static void match(struct gen *g, const char *path, struct side *o, struct side *n)
{
	enum lk ok = o->n.k, nk = n->n.k;
	if (g->depth > 6) {
		stub(g, path, "nested too deep");
	} else if (is_scalar(ok) && is_scalar(nk)) {
		leaf(g, path, o, n);
		add_list(&g->carried, path);
	} else if (ok == L_PTR && nk == L_PTR) {
		leaf(g, path, o, n);
		add_list(&g->carried, path);
	} else if (ok == L_STRUCT && nk == L_STRUCT) {
		match_structs(g, path, o, n);
	} else if (ok == L_ARRAY && nk == L_ARRAY) {
		match_arrays(g, path, o, n);
	} else if (ok == L_UNION && nk == L_UNION && o->n.size == n->n.size &&
		   !strcmp(o->n.ty->layout, n->n.ty->layout)) {
		/* the same union on both sides: its bytes are its value */
		fprintf(g->fwd[2], "%*sif (POLUS_TOUCHED(%s, %ld))\n", 4 + 4 * g->depth, "", o->off,
			o->n.size);
		for (int k = 0; k < 3; k++) {
			int d = k == 1, ind = 4 + 4 * g->depth + (k == 2 ? 4 : 0);
			fprintf(g->fwd[k],
				"%*sfor (long b = 0; b < %ld; b++) /* %s: the same union */\n"
				"%*s    POLUS_AT(unsigned char, %s, %s + b) = "
				"POLUS_AT(unsigned char, %s, %s + b);\n",
				ind, "", o->n.size, path, ind, "", d ? "OLD" : "NEW",
				d ? o->off : n->off, d ? "NEW" : "OLD", d ? n->off : o->off);
		}
		add_list(&g->carried, path);
	} else if (ok == L_UNION || nk == L_UNION) {
		left_to_author(g, path, o, n,
			       "a union: which member is live only the program knows");
	} else {
		char *why =
		    xasprintf("%s -> %s: no rule converts these types", o->n.text, n->n.text);
		left_to_author(g, path, o, n, why);
		free(why);
	}
}

/* The text of an open_memstream (taken). */
static char *take(FILE *f, char **buf)
{
	fclose(f);
	return *buf ? *buf : xstrdup("");
}

/* A fingerprint of the two layouts, written into the file: a kept file must match. */
static unsigned long long fingerprint(const struct meta_build *ob, const struct meta_build *nb,
				      const struct sync_var *sv)
{
	unsigned long long h = 1469598103934665603ULL;
	const struct meta_build *b[2] = {ob, nb};
	const struct meta_var *v[2] = {sv->old, sv->new};
	int u[2] = {sv->ou, sv->nu};
	for (int s = 0; s < 2; s++) {
		const char *parts[3] = {v[s]->type, v[s]->size, ""};
		const char *tag = v[s]->type;
		if (!strncmp(tag, "struct ", 7))
			tag += 7;
		const struct meta_type *t = find_type(b[s], u[s], tag);
		if (t)
			parts[2] = t->layout;
		for (int p = 0; p < 3; p++)
			for (const char *c = parts[p]; *c; c++)
				h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	}
	return h;
}

static void header(FILE *f, const struct sync_var *sv, unsigned long long fp)
{
	const char *id = sv->id;
	fprintf(f,
		"/*\n"
		" * sync/%s.c: generated by polus-mkpatch for variable %s (%s).\n"
		" *   OLD (the running program): %s, %s bytes\n"
		" *   NEW (this patch):          %s, %s bytes\n"
		" * polus-apply calls, inside the program with every thread stopped, before the\n"
		" * switch: polus_sync_%s_old2new(), then polus_check_%s(); if the check reports\n"
		" * taint, polus_recover_%s() and the check again (runtime/polus_recover.h).\n"
		" * They run while threads are held: no locks, no allocation, no stdio.\n"
		" * Edit freely: polus-mkpatch keeps this file as long as the line below still\n"
		" * names the same two layouts (delete the file to have it generated again).\n"
		" * polus-sync: %s %016llx\n"
		" */\n"
		"#include \"polus_recover.h\"\n\n"
		"/* The running program's copy (OLD layout) and the patch's copy (NEW layout). */\n"
		"extern unsigned char %s[%s];\n"
		"extern unsigned char %s[%s];\n"
		"#define OLD %s\n"
		"#define NEW %s\n\n"
		"/* Every field of both copies, by its path (arrays take their indices). */\n",
		id, sv->key, sv->unit, sv->old->type, sv->old->size, sv->new->type, sv->new->size,
		id, id, id, sv->key, fp, sv->oldsym, sv->old->size, sv->newsym, sv->new->size,
		sv->oldsym, sv->newsym);
}

static void functions(FILE *f, const struct sync_var *sv, const char *fwd[3], const char *chk)
{
	const char *id = sv->id;
	fprintf(f,
		"\n/* OLD -> NEW: run once at the switch (NEW holds NEW's initializer before). */\n"
		"__attribute__((used)) void polus_sync_%s_old2new(void)\n{\n%s}\n\n"
		"/* NEW -> OLD, into the copy at polus_old: OLD itself, or a buffer the runtime\n"
		" * writes into OLD while write tracking keeps OLD read-only. */\n"
		"__attribute__((used)) void polus_sync_%s_new2old_to(unsigned char *polus_old)\n{\n"
		"#undef OLD\n#define OLD polus_old\n%s#undef OLD\n#define OLD %s\n}\n\n"
		"/* Set while old code may still run on the old copy (write tracking of old\n"
		" * code): each store of the new code is then carried to the old copy too. */\n"
		"__attribute__((used)) volatile int polus_coexist_%s;\n"
		"/* The runtime's entry that carries a store into the protected OLD (set by\n"
		" * polus-apply with the flag). */\n"
		"__attribute__((used)) void (*volatile polus_carry_%s)(void *, unsigned long,\n"
		"                                                  void (*)(unsigned char *));\n\n"
		"/* NEW -> OLD: while old code still runs on the old copy, and for a rollback; "
		"through\n"
		" * the runtime while write tracking keeps OLD read-only. */\n"
		"__attribute__((used)) void polus_sync_%s_new2old(void)\n{\n"
		"    if (polus_coexist_%s && polus_carry_%s)\n"
		"        polus_carry_%s(OLD, sizeof(OLD), polus_sync_%s_new2old_to);\n"
		"    else\n"
		"        polus_sync_%s_new2old_to(OLD);\n}\n\n"
		"/* Write tracking of old code: old code just wrote bytes [polus_off, polus_off +\n"
		" * polus_len) of OLD; the fields they touch go to NEW. Runs in the runtime's\n"
		" * SIGSEGV handler with every signal blocked. */\n"
		"__attribute__((used)) void polus_sync_%s_track(void *polus_ctx, unsigned long "
		"polus_off,\n                                     unsigned long polus_len)\n{\n"
		"    (void)polus_ctx;\n    (void)polus_off;\n    (void)polus_len;\n%s}\n\n"
		"/* The patch's code calls this right after each of its stores to %s. */\n"
		"__attribute__((used)) void polus_sync_%s_store(void)\n{\n"
		"    if (__builtin_expect(polus_coexist_%s, 0))\n"
		"        polus_sync_%s_new2old();\n}\n\n"
		"/* Is the state the new code will see sound? 0 yes; else polus_say() why. */\n"
		"__attribute__((used)) int polus_check_%s(struct polus_msg *m)\n{\n"
		"    (void)m;\n%s"
		"    return 0;\n}\n\n"
		"/* Repairs what the check found, in NEW; 0 when done (the check runs again). */\n"
		"__attribute__((used)) int polus_recover_%s(struct polus_msg *m)\n{\n"
		"    (void)m;\n"
		"    return 0;\n}\n",
		id, fwd[0], id, fwd[1], sv->oldsym, id, id, id, id, id, id, id, id, id, fwd[2],
		sv->key, id, id, id, id, chk, id);
}

/* Whether path exists and was generated for the same layouts (-1: it does not exist). */
static int kept_matches(const char *path, const struct sync_var *sv, unsigned long long fp)
{
	char *buf;
	size_t len;
	char e[256];
	if (access(path, F_OK))
		return -1;
	if (read_file(path, &buf, &len, e, sizeof(e)))
		return 0;
	char *want = xasprintf("polus-sync: %s %016llx", sv->key, fp);
	int same = strstr(buf, want) != NULL;
	free(want);
	free(buf);
	return same;
}

int sync_write(const struct meta_build *ob, const struct meta_build *nb, const struct sync_var *sv,
	       const char *dir, struct sync_result *r, char *err, size_t errlen)
{
	struct gen g = {.b = {ob, nb}, .unit = {sv->ou, sv->nu}, .r = r};
	char *accb = NULL, *fb[3] = {NULL, NULL, NULL}, *cb = NULL;
	size_t al, fl[3], cl;
	unsigned long long fp = fingerprint(ob, nb, sv);
	char *path = xasprintf("%s/%s.c", dir, sv->id);
	int rc = 0;
	memset(r, 0, sizeof(*r));
	g.acc = open_memstream(&accb, &al);
	g.fwd[0] = open_memstream(&fb[0], &fl[0]);
	g.fwd[1] = open_memstream(&fb[1], &fl[1]);
	g.fwd[2] = open_memstream(&fb[2], &fl[2]);
	g.chk = open_memstream(&cb, &cl);
	if (!g.acc || !g.fwd[0] || !g.fwd[1] || !g.fwd[2] || !g.chk) {
		fprintf(stderr, "polus-mkpatch: out of memory\n");
		exit(4);
	}
	struct side o = {
	    .acc = xstrdup(""), .args = xstrdup(""), .params = xstrdup(""), .off = xstrdup("0")};
	struct side n = {
	    .acc = xstrdup(""), .args = xstrdup(""), .params = xstrdup(""), .off = xstrdup("0")};
	parse_node(ob, sv->ou, sv->old->type, strtol(sv->old->size, NULL, 10), &o.n);
	parse_node(nb, sv->nu, sv->new->type, strtol(sv->new->size, NULL, 10), &n.n);
	/* a variable that is no struct is its own single field, named after it */
	if (o.n.k != L_STRUCT) {
		free(o.acc);
		o.acc = xstrdup(sv->id);
	}
	if (n.n.k != L_STRUCT) {
		free(n.acc);
		n.acc = xstrdup(sv->id);
	}
	match(&g, sv->key, &o, &n);
	side_free(&o);
	side_free(&n);
	char *acc = take(g.acc, &accb), *f0 = take(g.fwd[0], &fb[0]), *f1 = take(g.fwd[1], &fb[1]);
	char *f2 = take(g.fwd[2], &fb[2]), *chk = take(g.chk, &cb);
	if (g.stubbed) { /* a field the author writes: the tracked sync carries it all */
		free(f2);
		f2 = xasprintf("    polus_sync_%s_old2new();\n", sv->id);
	}
	r->covers =
	    xasprintf("%s (%s, %s -> %s bytes): carried %s; added %s; dropped %s", sv->key,
		      sv->new->type, sv->old->size, sv->new->size, g.carried ? g.carried : "-",
		      g.added ? g.added : "-", g.dropped ? g.dropped : "-");
	int k = kept_matches(path, sv, fp);
	if (k == 1) {
		r->kept = 1;
	} else if (k == 0) {
		rc = msg(err, errlen,
			 "%s was written for other layouts of %s: move it away to have it "
			 "generated again, then carry your changes over",
			 path, sv->key);
	} else {
		FILE *f = fopen(path, "w");
		if (!f) {
			rc = msg(err, errlen, "%s: cannot create: %m", path);
		} else {
			const char *fw[3] = {f0, f1, f2};
			header(f, sv, fp);
			fputs(acc, f);
			functions(f, sv, fw, chk);
			if (fclose(f))
				rc = msg(err, errlen, "%s: write failed: %m", path);
		}
	}
	free(acc);
	free(f0);
	free(f1);
	free(f2);
	free(chk);
	free(g.carried);
	free(g.added);
	free(g.dropped);
	free(path);
	return rc;
}

void sync_result_free(struct sync_result *r)
{
	for (size_t i = 0; i < r->nstubs; i++)
		free(r->stubs[i]);
	free(r->stubs);
	free(r->covers);
	memset(r, 0, sizeof(*r));
}

/* Functions a stub must not call while the program's threads are held. */
static const char *forbidden[] = {
    "malloc",
    "calloc",
    "realloc",
    "free",
    "posix_memalign",
    "aligned_alloc",
    "strdup",
    "mmap",
    "printf",
    "fprintf",
    "puts",
    "fputs",
    "fwrite",
    "fflush",
    "fopen",
    "sleep",
    "usleep",
    "nanosleep",
    "pthread_mutex_lock",
    "pthread_mutex_trylock",
    "pthread_rwlock_rdlock",
    "pthread_rwlock_wrlock",
    "pthread_spin_lock",
    "pthread_cond_wait",
    "sem_wait",
    "flockfile",
    "syslog",
    "pthread_join",
    "dlopen",
};

char *sync_forbidden(const char *obj_path, char *err, size_t errlen, int *failed)
{
	struct ef_file f;
	char *list = NULL;
	*failed = 0;
	if (ef_open_path(&f, obj_path, err, errlen) || ef_load_symbols(&f, err, errlen)) {
		ef_close(&f);
		*failed = 1;
		return NULL;
	}
	for (size_t i = 0; i < f.nsyms; i++) {
		if (f.syms[i].defined)
			continue;
		for (size_t k = 0; k < sizeof(forbidden) / sizeof(forbidden[0]); k++)
			if (!strcmp(f.syms[i].name, forbidden[k]))
				add_list(&list, forbidden[k]);
	}
	ef_close(&f);
	return list;
}
