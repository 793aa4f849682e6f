/*
 * registry — encode and decode the text records of versionfiles/registry_format.h.
 * Shared by polus-apply (writes), polus-status (reads) and later the runtime.
 */
#include "registry.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->oom)
		return;
	if (b->len + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *n = realloc(b->p, cap);
		if (!n) {
			b->oom = 1;
			return;
		}
		b->p = n;
		b->cap = cap;
	}
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	while (*s)
		sb_putc(b, *s++);
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sb_puts(b, tmp);
}

/* A field, escaped; empty or NULL is "-". */
static void sb_field(struct sbuf *b, const char *s)
{
	sb_putc(b, '\t');
	if (!s || !*s) {
		sb_putc(b, '-');
		return;
	}
	for (; *s; s++) {
		if (*s == '\\')
			sb_puts(b, "\\\\");
		else if (*s == '\t')
			sb_puts(b, "\\t");
		else if (*s == '\n')
			sb_puts(b, "\\n");
		else
			sb_putc(b, *s);
	}
}

int reg_encode(const struct reg_patch *p, char **buf, size_t *len)
{
	struct sbuf b = {*buf, *buf ? *len : 0, *buf ? *len + 1 : 0, 0};
	if (!*buf)
		sb_puts(&b, REG_MAGIC);
	sb_puts(&b, REG_LINE_PATCH);
	sb_field(&b, p->name);
	sb_field(&b, p->build_id);
	sb_printf(&b, "\t%" PRIu64 "\t%0" POLUS_STR(REG_PAUSE_DIGITS) PRIu64 "\t0x%" PRIx64,
		  p->applied_ns, p->pause_ns, p->load_addr);
	sb_field(&b, p->state ? p->state : REG_STATE_APPLIED);
	sb_putc(&b, '\n');
	for (size_t i = 0; i < p->nfns; i++) {
		const struct reg_fn *f = &p->fns[i];
		sb_puts(&b, REG_LINE_FN);
		sb_field(&b, f->name);
		sb_printf(&b, "\t0x%" PRIx64 "\t0x%" PRIx64 "\t", f->old_addr, f->new_addr);
		if (!f->norig)
			sb_putc(&b, '-');
		for (size_t k = 0; k < f->norig && k < REG_MAX_ORIG; k++)
			sb_printf(&b, "%02x", f->orig[k]);
		sb_putc(&b, '\n');
	}
	for (size_t i = 0; i < p->nlive; i++) {
		sb_puts(&b, REG_LINE_LIVE);
		sb_field(&b, p->live[i].name);
		sb_field(&b, p->live[i].how);
		sb_putc(&b, '\n');
	}
	for (size_t i = 0; i < p->ndata; i++) {
		sb_puts(&b, REG_LINE_DATA);
		sb_field(&b, p->data[i].name);
		sb_field(&b, p->data[i].how);
		sb_putc(&b, '\n');
	}
	for (size_t i = 0; i < p->nback; i++) {
		sb_puts(&b, REG_LINE_BACK);
		sb_field(&b, p->back[i].name);
		sb_printf(&b, "\t0x%" PRIx64 "\n", p->back[i].addr);
	}
	sb_puts(&b, REG_LINE_END "\n");
	if (b.oom) {
		free(b.p);
		*buf = NULL;
		return -1;
	}
	*buf = b.p;
	*len = b.len;
	return 0;
}

/* Splits one line (NUL-terminated, modified in place) into at most `max` unescaped fields. */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *s = line;
	while (n < max) {
		char *start = s, *w = s;
		while (*s && *s != '\t') {
			if (*s == '\\' && s[1]) {
				s++;
				*w++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
				s++;
			} else {
				*w++ = *s++;
			}
		}
		int more = *s == '\t';
		*w = 0;
		f[n++] = strcmp(start, "-") == 0 ? start + 1 /* "" */ : start;
		if (!more)
			break;
		s++;
	}
	return n;
}

