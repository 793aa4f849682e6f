#include "b.h"
int shared = 3;

__attribute__((noinline)) int helper(int x)
{
	return x * 2;
}
int newvar = 9;

__attribute__((noinline)) int newfn(int x)
{
	return x + newvar;
}
