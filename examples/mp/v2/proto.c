/*
 * proto — requests of the multi-process examples (see proto.h). Release 2.
 */
#include "proto.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NKEYS 1024
#define KEY_MAX 32

struct entry {
	char key[KEY_MAX + 1];
	char val[64];
	long n;
	int used;
};

static struct entry table[NKEYS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

/* The entry for key (created if absent), or NULL when the table is full. Lock held. */
static struct entry *lookup(const char *key)
{
	unsigned h = 5381;
	for (const char *c = key; *c; c++)
		h = h * 33 + (unsigned char)*c;
	for (unsigned i = 0; i < NKEYS; i++) {
		struct entry *e = &table[(h + i) % NKEYS];
		if (!e->used) {
			e->used = 1;
			snprintf(e->key, sizeof(e->key), "%s", key);
			return e;
		}
		if (strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

/* The release this code is: what VERSION answers. */
__attribute__((noinline)) const char *proto_release(void)
{
	return "v2";
}

/* The key of a request: up to KEY_MAX bytes (release 1 refused more than 16). */
static int parse_key(const char *s, char *key)
{
	size_t n = strcspn(s, " \r\n");
	if (n == 0 || n > KEY_MAX)
		return -1;
	memcpy(key, s, n);
	key[n] = 0;
	return 0;
}

int proto_line(const char *line, char *out, size_t len)
{
	char key[KEY_MAX + 1];
	struct entry *e;
	if (strncmp(line, "PING", 4) == 0)
		return snprintf(out, len, "PONG"), 0;
	if (strncmp(line, "VERSION", 7) == 0)
		return snprintf(out, len, "VERSION %s pid=%d", proto_release(), (int)getpid()), 0;
	if (strncmp(line, "QUIT", 4) == 0)
		return -1;
	int set = strncmp(line, "SET ", 4) == 0, get = strncmp(line, "GET ", 4) == 0,
	    incr = strncmp(line, "INCR ", 5) == 0;
	if (!set && !get && !incr)
		return snprintf(out, len, "ERR unknown command"), 0;
	const char *arg = line + (incr ? 5 : 4);
	if (parse_key(arg, key) != 0)
		return snprintf(out, len, "ERR bad key"), 0;
	pthread_mutex_lock(&table_lock);
	if (!(e = lookup(key)))
		snprintf(out, len, "ERR full");
	else if (set)
		snprintf(e->val, sizeof(e->val), "%.*s",
			 (int)strcspn(arg + strlen(key) + 1, "\r\n"), arg + strlen(key) + 1),
		    snprintf(out, len, "OK");
	else if (get)
		snprintf(out, len, e->val[0] ? "VALUE %s" : "NONE", e->val);
	else
		snprintf(out, len, "INT %ld", ++e->n);
	pthread_mutex_unlock(&table_lock);
	return 0;
}

void proto_serve(int fd)
{
	char buf[4096], out[256];
	size_t have = 0;
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		if (!nl) {
			ssize_t k = have < sizeof(buf) - 1
					? read(fd, buf + have, sizeof(buf) - 1 - have)
					: 0;
			if (k <= 0)
				break;
			have += (size_t)k;
			continue;
		}
		*nl = 0;
		if (proto_line(buf, out, sizeof(out) - 1) < 0)
			break;
		size_t ol = strlen(out);
		out[ol++] = '\n';
		if (write(fd, out, ol) != (ssize_t)ol)
			break;
		have -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, have);
	}
	close(fd);
}
