/*
 * rt_commit — the in-target switch of a patch (see rt_abi.h). It runs in a thread that
 * polus-apply hijacked while every other thread is stopped, called through
 * rt_trampoline.S: if polus-apply dies meanwhile, the thread still finishes it, so the
 * process never holds some jumps of a patch and not others.
 *
 * How the code is written: through /proc/self/mem, like polus-apply's own writes through
 * /proc/PID/mem: the kernel copies the page and the mapping stays as it is. mprotect
 * (writable, still executable, then the protection back) is the fallback where /proc
 * is not mounted in the target's namespace, when polus-apply allows it (rt_abi.h): it
 * splits the mapping for good (a private file mapping made writable keeps its
 * accounting flag), so it is not the first choice.
 *
 * Freestanding: raw system calls, no libc call, no stack protector (the thread's canary
 * is the program's), nothing exported but polus_rt_*.
 */
#include "rt_abi.h"

#include <stddef.h>

#define PROT_WRITE 0x2
#define PAGE 4096ul
#define SYS_pwrite64 18
#define SYS_close 3
#define SYS_mprotect 10
#define SYS_openat 257
#define AT_FDCWD -100
#define O_RDWR 02
#define O_CLOEXEC 02000000
#define EILSEQ 84

static long rt_syscall4(long nr, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static long rt_syscall3(long nr, long a, long b, long c)
{
	return rt_syscall4(nr, a, b, c, 0);
}

/* The pages holding [addr, addr + len) get protection prot. */
static long protect(uint64_t addr, uint32_t len, uint32_t prot)
{
	uint64_t lo = addr & ~(PAGE - 1), hi = (addr + len + PAGE - 1) & ~(PAGE - 1);
	return rt_syscall3(SYS_mprotect, (long)lo, (long)(hi - lo), (long)prot);
}

static int same(const volatile uint8_t *p, const uint8_t *q, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != q[i])
			return 0;
	return 1;
}

/* Writes n bytes at addr: through memfd (/proc/self/mem) if >= 0, else with its pages
 * writable meanwhile. */
static long poke(long memfd, uint64_t addr, const uint8_t *src, uint32_t n, uint32_t prot)
{
	if (memfd >= 0) {
		long w = rt_syscall4(SYS_pwrite64, memfd, (long)src, n, (long)addr);
		return w == (long)n ? 0 : w < 0 ? w : -EILSEQ;
	}
	long rc = protect(addr, n, prot | PROT_WRITE);
	if (rc)
		return rc;
	volatile uint8_t *dst = (volatile uint8_t *)addr;
	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[i];
	return protect(addr, n, prot);
}

/* /proc/self/mem opened for writing, or a negative errno. */
static long open_self_mem(void)
{
	static const char path[] = "/proc/self/mem";
	return rt_syscall4(SYS_openat, AT_FDCWD, (long)path, O_RDWR | O_CLOEXEC, 0);
}

/* Every site, then the publish byte; on a failure what was written is written back. */
static long write_all(const struct polus_rt_journal *j, long memfd)
{
	uint32_t done;
	long rc = 0;
	for (done = 0; done < j->nsites && !rc; done++)
		rc = poke(memfd, j->sites[done].addr, j->sites[done].new_bytes, j->sites[done].len,
			  j->sites[done].prot);
	if (!rc && j->copy_len)
		rc = poke(memfd, j->publish, (const uint8_t *)j->copy_src, (uint32_t)j->copy_len,
			  j->publish_prot);
	else if (!rc)
		rc = poke(memfd, j->publish, &j->publish_byte, 1, j->publish_prot);
	if (!rc)
		return 0;
	for (uint32_t k = 0; k < done; k++) /* the process keeps all of its old code */
		poke(memfd, j->sites[k].addr, j->sites[k].old_bytes, j->sites[k].len,
		     j->sites[k].prot);
	return rc;
}

__attribute__((visibility("default"))) long polus_rt_commit(const struct polus_rt_journal *j)
{
	uint32_t i;
	long memfd, rc;
	if (j->size != sizeof(*j))
		return -EILSEQ;
	if (*(volatile uint8_t *)j->publish != (j->copy_len ? j->publish_byte : 0))
		return -EILSEQ;
	for (i = 0; i < j->nsites; i++) {
		const struct polus_rt_site *s = &j->sites[i];
		if (s->len > RT_SITE_MAX ||
		    !same((volatile uint8_t *)s->addr, s->old_bytes, s->len))
			return -(RT_ESITE + (long)i);
	}
	memfd = j->flags & RT_NO_PROCMEM ? -1 : open_self_mem();
	if (memfd < 0 && !(j->flags & RT_MPROTECT_OK))
		return memfd < 0 ? memfd : -EILSEQ;
	rc = write_all(j, memfd);
	if (memfd >= 0)
		rt_syscall3(SYS_close, memfd, 0, 0);
	return rc;
}
