/*
 * proof — checks that a plan reaches every OLD body whose code differs (see proof.h).
 *
 * Phases (proof_check): index_changes (the functions whose own source changed, the
 * plan's redirects, one entry per changed function of OLD), then per build of the
 * running code and per unit: mark_stale (each body's inline closure meets a changed
 * function; calls to a stale clone make the caller stale, to a fixpoint), judge_bodies
 * (a stale body that is no clone must be redirected), and finally describe (each
 * entry's `how`).
 */
#include "proof.h"
#include "mkpatch_util.h"
#include <stdlib.h>
#include <string.h>

/* What the bodies of OLD say about one entry. */
struct acc {
	int self;    /* its own out-of-line body is redirected */
	char **into; /* redirected containers it was inlined into */
	size_t ninto, capinto;
	char **clones; /* its clones (covered by their callers) */
	size_t nclones, capclones;
	char **callers; /* kept, not redirectable, every caller redirected */
	size_t ncallers, capcallers;
	char **missed; /* containers or its own body left running old code */
	size_t nmissed, capmissed;
	char **left; /* ... of those, left out on purpose (--exclude, churn) */
	size_t nleft, capleft;
};

struct prctx {
	struct proof *pr;
	const struct diff *d;
	const struct plan *p;
	const struct chain *chain;
	int line_only;
	struct smap own;	/* "unit\1name": its own source changed */
	struct smap redirected; /* "B\1unit\1name": the plan jumps from its entry in build B
				   (0 OLD's binary, K the chain's Kth patch) */
	struct smap kept;	/* "unit\1name": the plan keeps it (redirected or not) */
	struct smap left;	/* "unit\1name": left out of the patch on purpose */
	struct smap entry_at;	/* "unit\1name" -> index in pr->v */
	struct acc *acc;
};

/* One unit of one build of the running code, while it is judged. */
struct unit_ctx {
	const struct meta_unit *u;
	const struct vf_patch *carried; /* NULL: every body runs */
	int build;			/* 0 OLD's binary, K the chain's Kth patch */
	long *inl_next;			/* inline records chained per CALLER */
	struct smap inl_first;
	char *stale; /* per emit */
	char **why;  /* per emit: the first reason it differs (malloc'd) */
};

static char *key2(const char *unit, const char *name)
{
	return xasprintf("%s\1%s", unit, name);
}

static long get2(const struct smap *m, const char *unit, const char *name)
{
	char *k = key2(unit, name);
	long v = smap_get(m, k);
	free(k);
	return v;
}

static void put2(struct smap *m, const char *unit, const char *name, long v)
{
	char *k = key2(unit, name);
	smap_put(m, k, v);
	free(k);
}

static void push_unique(char ***v, size_t *n, size_t *cap, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return;
	VEC_PUSH(*v, *n, *cap, xstrdup(s));
}

/* A change of the function's own source, not one the diff spread to it. */
static int own_change(const struct d_item *it, int line_only)
{
	if (it->state == DS_LINE)
		return line_only;
	if (it->state != DS_CHANGED)
		return 0;
	for (size_t r = 0; r < it->nreasons; r++)
		if (strncmp(it->reasons[r], "inlined:", 8) &&
		    strncmp(it->reasons[r], "calls-clone:", 12))
			return 1;
	return 0;
}

static void add_entry(struct prctx *c, const struct d_item *it)
{
	struct proof_entry e = {.name = it->name, .unit = it->unit, .live = 1};
	if (get2(&c->entry_at, it->unit, it->name) >= 0)
		return;
	put2(&c->entry_at, it->unit, it->name, (long)c->pr->n);
	VEC_PUSH(c->pr->v, c->pr->n, c->pr->cap, e);
}

static void put_redirect(struct prctx *c, int build, const struct d_item *it)
{
	char *k = xasprintf("%d\1%s\1%s", build, it->unit, it->name);
	smap_put(&c->redirected, k, 1);
	free(k);
}

/* Whether the body of `name` in x's build jumps to the patch. */
static int redirected(const struct prctx *c, const struct unit_ctx *x, const char *name)
{
	char *k = xasprintf("%d\1%s\1%s", x->build, x->u->key, name);
	long v = smap_get(&c->redirected, k);
	free(k);
	return v >= 0;
}

