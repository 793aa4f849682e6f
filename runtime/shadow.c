/*
 * shadow — data attached to objects by address (see shadow.h): a hash table of
 * (object, id) -> zero-filled block, under one mutex.
 */
#include "shadow.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define SHADOW_BUCKETS 1024

struct shadow {
	struct shadow *next;
	const void *obj;
	unsigned long id;
	/* the attached data follows, max-aligned */
	_Alignas(max_align_t) unsigned char data[];
};

static struct shadow *shadow_table[SHADOW_BUCKETS];
static pthread_mutex_t shadow_lock = PTHREAD_MUTEX_INITIALIZER;

static struct shadow **bucket(const void *obj, unsigned long id)
{
	uintptr_t h = (uintptr_t)obj * 0x9e3779b97f4a7c15ull ^ id;
	return &shadow_table[(h >> 17) % SHADOW_BUCKETS];
}

/* The link that points at (obj, id)'s entry, or at the bucket's end. */
static struct shadow **find(const void *obj, unsigned long id)
{
	struct shadow **p = bucket(obj, id);
	while (*p && !((*p)->obj == obj && (*p)->id == id))
		p = &(*p)->next;
	return p;
}

void *polus_shadow_attach(const void *obj, unsigned long id, size_t size)
{
	pthread_mutex_lock(&shadow_lock);
	struct shadow **p = find(obj, id);
	if (!*p && (*p = calloc(1, sizeof(struct shadow) + size))) {
		(*p)->obj = obj;
		(*p)->id = id;
	}
	void *data = *p ? (*p)->data : NULL;
	pthread_mutex_unlock(&shadow_lock);
	return data;
}

void *polus_shadow_get(const void *obj, unsigned long id)
{
	pthread_mutex_lock(&shadow_lock);
	struct shadow *s = *find(obj, id);
	pthread_mutex_unlock(&shadow_lock);
	return s ? s->data : NULL;
}

void polus_shadow_detach(const void *obj, unsigned long id)
{
	pthread_mutex_lock(&shadow_lock);
	struct shadow **p = find(obj, id), *s = *p;
	if (s)
		*p = s->next;
	pthread_mutex_unlock(&shadow_lock);
	free(s);
}
