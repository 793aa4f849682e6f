/*
 * remote_call — make one stopped thread of the target call a function of code mapped in
 * the target (a patch's sync, check and recover functions), then put it back exactly as
 * it was (registers and extended state).
 *
 * The thread runs the function on its own stack, below its red zone and a scratch area,
 * with a return address of 0: its return faults at address 0, a stop the tracer takes as
 * the end of the call and never delivers. Signals that arrive meanwhile are kept for
 * release (ptrace_ctl). This is the interim mechanism until the crash-safe function-call
 * API of remote_syscall.h (D2) lands: if polus-apply dies during a call, the thread
 * faults at address 0 when the function returns. The calls it runs are short and take no
 * lock. Nothing prints.
 */
#ifndef POLUS_REMOTE_CALL_H
#define POLUS_REMOTE_CALL_H
#include "ptrace_ctl.h"
#include <stddef.h>
#include <stdint.h>

#define RC_SCRATCH_MAX 1024
#define RC_TIMEOUT_MS 2000

/*
 * Calls fn(args[0..5]) in thread t (held stopped). scratch/len (at most RC_SCRATCH_MAX
 * bytes) are copied to the thread's stack first, and their address replaces any argument
 * equal to RC_ARG_SCRATCH; after the call they are read back into scratch. Returns 0 with
 * the function's rax in *ret, or a negative errno: -EFAULT (the function itself faulted:
 * the message says where), -ETIMEDOUT (it did not return in RC_TIMEOUT_MS), -ESRCH.
 */
#define RC_ARG_SCRATCH ((long)0x7e57c0de5c5a7c4LL)
int rc_call(struct pt_thread *t, int memfd, uint64_t fn, const long args[6], void *scratch,
	    size_t len, long *ret, char *err, size_t errlen);

#endif
