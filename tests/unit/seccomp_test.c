/*
 * Unit test of injector/seccomp_eval: small seccomp programs, installed in a child by the
 * kernel (which checks them as it would a target's) and read back by sc_check through
 * ptrace, judge the calls the injector would make: allow, allow with LOG, deny with an
 * errno, kill, trap, an argument compare on the low and high words, scratch memory and
 * ALU, an arch check, and two stacked filters (every filter must allow).
 * Exit 77 when this machine cannot install or read filters (no CAP_SYS_ADMIN, a kernel
 * without PTRACE_SECCOMP_GET_FILTER): a fact of the environment.
 */
#include "seccomp_eval.h"
#include "unit_check.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NR offsetof(struct seccomp_data, nr)
#define ARCH offsetof(struct seccomp_data, arch)
#define ARG_LO(i) offsetof(struct seccomp_data, args[i])
#define ARG_HI(i) (offsetof(struct seccomp_data, args[i]) + 4)
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define IF_EQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define PROG(a)                                                                                    \
	{                                                                                          \
		.len = sizeof(a) / sizeof(a[0]), .filter = (a)                                     \
	}
#define CANNOT_INSTALL 42

static struct sock_filter allow_all[] = {RET(SECCOMP_RET_ALLOW)};
/* memfd_create -> EPERM, others allowed; a wrong arch is killed first */
static struct sock_filter deny_memfd[] = {
    LD(ARCH),
    IF_EQ(AUDIT_ARCH_X86_64, 1, 0),
    RET(SECCOMP_RET_KILL_PROCESS),
    LD(NR),
    IF_EQ(SYS_memfd_create, 0, 1),
    RET(SECCOMP_RET_ERRNO | EPERM),
    RET(SECCOMP_RET_ALLOW),
};
/* process_vm_writev kills, mprotect traps, madvise is only logged */
static struct sock_filter kill_trap_log[] = {
    LD(NR),
    IF_EQ(SYS_process_vm_writev, 0, 1),
    RET(SECCOMP_RET_KILL_THREAD),
    IF_EQ(SYS_mprotect, 0, 1),
    RET(SECCOMP_RET_TRAP),
    IF_EQ(SYS_madvise, 0, 1),
    RET(SECCOMP_RET_LOG),
    RET(SECCOMP_RET_ALLOW),
};
/* mmap with PROT_EXEC (arg 2) -> EACCES; mmap at a hint above 4 GiB (arg 0 high word) ->
 * ENOMEM; other mmaps and calls allowed */
static struct sock_filter mmap_args[] = {
    LD(NR),
    IF_EQ(SYS_mmap, 1, 0),
    RET(SECCOMP_RET_ALLOW),
    LD(ARG_LO(2)),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
    RET(SECCOMP_RET_ERRNO | EACCES),
    LD(ARG_HI(0)),
    IF_EQ(0, 0, 1),
    RET(SECCOMP_RET_ALLOW),
    RET(SECCOMP_RET_ERRNO | ENOMEM),
};
/* scratch memory and ALU: (nr * 4 + 1) kept in M[3], moved through X, compared:
 * refuses exactly nr 10 (mprotect: 41) */
static struct sock_filter alu[] = {
    LD(NR),
    BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 4),
    BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
    BPF_STMT(BPF_ST, 3),
    BPF_STMT(BPF_LD | BPF_IMM, 0),
    BPF_STMT(BPF_LDX | BPF_MEM, 3),
    BPF_STMT(BPF_MISC | BPF_TXA, 0),
    IF_EQ(41, 0, 1),
    RET(SECCOMP_RET_ERRNO | EPERM),
    RET(SECCOMP_RET_ALLOW),
};