static void index_changes(struct prctx *c)
{
	for (size_t i = 0; i < c->d->nfns; i++) {
		const struct d_item *it = &c->d->fns[i];
		if (own_change(it, c->line_only))
			put2(&c->own, it->unit, it->name, 1);
		if (it->old && plan_in_patch(it, c->line_only))
			add_entry(c, it);
		if (c->p->left_out && c->p->left_out[i])
			put2(&c->left, it->unit, it->name, 1);
	}
	for (size_t i = 0; i < c->d->nxfns; i++) {
		const struct d_item *it = &c->d->xfns[i];
		if (!own_change(it, c->line_only))
			continue;
		put2(&c->own, it->unit, it->name, 1);
		add_entry(c, it);
	}
	for (size_t u = 0; u < c->p->nunits; u++)
		for (size_t k = 0; k < c->p->units[u].nkeeps; k++) {
			const struct plan_keep *kp = &c->p->units[u].keeps[k];
			put2(&c->kept, kp->it->unit, kp->it->name, 1);
			if (kp->redirect)
				put_redirect(c, 0, kp->it);
			for (size_t i = 0; i < kp->nsites; i++) {
				/* OLD's entry jumps to that copy, which now jumps here */
				put_redirect(c, 0, kp->it);
				put_redirect(c, 1 + (int)(kp->sites[i].in - c->chain->p), kp->it);
			}
		}
	c->acc = xcalloc(c->pr->n + 1, sizeof(struct acc));
}

static int carried(const struct unit_ctx *x, const char *origin)
{
	if (!x->carried)
		return 1;
	for (size_t i = 0; i < x->carried->nfunctions; i++) {
		const struct vf_function *f = &x->carried->functions[i];
		if (!strcmp(f->name, origin) && (!f->unit || !strcmp(f->unit, x->u->key)))
			return 1;
	}
	return 0;
}

/* A body emitted under another name than its source function's own: not redirectable. */
static int is_clone(const struct meta_unit *u, const struct meta_pair *e)
{
	const struct meta_fn *fn = meta_fn_named(u, e->b, 0);
	return strcmp(e->a, e->b) && (!fn || strcmp(fn->asm_name, e->a));
}

/* Calls visit(name) for every function whose code body `e` holds: its origin, its own
 * and its origin's inline records, transitively (an early-inlined body carries what was
 * inlined into it before). Returns the first non-zero visit result. */
typedef int (*visit_fn)(struct prctx *, struct unit_ctx *, size_t body, const char *name);

static int walk_body(struct prctx *c, struct unit_ctx *x, size_t body, visit_fn visit)
{
	const struct meta_unit *u = x->u;
	const char **todo = NULL;
	size_t n = 0, cap = 0;
	struct smap seen = {0};
	int r = 0;
	VEC_PUSH(todo, n, cap, u->emits[body].a);
	VEC_PUSH(todo, n, cap, u->emits[body].b);
	while (n && !r) {
		const char *name = todo[--n];
		if (smap_get(&seen, name) >= 0)
			continue;
		smap_put(&seen, name, 1);
		if (strcmp(name, u->emits[body].a) || !strcmp(name, u->emits[body].b))
			r = visit(c, x, body, name);
		for (long i = smap_get(&x->inl_first, name); i >= 0; i = x->inl_next[i])
			VEC_PUSH(todo, n, cap, u->inlines[i].b);
	}
	free(todo);
	smap_free(&seen);
	return r;
}

static int visit_stale(struct prctx *c, struct unit_ctx *x, size_t body, const char *name)
{
	if (get2(&c->own, x->u->key, name) < 0)
		return 0;
	const struct meta_pair *e = &x->u->emits[body];
	x->why[body] = !strcmp(name, e->b) ? xstrdup("its source changed")
					   : xasprintf("%s, inlined into it, changed", name);
	return 1;
}

