#include "b.h"
int shared = 3;

__attribute__((noinline)) int helper(int x)
{
	return x * 2;
}
