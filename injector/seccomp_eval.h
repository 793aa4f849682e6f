/*
 * seccomp_eval — would the target's seccomp filters let these system calls through?
 *
 * A thread in seccomp filter mode would be killed (or get an error) for a call its
 * filter forbids, so before hijacking it the injector fetches its filters
 * (PTRACE_SECCOMP_GET_FILTER: the thread must be ptrace-stopped by us, and we need
 * CAP_SYS_ADMIN) and runs each classic-BPF program on the calls it is about to make.
 * Returns 0 when every filter returns ALLOW (or LOG) for every call; -EPERM with the
 * first refused call named in err; another negative errno if the filters cannot be read.
 */
#ifndef POLUS_SECCOMP_EVAL_H
#define POLUS_SECCOMP_EVAL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sc_call {
	const char *name;
	int nr;
	uint64_t args[6];
};

int sc_check(pid_t tid, uint64_t ip, const struct sc_call *calls, size_t n, char *err,
	     size_t errlen);

#endif
