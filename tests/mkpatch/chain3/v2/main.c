/* chain3, release 2 (p12): path_a calls scale with other k (p12 carries scale: OLD has
 * only its clone), path_b and path_bp call the new function added, compute changed and
 * path_c, changed too, calls it directly within p12. */
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
	return r + 20;
}

__attribute__((noinline)) long added(long x)
{
	long r = x * 7;
	__asm__ volatile("" : "+r"(r));
	return r + 20;
}

long (*compute_ptr)(long) = compute;

__attribute__((noinline)) long path_a(long x)
{
	return scale(x, 4) + scale(x, 1) - 9;
}

__attribute__((noinline)) long path_a2(long x)
{
	return scale(x, 5) + 2;
}

__attribute__((noinline)) long path_b(long x)
{
	return added(x);
}

__attribute__((noinline)) long path_bp(long x)
{
	long (*volatile f)(long) = added;
	return f(x) + 1;
}

__attribute__((noinline)) long path_c(long x)
{
	return compute(x) + 5;
}

#include "../unchanged.h"
