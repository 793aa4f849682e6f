/*
 * patch_site — where the jump to new code goes, and whether it is safe to write now.
 *
 * ps_prepare reads a function of the target and applies common/site_rules (the rule
 * polus-mkpatch checked on OLD's file): the site (its entry, after an endbr64 if there
 * is one) and the span of whole instructions that a 5-byte `jmp rel32` there
 * overwrites; it refuses a function shorter than that, and one whose own code branches
 * into the span. ps_busy then checks the stopped threads: none
 * may have rip strictly inside a span, nor a return address or signal-frame ip
 * (found by a conservative scan of PS_STACK_SCAN bytes above rsp, and above the stack
 * pointer saved in each signal frame found there if it points elsewhere: a handler on
 * an alternate stack). ps_write writes the
 * jump. A site the version file calls padded stays so only if the target's bytes still show
 * the padded entry and an instruction the short jump can replace (common/site_rules
 * site_stopfree). ps_threads_in finds, the same way, the threads that run a whole function (for
 * the warnings about functions that never return). Nothing prints.
 */
#ifndef POLUS_PATCH_SITE_H
#define POLUS_PATCH_SITE_H
#include "ptrace_ctl.h"
#include "site_rules.h"
#include <stddef.h>
#include <stdint.h>

#define PS_JMP_LEN SITE_JMP_LEN
#define PS_STACK_SCAN (32 * 1024)
#define PS_MAX_STACKS 4 /* a thread's stack and those its signal frames interrupted */

struct ps_site {
	const char *name;
	uint64_t func, size; /* run-time address and size of the old function */
	uint64_t site;	     /* where the jump goes */
	uint64_t end;	     /* end of the last instruction the jump overlaps */
	uint64_t target;     /* new code, run-time */
	uint8_t orig[16];    /* bytes at site before the jump */
	size_t norig;	     /* = PS_JMP_LEN */
	int padded;	     /* in: the version file says padded; out: and the live bytes show it */
};

/* 0, -EINVAL (unsafe by site_rules: err says), -EIO (unreadable), -ENOMEM. */
int ps_prepare(int memfd, struct ps_site *s, char *err, size_t errlen);

/*
 * 0 if no stopped thread of g is inside any site's span; else 1, with the first offending
 * function and thread named in err.
 */
int ps_busy(const struct ps_site *sites, size_t n, struct pt_group *g, int memfd, char *err,
	    size_t errlen);

/*
 * The stopped threads of g that run code in [lo, hi): rip there, or a word of the stack
 * scan (return addresses, signal frames; conservative) there. Up to max tids stored;
 * returns their count or -ENOMEM.
 */
int ps_threads_in(const struct pt_group *g, int memfd, uint64_t lo, uint64_t hi, pid_t *tids,
		  size_t max);

/* The bytes of `jmp target` at the site; rel32 must reach (-ERANGE otherwise). */
int ps_encode(const struct ps_site *s, uint8_t j[PS_JMP_LEN]);
/* Writes `jmp target` at the site; rel32 must reach (-ERANGE otherwise). */
int ps_write(int memfd, const struct ps_site *s);

#endif
