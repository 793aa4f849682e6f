/* tests/data/stub.t, release 1: a configuration struct; "c" prints it, "l N" sets the
 * level. Release 2 turns the level (an int) into a struct: no rule converts an int into a
 * struct, so sync/cfg.c leaves that field to the author, and the patch is refused until
 * it is filled in. */
#include <stdio.h>
#include <stdlib.h>

static struct cfg {
	int port;
	int level;
} cfg = {80, 1};

__attribute__((noinline)) void set_level(int n)
{
	cfg.level = n;
}

__attribute__((noinline)) void show(void)
{
	printf("port=%d level=%d\n", cfg.port, cfg.level);
}

int main(void)
{
	char line[64];
	int n;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "l %d", &n) == 1)
			set_level(n);
		show();
	}
	return 0;
}
