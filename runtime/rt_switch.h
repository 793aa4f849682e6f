/*
 * rt_switch — the stop-free switch, run inside the target (docs/stopfree.md).
 *
 * A padded function (common/site_rules.h: 5 one-byte NOPs before its address, never
 * executed; at its site, the entry after any endbr64, a first instruction of 2 bytes or
 * more) is switched while every thread runs, the way the kernel's text_poke_bp changes
 * its own code: the `jmp rel32` to the new code goes into the NOPs before the entry;
 * then, for every site of the switch at once and with a membarrier(SYNC_CORE) after each
 * step, an int3 over the first byte of the site's instruction, the short jump's
 * displacement over its second byte, then the short jump's opcode over the int3 (`EB F9`:
 * 7 back; `EB F5`, 11 back, after an endbr64). No thread can stand at the second byte:
 * it is inside an instruction. A thread that reaches a site while its int3 is there
 * traps into our SIGTRAP handler, which waits until every site of the switch is written
 * and resumes it at the site: in the new code. So every site switches as one, and no
 * CPU ever runs a half-written instruction. A revert takes the same steps back to the
 * original two bytes; the jump before the entry stays (a thread may be about to run it),
 * so a later apply to the same function must lead to the same target (-EBUSY otherwise).
 *
 * A call site (`call rel32` to the old function in a caller) is switched by the same
 * steps to call the new code directly: an int3 over its opcode, the new rel32, the opcode
 * back. A patched direct call then costs what a native one does.
 *
 * Raw system calls only, no TLS, no libc state, no allocation: the switch runs on the
 * runtime's own agent thread or a hijacked one, and the handler in any thread. Once
 * begun, a switch always ends and releases every waiting thread, whatever happens to
 * the injector. Traps that are not ours go to the handler the program had (installed
 * again, chaining, if the program replaced ours since the last switch).
 */
#ifndef POLUS_RT_SWITCH_H
#define POLUS_RT_SWITCH_H
#include <stddef.h>
#include <stdint.h>

#define POLUS_RT_MAX_SITES 4096 /* sites of all switches of a process, kept for late traps */

enum { POLUS_RT_ENTRY, POLUS_RT_CALL };

struct polus_rt_swsite {
	uint64_t func;	 /* ENTRY: the function's address (its 5 padding NOPs lie before it) */
	uint64_t site;	 /* ENTRY: its entry after any endbr64; CALL: the call instruction */
	uint64_t target; /* the new code */
	uint8_t orig[5]; /* the site's bytes before the switch: 2 (ENTRY) or 5 (CALL) */
	uint8_t kind;	 /* POLUS_RT_ENTRY or POLUS_RT_CALL */
};

/*
 * Once per process (again is harmless; again in a forked child, whose inherited
 * /proc/self/mem descriptor is its parent's, it opens its own): registers for membarrier
 * SYNC_CORE, opens /proc/self/mem to write code, installs the SIGTRAP handler. 0 or -errno
 * (-ENOSYS: no membarrier SYNC_CORE, the stop-free switch is not possible here).
 */
int polus_rt_switch_init(void);

/*
 * Switches n sites to their targets (revert = 0) or back to their original bytes
 * (revert = 1), all as one. Checks every site's bytes before writing any: -EINVAL (not
 * in the state the direction needs), -ERANGE (a target out of rel32 reach), -EBUSY (a
 * jump to another target before the entry, or a switch running), -ENOSPC (the site
 * table is full), -EPERM (init not done); then writes and returns 0, or -EIO if a write
 * failed (it then brings every site back and still releases every waiter).
 */
int polus_rt_switch(const struct polus_rt_swsite *sites, size_t n, int revert);

/* Threads waiting in the handler now, and traps taken at our sites since init. */
int polus_rt_switch_waiting(void);
unsigned long polus_rt_switch_traps(void);

/*
 * Tests only: called by the switch after each of its steps (1: jumps before the entries,
 * 2: int3s, 3: displacement bytes, 4: opcodes; before the waiters are released).
 */
extern void (*polus_rt_switch_test_hook)(int step);

#endif
