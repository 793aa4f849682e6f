/*
 * mkpatch_plan — what each recompiled unit keeps and binds (see mkpatch_plan.h).
 *
 * Every change the patch cannot carry is collected in plan.refusals (each names the
 * variable, type or function that really changed) and planning goes on, so one run
 * reports them all.
 * Phases (plan_make): refuse_unsupported_variables, index_globals (and OLD's
 * constructors, for warnings), select_units, then per unit
 * plan_keeps (changed/new functions, their OLD symbols and redirects), refuse_unsafe_sites
 * (a redirect polus-apply could not write: common/site_rules), bind_own (the
 * unit's unchanged functions and variables) and bind_external (globals of other units
 * that the unit refers to).
 */
#include "mkpatch_plan.h"
#include "mkpatch_churn.h"
#include "mkpatch_sync.h"
#include "site_rules.h"
#include "mkpatch_util.h"
#include <ctype.h>
#include <fnmatch.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pctx {
	struct plan *p;
	const struct meta_build *ob, *nb;
	const struct diff *d;
	const struct ef_file *old;
	const struct chain *chain;
	int line_only;
	const struct plan_opts *opts;
	char *left_out;		  /* per function item: left out of the patch (--exclude, churn) */
	struct smap bind_at;	  /* "addr/tls" -> bind index */
	struct smap global_fn;	  /* NEW global function name -> fn item */
	struct smap global_var;	  /* NEW global variable key -> var item */
	struct smap thread_entry; /* functions whose address goes to pthread_create */
	uint64_t *ctors;	  /* OLD's .preinit_array/.init_array entries */
	size_t nctors;
	char *ambiguous;	   /* the first static that OLD's symbols cannot pin down */
	struct smap ifuncs;	   /* IFUNCs of OLD the patch would bind or redirect: refused */
	struct smap refused_types; /* types a refusal already names as the root cause */
	struct smap covered_types; /* types whose objects are variables the patch syncs */
	char *err;
	size_t errlen;
};

int plan_in_patch(const struct d_item *it, int line_only)
{
	return it->state == DS_CHANGED || it->state == DS_NEW ||
	       (it->state == DS_LINE && line_only);
}

static void pwarn(struct plan *p, char *w)
{
	VEC_PUSH(p->warnings, p->nwarnings, p->capwarnings, w);
}

/* In the patch: changed (or line-only with --line-only) and not left out on purpose. */
static int in_patch(const struct pctx *c, const struct d_item *it)
{
	return plan_in_patch(it, c->line_only) && !c->left_out[it - c->d->fns];
}

static int has_reason(const struct d_item *it, const char *r)
{
	for (size_t i = 0; i < it->nreasons; i++)
		if (!strcmp(it->reasons[i], r))
			return 1;
	return 0;
}

/* One change the patch cannot carry: collected, so one run names them all. */
static void refuse(struct pctx *c, char *why)
{
	VEC_PUSH(c->p->refusals, c->p->nrefusals, c->p->caprefusals, why);
}

/* Type text `t` without `volatile` (malloc'd): the qualifier changes how code accesses
 * the storage, never its size, alignment or representation. */
static char *strip_volatile(const char *t)
{
	char *out = xmalloc(strlen(t) + 1), *o = out;
	while (*t)
		if (!strncmp(t, "volatile ", 9))
			t += 9;
		else
			*o++ = *t++;
	*o = 0;
	return out;
}

/* A `type` reason that is a change of `volatile` qualifiers only, at the same size: the
 * live variable's storage is what the new code expects. (_Atomic and const are not
 * among them: _Atomic may change alignment, const moves the variable to read-only data.) */
static int qualifier_only(const struct meta_var *ov, const struct meta_var *nv)
{
	char *a = strip_volatile(ov->type), *b = strip_volatile(nv->type);
	int same = !strcmp(a, b) && !strcmp(ov->size, nv->size);
	free(a);
	free(b);
	return same;
}

/* A variable whose OLD storage the patch uses: unchanged, writable with only a new
 * initializer (the live value wins), or with only `volatile` added or removed. */
static int var_bindable(const struct d_item *it)
{
	const struct meta_var *ov = it->old;
	if (!ov || !it->new || !strcmp(ov->asm_name, "-"))
		return 0;
	if (it->state == DS_SAME)
		return 1;
	if (it->state != DS_CHANGED)
		return 0;
	for (size_t r = 0; r < it->nreasons; r++) {
		const char *why = it->reasons[r];
		if (!strcmp(why, "init") && !strcmp(ov->access, "rw"))
			continue;
		if (!strcmp(why, "type") && qualifier_only(ov, it->new))
			continue;
		return 0;
	}
	return 1;
}

/* The first `layout:TAG` reason of a variable, or NULL. */
static const char *layout_reason(const struct d_item *it)
{
	for (size_t r = 0; r < it->nreasons; r++)
		if (!strncmp(it->reasons[r], "layout:", 7))
			return it->reasons[r] + 7;
	return NULL;
}

/* TAG when `it` is a read-only table that holds TAG, whose layout changed (its type text
 * may have changed too: a table that grew an entry), else NULL. */
static const char *table_layout(const struct d_item *it)
{
	const struct meta_var *ov = it->old;
	if (it->state != DS_CHANGED || has_reason(it, "access") || strcmp(ov->access, "ro") ||
	    ov->tls)
		return NULL;
	return layout_reason(it);
}

/* Read-only tables that changed only because the layout of the type they hold changed
 * (a gperf word list of a struct that grew a field): read-only, they hold no state, so
 * the patch's code takes its own new copy; the type is covered by them (no refusal of
 * its objects), with one warning per type naming the tables. */
