/*
 * ifunc_self — an IFUNC's implementation as polus-apply's own process chooses it, moved
 * to a target: the last way symresolve has when no GOT slot of the target holds it.
 *
 * The choice is only the target's when both run the very same library file (same
 * build-id) and the same GLIBC_TUNABLES (the target's initial environment, what its
 * loader read) on this CPU. The symbol is then looked up in polus-apply's own copy of
 * the library (dlvsym with its default version: the dynamic loader runs the resolver)
 * and the address moved to the target: at the same offset within the library, or,
 * when the resolver chose code of the vDSO (time, gettimeofday), at the same offset
 * within the target's vDSO, which must hold the same bytes as ours.
 */
#ifndef POLUS_IFUNC_SELF_H
#define POLUS_IFUNC_SELF_H
#include "elffile.h"
#include <sys/types.h>

struct is_target {
	pid_t pid;
	int memfd;		   /* of /proc/PID/mem, to compare the vDSOs */
	const char *path;	   /* the defining library, for messages */
	struct ef_file *ef;	   /* that library's file as the target maps it */
	uint64_t bias;		   /* its load bias in the target */
	uint64_t vdso_lo, vdso_hi; /* the target's [vdso], 0 0 when it has none */
};

/* 0 and the implementation's address in the target, or -ENOTSUP (another -errno for a
 * failure to read) with the reason in why, a clause without the symbol's name. */
int is_choose(const struct is_target *t, const char *name, const char *version, uint64_t *addr,
	      char *why, size_t whylen);

#endif
