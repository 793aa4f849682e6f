/* polus-mkpatch churn test program, release 1: its version string changes at every
 * commit (as `git describe` makes it), which touches main and usage; api and api_log
 * are the real fix of release 2. Answers "N" with api(N). */
#include <stdio.h>
#include <stdlib.h>
#define VERSION "v1.2-3-gabc1234"

static long served;

__attribute__((noreturn, noinline)) void usage(const char *me)
{
	fprintf(stderr, "usage: %s (churn " VERSION ")\n", me);
	exit(2);
}

__attribute__((noinline)) int api(int x)
{
	served++;
	return x * 2;
}

__attribute__((noinline)) void api_log(int x)
{
	if (x < 0)
		fprintf(stderr, "negative %d\n", x);
}

int main(int argc, char **argv)
{
	char line[64];
	if (argc > 1)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	fprintf(stderr, "churn " VERSION "\n");
	while (fgets(line, sizeof(line), stdin)) {
		int x = atoi(line);
		api_log(x);
		printf("%d\n", api(x));
	}
	return 0;
}