static void cover_table_layouts(struct pctx *c, struct smap *done)
{
	for (size_t i = 0; i < c->d->nvars; i++) {
		const char *tag = table_layout(&c->d->vars[i]);
		if (!tag || smap_get(done, c->d->vars[i].key) >= 0)
			continue;
		char *tables = xstrdup("");
		size_t n = 0;
		for (size_t j = i; j < c->d->nvars; j++) {
			const struct d_item *t = &c->d->vars[j];
			const char *tj = table_layout(t);
			if (!tj || strcmp(tj, tag))
				continue;
			char *more =
			    xasprintf("%s%s%s (%s)", tables, n++ ? ", " : "", t->key, t->unit);
			free(tables);
			tables = more;
			smap_put(done, t->key, 1);
		}
		smap_put(&c->refused_types, tag, 1);
		pwarn(c->p, xasprintf("type %s changed layout: the patch's code uses its own new "
				      "copy of the read-only table%s %s; a pointer the running "
				      "program keeps into the old one still sees the old layout",
				      tag, n > 1 ? "s" : "", tables));
		free(tables);
	}
}

/* A read-only variable (a const table, a parser's tables) that stays read-only holds no
 * state: whatever its type now, the patch's code takes its own new copy, as for a changed
 * initializer; the running program's code keeps reading the old one. */
static int read_only(const struct meta_var *ov, const struct meta_var *nv)
{
	return !strcmp(ov->access, "ro") && !strcmp(nv->access, "ro") && !ov->tls && !nv->tls;
}

static const struct ef_sym *old_symbol(struct pctx *c, int ou, const char *asm_name, int local,
				       int want_fn);
static size_t bind_index(struct pctx *c, const char *name, const struct ef_sym *s, int is_fn);
static int is_local_var(const struct meta_var *v);

/* The first function of OLD or NEW (of the variable's own unit, for a static) whose
 * body lets the variable's address escape (`use FN escape KEY`), or NULL. */
static const char *escaped_in(const struct pctx *c, const struct d_item *it)
{
	const struct meta_build *bs[2] = {c->ob, c->nb};
	const int own[2] = {it->ou, it->nu};
	int local = is_local_var(it->new);
	for (int b = 0; b < 2; b++)
		for (size_t ui = 0; ui < bs[b]->nunits; ui++) {
			const struct meta_unit *u = &bs[b]->units[ui];
			if (local && (int)ui != own[b])
				continue;
			for (size_t i = 0; i < u->nuses; i++)
				if (!strcmp(u->uses[i].kind, "escape") &&
				    !strcmp(u->uses[i].target, it->key))
					return u->uses[i].fn;
		}
	return NULL;
}

/*
 * A writable variable whose type changed: the patch defines a new copy, synced from the
 * running program's at the switch (mkpatch_sync). Refused when old and new code would
 * lock different copies (a lock or an atomic in it), or when OLD has no copy to sync.
 */
/* A changed variable refused: its type, if it is the layout of one, is the root cause
 * said here (no second refusal for the objects of that type). */
static void refuse_var(struct pctx *c, const struct d_item *it, char *why)
{
	refuse(c, why);
	if (layout_reason(it))
		smap_put(&c->refused_types, layout_reason(it), 1);
}

static void plan_coexist(struct pctx *c, const struct d_item *it)
{
	const struct meta_var *ov = it->old, *nv = it->new;
	char *lock = sync_lock_field(c->ob, it->ou, ov);
	if (!lock)
		lock = sync_lock_field(c->nb, it->nu, nv);
	if (lock) {
		refuse_var(c, it,
			   xasprintf("variable %s (%s) changed type, and it holds a lock or an "
				     "atomic (%s): old and new code would lock different copies; "
				     "not supported",
				     it->key, it->unit, lock));
		free(lock);
		return;
	}
	const char *by = escaped_in(c, it);
	if (by) {
		refuse_var(c, it,
			   xasprintf("variable %s (%s) changed type, and %s stores its address or "
				     "passes it on (to another thread, the kernel...): writes made "
				     "through it cannot be carried to the new copy; not supported",
				     it->key, it->unit, by));
		return;
	}
	const struct ef_sym *s = old_symbol(c, it->ou, ov->asm_name, is_local_var(ov), 0);
	if (!s) {
		refuse_var(c, it,
			   xasprintf("variable %s (%s) changed type, and OLD's symbol table does "
				     "not name its storage (%s): nothing to sync from",
				     it->key, it->unit, ov->asm_name));
		return;
	}
	struct plan_coexist cv = {.it = it, .oldbind = -1};
	cv.symbol = xasprintf("__polus_v_%zu", c->p->ncoexist);
	cv.id = sync_ident(it->key);
	for (size_t i = 0; i < c->p->ncoexist; i++)
		if (!strcmp(c->p->coexist[i].id, cv.id)) {
			char *more = xasprintf("%s_%zu", cv.id, c->p->ncoexist);
			free(cv.id);
			cv.id = more;
		}
	cv.oldbind = (long)bind_index(c, it->key, s, 0);
	const char *tag = layout_reason(it);
	if (tag)
		smap_put(&c->covered_types, tag, 1);
	VEC_PUSH(c->p->coexist, c->p->ncoexist, c->p->capcoexist, cv);
}

static void refuse_unsupported_variables(struct pctx *c)
{
	struct smap tables = {0};
	cover_table_layouts(c, &tables);
	for (size_t i = 0; i < c->d->nvars; i++) {
		const struct d_item *it = &c->d->vars[i];
		const struct meta_var *ov = it->old, *nv = it->new;
		const char *tag;
		if (it->state == DS_NEW && nv->tls)
			refuse(c, xasprintf("new thread-local variable %s (%s): not supported yet",
					    it->key, it->unit));
		if (it->state != DS_CHANGED || smap_get(&tables, it->key) >= 0)
			continue;
		if (ov->tls || nv->tls)
			refuse(c,
			       xasprintf("thread-local variable %s (%s) changed: not supported yet",
					 it->key, it->unit));
		else if (has_reason(it, "access"))
			refuse(c, xasprintf("variable %s (%s) changed type: not supported yet (%s "
					    "-> %s)",
					    it->key, it->unit, ov->access, nv->access));
		else if ((has_reason(it, "type") && !qualifier_only(ov, nv) &&
			  !read_only(ov, nv)) ||
			 ((tag = layout_reason(it)) && !read_only(ov, nv)))
			plan_coexist(c, it);
		else if (!strcmp(nv->access, "rw") && strcmp(ov->asm_name, "-") &&
			 has_reason(it, "init"))
			pwarn(c->p, xasprintf("variable %s (%s): initializer changed; the running "
					      "program keeps its live value",
					      it->key, it->unit));
	}
	smap_free(&tables);
}

