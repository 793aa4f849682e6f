/*
 * thread_frames — the threads that go on running old code after a switch, found by their
 * frames, whatever started them (pthread_create, a library's thread API, the main
 * thread, a forked child's one thread).
 *
 * For each function the patch redirects (in OLD's code), the stopped threads with a
 * return address into the old function on their stack (a word of the PS_STACK_SCAN
 * bytes above rsp that points into it just after a call instruction): such a thread is
 * inside a call of the old function that is waiting on something it called (a loop
 * around accept, read, poll, a queue), and that call goes on in the old code until it
 * returns: a loop there keeps the old code for good. A thread only passing through the
 * function's own instructions at that instant (rip there, no call below it) is not
 * named. Functions a version-file warning already covers ("NAME: ... never return(s)",
 * thread_scan.h ts_find_running) are left to it. Nothing prints.
 */
#ifndef POLUS_THREAD_FRAMES_H
#define POLUS_THREAD_FRAMES_H
#include "ptrace_ctl.h"
#include "versionfile.h"

#define TF_MAX_TIDS 64

struct tf_hit {
	const char *name; /* the function (the version file's) */
	pid_t tids[TF_MAX_TIDS];
	int ntids;
};

/* The functions of vf with such threads in g (malloc'd *out, *n of them; 0 or -ENOMEM). */
int tf_find(const struct vf_patch *vf, uint64_t bias, const struct pt_group *g, int memfd,
	    struct tf_hit **out, size_t *n);

/* Whether the bytes before a return address a of the target hold a call instruction. */
int tf_after_call(int memfd, uint64_t a);
/* The stack above rsp, as far as it is mapped (up to PS_STACK_SCAN bytes, buf holds
 * them): the number of words read. */
size_t tf_read_stack(int memfd, uint64_t rsp, uint64_t *buf);

/* The warning about hit h, as polus-apply prints it (the threads named with their names). */
void tf_text(pid_t pid, const struct tf_hit *h, char *buf, size_t len);

#endif
