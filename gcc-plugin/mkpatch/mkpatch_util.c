/*
 * mkpatch_util — allocation, hash map and path helpers for polus-mkpatch.
 */
#include "mkpatch_util.h"
#include "exitcodes.h"
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
	fputs("polus-mkpatch: out of memory\n", stderr);
	exit(PX_INTERNAL);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		oom();
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void smap_grow(struct smap *m)
{
	struct smap bigger = {0};
	bigger.cap = m->cap ? m->cap * 2 : 64;
	bigger.keys = xcalloc(bigger.cap, sizeof(char *));
	bigger.vals = xcalloc(bigger.cap, sizeof(long));
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = hash_str(m->keys[i]) & (bigger.cap - 1);
		while (bigger.keys[j])
			j = (j + 1) & (bigger.cap - 1);
		bigger.keys[j] = m->keys[i];
		bigger.vals[j] = m->vals[i];
	}
	bigger.count = m->count;
	free(m->keys);
	free(m->vals);
	*m = bigger;
}

void smap_put(struct smap *m, const char *key, long val)
{
	if ((m->count + 1) * 2 > m->cap)
		smap_grow(m);
	size_t j = hash_str(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key))
			return;
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = xstrdup(key);
	m->vals[j] = val;
	m->count++;
}

void smap_set(struct smap *m, const char *key, long val)
{
	if (m->cap) {
		size_t j = hash_str(key) & (m->cap - 1);
		while (m->keys[j]) {
			if (!strcmp(m->keys[j], key)) {
				m->vals[j] = val;
				return;
			}
			j = (j + 1) & (m->cap - 1);
		}
	}
	smap_put(m, key, val);
}

long smap_get(const struct smap *m, const char *key)
{
	if (!m->cap)
		return -1;
	size_t j = hash_str(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key))
			return m->vals[j];
		j = (j + 1) & (m->cap - 1);
	}
	return -1;
}

void smap_free(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

char *path_normalize(const char *path)
{
	size_t n = strlen(path);
	char *out = xmalloc(n + 2);
	size_t o = 0;
	const char *p = path;
	out[o++] = '/';
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t len = (size_t)(e - p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (o > 1) {
				o--; /* drop the trailing '/' of the previous component */
				while (o > 1 && out[o - 1] != '/')
					o--;
			}
		} else {
			memcpy(out + o, p, len);
			o += len;
			out[o++] = '/';
		}
		p = e;
	}
	if (o > 1)
		o--;
	out[o] = 0;
	return out;
}

char *path_absolute(const char *cwd, const char *path)
{
	char *joined, *norm;
	if (path[0] == '/')
		return path_normalize(path);
	joined = xasprintf("%s/%s", cwd && strcmp(cwd, "-") ? cwd : "/", path);
	norm = path_normalize(joined);
	free(joined);
	return norm;
}

int read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, got;
	char *b;
	if (!f)
		return msg(err, errlen, "%s: %s", path, strerror(errno));
	b = xmalloc(cap + 1);
	while ((got = fread(b + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			b = xrealloc(b, cap + 1);
		}
	}
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		free(b);
		return msg(err, errlen, "%s: %s", path, strerror(e));
	}
	fclose(f);
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}
