/* tests/data/kinds.t: an extern global whose type changes (int -> long in release 2). */
#include "common.h"

int total;

__attribute__((noinline)) void bump_total(int x)
{
	total += x;
}