static int parse_u64(const char *s, uint64_t *v, int base)
{
	char *end;
	if (!*s)
		return -1;
	*v = strtoull(s, &end, base);
	return *end ? -1 : 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void reg_free(struct reg_patch *p, size_t n)
{
	if (!p)
		return;
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].build_id);
		free(p[i].state);
		for (size_t k = 0; k < p[i].nfns; k++)
			free(p[i].fns[k].name);
		free(p[i].fns);
		for (size_t k = 0; k < p[i].nlive; k++) {
			free(p[i].live[k].name);
			free(p[i].live[k].how);
		}
		free(p[i].live);
		for (size_t k = 0; k < p[i].ndata; k++) {
			free(p[i].data[k].name);
			free(p[i].data[k].how);
		}
		free(p[i].data);
		for (size_t k = 0; k < p[i].nback; k++)
			free(p[i].back[k].name);
		free(p[i].back);
	}
	free(p);
}

/* A NUL-terminated copy of the text (up to len bytes or its first NUL), or NULL. */
static char *text_copy(const char *text, size_t len, char *err, size_t errlen)
{
	size_t tl = strnlen(text, len);
	char *copy = malloc(tl + 1);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(copy, text, tl);
	copy[tl] = 0;
	return copy;
}

int reg_decode(const char *text, size_t len, struct reg_patch **out, size_t *n, char *err,
	       size_t errlen)
{
	char *copy = text_copy(text, len, err, errlen);
	struct reg_patch *v = NULL, *cur = NULL;
	size_t nv = 0;
	unsigned lineno = 0;
	*out = NULL;
	*n = 0;
	if (!copy)
		return -1;
	if (!*copy) { /* created, no record written yet (that apply died or failed): empty */
		free(copy);
		return 0;
	}
	if (strncmp(copy, REG_MAGIC, strlen(REG_MAGIC)) != 0) {
		snprintf(err, errlen,
			 "registry: bad header (not a polus registry, or another version)");
		goto fail;
	}
	for (char *line = copy, *next; line && *line; line = next) {
		char *f[8];
		size_t nf;
		lineno++;
		next = strchr(line, '\n');
		if (!next) {
			snprintf(err, errlen, "registry line %u: truncated", lineno);
			goto fail;
		}
		*next++ = 0;
		nf = split_fields(line, f, 8);
		if (strcmp(f[0], REG_LINE_PATCH) == 0) {
			struct reg_patch *nvp;
			if (nf < 1 + REG_PATCH_NFIELDS)
				goto bad;
			nvp = realloc(v, (nv + 1) * sizeof(*v));
			if (!nvp)
				goto oom;
			v = nvp;
			cur = &v[nv++];
			memset(cur, 0, sizeof(*cur));
			cur->name = strdup(f[1]);
			cur->build_id = strdup(f[2]);
			cur->state = strdup(f[6]);
			if (!cur->name || !cur->build_id || !cur->state)
				goto oom;
			if (parse_u64(f[3], &cur->applied_ns, 10) ||
			    parse_u64(f[4], &cur->pause_ns, 10) ||
			    parse_u64(f[5], &cur->load_addr, 16))
				goto bad;
		} else if (strcmp(f[0], REG_LINE_FN) == 0) {
			struct reg_fn *nf2, *fn;
			if (!cur || nf < 1 + REG_FN_NFIELDS)
				goto bad;
			nf2 = realloc(cur->fns, (cur->nfns + 1) * sizeof(*nf2));
			if (!nf2)
				goto oom;
			cur->fns = nf2;
			fn = &cur->fns[cur->nfns++];
			memset(fn, 0, sizeof(*fn));
			if (!(fn->name = strdup(f[1])))
				goto oom;
			if (parse_u64(f[2], &fn->old_addr, 16) ||
			    parse_u64(f[3], &fn->new_addr, 16))
				goto bad;
			for (const char *h = f[4]; h[0]; h += 2) {
				if (!h[1] || hexval(h[0]) < 0 || hexval(h[1]) < 0 ||
				    fn->norig >= REG_MAX_ORIG)
					goto bad;
				fn->orig[fn->norig++] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
			}
		} else if (strcmp(f[0], REG_LINE_LIVE) == 0 || strcmp(f[0], REG_LINE_DATA) == 0) {
			int data = strcmp(f[0], REG_LINE_DATA) == 0;
			struct reg_live *nl;
			if (!cur || nf < 1 + REG_LIVE_NFIELDS)
				goto bad;
			struct reg_live **arr = data ? &cur->data : &cur->live;
			size_t *cnt = data ? &cur->ndata : &cur->nlive;
			if (!(nl = realloc(*arr, (*cnt + 1) * sizeof(*nl))))
				goto oom;
			*arr = nl;
			nl = &nl[(*cnt)++];
			nl->name = strdup(f[1]);
			nl->how = strdup(f[2]);
			if (!nl->name || !nl->how)
				goto oom;
		} else if (strcmp(f[0], REG_LINE_BACK) == 0) {
			struct reg_back *nb;
			if (!cur || nf < 1 + REG_BACK_NFIELDS)
				goto bad;
			if (!(nb = realloc(cur->back, (cur->nback + 1) * sizeof(*nb))))
				goto oom;
			cur->back = nb;
			nb = &nb[cur->nback++];
			if (!(nb->name = strdup(f[1])))
				goto oom;
			if (parse_u64(f[2], &nb->addr, 16))
				goto bad;
		} else if (strcmp(f[0], REG_LINE_END) == 0) {
			cur = NULL;
		}
		/* the header line and unknown kinds are skipped */
	}
	free(copy);
	*out = v;
	*n = nv;
	return 0;
bad:
	snprintf(err, errlen, "registry line %u: malformed record", lineno);
	goto fail;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	reg_free(v, nv);
	free(copy);
	return -1;
}