static const struct ef_sym *old_symbol(struct pctx *c, int ou, const char *asm_name, int local,
				       int want_fn)
{
	const struct ef_sym *s;
	if (!asm_name || !strcmp(asm_name, "-"))
		return NULL;
	s = ef_find(c->old, asm_name, local ? c->ob->units[ou].src : NULL, local);
	if (s == &ef_ambiguous) {
		if (!c->ambiguous)
			c->ambiguous = xasprintf("%s (%s): OLD's symbol table has several local "
						 "symbols %s in files named like %s: cannot tell "
						 "which is this unit's",
						 asm_name, c->ob->units[ou].key, asm_name,
						 c->ob->units[ou].src);
		return NULL;
	}
	if (!s)
		return NULL;
	if (want_fn && s->type == STT_GNU_IFUNC) {
		/* its symbol is the resolver, not the code it picks: binding or redirecting
		 * it would call the resolver */
		if (smap_get(&c->ifuncs, asm_name) < 0) {
			smap_put(&c->ifuncs, asm_name, 1);
			refuse(c, xasprintf("%s (%s): OLD's %s is an IFUNC (ifunc or "
					    "target_clones): polus cannot bind or redirect it yet",
					    asm_name, c->ob->units[ou].key, asm_name));
		}
		return NULL;
	}
	if (want_fn && s->type != STT_FUNC)
		return NULL;
	if (!want_fn && s->type != STT_OBJECT && s->type != STT_TLS && s->type != STT_NOTYPE)
		return NULL;
	return s;
}

/* The bind of OLD's symbol `s` (one per address and TLS-ness across the patch). */
static size_t bind_index(struct pctx *c, const char *name, const struct ef_sym *s, int is_fn)
{
	int tls = s->type == STT_TLS;
	char *k = xasprintf("%llx/%d", (unsigned long long)s->value, tls);
	long idx = smap_get(&c->bind_at, k);
	if (idx < 0) {
		struct plan_bind b = {
		    .symbol = xasprintf("__polus_b_%zu", c->p->nbinds),
		    .name = name,
		    .addr = s->value,
		    .tls = tls,
		    .is_fn = is_fn,
		};
		VEC_PUSH(c->p->binds, c->p->nbinds, c->p->capbinds, b);
		idx = (long)(c->p->nbinds - 1);
		smap_put(&c->bind_at, k, idx);
	}
	free(k);
	return (size_t)idx;
}

/* Names bind `idx` in the unit's plan (a bind-fn / bind-var line). */
static void unit_binds(struct plan_unit *pu, size_t idx)
{
	for (size_t i = 0; i < pu->nbinds; i++)
		if (pu->binds[i] == idx)
			return;
	VEC_PUSH(pu->binds, pu->nbinds, pu->capbinds, idx);
}

static size_t add_bind(struct pctx *c, struct plan_unit *pu, const char *name,
		       const struct ef_sym *s, int is_fn)
{
	size_t idx = bind_index(c, name, s, is_fn);
	unit_binds(pu, idx);
	return idx;
}

/* The keep of function item `it` in whichever unit defines it, or NULL. */
static const struct plan_keep *find_keep(const struct pctx *c, const struct d_item *it)
{
	for (size_t u = 0; u < c->p->nunits; u++)
		for (size_t k = 0; k < c->p->units[u].nkeeps; k++)
			if (c->p->units[u].keeps[k].it == it)
				return &c->p->units[u].keeps[k];
	return NULL;
}

static int is_local_var(const struct meta_var *v)
{
	return strcmp(v->scope, "global") != 0;
}

static void index_globals(struct pctx *c)
{
	for (size_t i = 0; i < c->d->nfns; i++) {
		const struct d_item *it = &c->d->fns[i];
		const struct meta_fn *nf = it->new;
		if (nf && !nf->is_static)
			smap_put(&c->global_fn, nf->name, (long)i);
	}
	for (size_t i = 0; i < c->d->nvars; i++) {
		const struct d_item *it = &c->d->vars[i];
		const struct meta_var *nv = it->new;
		if (nv && !is_local_var(nv))
			smap_put(&c->global_var, nv->key, (long)i);
	}
	/* a function whose address is taken by a function that starts threads */
	const struct meta_build *bs[2] = {c->ob, c->nb};
	for (int b = 0; b < 2; b++)
		for (size_t ui = 0; ui < bs[b]->nunits; ui++) {
			const struct meta_unit *u = &bs[b]->units[ui];
			for (size_t i = 0; i < u->nuses; i++) {
				if (strcmp(u->uses[i].kind, "addr"))
					continue;
				for (long j = meta_first_use(u, u->uses[i].fn); j >= 0;
				     j = meta_next_use(u, j))
					if (!strcmp(u->uses[j].kind, "call") &&
					    !strcmp(u->uses[j].target, "pthread_create"))
						smap_put(&c->thread_entry, u->uses[i].target, 1);
			}
		}
}

static int is_ctor(const struct pctx *c, const struct ef_sym *s)
{
	for (size_t i = 0; s && i < c->nctors; i++)
		if (c->ctors[i] == s->value)
			return 1;
	return 0;
}

