/*
 * seccomp_eval — a classic-BPF interpreter for seccomp filters (see seccomp_eval.h).
 * It follows the kernel's checker: a program that does anything outside the seccomp
 * subset counts as refusing.
 */
#include "seccomp_eval.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

struct sdata { /* struct seccomp_data, built by hand to stay layout-exact */
	int32_t nr;
	uint32_t arch;
	uint64_t ip;
	uint64_t args[6];
};

/* Runs one program; returns the filter's 32-bit result, or 0 (KILL) for a bad program. */
static uint32_t run(const struct sock_filter *p, size_t n, const struct sdata *d)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {0};
	const uint8_t *raw = (const uint8_t *)d;
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &p[pc];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? X : i->k;
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			if (i->code == (BPF_LD | BPF_W | BPF_ABS)) {
				if (i->k > sizeof(*d) - 4 || i->k % 4)
					return 0;
				memcpy(&A, raw + i->k, 4);
			} else if (i->code == (BPF_LD | BPF_W | BPF_LEN)) {
				A = sizeof(*d);
			} else if (i->code == (BPF_LD | BPF_IMM)) {
				A = i->k;
			} else if (i->code == (BPF_LD | BPF_MEM)) {
				if (i->k >= BPF_MEMWORDS)
					return 0;
				A = M[i->k];
			} else {
				return 0;
			}
			break;
		case BPF_LDX:
			if (i->code == (BPF_LDX | BPF_W | BPF_LEN))
				X = sizeof(*d);
			else if (i->code == (BPF_LDX | BPF_IMM))
				X = i->k;
			else if (i->code == (BPF_LDX | BPF_MEM) && i->k < BPF_MEMWORDS)
				X = M[i->k];
			else
				return 0;
			break;
		case BPF_ST:
		case BPF_STX:
			if (i->k >= BPF_MEMWORDS)
				return 0;
			M[i->k] = BPF_CLASS(i->code) == BPF_ST ? A : X;
			break;
		case BPF_ALU:
			switch (BPF_OP(i->code)) {
			case BPF_ADD:
				A += src;
				break;
			case BPF_SUB:
				A -= src;
				break;
			case BPF_MUL:
				A *= src;
				break;
			case BPF_DIV:
				if (!src)
					return 0;
				A /= src;
				break;
			case BPF_MOD:
				if (!src)
					return 0;
				A %= src;
				break;
			case BPF_OR:
				A |= src;
				break;
			case BPF_AND:
				A &= src;
				break;
			case BPF_XOR:
				A ^= src;
				break;
			case BPF_LSH:
				A = src < 32 ? A << src : 0;
				break;
			case BPF_RSH:
				A = src < 32 ? A >> src : 0;
				break;
			case BPF_NEG:
				A = -A;
				break;
			default:
				return 0;
			}
			break;
		case BPF_JMP: {
			int take;
			if (BPF_OP(i->code) == BPF_JA) {
				pc += i->k;
				break;
			}
			switch (BPF_OP(i->code)) {
			case BPF_JEQ:
				take = A == src;
				break;
			case BPF_JGT:
				take = A > src;
				break;
			case BPF_JGE:
				take = A >= src;
				break;
			case BPF_JSET:
				take = (A & src) != 0;
				break;
			default:
				return 0;
			}
			pc += take ? i->jt : i->jf;
			break;
		}
		case BPF_RET:
			return BPF_RVAL(i->code) == BPF_A ? A : i->k;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		default:
			return 0;
		}
	}
	return 0; /* fell off the end */
}

static int allowed(uint32_t ret)
{
	uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
	return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
}

int sc_check(pid_t tid, uint64_t ip, const struct sc_call *calls, size_t n, char *err,
	     size_t errlen)
{
	for (unsigned long idx = 0;; idx++) {
		long cnt = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)idx, NULL);
		struct sock_filter *prog;
		if (cnt < 0) {
			if (errno == ENOENT && idx > 0)
				return 0; /* all filters checked */
			int e = errno;
			snprintf(err, errlen,
				 "thread %d runs under a seccomp filter that cannot be read (%s)",
				 (int)tid, strerror(e));
			return -(e ? e : EACCES);
		}
		if (!(prog = calloc((size_t)cnt, sizeof(*prog))))
			return -ENOMEM;
		if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)idx, prog) != cnt) {
			int e = errno;
			free(prog);
			snprintf(err, errlen, "cannot read the seccomp filter of thread %d: %s",
				 (int)tid, strerror(e));
			return -(e ? e : EIO);
		}
		for (size_t c = 0; c < n; c++) {
			struct sdata d;
			memset(&d, 0, sizeof(d));
			d.nr = calls[c].nr;
			d.arch = AUDIT_ARCH_X86_64;
			d.ip = ip;
			memcpy(d.args, calls[c].args, sizeof(d.args));
			uint32_t r = run(prog, (size_t)cnt, &d);
			if (!allowed(r)) {
				snprintf(err, errlen,
					 "the seccomp filter of thread %d forbids %s(), which the "
					 "injector needs",
					 (int)tid, calls[c].name);
				free(prog);
				return -EPERM;
			}
		}
		free(prog);
	}
}
