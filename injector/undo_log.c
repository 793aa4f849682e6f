/*
 * undo_log — the changes of one apply and their undoing (see undo_log.h).
 */
#include "undo_log.h"
#include "exitcodes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ul_init(struct ul_log *l, const struct ul_ops *ops)
{
	memset(l, 0, sizeof(*l));
	l->ops = *ops;
}

struct ul_entry *ul_add(struct ul_log *l, enum ul_kind k, uint64_t addr, uint64_t len,
			const void *orig, const char *fmt, ...)
{
	va_list ap;
	struct ul_entry *e;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct ul_entry *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	e->addr = addr;
	e->len = len;
	if (orig) {
		if (!(e->orig = malloc(len ? len : 1)))
			return NULL;
		memcpy(e->orig, orig, len);
	}
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
	l->n++;
	return e;
}

void ul_fail_at(struct ul_log *l, unsigned step)
{
	l->fail_step = step;
}

int ul_made(struct ul_log *l, struct ul_entry *e, char *err, size_t errlen)
{
	e->made = 1;
	l->steps++;
	if (l->fail_step && l->steps == l->fail_step) {
		snprintf(err, errlen,
			 "test failure injected after step %u, %s (POLUS_TEST_FAIL_AT)", l->steps,
			 e->what);
		return PX_INTERNAL;
	}
	if (!l->ops.after)
		return 0;
	return l->ops.after(l->ops.ctx, l->steps, e, err, errlen);
}

void ul_drop(struct ul_log *l)
{
	if (!l->n)
		return;
	free(l->v[--l->n].orig);
}

void ul_closed(struct ul_log *l, long fd)
{
	for (size_t i = l->n; i-- > 0;)
		if (l->v[i].kind == UL_FD && l->v[i].made && !l->v[i].undone &&
		    l->v[i].addr == (uint64_t)fd) {
			l->v[i].undone = 1;
			return;
		}
}

__attribute__((format(printf, 3, 4))) static void note(char *err, size_t errlen, const char *fmt,
						       ...)
{
	size_t o = strlen(err);
	va_list ap;
	if (o + 3 >= errlen)
		return;
	if (o)
		o += (size_t)snprintf(err + o, errlen - o, "; ");
	va_start(ap, fmt);
	vsnprintf(err + o, errlen - o, fmt, ap);
	va_end(ap);
}

/* The confirmed mapping that holds addr, or NULL. */
static const struct ul_entry *mapping_of(const struct ul_log *l, uint64_t addr)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ul_entry *e = &l->v[i];
		if (e->kind == UL_MAP && e->made && addr >= e->addr && addr - e->addr < e->len)
			return e;
	}
	return NULL;
}

/*
 * A jump newer than mapping m that could not be taken out still leads into m, or into
 * another mapping of the same object.
 */
static const struct ul_entry *stuck_jump_into(const struct ul_log *l, size_t m)
{
	for (size_t j = m + 1; j < l->n; j++) {
		const struct ul_entry *e = &l->v[j], *dest;
		if (e->kind != UL_BYTES || e->undone >= 0 || !e->leads_to ||
		    !(dest = mapping_of(l, e->leads_to)))
			continue;
		if (dest == &l->v[m] || (dest->object && dest->object == l->v[m].object))
			return e;
	}
	return NULL;
}

/*
 * Mapping i stays: jump j leads into its object. Said once per object, at its first
 * mapping (the last one undo reaches), with how many others stay with it.
 */
static void keep_mapped(struct ul_log *l, size_t i, const struct ul_entry *j, char *err,
			size_t errlen)
{
	struct ul_entry *e = &l->v[i];
	size_t others = 0;
	e->undone = -1;
	for (size_t k = 0; k < l->n; k++) {
		const struct ul_entry *o = &l->v[k];
		if (k == i || o->kind != UL_MAP || !o->made || !e->object || o->object != e->object)
			continue;
		if (k < i)
			return; /* said at that one */
		others++;
	}
	if (others)
		note(err, errlen,
		     "%s and its %zu other mapping%s left mapped: %s still leads there", e->what,
		     others, others == 1 ? "" : "s", j->what);
	else
		note(err, errlen, "%s left mapped: %s still leads there", e->what, j->what);
}

/* A jump newer than entry i that could not be taken out. */
static const struct ul_entry *stuck_jump_after(const struct ul_log *l, size_t i)
{
	for (size_t j = i + 1; j < l->n; j++)
		if (l->v[j].kind == UL_BYTES && l->v[j].leads_to && l->v[j].undone < 0)
			return &l->v[j];
	return NULL;
}

static void undo_one(struct ul_log *l, size_t i, char *err, size_t errlen)
{
	struct ul_entry *e = &l->v[i];
	const struct ul_entry *j;
	int rc = l->ops.before_undo ? l->ops.before_undo(l->ops.ctx, e) : 0;
	if (rc) {
		e->undone = -1;
		note(err, errlen, "could not undo %s (%s)", e->what, strerror(-rc));
		return;
	}
	switch (e->kind) {
	case UL_BYTES:
		if (e->describes && (j = stuck_jump_after(l, i))) {
			e->undone = -1;
			note(err, errlen, "%s kept: %s is still live", e->what, j->what);
			return;
		}
		rc = l->ops.write(l->ops.ctx, e->addr, e->orig, e->len);
		break;
	case UL_MAP:
		if ((j = stuck_jump_into(l, i))) {
			keep_mapped(l, i, j, err, errlen);
			return;
		}
		rc = l->ops.unmap(l->ops.ctx, e->addr, e->len);
		break;
	case UL_FD:
		rc = l->ops.close_fd(l->ops.ctx, (long)e->addr);
		break;
	}
	e->undone = rc ? -1 : 1;
	if (rc)
		note(err, errlen, "could not undo %s (%s)", e->what, strerror(-rc));
}

int ul_undo_to(struct ul_log *l, size_t mark, char *err, size_t errlen)
{
	int ok = 1;
	err[0] = 0;
	for (size_t i = l->n; i-- > mark;) {
		if (!l->v[i].made || l->v[i].undone)
			continue;
		undo_one(l, i, err, errlen);
		ok &= l->v[i].undone > 0;
	}
	while (l->n > mark)
		ul_drop(l);
	return ok ? 0 : -1;
}

int ul_undo(struct ul_log *l, char *err, size_t errlen)
{
	return ul_undo_to(l, 0, err, errlen);
}

void ul_undo_noting(struct ul_log *l, char *err, size_t errlen)
{
	char msg[512];
	size_t o;
	if (ul_undo(l, msg, sizeof(msg)) == 0)
		return;
	o = strlen(err);
	snprintf(err + o, errlen - o, "%s%s", o ? "; " : "", msg);
}

void ul_commit(struct ul_log *l)
{
	while (l->n)
		ul_drop(l);
}

void ul_free(struct ul_log *l)
{
	ul_commit(l);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}
