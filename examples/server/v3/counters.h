/* counters.h — the server's request counters: plain process-wide state that a live update
 * must keep. Every field is updated atomically; counters_format() renders them for STATS. */
#ifndef EX_COUNTERS_H
#define EX_COUNTERS_H
#include <stddef.h>

struct counters {
	unsigned long requests; /* lines handled */
	unsigned long errors;	/* replies starting with ERR */
	unsigned long conns;	/* connections accepted */
	unsigned long gets;
	unsigned long sets;
	unsigned long incrs;
	unsigned long eintr; /* system calls that returned EINTR (an update must cause none) */
};

extern struct counters counters;

#define COUNT(field) __atomic_add_fetch(&counters.field, 1, __ATOMIC_RELAXED)

/* Writes "requests=N errors=N ..." into out; returns the length (truncated to outsz - 1). */
int counters_format(char *out, size_t outsz);

#endif
