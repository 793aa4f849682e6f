/*
 * test_kill — the self-kill hook of the crash tests (see test_kill.h).
 */
#include "test_kill.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void tk_step(const char *what)
{
	static int init, list;
	static unsigned long at, n;
	if (!init) {
		const char *e = getenv("POLUS_TEST_KILL_AT");
		init = 1;
		list = e && strcmp(e, "list") == 0;
		at = e && !list ? strtoul(e, NULL, 10) : 0;
	}
	if (!at && !list)
		return;
	n++;
	if (list)
		fprintf(stderr, "polus: step %lu: %s\n", n, what);
	if (n == at) {
		fprintf(stderr, "polus: killed at step %lu: %s (POLUS_TEST_KILL_AT)\n", n, what);
		kill(getpid(), SIGKILL);
	}
}
