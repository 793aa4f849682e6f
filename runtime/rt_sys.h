/*
 * rt_sys — raw system calls for the runtime's code in targets: no errno, no TLS, no
 * libc, so they may run on a thread libc does not know (the agent) or in a signal
 * handler. Each returns the kernel's value: a result, or -errno.
 */
#ifndef POLUS_RT_SYS_H
#define POLUS_RT_SYS_H

static inline long rt_sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define rt_sys3(n, a, b, c) rt_sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define rt_sys4(n, a, b, c, d) rt_sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

#endif