/* `old`: OLD's symbol of the function, or NULL. */
static void warn_never_returns(struct pctx *c, const struct d_item *it, const struct ef_sym *old)
{
	if (it->state == DS_NEW)
		return;
	if (!strcmp(it->name, "main"))
		pwarn(c->p, xasprintf("%s: changed, but it never returns: running threads keep "
				      "the old code there",
				      it->name));
	else if (smap_get(&c->thread_entry, it->name) >= 0)
		pwarn(c->p, xasprintf("%s: changed, but it is a thread entry (passed to "
				      "pthread_create) and may never return: running threads "
				      "keep the old code there",
				      it->name));
	else if (!strcmp(it->name, "_start") || !strcmp(it->name, "_init") ||
		 !strncmp(it->name, "__libc_csu", 10))
		pwarn(c->p,
		      xasprintf("%s: changed, but it is start-up code: it already ran", it->name));
	else if (is_ctor(c, old))
		pwarn(c->p,
		      xasprintf("%s: changed, but it is a constructor (in OLD's .init_array): "
				"it already ran at start-up and does not run again",
				it->name));
}

/* The copies of k's function that earlier patches of the chain hold: each is running
 * code (the patch's own callers call it directly, OLD's entry may jump to it), so each
 * gets a jump straight to the new code. A clone there, specialised for that patch's
 * callers, cannot take one: refused. */
static void chain_sites(struct pctx *c, struct plan_keep *k)
{
	const struct d_item *it = k->it;
	const struct meta_fn *of = it->old;
	const char *src = c->ob->units[it->ou].src;
	for (size_t i = 0; i < c->chain->n; i++) {
		const struct chain_patch *cp = &c->chain->p[i];
		const struct ef_sym *s =
		    chain_copy(cp, it->name, it->unit, of->asm_name, src, of->is_static);
		const char *clone = chain_clone(cp, of->asm_name, src);
		if (s == &ef_ambiguous)
			refuse(c, xasprintf("%s (%s): %s has several local symbols %s: cannot "
					    "tell which copy is this unit's",
					    it->name, it->unit, cp->path, of->asm_name));
		else if (s) {
			struct plan_site site = {cp, s};
			VEC_PUSH(k->sites, k->nsites, k->capsites, site);
		}
		if (clone)
			refuse(c, xasprintf("%s (%s): %s holds %s, a clone of it specialised for "
					    "that patch's callers, which a jump cannot replace: "
					    "not supported yet",
					    it->name, it->unit, cp->path, clone));
	}
}

/* Whether `tag` appears in signature text `sig` as a whole word. */
static int type_in_sig(const char *sig, const char *tag)
{
	size_t n = strlen(tag);
	for (const char *p = strstr(sig, tag); p; p = strstr(p + 1, tag)) {
		int before = p > sig && (isalnum((unsigned char)p[-1]) || p[-1] == '_');
		int after = isalnum((unsigned char)p[n]) || p[n] == '_';
		if (!before && !after)
			return 1;
	}
	return 0;
}

/* A redirected function whose parameter or return type uses a type whose objects the
 * patch syncs (a variable in coexistence, a read-only table): old frames may pass it the
 * old copy, which the new code would read with the new layout. */
static void refuse_layout_sig(struct pctx *c, const struct d_item *it)
{
	const struct meta_fn *nf = it->new;
	for (size_t t = 0; t < c->d->ntypes; t++) {
		const struct d_item *ty = &c->d->types[t];
		if (ty->state != DS_CHANGED || smap_get(&c->covered_types, ty->name) < 0 ||
		    !type_in_sig(nf->sig, ty->name))
			continue;
		refuse(c, xasprintf("%s (%s): redirected, but its parameter or return type uses "
				    "%s, whose layout changed (%s): old frames may pass it "
				    "objects of the old layout; not supported",
				    it->name, it->unit, ty->name, nf->sig));
	}
}

static int plan_keeps(struct pctx *c, struct plan_unit *pu)
{
	for (size_t i = 0; i < c->d->nfns; i++) {
		const struct d_item *it = &c->d->fns[i];
		if (it->nu != pu->nu || !in_patch(c, it))
			continue;
		struct plan_keep k = {.it = it, .addrbind = -1};
		k.symbol = xasprintf("__polus_f_%zu", c->p->nkeeps++);
		if (it->old) {
			const struct meta_fn *of = it->old, *nf = it->new;
			k.old = old_symbol(c, it->ou, of->asm_name, of->is_static, 1);
			k.redirect = k.old != NULL;
			if (c->chain)
				chain_sites(c, &k);
			if ((k.old || k.nsites) && strcmp(of->sig, nf->sig)) {
				k.redirect = 0;
				k.nsites = 0;
				pwarn(c->p, xasprintf("%s: signature changed (%s -> %s): not "
						      "redirected; old callers keep the old code",
						      it->name, of->sig, nf->sig));
			}
			warn_never_returns(c, it, k.old);
		}
		/* old code may hold its address (callbacks, tables, comparisons): the
		 * patch's own &NAME is OLD's entry too, which jumps to the new code */
		if (k.redirect) {
			k.addrbind = (long)bind_index(c, it->name, k.old, 1);
			refuse_layout_sig(c, it);
		}
		VEC_PUSH(pu->keeps, pu->nkeeps, pu->capkeeps, k);
	}
	return 0;
}

/* Why the jump cannot be written, as a phrase that follows the function's name; `in`
 * names the image the code is in (OLD, or an earlier patch). */
