/* counters.c — storage and formatting of the request counters (see counters.h). */
#include <stdio.h>
#include "counters.h"

struct counters counters;

static unsigned long load(const unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

int counters_format(char *out, size_t outsz)
{
	int n = snprintf(out, outsz,
			 "requests=%lu errors=%lu conns=%lu gets=%lu sets=%lu incrs=%lu eintr=%lu",
			 load(&counters.requests), load(&counters.errors), load(&counters.conns),
			 load(&counters.gets), load(&counters.sets), load(&counters.incrs),
			 load(&counters.eintr));
	if (n < 0)
		return 0;
	return (size_t)n < outsz ? n : (int)outsz - 1;
}