/* Forks a child that installs the filters and stops under our ptrace. */
static pid_t start_child(struct sock_fprog *progs, int n)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(CANNOT_INSTALL);
		for (int i = 0; i < n; i++)
			if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &progs[i]))
				_exit(CANNOT_INSTALL);
		kill(getpid(), SIGSTOP);
		for (;;)
			pause();
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == CANNOT_INSTALL) {
		printf("cannot install a seccomp filter in a child here\n");
		_exit(77);
	}
	return WIFSTOPPED(st) ? pid : -1;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* expect(...): sc_check of `calls` under the filters returns `want`; a refusal names
 * the call `culprit`. */
static void expect(struct sock_fprog *progs, int n, const struct sc_call *calls, size_t ncalls,
		   int want, const char *culprit, int line)
{
	char err[256] = "";
	pid_t pid = start_child(progs, n);
	if (pid < 0) {
		fprintf(stderr, "line %d: the child did not stop\n", line);
		failures++;
		return;
	}
	int rc = sc_check(pid, 0x401000, calls, ncalls, err, sizeof(err));
	stop_child(pid);
	if (rc != want && (rc == -EACCES || rc == -EINVAL)) {
		printf("cannot read seccomp filters here: %s\n", err);
		_exit(77);
	}
	if (rc != want || (culprit && !strstr(err, culprit))) {
		fprintf(stderr, "line %d: sc_check returned %d (wanted %d): %s\n", line, rc, want,
			err);
		failures++;
	}
}

#define EXPECT(progs, calls, want, culprit)                                                        \
	expect(progs, sizeof(progs) / sizeof(progs[0]), calls, sizeof(calls) / sizeof(calls[0]),   \
	       want, culprit, __LINE__)

int main(void)
{
	struct sock_fprog p_allow[] = {PROG(allow_all)}, p_memfd[] = {PROG(deny_memfd)},
			  p_ktl[] = {PROG(kill_trap_log)}, p_mmap[] = {PROG(mmap_args)},
			  p_alu[] = {PROG(alu)}, p_two[] = {PROG(allow_all), PROG(deny_memfd)};
	const struct sc_call plain[] = {{"getpid", SYS_getpid, {0}}, {"munmap", SYS_munmap, {0}}},
			     memfd[] = {{"getpid", SYS_getpid, {0}},
					{"memfd_create", SYS_memfd_create, {0}}},
			     writev[] = {{"process_vm_writev", SYS_process_vm_writev, {0}}},
			     mprot[] = {{"mprotect", SYS_mprotect, {0, 4096, PROT_READ}}},
			     madv[] = {{"madvise", SYS_madvise, {0}}},
			     mmap_rw[] = {{"mmap", SYS_mmap, {0x7f0000000000, 4096, PROT_READ}}},
			     mmap_low[] = {{"mmap", SYS_mmap, {0x10000000, 4096, PROT_READ}}},
			     mmap_x[] = {{"mmap", SYS_mmap, {0, 4096, PROT_READ | PROT_EXEC}}};

	EXPECT(p_allow, memfd, 0, NULL);
	EXPECT(p_memfd, plain, 0, NULL);
	EXPECT(p_memfd, memfd, -EPERM, "forbids memfd_create()");
	EXPECT(p_ktl, writev, -EPERM, "forbids process_vm_writev()");
	EXPECT(p_ktl, mprot, -EPERM, "forbids mprotect()");
	EXPECT(p_ktl, madv, 0, NULL);
	EXPECT(p_ktl, plain, 0, NULL);
	EXPECT(p_mmap, mmap_low, 0, NULL);
	EXPECT(p_mmap, mmap_rw, -EPERM, "forbids mmap()");
	EXPECT(p_mmap, mmap_x, -EPERM, "forbids mmap()");
	EXPECT(p_mmap, memfd, 0, NULL);
	EXPECT(p_alu, plain, 0, NULL);
	EXPECT(p_alu, mprot, -EPERM, "forbids mprotect()");
	EXPECT(p_two, plain, 0, NULL);
	EXPECT(p_two, memfd, -EPERM, "forbids memfd_create()");
	return unit_result("seccomp_eval");
}
