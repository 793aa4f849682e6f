/*
 * remote_syscall — make one stopped thread of the target issue a system call.
 *
 * The thread's registers and extended (FP/vector) state are saved, rip is pointed at a
 * `syscall` instruction found in the target's own code (the vDSO or libc), the call is
 * single-stepped, and everything is restored; orig_rax is set to -1 meanwhile so the
 * kernel does not "restart" the interrupted call of the thread into ours. Signals that
 * arrive during the step are kept for release (ptrace_ctl). No code of ours runs in the
 * target. Returns 0 and the call's raw result (a negative errno on failure) in *ret, or a
 * negative errno if the mechanism itself failed.
 */
#ifndef POLUS_REMOTE_SYSCALL_H
#define POLUS_REMOTE_SYSCALL_H
#include "procfs.h"
#include "ptrace_ctl.h"

struct rs_ctx {
	pid_t pid;
	struct pt_thread *t;
	uint64_t syscall_addr; /* of a 0f 05 in the target */
	int memfd;	       /* /proc/PID/mem, writable */
	unsigned ncalls;
};

/* Finds a syscall instruction in the target's executable mappings. */
int rs_init(struct rs_ctx *c, pid_t pid, struct pt_thread *t, const struct pf_maps *maps,
	    int memfd);

int rs_call(struct rs_ctx *c, long nr, const long args[6], long *ret);

/*
 * Copies `len` bytes to scratch space on the hijacked thread's stack, below its red zone,
 * and returns the target address (0 on failure). Valid until the thread is released.
 */
uint64_t rs_scratch(struct rs_ctx *c, const void *data, size_t len);

#endif
