/*
 * mkpatch_util — small helpers shared by polus-mkpatch's modules: a growable array
 * macro, a string -> index hash map, path normalization and a message buffer printf.
 * Allocation failures exit with PX_INTERNAL (xmalloc style): the tool is short-lived and has no way
 * to continue without memory.
 */
#ifndef POLUS_MKPATCH_UTIL_H
#define POLUS_MKPATCH_UTIL_H
#include "errmsg.h"
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* snprintf into a caller's message buffer; returns -1 so errors read `return msg(...)`. */
#define msg(buf, len, ...) px_err(buf, len, -1, __VA_ARGS__)

/* Appends one element to a (ptr, count) pair, growing it geometrically. */
#define VEC_PUSH(ptr, n, cap, val)                                                                 \
	do {                                                                                       \
		if ((n) == (cap)) {                                                                \
			(cap) = (cap) ? (cap)*2 : 16;                                              \
			(ptr) = xrealloc((ptr), (cap) * sizeof(*(ptr)));                           \
		}                                                                                  \
		(ptr)[(n)++] = (val);                                                              \
	} while (0)

/* String-keyed map to a long. Keys are copied. First insert of a key wins. */
struct smap {
	char **keys;
	long *vals;
	size_t cap, count;
};
void smap_put(struct smap *m, const char *key, long val);
/* Replaces the value of a key (inserting it when absent). */
void smap_set(struct smap *m, const char *key, long val);
/* Returns the value or -1 when absent. */
long smap_get(const struct smap *m, const char *key);
void smap_free(struct smap *m);

/* Lexically normalizes an absolute path: collapses //, /./ and dir/../ (malloc'd). */
char *path_normalize(const char *path);
/* cwd + "/" + path unless path is absolute, then normalized (malloc'd). */
char *path_absolute(const char *cwd, const char *path);

/* Reads a whole file; returns 0 or -1 with `err`. */
int read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen);
#endif
