/* tests/data/recover.t, release 1: a pool of 4 slots, each empty (0) or held by owner
 * 1..3. "t I O": owner O takes slot I; "g I": slot I is given back; "s": prints the pool.
 * Its bugs taint the state: give() of an empty slot still counts down, and take() accepts
 * any owner. Release 2 fixes both and adds a field; its sync/pool.c check finds the taint
 * and its recover repairs it. */
#include <stdio.h>
#include <stdlib.h>

static struct pool {
	int used;
	int slot[4];
} pool;

__attribute__((noinline)) void take(int i, int owner)
{
	if (!pool.slot[i & 3]) {
		pool.slot[i & 3] = owner;
		pool.used++;
	}
}

__attribute__((noinline)) void give(int i)
{
	pool.slot[i & 3] = 0;
	pool.used--;
}

__attribute__((noinline)) void show(void)
{
	printf("used=%d slots=%d%d%d%d\n", pool.used, pool.slot[0], pool.slot[1], pool.slot[2],
	       pool.slot[3]);
}

int main(void)
{
	char line[64];
	int a, b;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "t %d %d", &a, &b) == 2)
			take(a, b);
		else if (sscanf(line, "g %d", &a) == 1)
			give(a);
		show();
	}
	return 0;
}
