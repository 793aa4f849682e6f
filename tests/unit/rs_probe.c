/*
 * rs-probe PID TRAMP FN ARG — calls FN(ARG) in the main thread of PID through rs_fncall
 * (injector/remote_syscall.h), TRAMP being the runtime's trampoline mapped there, and
 * prints "result N". POLUS_TEST_KILL_AT=N kills it at a step of the call
 * (tests/txn/fncall.t).
 */
#include "ptrace_ctl.h"
#include "remote_syscall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct pt_group g;
	struct pf_maps maps;
	struct rs_ctx c;
	char err[256];
	long args[6] = {0}, ret = 0;
	int rc;
	if (argc != 5) {
		fprintf(stderr, "usage: rs-probe PID TRAMP FN ARG\n");
		return 1;
	}
	pid_t pid = (pid_t)atoi(argv[1]);
	args[0] = strtol(argv[4], NULL, 0);
	int memfd = pf_mem_open(pid, 1);
	if (memfd < 0 || pf_maps_read(pid, &maps) != 0) {
		fprintf(stderr, "rs-probe: cannot open process %d\n", (int)pid);
		return 1;
	}
	if (pt_stop_one(pid, pid, &g, 3000, err, sizeof(err)) != 0) {
		fprintf(stderr, "rs-probe: %s\n", err);
		return 1;
	}
	if ((rc = rs_init(&c, pid, &g.v[0], &maps, memfd)) == 0 &&
	    (rc = rs_set_trampoline(&c, strtoull(argv[2], NULL, 0))) == 0)
		rc = rs_fncall(&c, strtoull(argv[3], NULL, 0), args, &ret);
	pt_release(&g, NULL);
	if (rc) {
		fprintf(stderr, "rs-probe: %s\n", strerror(-rc));
		return 1;
	}
	printf("result %ld\n", ret);
	return 0;
}
