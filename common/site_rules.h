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
/*
 * Padded entries (docs/stopfree.md): the build profile compiles every function with
 * -fpatchable-function-entry=SITE_PAD_BEFORE,SITE_PAD_BEFORE: that many one-byte NOPs
 * before the entry symbol, never executed (nothing at the entry: a call runs no extra
 * instruction). They take a `jmp rel32` to the new code while threads run; the first
 * instruction at the site becomes the short jump back to it (`EB disp8`), which needs it
 * to be SITE_SHORT_JMP_LEN bytes or longer, so that no thread can stand inside the bytes.
 */
#define SITE_PAD_BEFORE 5
#define SITE_PAD_ARG "5,5" /* the option's argument: keep it equal to the above */
#define SITE_SHORT_JMP_LEN 2
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

/*
 * 1 when a function can be switched without stopping threads: the SITE_PAD_BEFORE bytes
 * before its address `addr` (`pre`) are NOPs, and the instruction at its site is whole,
 * SITE_SHORT_JMP_LEN bytes or longer, inside the function, and no direct branch of the
 * function lands inside it. `code`, `len`, `size` as for site_check. The bytes alone do
 * not prove that nothing runs into the NOPs: the unit's `pad` record does (polus-mkpatch
 * checks both).
 */
int site_stopfree(const uint8_t *pre, const uint8_t *code, size_t len, uint64_t size,
		  uint64_t addr);

#endif