static void site_why(enum site_verdict v, const struct site_span *sp, uint64_t size, uint64_t addr,
		     const char *in, char *why, size_t whylen)
{
	unsigned long long sz = (unsigned long long)size;
	switch (v) {
	case SITE_OK:
		break;
	case SITE_NO_SIZE:
		msg(why, whylen,
		    "%s's symbol for it has no size: its code cannot be checked "
		    "for the jump",
		    in);
		break;
	case SITE_TOO_SHORT:
		msg(why, whylen,
		    "its code in %s is %llu byte%s long%s, too short for the %d-byte jump that "
		    "redirects it",
		    in, sz, sz == 1 ? "" : "s", sp->endbr ? " with its endbr64" : "", SITE_JMP_LEN);
		break;
	case SITE_NOT_BOUNDARY:
		msg(why, whylen, "its endbr64 is not followed by an instruction boundary in %s",
		    in);
		break;
	case SITE_UNDECODABLE:
		msg(why, whylen, "its first instructions in %s cannot be decoded", in);
		break;
	case SITE_SPAN_PAST_END:
		msg(why, whylen,
		    "its code in %s is %llu bytes long, too short for the %d-byte jump that "
		    "redirects it (its first instructions end at +%llu)",
		    in, sz, SITE_JMP_LEN, (unsigned long long)(sp->end - addr));
		break;
	case SITE_BRANCH_INTO:
		msg(why, whylen,
		    "in %s the %s at +0x%llx branches to +0x%llx, inside the instructions "
		    "(+0x%llx..+0x%llx) that the jump redirecting it overwrites",
		    in, sp->branch_insn, (unsigned long long)(sp->branch_at - addr),
		    (unsigned long long)(sp->branch_to - addr),
		    (unsigned long long)(sp->site - addr), (unsigned long long)(sp->end - addr));
		break;
	case SITE_NO_DISASSEMBLER:
		msg(why, whylen, "capstone cannot be opened to check its code");
		break;
	}
}

/* Refuses kp's redirect at symbol s of file f (named `in`) if polus-apply would refuse
 * its jump, by the same rule. */
static int check_site(struct pctx *c, const struct plan_keep *kp, const struct ef_file *f,
		      const struct ef_sym *s, const char *in)
{
	struct site_span sp;
	char why[512];
	size_t len = s->size < SITE_MAX_CODE ? s->size : SITE_MAX_CODE;
	uint8_t *code = xmalloc(len ? len : 1);
	if (ef_read_addr(f, s->value, code, len, c->err, c->errlen)) {
		free(code);
		return -1;
	}
	enum site_verdict v = site_check(code, len, s->size, s->value, &sp);
	free(code);
	if (v != SITE_OK) {
		site_why(v, &sp, s->size, s->value, in, why, sizeof(why));
		refuse(c, xasprintf("%s (%s): cannot be patched safely: %s", kp->it->name,
				    kp->it->unit, why));
	}
	return 0;
}

/* A redirected function whose jump polus-apply would refuse makes the whole patch
 * unusable: refuse it now, by name, by the rule polus-apply checks (on each copy the
 * patch redirects: OLD's, and earlier patches' of a chain). */
static int refuse_unsafe_sites(struct pctx *c, struct plan_unit *pu)
{
	for (size_t k = 0; k < pu->nkeeps; k++) {
		const struct plan_keep *kp = &pu->keeps[k];
		if (kp->redirect && check_site(c, kp, c->old, kp->old, "OLD"))
			return -1;
		for (size_t i = 0; i < kp->nsites; i++)
			if (check_site(c, kp, &kp->sites[i].in->ef, kp->sites[i].sym,
				       kp->sites[i].in->path))
				return -1;
	}
	return 0;
}

/* A variable the patch must share with the running program has no symbol in OLD. */
static int missing_storage(struct pctx *c, const struct d_item *it)
{
	const struct meta_var *ov = it->old;
	if (c->ambiguous)
		return msg(c->err, c->errlen, "%s", c->ambiguous);
	if (c->chain && c->chain->n) {
		refuse(c, xasprintf("variable %s (%s) is not in OLD: an earlier patch added it, "
				    "and binding to an earlier patch's data is not supported yet",
				    it->key, it->unit));
		return 0;
	}
	return msg(c->err, c->errlen,
		   "variable %s (%s) has storage in OLD (%s) but OLD's symbol table does not "
		   "name it",
		   it->key, it->unit, ov->asm_name);
}

static int bind_own(struct pctx *c, struct plan_unit *pu)
{
	for (size_t i = 0; i < c->d->nfns; i++) {
		const struct d_item *it = &c->d->fns[i];
		if (it->nu != pu->nu || !it->old || in_patch(c, it))
			continue;
		const struct meta_fn *of = it->old;
		const struct ef_sym *s = old_symbol(c, it->ou, of->asm_name, of->is_static, 1);
		if (s) /* else inlined everywhere or only a clone: the patch gets a copy */
			add_bind(c, pu, it->name, s, 1);
	}
	for (size_t i = 0; i < c->d->nvars; i++) {
		const struct d_item *it = &c->d->vars[i];
		if (it->nu != pu->nu || !var_bindable(it))
			continue;
		const struct meta_var *ov = it->old;
		const struct ef_sym *s = old_symbol(c, it->ou, ov->asm_name, is_local_var(ov), 0);
		if (!s) {
			int rc = missing_storage(c, it);
			if (rc)
				return rc;
			continue;
		}
		add_bind(c, pu, it->key, s, 0);
	}
	return 0;
}

/* Whether the unit's extern inline body of `name` changed: its callers here must inline
 * the new body, not call the running program's out-of-line copy. */
static int xfn_changed(const struct pctx *c, int nu, const char *name)
{
	for (size_t i = 0; i < c->d->nxfns; i++)
		if (c->d->xfns[i].nu == nu && !strcmp(c->d->xfns[i].name, name))
			return plan_in_patch(&c->d->xfns[i], c->line_only);
	return 0;
}