void reg_events_free(struct reg_event *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++) {
		free(e[i].action);
		free(e[i].name);
		free(e[i].build_id);
		free(e[i].result);
	}
	free(e);
}

/* One `history` line's fields (after its kind) into *e; -1 if malformed or out of memory. */
static int parse_event(char **f, size_t nf, struct reg_event *e)
{
	memset(e, 0, sizeof(*e));
	if (nf < 1 + REG_HISTORY_NFIELDS)
		return -1;
	e->action = strdup(f[1]);
	e->name = strdup(f[2]);
	e->build_id = strdup(f[3]);
	e->result = strdup(f[7]);
	if (!e->action || !e->name || !e->build_id || !e->result)
		return -1;
	return parse_u64(f[4], &e->at_ns, 10) || parse_u64(f[5], &e->uid, 10) ||
		       parse_u64(f[6], &e->pause_ns, 10)
		   ? -1
		   : 0;
}

int reg_decode_history(const char *text, size_t len, struct reg_event **out, size_t *n,
		       uint64_t *dropped, char *err, size_t errlen)
{
	char *copy = text_copy(text, len, err, errlen);
	struct reg_event *v = NULL;
	size_t nv = 0;
	unsigned lineno = 0;
	*out = NULL;
	*n = 0;
	*dropped = 0;
	if (!copy)
		return -1;
	for (char *line = copy, *next; line && *line; line = next) {
		char *f[8];
		size_t nf;
		uint64_t d;
		lineno++;
		if ((next = strchr(line, '\n')))
			*next++ = 0;
		nf = split_fields(line, f, 8);
		if (strcmp(f[0], REG_LINE_DROPPED) == 0 && nf >= 2 &&
		    parse_u64(f[1], &d, 10) == 0) {
			*dropped += d;
		} else if (strcmp(f[0], REG_LINE_HISTORY) == 0) {
			struct reg_event *nvp = realloc(v, (nv + 1) * sizeof(*v));
			if (!nvp)
				break;
			v = nvp;
			if (parse_event(f, nf, &v[nv++]) != 0) {
				reg_events_free(v, nv);
				free(copy);
				snprintf(err, errlen, "registry line %u: malformed history line",
					 lineno);
				return -1;
			}
		}
	}
	free(copy);
	*out = v;
	*n = nv;
	return 0;
}

/* The start of the line after the one at s (or the end of the text). */
static const char *next_line(const char *s)
{
	const char *e = strchr(s, '\n');
	return e ? e + 1 : s + strlen(s);
}

static int is_kind(const char *line, const char *kind)
{
	size_t k = strlen(kind);
	return strncmp(line, kind, k) == 0 && (line[k] == '\t' || line[k] == '\n' || !line[k]);
}

