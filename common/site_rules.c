/*
 * site_rules — the patch-site check on a function's bytes (see site_rules.h).
 */
#include "site_rules.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

static const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};

static int is_branch(const cs_detail *d)
{
	for (uint8_t g = 0; g < d->groups_count; g++)
		if (d->groups[g] == CS_GRP_JUMP || d->groups[g] == CS_GRP_CALL)
			return 1;
	return 0;
}

/* The span's end from the decoded instructions; SITE_OK or why there is none. */
static enum site_verdict find_span(const cs_insn *insn, size_t count, struct site_span *sp)
{
	sp->end = 0;
	for (size_t i = 0; i < count; i++) {
		uint64_t a = insn[i].address, e = a + insn[i].size;
		if (a < sp->site && e > sp->site)
			return SITE_NOT_BOUNDARY;
		if (a >= sp->site && a < sp->site + SITE_JMP_LEN)
			sp->end = e;
	}
	/* capstone stops at the first byte it cannot decode: the span may be incomplete */
	return sp->end < sp->site + SITE_JMP_LEN ? SITE_UNDECODABLE : SITE_OK;
}

/* A direct branch or call into (site, end): landing at the site itself is fine. */
static enum site_verdict find_branch_into(const cs_insn *insn, size_t count, struct site_span *sp)
{
	for (size_t i = 0; i < count; i++) {
		const cs_detail *d = insn[i].detail;
		if (!d || !is_branch(d))
			continue;
		for (uint8_t o = 0; o < d->x86.op_count; o++) {
			const cs_x86_op *op = &d->x86.operands[o];
			uint64_t t = (uint64_t)op->imm;
			if (op->type != X86_OP_IMM || t <= sp->site || t >= sp->end)
				continue;
			sp->branch_at = insn[i].address;
			sp->branch_to = t;
			snprintf(sp->branch_insn, sizeof(sp->branch_insn), "%s", insn[i].mnemonic);
			return SITE_BRANCH_INTO;
		}
	}
	return SITE_OK;
}

enum site_verdict site_check(const uint8_t *code, size_t len, uint64_t size, uint64_t addr,
			     struct site_span *sp)
{
	csh cs;
	cs_insn *insn = NULL;
	size_t count;
	enum site_verdict v;
	memset(sp, 0, sizeof(*sp));
	sp->endbr = len >= 4 && memcmp(code, endbr64, 4) == 0;
	sp->site = addr + (sp->endbr ? 4 : 0);
	if (!size)
		return SITE_NO_SIZE;
	if (sp->site + SITE_JMP_LEN > addr + size)
		return SITE_TOO_SHORT;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return SITE_NO_DISASSEMBLER;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	count = cs_disasm(cs, code, len, addr, 0, &insn);
	if ((v = find_span(insn, count, sp)) == SITE_OK) {
		if (sp->end > addr + size)
			v = SITE_SPAN_PAST_END;
		else
			v = find_branch_into(insn, count, sp);
	}
	cs_free(insn, count);
	cs_close(&cs);
	return v;
}

int site_stopfree(const uint8_t *pre, const uint8_t *code, size_t len, uint64_t size, uint64_t addr)
{
	struct site_span sp = {0};
	csh cs;
	cs_insn *insn = NULL;
	size_t count, at = len >= 4 && memcmp(code, endbr64, 4) == 0 ? 4 : 0;
	int ok = 0;
	for (size_t i = 0; i < SITE_PAD_BEFORE; i++)
		if (pre[i] != 0x90)
			return 0;
	if (!size || len < at + SITE_SHORT_JMP_LEN ||
	    cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 0;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	count = cs_disasm(cs, code, len, addr, 0, &insn);
	sp.site = addr + at;
	sp.end = sp.site + SITE_SHORT_JMP_LEN;
	for (size_t i = 0; i < count; i++)
		if (insn[i].address == sp.site)
			ok = insn[i].size >= SITE_SHORT_JMP_LEN &&
			     sp.site + insn[i].size <= addr + size &&
			     find_branch_into(insn, count, &sp) == SITE_OK;
	cs_free(insn, count);
	cs_close(&cs);
	return ok;
}