static int bind_external(struct pctx *c, struct plan_unit *pu)
{
	const struct meta_unit *u = pu->u;
	struct smap own_fns = {0}, own_vars = {0};
	int rc = 0;
	for (size_t i = 0; i < u->nfns; i++)
		smap_put(&own_fns, u->fns[i].name, 1);
	for (size_t i = 0; i < u->nvars; i++)
		smap_put(&own_vars, u->vars[i].key, 1);
	for (size_t i = 0; i < u->nuses && !rc; i++) {
		const struct meta_use *us = &u->uses[i];
		int var = !strcmp(us->kind, "read") || !strcmp(us->kind, "write");
		int fn = !strcmp(us->kind, "call") || !strcmp(us->kind, "addr");
		if ((!var && !fn) || smap_get(var ? &own_vars : &own_fns, us->target) >= 0)
			continue;
		long idx = smap_get(var ? &c->global_var : &c->global_fn, us->target);
		if (idx < 0)
			continue; /* a shared library's: resolved against the target's libs */
		const struct d_item *it = var ? &c->d->vars[idx] : &c->d->fns[idx];
		if (fn) {
			const struct meta_fn *of = it->old;
			const struct plan_keep *k;
			if (!of || of->is_static || xfn_changed(c, pu->nu, us->target))
				continue;
			if (in_patch(c, it)) {
				/* kept by another unit: calls link to its new body by name,
				 * but an address taken here must be OLD's entry as well, so
				 * this unit binds the keep's ADDRSYM */
				if (!strcmp(us->kind, "addr") && (k = find_keep(c, it)) &&
				    k->addrbind >= 0)
					unit_binds(pu, (size_t)k->addrbind);
				continue;
			}
			const struct ef_sym *s = old_symbol(c, it->ou, of->asm_name, 0, 1);
			if (s)
				add_bind(c, pu, it->name, s, 1);
			continue;
		}
		if (!var_bindable(it))
			continue;
		const struct meta_var *ov = it->old;
		const struct ef_sym *s = old_symbol(c, it->ou, ov->asm_name, 0, 0);
		if (!s) {
			rc = missing_storage(c, it);
			continue;
		}
		add_bind(c, pu, it->key, s, 0);
	}
	smap_free(&own_fns);
	smap_free(&own_vars);
	return rc;
}

/* The --exclude pattern that names `it`, or NULL. */
static const char *excluded_by(const struct pctx *c, const struct d_item *it)
{
	for (size_t i = 0; i < c->opts->nexclude; i++)
		if (!fnmatch(c->opts->exclude[i], it->name, 0))
			return c->opts->exclude[i];
	return NULL;
}

/* Reasons the machine code cannot judge: a new layout or signature changes code in
 * ways displacements hide. */
static int churn_candidate(const struct d_item *it)
{
	if (it->state != DS_CHANGED || !it->old)
		return 0;
	for (size_t r = 0; r < it->nreasons; r++)
		if (!strncmp(it->reasons[r], "layout", 6) ||
		    !strncmp(it->reasons[r], "var-type:", 9) ||
		    !strncmp(it->reasons[r], "signature:", 10))
			return 0;
	return 1;
}

/* 1 when `it` never returns (main, or no ret in NEW's code) and its code differs from
 * OLD's only in constants (a version string); 0 otherwise; -1 + message. */
static int is_churn(struct pctx *c, const struct d_item *it)
{
	const struct meta_fn *of = it->old, *nf = it->new;
	const struct ef_sym *os, *ns;
	if (!c->opts->new || !churn_candidate(it))
		return 0;
	os = old_symbol(c, it->ou, of->asm_name, of->is_static, 1);
	ns = ef_find(c->opts->new, nf->asm_name, nf->is_static ? c->nb->units[it->nu].src : NULL,
		     nf->is_static);
	if (!os || !ns || ns == &ef_ambiguous || ns->type != STT_FUNC)
		return 0;
	if (strcmp(it->name, "main") && !churn_never_returns(c->opts->new, ns))
		return 0;
	return churn_constants_only(c->old, os, c->opts->new, ns, c->err, c->errlen);
}

/* Functions left out on purpose: named by --exclude, or never returning and changed
 * only through constants (unless --include-churn). Each says so in a warning. */
static int choose_left_out(struct pctx *c)
{
	for (size_t i = 0; i < c->d->nfns; i++) {
		const struct d_item *it = &c->d->fns[i];
		const char *pat;
		int churn = 0;
		if (!plan_in_patch(it, c->line_only))
			continue;
		if ((pat = excluded_by(c, it))) {
			pwarn(c->p, it->old
					? xasprintf("%s (%s): left out on purpose (--exclude "
						    "%s): it keeps running the old code",
						    it->name, it->unit, pat)
					: xasprintf("%s (%s): new, left out on purpose (--exclude "
						    "%s): nothing calls it",
						    it->name, it->unit, pat));
		} else if (!c->opts->include_churn && (churn = is_churn(c, it))) {
			if (churn < 0)
				return -1;
			pwarn(c->p, xasprintf("%s (%s): never returns and changed only through "
					      "strings or constants (a version string?): left out, "
					      "it keeps running the old code (--include-churn puts "
					      "it in)",
					      it->name, it->unit));
		} else {
			continue;
		}
		c->left_out[i] = 1;
		c->p->nleft_out++;
	}
	return 0;
}

static void add_writer(struct pctx *c, struct plan_coexist *cv, int ou, const char *name,
		       const char *asm_name, int local)
{
	const struct ef_sym *s = old_symbol(c, ou, asm_name, local, 1);
	if (!s || !s->size)
		return;
	for (size_t i = 0; i < cv->nwriters; i++)
		if (cv->writers[i].addr == s->value)
			return;
	struct plan_writer w = {name, s->value, s->size};
	VEC_PUSH(cv->writers, cv->nwriters, cv->capwriters, w);
}

/* The functions of OLD whose code may write variable cv: a `write` use in its body, or
 * such a body inlined into it; each with its code in OLD (its clones too). polus-apply
 * waits until none runs before it syncs. */
