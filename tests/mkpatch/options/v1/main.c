/* polus-mkpatch options test program, release 1: answers "N" with fill(N), which copies
 * N bytes with memcpy (a -D_FORTIFY_SOURCE=2 build calls __memcpy_chk) and adds KNOB, a
 * macro only the build's options give (-D, -include cfg.h, or knob.h found on CPATH). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef KNOB_HEADER
#include "knob.h"
#endif
#ifndef KNOB
#error "KNOB is not defined: compiled without the build's options"
#endif

static char buf[16];
static const char text[] = "abcdefghijklmnopqrstuvwxyz";

__attribute__((noinline)) int fill(int n)
{
	memcpy(buf, text, (size_t)n);
	return buf[n - 1] + KNOB;
}

int main(void)
{
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		int n = atoi(line);
		printf("%d\n", fill(n < 1 || n > 16 ? 1 : n));
	}
	return 0;
}