static void mark_stale(struct prctx *c, struct unit_ctx *x)
{
	const struct meta_unit *u = x->u;
	for (size_t i = 0; i < u->nemits; i++)
		if (carried(x, u->emits[i].b))
			x->stale[i] = (char)walk_body(c, x, i, visit_stale);
	for (int moved = 1; moved;) {
		moved = 0;
		for (size_t i = 0; i < u->necalls; i++) {
			long a = smap_get(&u->emit_at, u->ecalls[i].a);
			long b = smap_get(&u->emit_at, u->ecalls[i].b);
			if (a < 0 || b < 0 || x->stale[a] || !x->stale[b] ||
			    !is_clone(u, &u->emits[b]) || !carried(x, u->emits[a].b))
				continue;
			x->stale[a] = 1;
			x->why[a] =
			    xasprintf("it calls the clone %s, which differs", u->emits[b].a);
			moved = 1;
		}
	}
}

/*
 * A body the plan keeps but cannot redirect (its signature changed) still goes live when
 * nothing can call its old code anew: a static function whose address is never taken,
 * every direct caller of which is redirected, or is such a function itself (depth-limited).
 * The new callers call the patch's own copy; only old frames still running reach the old.
 */
static int live_through_callers(const struct prctx *c, const struct unit_ctx *x, size_t body,
				int depth)
{
	const struct meta_unit *u = x->u;
	const struct meta_pair *e = &u->emits[body];
	const struct meta_fn *fn = meta_fn_named(u, e->b, 0);
	int callers = 0;
	if (depth > 8 || !fn || !fn->is_static || get2(&c->kept, u->key, e->b) < 0)
		return 0;
	for (size_t i = 0; i < u->nuses; i++)
		if (!strcmp(u->uses[i].kind, "addr") && !strcmp(u->uses[i].target, e->b))
			return 0;
	for (size_t i = 0; i < u->necalls; i++) {
		if (strcmp(u->ecalls[i].b, e->a))
			continue;
		long a = smap_get(&u->emit_at, u->ecalls[i].a);
		if (a < 0 || (!redirected(c, x, u->emits[a].b) &&
			      !live_through_callers(c, x, (size_t)a, depth + 1)))
			return 0;
		callers++;
	}
	return callers > 0;
}

static int visit_record(struct prctx *c, struct unit_ctx *x, size_t body, const char *name)
{
	long ei = get2(&c->entry_at, x->u->key, name);
	const struct meta_pair *e = &x->u->emits[body];
	if (ei < 0)
		return 0;
	struct acc *a = &c->acc[ei];
	if (is_clone(x->u, e))
		push_unique(&a->clones, &a->nclones, &a->capclones, e->a);
	else if (!redirected(c, x, e->b) && live_through_callers(c, x, body, 0))
		push_unique(&a->callers, &a->ncallers, &a->capcallers, e->b);
	else if (get2(&c->left, x->u->key, e->b) >= 0) {
		push_unique(&a->left, &a->nleft, &a->capleft, e->b);
		c->pr->v[ei].live = 0;
	} else if (!redirected(c, x, e->b)) {
		push_unique(&a->missed, &a->nmissed, &a->capmissed, e->b);
		c->pr->v[ei].live = 0;
	} else if (!strcmp(name, e->b))
		a->self = 1;
	else
		push_unique(&a->into, &a->ninto, &a->capinto, e->b);
	return 0;
}

/* Each stale body that is no clone must be redirected; entries learn where they live. */
static void judge_bodies(struct prctx *c, struct unit_ctx *x)
{
	const struct meta_unit *u = x->u;
	for (size_t i = 0; i < u->nemits; i++) {
		const struct meta_pair *e = &u->emits[i];
		if (!x->stale[i])
			continue;
		walk_body(c, x, i, visit_record);
		/* left out on purpose: the plan's warning says so already */
		if (is_clone(u, e) || redirected(c, x, e->b) || get2(&c->left, u->key, e->b) >= 0 ||
		    live_through_callers(c, x, i, 0))
			continue;
		if (get2(&c->kept, u->key, e->b) >= 0)
			VEC_PUSH(c->pr->warnings, c->pr->nwarnings, c->pr->capwarnings,
				 xasprintf("%s (%s): its code differs (%s) but it is not "
					   "redirected: its old callers keep the old code",
					   e->b, u->key, x->why[i]));
		else
			VEC_PUSH(c->pr->errors, c->pr->nerrors, c->pr->caperrors,
				 xasprintf("%s (%s): its code in OLD differs from NEW's (%s) but "
					   "the patch does not replace it",
					   e->b, u->key, x->why[i]));
	}
}

