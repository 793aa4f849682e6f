/*
 * placement — candidate load addresses for a patch image (see placement.h).
 */
#include "placement.h"

#include <string.h>

#define MiB (1ull << 20)
#define REACH 0x7ff00000ull /* a little under 2 GiB: rel32 from anywhere in the text */
#define LOWEST (16 * MiB)   /* far above mmap_min_addr */
#define HIGHEST 0x7ffffffff000ull
#define BRK_ROOM (256 * MiB)
#define STACK_ROOM (64 * MiB)
#define GUARD (1 * MiB)

size_t pl_candidates(const struct pf_maps *m, uint64_t lo, uint64_t hi, int has_heap, uint64_t span,
		     uint64_t *out, size_t max)
{
	uint64_t dist[64];
	size_t n = 0;
	if (max > 64)
		max = 64;
	for (size_t i = 0; i <= m->n; i++) {
		uint64_t glo = i ? m->v[i - 1].end : LOWEST;
		uint64_t ghi = i < m->n ? m->v[i].start : HIGHEST;
		uint64_t below = GUARD, above = GUARD, c, d;
		if (i && (strcmp(m->v[i - 1].path, "[heap]") == 0 ||
			  (!has_heap && m->v[i - 1].end == hi)))
			below = BRK_ROOM;
		if (i < m->n && strcmp(m->v[i].path, "[stack]") == 0)
			above = STACK_ROOM;
		if (ghi <= glo || ghi - glo < span + below + above)
			continue;
		if (ghi <= lo) /* below the executable: as high as possible */
			c = (ghi - above - span) & ~4095ull;
		else /* above it: as low as possible */
			c = (glo + below + 4095) & ~4095ull;
		if (c < LOWEST)
			continue;
		uint64_t rlo = c < lo ? c : lo, rhi = c + span > hi ? c + span : hi;
		if (rhi - rlo > REACH)
			continue;
		d = c < lo ? lo - c : c - hi;
		/* insertion into the sorted list; the farthest falls off a full one */
		size_t k = n < max ? n++ : max;
		while (k > 0 && dist[k - 1] > d) {
			if (k < max) {
				dist[k] = dist[k - 1];
				out[k] = out[k - 1];
			}
			k--;
		}
		if (k < max) {
			dist[k] = d;
			out[k] = c;
		}
	}
	return n;
}
