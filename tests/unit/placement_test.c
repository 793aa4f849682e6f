/*
 * Unit test of injector/placement: pl_candidates on synthetic memory maps. Every
 * candidate must be page-aligned, in a free gap with room for the image, within rel32
 * reach of the whole executable, clear of the room left above [heap] (above the
 * executable without a heap) and below [stack], and the list nearest first.
 */
#include "placement.h"
#include "unit_check.h"

#include <stdint.h>
#include <string.h>

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define PAGE 4096ull
#define SPAN (64 * 1024ull)

struct scene {
	struct pf_map v[16];
	size_t n;
	uint64_t lo, hi; /* the executable */
	int has_heap;
};

static void add(struct scene *s, uint64_t start, uint64_t end, const char *path)
{
	s->v[s->n++] = (struct pf_map){.start = start, .end = end, .path = (char *)path};
}

static size_t run(const struct scene *s, uint64_t span, uint64_t *out, size_t max)
{
	struct pf_maps m = {.v = (struct pf_map *)s->v, .n = s->n};
	return pl_candidates(&m, s->lo, s->hi, s->has_heap, span, out, max);
}

static uint64_t dist(const struct scene *s, uint64_t c)
{
	return c < s->lo ? s->lo - c : c - s->hi;
}

/* The properties every candidate list must have. */
static void check_valid(const struct scene *s, const uint64_t *c, size_t n, uint64_t span)
{
	for (size_t i = 0; i < n; i++) {
		CHECK(c[i] % PAGE == 0);
		uint64_t lo = c[i] < s->lo ? c[i] : s->lo;
		uint64_t hi = c[i] + span > s->hi ? c[i] + span : s->hi;
		CHECK(hi - lo < 2 * GiB);
		for (size_t k = 0; k < s->n; k++) {
			const struct pf_map *m = &s->v[k];
			CHECK(c[i] + span <= m->start || c[i] >= m->end); /* no overlap */
			if (!strcmp(m->path, "[heap]") || (!s->has_heap && m->end == s->hi))
				CHECK(c[i] + span <= m->start || c[i] >= m->end + 256 * MiB);
			if (!strcmp(m->path, "[stack]"))
				CHECK(c[i] + span <= m->start - 64 * MiB || c[i] >= m->end);
		}
		if (i > 0)
			CHECK(dist(s, c[i - 1]) <= dist(s, c[i]));
	}
}

/* A PIE process: executable, heap, libraries, stack. */
static void pie_scene(struct scene *s, int has_heap)
{
	memset(s, 0, sizeof(*s));
	s->lo = 0x555555554000ull;
	s->hi = 0x555555558000ull;
	s->has_heap = has_heap;
	add(s, s->lo, 0x555555555000ull, "/srv/prog");
	add(s, 0x555555555000ull, s->hi, "/srv/prog");
	if (has_heap)
		add(s, 0x555555600000ull, 0x555555621000ull, "[heap]");
	add(s, 0x7ffff7dd0000ull, 0x7ffff7ffe000ull, "/usr/lib/libc.so.6");
	add(s, 0x7ffffffde000ull, 0x7ffffffff000ull, "[stack]");
}

static void test_pie(int has_heap)
{
	struct scene s;
	uint64_t c[64];
	pie_scene(&s, has_heap);
	size_t n = run(&s, SPAN, c, 64);
	CHECK(n >= 2); /* one below the executable, one past the brk room */
	check_valid(&s, c, n, SPAN);
	if (n >= 2) {
		CHECK(c[0] < s.lo); /* the nearest: just below the executable */
		CHECK(s.lo - c[0] < 16 * MiB);
		CHECK(c[1] >= s.hi + 256 * MiB); /* heap or not, brk keeps its room */
	}
	/* libraries near the stack are far beyond rel32 reach of the executable */
	for (size_t i = 0; i < n; i++)
		CHECK(c[i] < 0x700000000000ull);
}

/* A non-PIE executable low in memory: nothing below 16 MiB, candidates above. */
static void test_nopie(void)
{
	struct scene s = {.lo = 0x400000, .hi = 0x404000, .has_heap = 1};
	uint64_t c[64];
	add(&s, 0x400000, 0x404000, "/srv/prog");
	add(&s, 0x405000, 0x426000, "[heap]");
	add(&s, 0x7ffff7dd0000ull, 0x7ffff7ffe000ull, "/usr/lib/libc.so.6");
	add(&s, 0x7ffffffde000ull, 0x7ffffffff000ull, "[stack]");
	size_t n = run(&s, SPAN, c, 64);
	CHECK(n >= 1);
	check_valid(&s, c, n, SPAN);
	for (size_t i = 0; i < n; i++)
		CHECK(c[i] > s.hi && c[i] >= 16 * MiB);
}

/* Everything within reach is mapped: no candidate. */
static void test_full(void)
{
	struct scene s = {.lo = 0x555555554000ull, .hi = 0x555555558000ull, .has_heap = 1};
	uint64_t c[64];
	add(&s, s.lo - 3 * GiB, s.lo, "/usr/lib/big-below");
	add(&s, s.lo, s.hi, "/srv/prog");
	add(&s, s.hi, s.hi + 3 * GiB, "/usr/lib/big-above");
	add(&s, 0x7ffffffde000ull, 0x7ffffffff000ull, "[stack]");
	CHECK(run(&s, SPAN, c, 64) == 0);
}

/* An image larger than every gap in reach: no candidate; one that fits: some. */
static void test_span(void)
{
	struct scene s;
	uint64_t c[64];
	pie_scene(&s, 1);
	CHECK(run(&s, 3 * GiB, c, 64) == 0);
	CHECK(run(&s, 512 * MiB, c, 64) >= 1);
	check_valid(&s, c, run(&s, 512 * MiB, c, 64), 512 * MiB);
}

/* Many small gaps: max caps the list and keeps the nearest ones, in order. */
static void test_max(void)
{
	struct scene s = {.lo = 0x555555554000ull, .hi = 0x555555558000ull, .has_heap = 1};
	uint64_t all[64], few[3];
	add(&s, s.lo, s.hi, "/srv/prog");
	add(&s, 0x555555600000ull, 0x555555621000ull, "[heap]");
	/* eight 32 MiB gaps between 4 MiB libraries, from 512 MiB above the heap up */
	for (uint64_t k = 0, a = 0x555575600000ull; k < 8; k++, a += 36 * MiB)
		add(&s, a, a + 4 * MiB, "/usr/lib/libx.so");
	add(&s, 0x7ffffffde000ull, 0x7ffffffff000ull, "[stack]");
	size_t n = run(&s, SPAN, all, 64);
	CHECK(n >= 8);
	check_valid(&s, all, n, SPAN);
	CHECK(run(&s, SPAN, few, 3) == 3);
	CHECK(n >= 3 && !memcmp(few, all, sizeof(few)));
}

int main(void)
{
	test_pie(1);
	test_pie(0);
	test_nopie();
	test_full();
	test_span();
	test_max();
	return unit_result("placement");
}
