/* table.c — the key/value table (see table.h). Entries are never freed: the table only
 * grows, which keeps the example short and makes its contents easy to check after an
 * update. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "table.h"

#define NBUCKETS 1024

struct entry {
	struct entry *next;
	size_t klen;
	char key[TABLE_KEY_MAX + 1];
	char val[TABLE_VAL_MAX + 1];
};

static struct entry *buckets[NBUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long nkeys;

static unsigned hash(const char *key, size_t klen)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < klen; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h % NBUCKETS;
}

/* Called with the lock held. */
static struct entry *find(const char *key, size_t klen, int create)
{
	struct entry **head = &buckets[hash(key, klen)];
	struct entry *e;

	for (e = *head; e; e = e->next)
		if (e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e;
	if (!create)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	memcpy(e->key, key, klen);
	e->klen = klen;
	e->next = *head;
	*head = e;
	nkeys++;
	return e;
}

int table_set(const char *key, size_t klen, const char *val, size_t vlen)
{
	struct entry *e;

	if (klen == 0 || klen > TABLE_KEY_MAX || vlen > TABLE_VAL_MAX)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	e = find(key, klen, 1);
	if (e) {
		memcpy(e->val, val, vlen);
		e->val[vlen] = 0;
	}
	pthread_mutex_unlock(&lock);
	return e ? 0 : -ENOMEM;
}

int table_get(const char *key, size_t klen, char *out, size_t outsz)
{
	struct entry *e;
	int n = -ENOENT;

	if (klen == 0 || klen > TABLE_KEY_MAX)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	e = find(key, klen, 0);
	if (e)
		n = snprintf(out, outsz, "%s", e->val);
	pthread_mutex_unlock(&lock);
	return n;
}

int table_incr(const char *key, size_t klen, long long *result)
{
	struct entry *e;
	char *end;
	long long v = 0;
	int rc = 0;

	if (klen == 0 || klen > TABLE_KEY_MAX)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	e = find(key, klen, 1);
	if (!e) {
		rc = -ENOMEM;
	} else {
		if (e->val[0]) {
			errno = 0;
			v = strtoll(e->val, &end, 10);
			if (*end || errno)
				rc = -EINVAL;
		}
		if (rc == 0 && v == LLONG_MAX)
			rc = -ERANGE;
		if (rc == 0) {
			*result = ++v;
			snprintf(e->val, sizeof(e->val), "%lld", v);
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

unsigned long table_count(void)
{
	unsigned long n;

	pthread_mutex_lock(&lock);
	n = nkeys;
	pthread_mutex_unlock(&lock);
	return n;
}
