/* chain3, release 1 (OLD). scale is only ever called with k = 5: -O2 keeps only its
 * clone scale.constprop.0. */
#include "../common.h"

static __attribute__((noinline)) long scale(long x, int k)
{
	long r = x * k;
	__asm__ volatile("" : "+r"(r));
	return r + 10;
}

__attribute__((noinline)) long compute(long x)
{
	long r = x * 3;
	__asm__ volatile("" : "+r"(r));
	return r + 10;
}

long (*compute_ptr)(long) = compute;

__attribute__((noinline)) long path_a(long x)
{
	long r = scale(x, 5);
	__asm__ volatile("" : "+r"(r));
	return r;
}

__attribute__((noinline)) long path_a2(long x)
{
	return scale(x, 5) + 2;
}

__attribute__((noinline)) long path_b(long x)
{
	return x * 7 + 10;
}

__attribute__((noinline)) long path_bp(long x)
{
	return x * 7 + 11;
}

__attribute__((noinline)) long path_c(long x)
{
	return compute(x) + 1;
}

#include "../unchanged.h"
