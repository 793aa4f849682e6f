/*
 * Unit test of common/site_rules: the verdict on hand-assembled x86-64 functions, the
 * site (after an endbr64) and the span end, and the branch named when one lands inside
 * the bytes the jump replaces.
 */
#include "site_rules.h"
#include "unit_check.h"

#include <stdio.h>
#include <string.h>

#define ADDR 0x401000ull

/* The verdict on `code` as a whole function of that size at ADDR. */
static enum site_verdict check(const uint8_t *code, size_t size, struct site_span *sp)
{
	return site_check(code, size, size, ADDR, sp);
}

static void endbr64_moves_the_site(void)
{
	/* endbr64; push %rbp; mov %rsp,%rbp; xor %eax,%eax; pop %rbp; ret */
	static const uint8_t f[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48,
				    0x89, 0xe5, 0x31, 0xc0, 0x5d, 0xc3};
	struct site_span sp;
	CHECK(check(f, sizeof(f), &sp) == SITE_OK);
	CHECK(sp.endbr && sp.site == ADDR + 4);
	CHECK(sp.end == ADDR + 10); /* push (1) + mov (3) + xor (2): whole instructions */
}

static void plain_entry(void)
{
	/* push %rbp; mov %rsp,%rbp; xor %eax,%eax; pop %rbp; ret */
	static const uint8_t f[] = {0x55, 0x48, 0x89, 0xe5, 0x31, 0xc0, 0x5d, 0xc3};
	struct site_span sp;
	CHECK(check(f, sizeof(f), &sp) == SITE_OK);
	CHECK(!sp.endbr && sp.site == ADDR && sp.end == ADDR + 6);
}

static void too_short(void)
{
	static const uint8_t ret4[] = {0x31, 0xc0, 0xff, 0xc3}; /* 4 bytes */
	/* endbr64; xor %eax,%eax; inc %eax; ret: 9 bytes, 5 after the endbr64 */
	static const uint8_t endbr9[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x31, 0xc0, 0xff, 0xc0, 0xc3};
	struct site_span sp;
	CHECK(check(ret4, sizeof(ret4), &sp) == SITE_TOO_SHORT && !sp.endbr);
	CHECK(check(endbr9, sizeof(endbr9) - 1, &sp) == SITE_TOO_SHORT && sp.endbr);
	CHECK(check(endbr9, sizeof(endbr9), &sp) == SITE_OK); /* exactly 5 after it */
}

static void size_zero(void)
{
	static const uint8_t f[] = {0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3};
	struct site_span sp;
	CHECK(site_check(NULL, 0, 0, ADDR, &sp) == SITE_NO_SIZE);
	/* bytes there or not, a symbol without a size cannot be checked */
	CHECK(site_check(f, sizeof(f), 0, ADDR, &sp) == SITE_NO_SIZE);
}

static void branch_into_span(void)
{
	/* 0: xor %eax,%eax; 2: inc %eax; 4: cmp $10,%eax; 7: jne 2; 9: ret */
	static const uint8_t loop[] = {0x31, 0xc0, 0xff, 0xc0, 0x83, 0xf8, 0x0a, 0x75, 0xf9, 0xc3};
	/* 0: call 1 (into the span); 5: ret */
	static const uint8_t call[] = {0xe8, 0xfc, 0xff, 0xff, 0xff, 0xc3};
	struct site_span sp;
	CHECK(check(loop, sizeof(loop), &sp) == SITE_BRANCH_INTO);
	CHECK(sp.site == ADDR && sp.end == ADDR + 7);
	CHECK(sp.branch_at == ADDR + 7 && sp.branch_to == ADDR + 2);
	CHECK(!strcmp(sp.branch_insn, "jne"));
	CHECK(check(call, sizeof(call), &sp) == SITE_BRANCH_INTO && sp.branch_to == ADDR + 1);
	CHECK(!strcmp(sp.branch_insn, "call"));
}