static void judge_unit(struct prctx *c, const struct meta_unit *u, const struct vf_patch *carried,
		       int build)
{
	struct unit_ctx x = {.u = u, .carried = carried, .build = build};
	struct smap last = {0};
	x.inl_next = xcalloc(u->ninlines + 1, sizeof(long));
	for (size_t i = 0; i < u->ninlines; i++) {
		long prev = smap_get(&last, u->inlines[i].a);
		x.inl_next[i] = -1;
		if (prev < 0)
			smap_put(&x.inl_first, u->inlines[i].a, (long)i);
		else
			x.inl_next[prev] = (long)i;
		smap_set(&last, u->inlines[i].a, (long)i);
	}
	x.stale = xcalloc(u->nemits + 1, 1);
	x.why = xcalloc(u->nemits + 1, sizeof(char *));
	mark_stale(c, &x);
	judge_bodies(c, &x);
	for (size_t i = 0; i < u->nemits; i++)
		free(x.why[i]);
	free(x.why);
	free(x.stale);
	free(x.inl_next);
	smap_free(&x.inl_first);
	smap_free(&last);
}

static void append_list(char **s, const char *head, char **v, size_t n, const char *tail)
{
	char *out = xasprintf("%s%s%s", *s ? *s : "", *s ? "; " : "", head);
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%s", out, i ? ", " : "", v[i]);
		free(out);
		out = t;
	}
	free(*s);
	*s = xasprintf("%s%s", out, tail);
	free(out);
}

static void describe(struct prctx *c)
{
	for (size_t i = 0; i < c->pr->n; i++) {
		struct acc *a = &c->acc[i];
		char *how = NULL;
		if (a->self)
			how = xstrdup("redirected");
		if (a->ninto)
			append_list(&how, "inlined into ", a->into, a->ninto, " (redirected)");
		if (a->nclones)
			append_list(&how, "clones ", a->clones, a->nclones,
				    " (their callers redirected)");
		if (a->ncallers)
			append_list(&how, "replaced for new calls in ", a->callers, a->ncallers,
				    " (not redirectable; every caller redirected)");
		if (a->nleft)
			append_list(&how, "left out on purpose, old code runs in ", a->left,
				    a->nleft, "");
		if (a->nmissed)
			append_list(&how, "NOT live in ", a->missed, a->nmissed,
				    " (not redirected)");
		c->pr->v[i].how = how ? how : xstrdup("no code in OLD (not reachable)");
	}
}

static void free_acc(struct acc *a)
{
	char **lists[] = {a->into, a->clones, a->callers, a->missed, a->left};
	size_t ns[] = {a->ninto, a->nclones, a->ncallers, a->nmissed, a->nleft};
	for (size_t l = 0; l < 5; l++) {
		for (size_t i = 0; i < ns[l]; i++)
			free(lists[l][i]);
		free(lists[l]);
	}
}

size_t proof_check(struct proof *pr, const struct diff *d, const struct plan *p,
		   const struct meta_build *base, const struct chain *chain, int line_only)
{
	struct prctx c = {.pr = pr, .d = d, .p = p, .chain = chain, .line_only = line_only};
	memset(pr, 0, sizeof(*pr));
	index_changes(&c);
	for (size_t u = 0; u < base->nunits; u++)
		judge_unit(&c, &base->units[u], NULL, 0);
	for (size_t k = 0; chain && k < chain->n; k++)
		for (size_t u = 0; u < chain->p[k].meta.nunits; u++)
			judge_unit(&c, &chain->p[k].meta.units[u], &chain->p[k].vf, (int)k + 1);
	describe(&c);
	for (size_t i = 0; i < pr->n; i++)
		free_acc(&c.acc[i]);
	free(c.acc);
	smap_free(&c.own);
	smap_free(&c.redirected);
	smap_free(&c.kept);
	smap_free(&c.left);
	smap_free(&c.entry_at);
	return pr->nerrors;
}

void proof_free(struct proof *pr)
{
	for (size_t i = 0; i < pr->n; i++)
		free(pr->v[i].how);
	free(pr->v);
	for (size_t i = 0; i < pr->nerrors; i++)
		free(pr->errors[i]);
	free(pr->errors);
	for (size_t i = 0; i < pr->nwarnings; i++)
		free(pr->warnings[i]);
	free(pr->warnings);
	memset(pr, 0, sizeof(*pr));
}
