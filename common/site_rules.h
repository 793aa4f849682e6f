/*
 * site_rules — where polus writes its jump in an old function, and whether that is safe,
 * decided from the function's bytes alone: the one rule polus-mkpatch checks on OLD's
 * file (so a patch polus-apply would refuse is refused when built) and polus-apply
 * checks on the live process before writing.
 *
 * The site is the entry, after an endbr64 if there is one. The span is the whole
 * instructions from the site that the 5-byte `jmp rel32` overwrites; it must lie inside
 * the function, and no direct branch of the function may land strictly inside it (a
 * branch there would execute half of the jump). Pure: no I/O, nothing printed; each tool
 * words the verdict itself. Threads and stacks are the injector's business.
 */
#ifndef POLUS_SITE_RULES_H
#define POLUS_SITE_RULES_H
#include <stddef.h>
#include <stdint.h>

#define SITE_JMP_LEN 5
/* Longest prefix of a function decoded for the branch check. */
#define SITE_MAX_CODE (1u << 20)

enum site_verdict {
	SITE_OK,
	SITE_NO_SIZE,	      /* the symbol's size is 0: its code cannot be checked */
	SITE_TOO_SHORT,	      /* size, after an endbr64, is below SITE_JMP_LEN */
	SITE_NOT_BOUNDARY,    /* an instruction straddles the site (a bad endbr64) */
	SITE_UNDECODABLE,     /* the instructions under the jump do not decode */
	SITE_SPAN_PAST_END,   /* those instructions end past the function (span.end) */
	SITE_BRANCH_INTO,     /* a branch of the function lands inside the span */
	SITE_NO_DISASSEMBLER, /* capstone cannot be opened */
};

struct site_span {
	uint64_t site; /* where the jump goes */
	uint64_t end;  /* end of the last whole instruction it overwrites (0 if unknown) */
	int endbr;     /* the function starts with endbr64 */
	uint64_t branch_at, branch_to; /* SITE_BRANCH_INTO: the branch and where it lands */
	char branch_insn[32];	       /* and its mnemonic */
};

/* `code`: the function's first `len` bytes (normally min(size, SITE_MAX_CODE); code may
 * be NULL when len is 0), `size` its symbol size, `addr` its address. Fills *span as far
 * as the check got. */
enum site_verdict site_check(const uint8_t *code, size_t len, uint64_t size, uint64_t addr,
			     struct site_span *span);

#endif