/* [*start, *end) of record i: its `patch` line through its `end` line. 0 or -2. */
static int find_record(const char *text, size_t i, size_t *start, size_t *end)
{
	size_t seen = 0;
	for (const char *l = text; *l; l = next_line(l)) {
		if (!is_kind(l, REG_LINE_PATCH) || seen++ != i)
			continue;
		*start = (size_t)(l - text);
		for (const char *m = next_line(l); *m; m = next_line(m)) {
			if (is_kind(m, REG_LINE_PATCH))
				return -2;
			if (is_kind(m, REG_LINE_END)) {
				*end = (size_t)(next_line(m) - text);
				return 0;
			}
		}
		return -2;
	}
	return -2;
}

/* Replaces [start, end) of the text with ins (inslen bytes). 0 or -1. */
static int splice(char **text, size_t *len, size_t start, size_t end, const char *ins,
		  size_t inslen)
{
	size_t nl = *len - (end - start) + inslen;
	char *n = malloc(nl + 1);
	if (!n)
		return -1;
	memcpy(n, *text, start);
	memcpy(n + start, ins, inslen);
	memcpy(n + start + inslen, *text + end, *len - end);
	n[nl] = 0;
	free(*text);
	*text = n;
	*len = nl;
	return 0;
}

int reg_text_remove(char **text, size_t *len, size_t i)
{
	size_t s, e;
	if (find_record(*text, i, &s, &e))
		return -2;
	return splice(text, len, s, e, "", 0);
}

int reg_text_set_state(char **text, size_t *len, size_t i, const char *state)
{
	size_t s, e, tabs = 0;
	struct sbuf b = {0};
	if (find_record(*text, i, &s, &e))
		return -2;
	/* STATE is the field after the 6th tab of the patch line */
	const char *p = *text + s, *f = NULL;
	for (; *p && *p != '\n'; p++)
		if (*p == '\t' && ++tabs == REG_PATCH_NFIELDS)
			f = p;
	if (!f)
		return -2;
	const char *fe = f + 1 + strcspn(f + 1, "\t\n");
	sb_field(&b, state); /* with its leading tab */
	int rc =
	    b.oom ? -1 : splice(text, len, (size_t)(f - *text), (size_t)(fe - *text), b.p, b.len);
	free(b.p);
	return rc;
}

/*
 * Keeps the newest REG_HISTORY_MAX * 9 / 10 history lines once there are more than
 * REG_HISTORY_MAX (trimmed by a tenth at a time: each trim rewrites the history), the
 * count of all dropped so far in one `history-dropped` line at the end.
 */
static int trim_history(char **text, size_t *len)
{
	size_t nhist = 0, drop;
	uint64_t dropped = 0;
	struct sbuf b = {0};
	for (const char *l = *text; *l; l = next_line(l))
		nhist += is_kind(l, REG_LINE_HISTORY);
	if (nhist <= REG_HISTORY_MAX)
		return 0;
	drop = nhist - REG_HISTORY_MAX * 9 / 10;
	for (const char *l = *text, *nx; *l; l = nx) {
		nx = next_line(l);
		if (is_kind(l, REG_LINE_DROPPED)) {
			dropped += strtoull(l + strlen(REG_LINE_DROPPED) + 1, NULL, 10);
			continue;
		}
		if (is_kind(l, REG_LINE_HISTORY) && drop) {
			drop--;
			dropped++;
			continue;
		}
		while (l < nx)
			sb_putc(&b, *l++);
	}
	sb_printf(&b, REG_LINE_DROPPED "\t%" PRIu64 "\n", dropped);
	if (b.oom) {
		free(b.p);
		return -1;
	}
	free(*text);
	*text = b.p;
	*len = b.len;
	return 0;
}

int reg_text_add_event(char **text, size_t *len, const struct reg_event *ev)
{
	struct sbuf b = {0};
	sb_puts(&b, REG_LINE_HISTORY);
	sb_field(&b, ev->action);
	sb_field(&b, ev->name);
	sb_field(&b, ev->build_id);
	sb_printf(&b, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64, ev->at_ns, ev->uid, ev->pause_ns);
	sb_field(&b, ev->result);
	sb_putc(&b, '\n');
	int rc = b.oom ? -1 : splice(text, len, *len, *len, b.p, b.len);
	free(b.p);
	return rc ? rc : trim_history(text, len);
}
