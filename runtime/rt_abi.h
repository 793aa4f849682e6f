/*
 * rt_abi — what polus-apply hands the runtime in the target (build/polus-rt.so), defined
 * once for both sides. Structs start with their own size so they can grow.
 *
 * polus_rt_commit(journal) makes one patch live in one call in the target: it checks
 * that every site still holds its old bytes and the publish byte is still 0, then writes
 * every site's new bytes (through /proc/self/mem, or with each page made writable, and
 * executable if it was, then given its protection back) and last the publish byte: the registry's
 * NUL terminator becomes the first byte of the patch's record, so the record appears exactly when
 * every jump is in place (versionfiles/registry_format.h). Returns 0; -EILSEQ + 0 if the publish
 * byte is not 0, -(RT_ESITE + i) if site i holds other bytes (nothing written); or -errno of a
 * failed mprotect (what was written is written back first). A rollback is the same
 * call the other way (each site's jump is its old bytes, its original bytes the new) with
 * the registry's changed text copied in last (copy_len): the records' state changes
 * exactly when every site is restored.
 */
#ifndef POLUS_RT_ABI_H
#define POLUS_RT_ABI_H
#include <stdint.h>

#include "rt_switch.h"

#define RT_SITE_MAX 16	 /* bytes one site may change (a jmp rel32 and padding) */
#define RT_ESITE 100000	 /* -(RT_ESITE + i): site i does not hold its old bytes */
#define RT_NO_PROCMEM 1	 /* flags: do not write through /proc/self/mem */
#define RT_MPROTECT_OK 2 /* flags: mprotect may be used (when /proc/self/mem cannot) */

struct polus_rt_site {
	uint64_t addr;
	uint32_t len;  /* bytes changed at addr, at most RT_SITE_MAX */
	uint32_t prot; /* PROT_* of its mapping, given back after the write */
	uint8_t old_bytes[RT_SITE_MAX], new_bytes[RT_SITE_MAX];
};

struct polus_rt_journal {
	uint32_t size; /* sizeof(struct polus_rt_journal) */
	uint32_t nsites;
	uint64_t publish;      /* the registry byte that publishes the change */
	uint32_t publish_prot; /* PROT_* of the registry's mapping */
	uint8_t publish_byte;  /* copy_len 0: written at publish (0 there now) */
	uint8_t flags;	       /* RT_* */
	uint8_t pad[2];
	/* copy_len > 0 (a rollback): copy_len bytes from copy_src are written at publish
	 * instead, whose byte now must be publish_byte: the registry's text from its first
	 * changed byte, with its NUL */
	uint64_t copy_src;
	uint64_t copy_len;
	struct polus_rt_site sites[];
};

/*
 * polus_rt_commit_stopfree(journal) makes one patch live with the stop-free switch
 * (rt_switch.h, docs/stopfree.md), run on the runtime's agent while every thread of the
 * program runs: polus_rt_switch_init, the publish byte checked to be 0, every site
 * switched as one, and then the publish byte written (a store: the registry is
 * read-write). One call: a killed polus-apply leaves every site old and the record
 * unpublished, or every site new and the record published. Returns 0; -EILSEQ (a wrong
 * size, the publish byte not 0); -ENOSYS (no membarrier SYNC_CORE); polus_rt_switch's
 * refusals (-EINVAL: a site holds other bytes, -ERANGE, -EBUSY, -ENOSPC), nothing
 * written; -EIO: a write failed and every site was brought back, unpublished.
 */
struct polus_rt_sf_journal {
	uint32_t size; /* sizeof(struct polus_rt_sf_journal) */
	uint32_t nsites;
	uint64_t publish; /* the registry byte that publishes the record (0 now) */
	uint8_t publish_byte;
	uint8_t pad[7];
	struct polus_rt_swsite sites[];
};

/* The exported names the injector looks up in polus-rt.so. */
#define RT_SYM_COMMIT "polus_rt_commit"
#define RT_SYM_TRAMPOLINE "polus_rt_trampoline"
#define RT_SYM_COMMIT_SF "polus_rt_commit_stopfree"
#define RT_SYM_AGENT "polus_rt_agent_start" /* rt_agent.h: int (void), the agent's tid */

#endif
