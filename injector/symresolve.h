/*
 * symresolve — find a symbol among the shared objects a target has loaded.
 *
 * The files are opened through /proc/PID/map_files/ (the object actually mapped, even if
 * replaced or deleted on disk) or /proc/PID/root/PATH (the target's mount namespace).
 * Search order: the main executable (copy-relocated data such as stdout lives there),
 * then the libraries in address order; the default symbol version wins.
 *
 * An IFUNC of a library (strstr, time, __memcpy_chk...) gets the implementation the
 * process already uses, the first of: (a) the executable's own GOT slot for it
 * (GLOB_DAT, or a JUMP_SLOT once resolved: a lazy one still holding its PLT stub is not),
 * (b) such a slot of any other loaded object, each importing the same version, (c) the
 * slot of an R_X86_64_IRELATIVE of the defining library, (d) polus-apply's own choice on
 * this CPU (ifunc_self: same library file, same GLIBC_TUNABLES). A value is only taken
 * when it points into executable memory of the target. Else the lookup fails with one
 * message naming the symbol and why.
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

struct sr_range {
	uint64_t lo, hi;
};

struct sr_ctx {
	pid_t pid;
	int memfd;
	struct sr_obj *v;
	size_t n;
	struct sr_range *exec; /* the target's executable mappings */
	size_t nexec;
	struct sr_range vdso; /* its [vdso], 0 0 when none */
};

int sr_open(struct sr_ctx *c, pid_t pid, const struct pf_maps *maps, const char *exe_path,
	    int memfd);
void sr_close(struct sr_ctx *c);
/* 0 and the run-time address, -ENOENT, or another error explained in err. */
int sr_lookup(void *ctx, const char *name, uint64_t *addr, char *err, size_t errlen);

#endif
