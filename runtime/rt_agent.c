/*
 * rt_agent — the runtime's own idle thread (see rt_agent.h).
 */
#include "rt_agent.h"
#include "rt_sys.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define SIG_SETMASK_ 2

/*
 * long rt_clone(unsigned long flags, void *stack_top, int *ptid, void (*fn)(void)):
 * clone(2) whose child calls fn on the new stack (r9 survives the system call) and
 * exits the thread if fn ever returns; the parent gets the child's tid.
 */
long polus_rt_clone(unsigned long flags, void *stack_top, int *ptid, void (*fn)(void));
__asm__(".text\n"
	".p2align 4\n"
	".type polus_rt_clone, @function\n"
	"polus_rt_clone:\n"
	"\tmovq %rcx, %r9\n"
	"\txorl %r10d, %r10d\n"
	"\txorl %r8d, %r8d\n"
	"\tmovl $56, %eax\n" /* SYS_clone */
	"\tsyscall\n"
	"\ttestq %rax, %rax\n"
	"\tjnz 1f\n"
	"\txorl %ebp, %ebp\n"
	"\tcall *%r9\n"
	"\tmovl $60, %eax\n" /* SYS_exit: this thread only */
	"\txorl %edi, %edi\n"
	"\tsyscall\n"
	"\thlt\n"
	"1:\tret\n"
	".size polus_rt_clone, .-polus_rt_clone\n");

static int agent_tid, agent_pid;
static int idle_word; /* never changes: the agent's futex wait never ends by itself */

static void agent_main(void)
{
	uint64_t all = ~0ull;
	rt_sys4(SYS_rt_sigprocmask, SIG_SETMASK_, &all, 0, 8);
	rt_sys4(SYS_prctl, PR_SET_NAME, POLUS_RT_AGENT_NAME, 0, 0);
	for (;;)
		rt_sys4(SYS_futex, &idle_word, FUTEX_WAIT_PRIVATE, 0, 0);
}

int polus_rt_agent_tid(void)
{
	int pid = (int)rt_sys4(SYS_getpid, 0, 0, 0, 0), tid = agent_tid;
	/* after a fork the recorded agent is the parent's: not in this thread group */
	if (!tid || agent_pid != pid || rt_sys4(SYS_tgkill, pid, tid, 0, 0) != 0)
		return 0;
	return tid;
}

__attribute__((visibility("default"))) int polus_rt_agent_start(void)
{
	int tid = polus_rt_agent_tid(), ptid = 0;
	if (tid)
		return tid;
	/* one page more, given back: a hole above the stack, so that a conservative scan
	 * of the stack (injector/patch_site.c) ends there instead of reading on into
	 * whatever the kernel mapped next (the registry, with its journal's addresses) */
	long a = rt_sys6(SYS_mmap, 0, POLUS_RT_AGENT_STACK + 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (a < 0 && a > -4096)
		return (int)a;
	rt_sys4(SYS_munmap, a + POLUS_RT_AGENT_STACK, 4096, 0, 0);
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			      CLONE_SYSVSEM | CLONE_PARENT_SETTID;
	long r = polus_rt_clone(flags, (char *)a + POLUS_RT_AGENT_STACK, &ptid, agent_main);
	if (r < 0) {
		rt_sys4(SYS_munmap, a, POLUS_RT_AGENT_STACK, 0, 0);
		return (int)r;
	}
	agent_pid = (int)rt_sys4(SYS_getpid, 0, 0, 0, 0);
	agent_tid = (int)r;
	return (int)r;
}
