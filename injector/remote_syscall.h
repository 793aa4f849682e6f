/*
 * remote_syscall — make one stopped thread of the target issue a system call or call a
 * function, so that the thread never needs us to get back to its own code.
 *
 * Before each call the thread's whole context (general registers, the xsave FP/vector
 * state, the signal mask) is written on its own stack, below its red zone and a scratch
 * area, as a kernel rt_sigreturn frame (the layout signal delivery uses, FP_XSTATE_MAGIC1
 * and MAGIC2 included); the slot under the frame holds the address of libc's __restore_rt
 * (`mov $15,%rax; syscall`). Every signal but SIGKILL/SIGSTOP is blocked (the frame holds
 * the real mask). Then:
 *   rs_call    rip = a `syscall; ret` (0f 05 c3) of the target's code: the call, then the
 *              ret into __restore_rt;
 *   rs_fncall  rip = the runtime's trampoline (runtime/rt_trampoline.S): call *%rax with
 *              the six arguments, then rt_sigreturn with the result in %rdi.
 * The thread runs under PTRACE_SYSCALL only (never single-stepped): the call's exit stop
 * (or the trampoline's rt_sigreturn entry) gives the result, the rt_sigreturn exit stop
 * shows the frame restored (checked: a wrong frame is an error, not a crash). We then put
 * back the exact registers, vector state and mask and bring the thread to a
 * PTRACE_EVENT_STOP again, so an interrupted system call of the thread is restarted on
 * release as before. If we die at any instant the thread finishes the step and rt_sigreturn
 * restores its context by itself; the frame carries the call it was interrupted in already
 * rewound (rip - 2), so that call is issued again (one rewound with restart_syscall gets
 * EINTR then: the sigreturn forgets its restart block).
 *
 * Functions return 0 (the call's raw result in *ret) or a negative errno when the mechanism
 * failed; the thread's context is restored in every case the thread still exists.
 */
#ifndef POLUS_REMOTE_SYSCALL_H
#define POLUS_REMOTE_SYSCALL_H
#include "procfs.h"
#include "ptrace_ctl.h"

/* Scratch bytes rs_scratch may hand out between two releases of the thread. */
#define RS_SCRATCH_MAX 4096

struct rs_ctx {
	pid_t pid;
	struct pt_thread *t;
	uint64_t syscall_addr; /* of a `syscall; ret` in the target */
	uint64_t restorer;     /* of `mov $15,%rax; syscall` (libc's __restore_rt) */
	uint64_t tramp;	       /* the runtime's polus_rt_trampoline (rs_set_trampoline) */
	int memfd;	       /* /proc/PID/mem, writable */
	unsigned ncalls;
	size_t scratch_used; /* bytes of the scratch area handed out */
};

/* Finds the two gadgets in the target's executable mappings (vDSO, then libc). */
int rs_init(struct rs_ctx *c, pid_t pid, struct pt_thread *t, const struct pf_maps *maps,
	    int memfd);

/* System call nr(args) in the thread. */
int rs_call(struct rs_ctx *c, long nr, const long args[6], long *ret);

/*
 * Makes rs_fncall possible: `addr` is the runtime's polus_rt_trampoline, whose bytes are
 * checked against what rs_fncall expects (-EPROTO if they differ).
 */
int rs_set_trampoline(struct rs_ctx *c, uint64_t addr);

/* Calls fn(args[0..5]) in the thread (code mapped in the target); *ret gets its rax. */
int rs_fncall(struct rs_ctx *c, uint64_t fn, const long args[6], long *ret);

/*
 * Copies `len` bytes to scratch space on the hijacked thread's stack, below its red zone
 * (and above the frames), and returns the target address (0 on failure or when the
 * RS_SCRATCH_MAX bytes are used up). Valid until the thread is released.
 */
uint64_t rs_scratch(struct rs_ctx *c, const void *data, size_t len);

/* The system calls the mechanism itself may make the thread issue (rt_sigreturn). */
#define RS_OWN_CALLS 1

#endif
