/*
 * mkpatch_release — stub records out, full records back in (see mkpatch_release.h).
 */
#include "mkpatch_release.h"
#include "formats.h"
#include "meta.h"
#include "mkpatch_util.h"
#include <stdlib.h>
#include <string.h>

/* the line kinds used here, from the key table of versionfiles/meta_format.h */
#define KEY(id) (meta_key_def(META_K_##id)->key)

struct span {
	const char *p;
	size_t len;
};

/* The records of raw text (linker padding between them skipped), in order. */
static int split_records(const char *raw, size_t len, struct span **out, size_t *n, char *err,
			 size_t errlen)
{
	size_t pos = 0, cap = 0;
	*out = NULL;
	*n = 0;
	while (pos < len) {
		if (raw[pos] == 0) {
			pos++;
			continue;
		}
		size_t start = pos;
		for (;;) {
			const char *nl = memchr(raw + pos, '\n', len - pos);
			if (!nl) {
				free(*out);
				*out = NULL;
				return msg(err, errlen,
					   POLUS_META_SECTION ": last record has no '%s'",
					   KEY(END));
			}
			size_t l = (size_t)(nl - (raw + pos));
			int end = l == strlen(KEY(END)) && !memcmp(raw + pos, KEY(END), l);
			pos = (size_t)(nl - raw) + 1;
			if (end)
				break;
		}
		struct span s = {raw + start, pos - start};
		VEC_PUSH(*out, *n, cap, s);
	}
	return 0;
}

/* The line of `rec` whose first field is `kind` (with its newline), or an empty span. */
static struct span line_of(struct span rec, const char *kind)
{
	size_t k = strlen(kind);
	for (const char *p = rec.p, *e = rec.p + rec.len; p < e;) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(e - p);
		if (l > k && !memcmp(p, kind, k) && (p[k] == '\t' || p[k] == '\n'))
			return (struct span){p, l};
		p += l;
	}
	return (struct span){NULL, 0};
}

struct text {
	char *p;
	size_t len, cap;
};

static void put(struct text *t, const char *p, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, p, n);
	t->len += n;
	t->p[t->len] = 0;
}

static void put_span(struct text *t, struct span s)
{
	if (s.p)
		put(t, s.p, s.len);
}

/* A line of a kind without fields. */
static void put_line0(struct text *t, const char *kind)
{
	put(t, kind, strlen(kind));
	put(t, "\n", 1);
}

int release_trim(const char *raw, size_t len, const char *full, size_t nunits, char **out,
		 size_t *outlen, char *err, size_t errlen)
{
	struct span *r;
	size_t n;
	struct text t = {0};
	if (split_records(raw, len, &r, &n, err, errlen))
		return -1;
	if (n != nunits) {
		free(r);
		return msg(err, errlen,
			   POLUS_META_SECTION " holds %zu records, the build %zu units", n, nunits);
	}
	for (size_t i = 0; i < n; i++) {
		if (full[i]) {
			put_span(&t, r[i]);
			continue;
		}
		put_line0(&t, META_HEADER);
		put_span(&t, line_of(r[i], KEY(COMPILER)));
		put_span(&t, line_of(r[i], KEY(CWD)));
		put_span(&t, line_of(r[i], KEY(SRC)));
		put_line0(&t, KEY(SAME_AS_BELOW));
		put_line0(&t, KEY(END));
	}
	free(r);
	*out = t.p ? t.p : xstrdup("");
	*outlen = t.len;
	return 0;
}

/* Parsed copy of raw records, for their keys (meta_parse works in place). */
static int parse_copy(const char *raw, size_t len, struct meta_build *b, char *err, size_t errlen)
{
	char *copy = xmalloc(len + 1);
	memcpy(copy, raw, len);
	copy[len] = 0;
	return meta_parse(copy, len, b, err, errlen);
}

/* Record j of `below` for stub i, its own cwd and src kept: the stub's other lines are
 * NEW's header, the rest is the code that still runs (below's). */
static void put_merged(struct text *t, struct span stub, struct span low)
{
	for (const char *p = low.p, *e = low.p + low.len; p < e;) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(e - p);
		struct span own = {p, l};
		if (line_of(own, KEY(CWD)).p)
			put_span(t, line_of(stub, KEY(CWD)));
		else if (line_of(own, KEY(SRC)).p)
			put_span(t, line_of(stub, KEY(SRC)));
		else
			put(t, p, l);
		p += l;
	}
}

int release_merge(const char *below, size_t blen, const char *rec, size_t rlen, char **out,
		  size_t *outlen, char *err, size_t errlen)
{
	struct span *rb = NULL, *rr = NULL;
	size_t nb = 0, nr = 0;
	struct meta_build mb = {0}, mr = {0};
	struct text t = {0};
	struct smap at = {0};
	int rc = -1;
	if (split_records(below, blen, &rb, &nb, err, errlen) ||
	    split_records(rec, rlen, &rr, &nr, err, errlen) ||
	    parse_copy(below, blen, &mb, err, errlen) || parse_copy(rec, rlen, &mr, err, errlen))
		goto out;
	if (mb.nunits != nb || mr.nunits != nr) {
		msg(err, errlen, POLUS_META_SECTION ": records and units do not pair up");
		goto out;
	}
	for (size_t j = 0; j < nb; j++)
		smap_put(&at, mb.units[j].key, (long)j);
	for (size_t i = 0; i < nr; i++) {
		int stub = line_of(rr[i], KEY(SAME_AS_BELOW)).p != NULL;
		long j = stub ? smap_get(&at, mr.units[i].key) : -1;
		if (stub && j < 0) {
			msg(err, errlen,
			    "unit %s is carried as the one below, but the release below has no "
			    "such unit",
			    mr.units[i].key);
			goto out;
		}
		if (j >= 0)
			put_merged(&t, rr[i], rb[j]);
		else
			put_span(&t, rr[i]);
	}
	*out = t.p ? t.p : xstrdup("");
	*outlen = t.len;
	t.p = NULL;
	rc = 0;
out:
	free(t.p);
	free(rb);
	free(rr);
	smap_free(&at);
	meta_free(&mb);
	meta_free(&mr);
	return rc;
}