static void find_writers(struct pctx *c, struct plan_coexist *cv)
{
	int local = is_local_var(cv->it->old);
	for (size_t ui = 0; ui < c->ob->nunits; ui++) {
		const struct meta_unit *u = &c->ob->units[ui];
		struct smap w = {0};
		if (local && (int)ui != cv->it->ou)
			continue;
		for (size_t i = 0; i < u->nuses; i++)
			if (!strcmp(u->uses[i].kind, "write") &&
			    !strcmp(u->uses[i].target, cv->it->key))
				smap_put(&w, u->uses[i].fn, 1);
		for (int more = 1, round = 0; more && round < 16; round++) {
			more = 0;
			for (size_t i = 0; i < u->ninlines; i++) {
				const char *caller = meta_origin(u, u->inlines[i].a);
				if (!caller)
					caller = u->inlines[i].a;
				if (smap_get(&w, u->inlines[i].b) >= 0 &&
				    smap_get(&w, caller) < 0) {
					smap_put(&w, caller, 1);
					more = 1;
				}
			}
		}
		for (size_t f = 0; f < u->nfns; f++)
			if (smap_get(&w, u->fns[f].name) >= 0)
				add_writer(c, cv, (int)ui, u->fns[f].name, u->fns[f].asm_name,
					   u->fns[f].is_static);
		for (size_t e = 0; e < u->nemits; e++)
			if (strcmp(u->emits[e].a, u->emits[e].b) &&
			    smap_get(&w, u->emits[e].b) >= 0)
				add_writer(c, cv, (int)ui, u->emits[e].b, u->emits[e].a, 1);
		smap_free(&w);
	}
}

/* Units of NEW to recompile: those with a function to keep or a variable the patch
 * must define (new, or read-only with a new value). */
static void select_units(struct pctx *c)
{
	for (size_t j = 0; j < c->nb->nunits; j++) {
		int want = 0;
		for (size_t i = 0; i < c->d->nfns && !want; i++)
			want = c->d->fns[i].nu == (int)j && in_patch(c, &c->d->fns[i]);
		for (size_t i = 0; i < c->d->nvars && !want; i++) {
			const struct d_item *it = &c->d->vars[i];
			want = it->nu == (int)j && (it->state == DS_NEW ||
						    (it->state == DS_CHANGED && !var_bindable(it)));
		}
		if (!want)
			continue;
		struct plan_unit pu = {.u = &c->nb->units[j], .nu = (int)j};
		VEC_PUSH(c->p->units, c->p->nunits, c->p->capunits, pu);
	}
	for (size_t i = 0; i < c->d->nfns; i++)
		if (c->d->fns[i].state == DS_LINE && !c->line_only)
			c->p->nline_left_out++;
}

/*
 * Objects already built with a type's old layout (heap, stacks, static data of types not
 * refused above) are not converted: the patch's code would read and write them with the
 * new layout (past the end of a calloc'd object when a field is inserted). Refused for
 * each type the patch's code now sees with its new layout, unless the author says no
 * object of it can exist in the running process (--layout-ok TYPE): then a warning.
 */
static int layout_ok(const struct pctx *c, const char *type)
{
	for (size_t i = 0; i < c->opts->nlayout_ok; i++)
		if (!fnmatch(c->opts->layout_ok[i], type, 0))
			return 1;
	return 0;
}

/* Whether the patch's code of keep k sees type `tag`: a layout reason, or its NEW body
 * uses the type's fields or size (a function changed for another reason carries only
 * `body`, yet reads the objects with the new layout all the same). */
static int keep_sees_type(const struct pctx *c, const struct plan_keep *k, const char *tag)
{
	char *r = xasprintf("layout:%s", tag);
	int sees = has_reason(k->it, r);
	free(r);
	if (sees || k->it->nu < 0)
		return sees;
	const struct meta_unit *u = &c->nb->units[k->it->nu];
	for (long i = meta_first_use(u, k->it->name); i >= 0 && !sees; i = meta_next_use(u, i))
		sees = !strcmp(u->uses[i].kind, "type") && !strcmp(u->uses[i].target, tag);
	return sees;
}

/* The changed functions whose new code sees type `tag` ("a, b, c"; malloc'd), or NULL. */
static char *type_users(const struct pctx *c, const char *tag, size_t *n)
{
	char *users = NULL;
	*n = 0;
	for (size_t i = 0; i < c->p->nunits; i++)
		for (size_t k = 0; k < c->p->units[i].nkeeps; k++) {
			const struct plan_keep *kp = &c->p->units[i].keeps[k];
			if (!keep_sees_type(c, kp, tag))
				continue;
			char *more = xasprintf("%s%s%s", users ? users : "", users ? ", " : "",
					       kp->it->name);
			free(users);
			users = more;
			(*n)++;
		}
	return users;
}

static void refuse_changed_layouts(struct pctx *c)
{
	for (size_t t = 0; t < c->d->ntypes; t++) {
		const struct d_item *ty = &c->d->types[t];
		size_t n;
		if (ty->state != DS_CHANGED || smap_get(&c->refused_types, ty->name) >= 0 ||
		    smap_get(&c->covered_types, ty->name) >= 0)
			continue;
		char *users = type_users(c, ty->name, &n);
		if (!users)
			continue;
		if (layout_ok(c, ty->name))
			pwarn(c->p, xasprintf("type %s changed layout (%s use%s it): objects the "
					      "running program already holds keep the old layout "
					      "and are not converted (--layout-ok %s)",
					      ty->name, users, n == 1 ? "s" : "", ty->name));
		else
			refuse(c, xasprintf(
				      "type %s changed layout (%s use%s it): objects the "
				      "running program already holds have the old layout: not "
				      "supported yet (--layout-ok %s if none can exist; or keep "
				      "the type and attach the new fields with runtime/shadow.h)",
				      ty->name, users, n == 1 ? "s" : "", ty->name));
		free(users);
	}
}

