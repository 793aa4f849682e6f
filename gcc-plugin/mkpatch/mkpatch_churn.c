/*
 * mkpatch_churn — instruction-wise comparison of two copies of a function (see
 * mkpatch_churn.h).
 */
#include "mkpatch_churn.h"
#include "mkpatch_util.h"
#include <capstone/capstone.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#define CHURN_MAX_CODE (1u << 20)

struct code {
	const struct ef_file *ei;
	const struct ef_sym *fn;
	cs_insn *insn;
	size_t n;
	int *literal_changed; /* set when a literal both copies refer to reads differently */
};

static int decode(csh cs, const struct ef_file *ei, const struct ef_sym *s, struct code *c,
		  char *err, size_t errlen)
{
	size_t len = s->size < CHURN_MAX_CODE ? s->size : CHURN_MAX_CODE;
	uint8_t *buf = xmalloc(len ? len : 1);
	c->ei = ei;
	c->fn = s;
	c->insn = NULL;
	c->literal_changed = NULL;
	c->n = 0;
	if (!len || ef_read_addr(ei, s->value, buf, len, err, errlen)) {
		free(buf);
		return len ? -1 : msg(err, errlen, "%s has no size", s->name);
	}
	c->n = cs_disasm(cs, buf, len, s->value, 0, &c->insn);
	free(buf);
	return 0;
}

/* The symbol whose [value, value+size) holds addr (a function or object), or NULL. */
static const struct ef_sym *sym_at(const struct ef_file *ei, uint64_t addr)
{
	for (size_t i = 0; i < ei->nsyms; i++) {
		const struct ef_sym *s = &ei->syms[i];
		if (!s->defined || (s->type != STT_FUNC && s->type != STT_OBJECT))
			continue;
		if (addr == s->value || (addr > s->value && addr < s->value + s->size))
			return s;
	}
	return NULL;
}

/* Whether the NUL-terminated literals (up to 256 bytes) at ta and tb read the same. */
static int same_literal(const struct ef_file *ea, uint64_t ta, const struct ef_file *eb,
			uint64_t tb)
{
	char err[128];
	for (unsigned i = 0; i < 256; i++) {
		uint8_t ca, cb;
		int ra = ef_read_addr(ea, ta + i, &ca, 1, err, sizeof(err));
		int rb = ef_read_addr(eb, tb + i, &cb, 1, err, sizeof(err));
		if (ra || rb)
			return ra && rb;
		if (ca != cb)
			return 0;
		if (!ca)
			return 1;
	}
	return 1;
}

/* Whether two targets (branch destinations or RIP-relative data) name the same thing:
 * the same offset inside each function, the same symbol and offset, or data no symbol
 * names on both sides (a literal: a constant). */
static int same_target(const struct code *a, uint64_t ta, const struct code *b, uint64_t tb)
{
	int ina = ta >= a->fn->value && ta < a->fn->value + a->fn->size;
	int inb = tb >= b->fn->value && tb < b->fn->value + b->fn->size;
	if (ina || inb)
		return ina && inb && ta - a->fn->value == tb - b->fn->value;
	const struct ef_sym *sa = sym_at(a->ei, ta), *sb = sym_at(b->ei, tb);
	if (!sa && !sb && !same_literal(a->ei, ta, b->ei, tb))
		*a->literal_changed = 1;
	if (!sa || !sb)
		return !sa && !sb;
	return !strcmp(sa->name, sb->name) && ta - sa->value == tb - sb->value;
}

static int is_branch(const cs_insn *in)
{
	const cs_detail *d = in->detail;
	for (uint8_t g = 0; g < d->groups_count; g++)
		if (d->groups[g] == CS_GRP_JUMP || d->groups[g] == CS_GRP_CALL)
			return 1;
	return 0;
}

static int same_operand(const struct code *a, const cs_insn *ia, const cs_x86_op *oa,
			const struct code *b, const cs_insn *ib, const cs_x86_op *ob)
{
	if (oa->type != ob->type || oa->size != ob->size)
		return 0;
	switch (oa->type) {
	case X86_OP_REG:
		return oa->reg == ob->reg;
	case X86_OP_IMM:
		/* a branch's immediate is its destination; any other one is a constant */
		return !is_branch(ia) || same_target(a, (uint64_t)oa->imm, b, (uint64_t)ob->imm);
	case X86_OP_MEM:
		if (oa->mem.base != ob->mem.base || oa->mem.index != ob->mem.index ||
		    oa->mem.scale != ob->mem.scale || oa->mem.segment != ob->mem.segment)
			return 0;
		if (oa->mem.base != X86_REG_RIP)
			return 1; /* a displacement: a constant (an offset, an index) */
		return same_target(a, ia->address + ia->size + (uint64_t)oa->mem.disp, b,
				   ib->address + ib->size + (uint64_t)ob->mem.disp);
	default:
		return 1;
	}
}

static int same_insn(const struct code *a, const cs_insn *ia, const struct code *b,
		     const cs_insn *ib)
{
	const cs_x86 *xa = &ia->detail->x86, *xb = &ib->detail->x86;
	if (ia->id != ib->id || xa->op_count != xb->op_count)
		return 0;
	for (uint8_t o = 0; o < xa->op_count; o++)
		if (!same_operand(a, ia, &xa->operands[o], b, ib, &xb->operands[o]))
			return 0;
	return 1;
}

static int open_cs(csh *cs)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, cs) != CS_ERR_OK)
		return -1;
	cs_option(*cs, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

int churn_constants_only(const struct ef_file *old, const struct ef_sym *os,
			 const struct ef_file *new, const struct ef_sym *ns, char *err,
			 size_t errlen)
{
	csh cs;
	struct code a, b;
	int same;
	if (open_cs(&cs))
		return msg(err, errlen, "capstone cannot be opened to compare code");
	if (decode(cs, old, os, &a, err, errlen)) {
		cs_close(&cs);
		return -1;
	}
	if (decode(cs, new, ns, &b, err, errlen)) {
		cs_free(a.insn, a.n);
		cs_close(&cs);
		return -1;
	}
	int literal_changed = 0;
	a.literal_changed = b.literal_changed = &literal_changed;
	same = a.n && a.n == b.n;
	for (size_t i = 0; same && i < a.n; i++)
		same = same_insn(&a, &a.insn[i], &b, &b.insn[i]);
	/* a number alone is a fix of the logic (a limit, a step): only a changed string
	 * makes it churn, with what follows from it (its length) */
	same = same && literal_changed;
	cs_free(a.insn, a.n);
	cs_free(b.insn, b.n);
	cs_close(&cs);
	return same;
}

int churn_never_returns(const struct ef_file *ei, const struct ef_sym *s)
{
	csh cs;
	struct code c;
	char err[256];
	int returns = 0;
	if (open_cs(&cs))
		return 0;
	if (decode(cs, ei, s, &c, err, sizeof(err)) || !c.n) {
		cs_close(&cs);
		return 0;
	}
	for (size_t i = 0; i < c.n && !returns; i++) {
		const cs_insn *in = &c.insn[i];
		const cs_x86 *x = &in->detail->x86;
		if (in->id == X86_INS_RET || in->id == X86_INS_RETF)
			returns = 1;
		else if (in->id == X86_INS_JMP) /* a tail call, or through a register */
			returns = x->op_count != 1 || x->operands[0].type != X86_OP_IMM ||
				  (uint64_t)x->operands[0].imm < s->value ||
				  (uint64_t)x->operands[0].imm >= s->value + s->size;
	}
	cs_free(c.insn, c.n);
	cs_close(&cs);
	return !returns;
}
