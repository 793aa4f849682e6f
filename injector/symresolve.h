/*
 * symresolve — find a symbol among the shared objects a target has loaded.
 *
 * The files are opened through /proc/PID/map_files/ (the object actually mapped, even if
 * replaced or deleted on disk) or /proc/PID/root/PATH (the target's mount namespace).
 * Search order: the main executable (copy-relocated data such as stdout lives there),
 * then the libraries in address order; the default symbol version wins. An IFUNC is
 * resolved by reading the GOT slot of its R_X86_64_IRELATIVE in the target.
 */
#ifndef POLUS_SYMRESOLVE_H
#define POLUS_SYMRESOLVE_H
#include "elffile.h"
#include "procfs.h"

struct sr_obj {
	char *path;
	uint64_t bias;
	struct ef_file ef;
};

struct sr_ctx {
	pid_t pid;
	int memfd;
	struct sr_obj *v;
	size_t n;
};

int sr_open(struct sr_ctx *c, pid_t pid, const struct pf_maps *maps, const char *exe_path,
	    int memfd);
void sr_close(struct sr_ctx *c);
/* 0 and the run-time address, -ENOENT, or another error explained in err. */
int sr_lookup(void *ctx, const char *name, uint64_t *addr, char *err, size_t errlen);

#endif