int plan_make(struct plan *p, const struct meta_build *ob, const struct meta_build *nb,
	      const struct diff *d, const struct ef_file *old, const struct chain *chain,
	      const struct plan_opts *opts, char *err, size_t errlen)
{
	struct pctx c = {.p = p,
			 .ob = ob,
			 .nb = nb,
			 .d = d,
			 .old = old,
			 .chain = chain,
			 .line_only = opts->line_only,
			 .opts = opts,
			 .err = err,
			 .errlen = errlen};
	int rc = 0;
	memset(p, 0, sizeof(*p));
	c.left_out = xcalloc(d->nfns + 1, 1);
	refuse_unsupported_variables(&c);
	index_globals(&c);
	if (choose_left_out(&c)) {
		rc = -1;
		goto out;
	}
	if (ef_init_array(old, &c.ctors, &c.nctors, err, errlen)) {
		rc = -1;
		goto out;
	}
	select_units(&c);
	/* every unit's keeps first: bind_external looks up other units' ADDRSYMs */
	for (size_t i = 0; i < p->nunits; i++)
		if ((rc = plan_keeps(&c, &p->units[i])) ||
		    (rc = refuse_unsafe_sites(&c, &p->units[i])))
			goto out;
	for (size_t i = 0; i < p->nunits; i++)
		if ((rc = bind_own(&c, &p->units[i])) || (rc = bind_external(&c, &p->units[i])))
			goto out;
	refuse_changed_layouts(&c);
	for (size_t i = 0; i < p->ncoexist; i++)
		find_writers(&c, &p->coexist[i]);
	if (c.ambiguous)
		rc = msg(err, errlen, "%s", c.ambiguous);
	else if (p->nrefusals) {
		msg(err, errlen, "%zu unsupported change%s", p->nrefusals,
		    p->nrefusals == 1 ? "" : "s");
		rc = -2;
	}
out:
	p->left_out = c.left_out; /* the proof tells these from functions forgotten */
	free(c.ambiguous);
	smap_free(&c.ifuncs);
	smap_free(&c.refused_types);
	smap_free(&c.covered_types);
	smap_free(&c.bind_at);
	smap_free(&c.global_fn);
	smap_free(&c.global_var);
	smap_free(&c.thread_entry);
	free(c.ctors);
	return rc;
}

int plan_expects(const struct plan *p, const struct plan_unit *pu, const struct meta_fn *fn)
{
	if (strlen(fn->hash) != 16 || strspn(fn->hash, "0123456789abcdef") != 16)
		return 0;
	for (size_t j = 0; j < pu->nbinds; j++) {
		const struct plan_bind *b = &p->binds[pu->binds[j]];
		if (b->is_fn && !strcmp(b->name, fn->name))
			return 0;
	}
	return 1;
}

int plan_write(const struct plan *p, const struct plan_unit *pu, const char *path, char *err,
	       size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return msg(err, errlen, "%s: cannot create: %m", path);
	fprintf(f, PLAN_HEADER "\n");
	for (size_t i = 0; i < pu->nkeeps; i++) {
		const struct plan_keep *k = &pu->keeps[i];
		fprintf(f, PLAN_KEEP "\t%s\t%s", k->it->name, k->symbol);
		if (k->addrbind >= 0)
			fprintf(f, "\t%s", p->binds[k->addrbind].symbol);
		fputc('\n', f);
	}
	for (size_t i = 0; i < pu->nbinds; i++) {
		const struct plan_bind *b = &p->binds[pu->binds[i]];
		fprintf(f, "%s\t%s\t%s%s\n", b->is_fn ? PLAN_BIND_FN : PLAN_BIND_VAR, b->name,
			b->symbol, b->tls ? "\t" PLAN_TLS : "");
	}
	for (size_t i = 0; i < p->ncoexist; i++) {
		const struct plan_coexist *cv = &p->coexist[i];
		if (cv->it->nu == pu->nu)
			fprintf(f, PLAN_COEXIST "\t%s\t%s\n", cv->it->key, cv->symbol);
		/* a global's stores in any unit; a static's only in its own */
		if (cv->it->nu == pu->nu || !is_local_var(cv->it->new))
			fprintf(f, PLAN_SYNC_STORE "\t%s\tpolus_sync_%s_store\n", cv->it->key,
				cv->id);
	}
	/* every function whose body the patch compiles must still hash as NEW recorded
	 * it: a source edited since NEW was built would patch in code nobody tested */
	for (size_t i = 0; !pu->skip_expect && i < pu->u->nfns; i++)
		if (plan_expects(p, pu, &pu->u->fns[i]))
			fprintf(f, PLAN_EXPECT "\t%s\t%s\n", pu->u->fns[i].name,
				pu->u->fns[i].hash);
	if (fclose(f))
		return msg(err, errlen, "%s: write failed: %m", path);
	return 0;
}

void plan_free(struct plan *p)
{
	free(p->left_out);
	for (size_t i = 0; i < p->nunits; i++) {
		struct plan_unit *pu = &p->units[i];
		for (size_t k = 0; k < pu->nkeeps; k++) {
			free(pu->keeps[k].symbol);
			free(pu->keeps[k].sites);
		}
		free(pu->keeps);
		free(pu->binds);
		free(pu->plan_path);
		free(pu->obj_path);
		free(pu->log_path);
		free(pu->rec_path);
	}
	free(p->units);
	for (size_t i = 0; i < p->nbinds; i++)
		free(p->binds[i].symbol);
	free(p->binds);
	for (size_t i = 0; i < p->nwarnings; i++)
		free(p->warnings[i]);
	free(p->warnings);
	for (size_t i = 0; i < p->ncoexist; i++) {
		free(p->coexist[i].id);
		free(p->coexist[i].symbol);
		free(p->coexist[i].writers);
	}
	free(p->coexist);
	for (size_t i = 0; i < p->nrefusals; i++)
		free(p->refusals[i]);
	free(p->refusals);
	memset(p, 0, sizeof(*p));
}
