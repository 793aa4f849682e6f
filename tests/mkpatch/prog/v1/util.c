#include "common.h"
static int hits;

__attribute__((noinline)) int helper(int x)
{
	hits += 2;
	return x + hits;
}