static void branch_to_site_or_past_span(void)
{
	/* 0: xor; 2: inc; 4: cmp; 7: jne 0 (the site itself: lands on the jump's start) */
	static const uint8_t to_site[] = {0x31, 0xc0, 0xff, 0xc0, 0x83,
					  0xf8, 0x0a, 0x75, 0xf7, 0xc3};
	/* 0: xor; 2: inc; 4: cmp; 7: je 11; 9: jmp 7 (the span's end); 11: ret */
	static const uint8_t past[] = {0x31, 0xc0, 0xff, 0xc0, 0x83, 0xf8,
				       0x0a, 0x74, 0x02, 0xeb, 0xfc, 0xc3};
	struct site_span sp;
	CHECK(check(to_site, sizeof(to_site), &sp) == SITE_OK);
	CHECK(check(past, sizeof(past), &sp) == SITE_OK && sp.end == ADDR + 7);
}

static void jmp_at_entry(void)
{
	/* jmp rel32 elsewhere (a tail call, or a jump polus wrote before) */
	static const uint8_t far[] = {0xe9, 0x00, 0x10, 0x00, 0x00};
	/* jmp . (to itself); nop x3; ret */
	static const uint8_t self[] = {0xeb, 0xfe, 0x90, 0x90, 0x90, 0xc3};
	struct site_span sp;
	CHECK(check(far, sizeof(far), &sp) == SITE_OK && sp.end == ADDR + 5);
	CHECK(check(self, sizeof(self), &sp) == SITE_OK && sp.end == ADDR + 5);
}

static void undecodable_or_past_end(void)
{
	/* 0x06 (push %es) does not exist in 64-bit mode */
	static const uint8_t bad[] = {0x06, 0x06, 0x06, 0x06, 0x06, 0x06};
	/* movabs $imm64,%rax: 10 bytes, as the first instruction of a 6-byte symbol */
	static const uint8_t movabs[] = {0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 0xc3};
	struct site_span sp;
	CHECK(check(bad, sizeof(bad), &sp) == SITE_UNDECODABLE);
	/* only the symbol's 6 bytes given: the instruction does not decode in them */
	CHECK(site_check(movabs, 6, 6, ADDR, &sp) == SITE_UNDECODABLE);
	/* more bytes than the symbol: the span would end past it */
	CHECK(site_check(movabs, sizeof(movabs), 6, ADDR, &sp) == SITE_SPAN_PAST_END);
	CHECK(sp.end == ADDR + 10);
}

/* site_stopfree: the 5 NOPs before the entry, and a first instruction (after any
 * endbr64) of 2 bytes or more, whole inside the function, that no branch lands inside. */
static void stopfree(void)
{
	static const uint8_t nops[5] = {0x90, 0x90, 0x90, 0x90, 0x90};
	static const uint8_t other[5] = {0x90, 0x90, 0x90, 0x90, 0xcc};
	/* mov %edi,%eax (2); add $1,%eax (3); ret */
	static const uint8_t mov2[] = {0x89, 0xf8, 0x83, 0xc0, 0x01, 0xc3};
	/* push %rbx (1); ... */
	static const uint8_t push1[] = {0x53, 0x89, 0xf8, 0x5b, 0xc3};
	/* endbr64; lea 0x1(%rdi),%eax (3); ret */
	static const uint8_t endbr[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x8d, 0x47, 0x01, 0xc3};
	/* endbr64; ret */
	static const uint8_t endbr_ret[] = {0xf3, 0x0f, 0x1e, 0xfa, 0xc3};
	/* mov %edi,%eax (2); jmp to +1, inside it (2) */
	static const uint8_t loop[] = {0x89, 0xf8, 0xeb, 0xfd};
	CHECK(site_stopfree(nops, mov2, sizeof(mov2), sizeof(mov2), ADDR));
	CHECK(!site_stopfree(other, mov2, sizeof(mov2), sizeof(mov2), ADDR));
	CHECK(!site_stopfree(nops, push1, sizeof(push1), sizeof(push1), ADDR));
	CHECK(site_stopfree(nops, endbr, sizeof(endbr), sizeof(endbr), ADDR));
	CHECK(!site_stopfree(nops, endbr_ret, sizeof(endbr_ret), sizeof(endbr_ret), ADDR));
	CHECK(!site_stopfree(nops, loop, sizeof(loop), sizeof(loop), ADDR));
	CHECK(!site_stopfree(nops, mov2, 2, 1, ADDR)); /* the instruction ends past the size */
}

int main(void)
{
	stopfree();
	endbr64_moves_the_site();
	plain_entry();
	too_short();
	size_zero();
	branch_into_span();
	branch_to_site_or_past_span();
	jmp_at_entry();
	undecodable_or_past_end();
	return unit_result("site-test");
}
