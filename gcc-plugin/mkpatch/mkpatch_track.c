/*
 * mkpatch_track — builds the store table of write tracking from the old binary's code
 * (contract in mkpatch_track.h, format in versionfiles/track_format.h).
 *
 * Capstone tells, for each instruction, which operand is a memory destination and how
 * its address is formed; this file maps that to the few operations the runtime's handler
 * can complete from a signal context without a decoder of its own.
 */
#include "mkpatch_track.h"
#include "mkpatch_run.h"
#include "mkpatch_util.h"
#include <stdio.h>
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const op_names[TRK_OP_COUNT] = {
    "unsupported", "mov", "add", "sub",	 "and",	 "or",	    "xor",   "inc",
    "dec",	   "neg", "not", "xchg", "xadd", "cmpxchg", "setcc",
};

/* setcc instructions in the order of their x86 condition code */
static const x86_insn setcc[16] = {
    X86_INS_SETO,  X86_INS_SETNO, X86_INS_SETB,	 X86_INS_SETAE, X86_INS_SETE, X86_INS_SETNE,
    X86_INS_SETBE, X86_INS_SETA,  X86_INS_SETS,	 X86_INS_SETNS, X86_INS_SETP, X86_INS_SETNP,
    X86_INS_SETL,  X86_INS_SETGE, X86_INS_SETLE, X86_INS_SETG,
};

static int setcc_code(unsigned id)
{
	for (int i = 0; i < 16; i++)
		if (setcc[i] == id)
			return i;
	return -1;
}

const char *trk_op_name(unsigned op)
{
	return op < TRK_OP_COUNT ? op_names[op] : "?";
}

/* The general register families in x86 encoding order, each 64/32/16/8-bit name. */
static const x86_reg gpr[16][4] = {
    {X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL},
    {X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL},
    {X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL},
    {X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL},
    {X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL},
    {X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL},
    {X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL},
    {X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL},
    {X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B},
    {X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B},
    {X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B},
    {X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B},
    {X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B},
    {X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B},
    {X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B},
    {X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B},
};

/* capstone register -> enum trk_reg (TRK_REG_NONE: none or not one the handler reads). */
static uint8_t map_reg(x86_reg r)
{
	if (r == X86_REG_INVALID)
		return TRK_REG_NONE;
	if (r == X86_REG_RIP)
		return TRK_REG_RIP;
	if (r >= X86_REG_XMM0 && r <= X86_REG_XMM15)
		return (uint8_t)(TRK_REG_XMM0 + (r - X86_REG_XMM0));
	static const x86_reg high[4] = {X86_REG_AH, X86_REG_CH, X86_REG_DH, X86_REG_BH};
	for (int i = 0; i < 4; i++)
		if (r == high[i])
			return (uint8_t)(TRK_REG_AH + i);
	for (int i = 0; i < 16; i++)
		for (int w = 0; w < 4; w++)
			if (gpr[i][w] == r)
				return (uint8_t)i;
	return TRK_REG_NONE;
}

/* The operation of a store instruction (its memory destination is operand `mi`). */
static enum trk_op op_of(const cs_insn *in, int mi)
{
	const cs_x86 *x = &in->detail->x86;
	int src_is_mem = x->op_count > 1 && x->operands[1 - (mi > 0)].type == X86_OP_MEM;
	switch (in->id) {
	case X86_INS_MOV:
	case X86_INS_MOVABS:
	case X86_INS_MOVAPS:
	case X86_INS_MOVUPS:
	case X86_INS_MOVAPD:
	case X86_INS_MOVUPD:
	case X86_INS_MOVDQA:
	case X86_INS_MOVDQU:
	case X86_INS_MOVQ:
	case X86_INS_MOVD:
	case X86_INS_MOVSS:
	case X86_INS_MOVSD: /* also the string movsd: its source is memory */
	case X86_INS_MOVLPS:
	case X86_INS_MOVLPD:
	case X86_INS_MOVNTI:
		return src_is_mem ? TRK_OP_UNSUPPORTED : TRK_OP_MOV;
	case X86_INS_ADD:
		return TRK_OP_ADD;
	case X86_INS_SUB:
		return TRK_OP_SUB;
	case X86_INS_AND:
		return TRK_OP_AND;
	case X86_INS_OR:
		return TRK_OP_OR;
	case X86_INS_XOR:
		return TRK_OP_XOR;
	case X86_INS_INC:
		return TRK_OP_INC;
	case X86_INS_DEC:
		return TRK_OP_DEC;
	case X86_INS_NEG:
		return TRK_OP_NEG;
	case X86_INS_NOT:
		return TRK_OP_NOT;
	case X86_INS_XCHG:
		return TRK_OP_XCHG;
	case X86_INS_XADD:
		return TRK_OP_XADD;
	case X86_INS_CMPXCHG:
		return TRK_OP_CMPXCHG;
	default:
		return setcc_code(in->id) >= 0 ? TRK_OP_SETCC : TRK_OP_UNSUPPORTED;
	}
}

/* Fills e's source from the operand that is not the destination. */
static int set_source(struct trk_entry *e, unsigned id, const cs_x86 *x, int mi)
{
	e->src = TRK_REG_NONE;
	if (e->op == TRK_OP_SETCC) {
		e->src = (uint8_t)setcc_code(id);
		return x->op_count == 1 ? 0 : -1;
	}
	if (e->op >= TRK_OP_INC && e->op <= TRK_OP_NOT)
		return x->op_count == 1 ? 0 : -1;
	if (x->op_count != 2)
		return -1;
	const cs_x86_op *s = &x->operands[1 - mi];
	if (s->type == X86_OP_IMM) {
		if (e->op >= TRK_OP_XCHG)
			return -1;
		e->flags |= TRK_F_IMM;
		e->imm = s->imm;
		return 0;
	}
	if (s->type != X86_OP_REG)
		return -1;
	e->src = map_reg(s->reg);
	if (e->src == TRK_REG_NONE || e->src == TRK_REG_RIP)
		return -1;
	/* xmm sources only for plain stores; general ones never wider than 8 bytes */
	if (e->src >= TRK_REG_XMM0)
		return e->op == TRK_OP_MOV ? 0 : -1;
	return e->size <= 8 ? 0 : -1;
}

static int overlaps(uint64_t lo, uint64_t hi, const struct trk_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lo < r[i].hi && r[i].lo < hi)
			return 1;
	return 0;
}

/* The link-time address of a RIP-relative or absolute memory operand; 0 if register based. */
static int fixed_address(const cs_insn *in, const x86_op_mem *m, uint64_t *ea)
{
	if (m->index != X86_REG_INVALID)
		return 0;
	if (m->base == X86_REG_RIP) {
		*ea = in->address + in->size + (uint64_t)m->disp;
		return 1;
	}
	if (m->base == X86_REG_INVALID) {
		*ea = (uint64_t)m->disp;
		return 1;
	}
	return 0;
}

static void count_lea(const cs_insn *in, const struct trk_range *r, size_t nr, struct trk_table *t)
{
	const cs_x86 *x = &in->detail->x86;
	uint64_t ea;
	if (in->id == X86_INS_LEA && x->op_count == 2 && x->operands[1].type == X86_OP_MEM &&
	    fixed_address(in, &x->operands[1].mem, &ea) && overlaps(ea, ea + 1, r, nr))
		t->addr_taken++;
}

/* The entry for instruction `in` if it stores to a memory operand that may reach r. */
static int store_entry(const cs_insn *in, uint64_t link_base, const struct trk_range *r, size_t nr,
		       int indirect, struct trk_entry *e)
{
	const cs_x86 *x = &in->detail->x86;
	int mi = -1;
	/* capstone 4 marks cmpxchg's memory operand read-only: it is written too */
	int rmw = in->id == X86_INS_CMPXCHG || in->id == X86_INS_CMPXCHG8B ||
		  in->id == X86_INS_CMPXCHG16B;
	for (int i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM &&
		    (rmw || (x->operands[i].access & CS_AC_WRITE)))
			mi = i;
	if (mi < 0)
		return 0;
	const cs_x86_op *d = &x->operands[mi];
	/* thread-local data, and the stack through %rsp, are never a global */
	if (d->mem.segment == X86_REG_FS || d->mem.segment == X86_REG_GS ||
	    (d->mem.base == X86_REG_RSP && d->mem.index == X86_REG_INVALID))
		return 0;
	memset(e, 0, sizeof(*e));
	uint64_t ea;
	if (fixed_address(in, &d->mem, &ea)) {
		if (!overlaps(ea, ea + d->size, r, nr))
			return 0;
		e->flags |= TRK_F_EXACT;
	} else if (!indirect) {
		return 0;
	}
	e->off = in->address - link_base;
	e->len = (uint8_t)in->size;
	e->size = d->size;
	e->base = map_reg(d->mem.base);
	e->index = map_reg(d->mem.index);
	e->scale = (uint8_t)d->mem.scale;
	e->disp = (int32_t)d->mem.disp;
	e->op = (uint8_t)op_of(in, mi);
	if (x->prefix[0] == X86_PREFIX_LOCK || e->op == TRK_OP_XCHG)
		e->flags |= TRK_F_LOCK;
	if (e->op == TRK_OP_MOV || e->op == TRK_OP_XCHG || e->op == TRK_OP_NOT ||
	    e->op == TRK_OP_SETCC)
		e->flags |= TRK_F_NOFLAGS;
	int sizes_ok = e->size == 1 || e->size == 2 || e->size == 4 || e->size == 8 ||
		       (e->size == 16 && e->op == TRK_OP_MOV);
	if (e->op != TRK_OP_UNSUPPORTED && (!sizes_ok || set_source(e, in->id, x, mi) < 0 ||
					    (e->base == TRK_REG_NONE && d->mem.base) ||
					    (e->index == TRK_REG_NONE && d->mem.index)))
		e->op = TRK_OP_UNSUPPORTED;
	return 1;
}

int trk_scan_code(const uint8_t *code, size_t len, uint64_t addr, uint64_t link_base,
		  const struct trk_range *ranges, size_t nranges, int indirect, struct trk_table *t,
		  char *err, size_t errlen)
{
	csh cs;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return msg(err, errlen, "capstone cannot be opened to scan stores");
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_insn *in = cs_malloc(cs);
	const uint8_t *p = code;
	size_t left = len;
	uint64_t a = addr;
	while (left > 0) {
		if (!cs_disasm_iter(cs, &p, &left, &a, in)) {
			/* padding or data: step one byte, as the code after it still counts */
			p++, left--, a++;
			continue;
		}
		struct trk_entry e;
		count_lea(in, ranges, nranges, t);
		if (!store_entry(in, link_base, ranges, nranges, indirect, &e))
			continue;
		t->unsupported += e.op == TRK_OP_UNSUPPORTED;
		VEC_PUSH(t->e, t->n, t->cap, e);
	}
	cs_free(in, 1);
	cs_close(&cs);
	return 0;
}

int trk_scan_sym(struct ef_file *f, const struct ef_sym *s, const struct trk_range *ranges,
		 size_t nranges, int indirect, struct trk_table *t, char *err, size_t errlen)
{
	uint64_t base;
	if (ef_link_base(f, &base) < 0)
		return msg(err, errlen, "%s: no loadable segment", f->path);
	uint8_t *code = xmalloc(s->size ? s->size : 1);
	int rc = ef_read_addr(f, s->value, code, s->size, err, errlen);
	if (rc == 0)
		rc = trk_scan_code(code, s->size, s->value, base, ranges, nranges, indirect, t, err,
				   errlen);
	free(code);
	return rc < 0 ? -1 : 0;
}

int trk_scan_fn(struct ef_file *f, const char *name, const char *file,
		const struct trk_range *ranges, size_t nranges, int indirect, struct trk_table *t,
		char *err, size_t errlen)
{
	const struct ef_sym *s = ef_find(f, name, file, file != NULL);
	if (!s || s == &ef_ambiguous)
		return msg(err, errlen, "%s: function %s %s", f->path, name,
			   s ? "is ambiguous" : "not found");
	return trk_scan_sym(f, s, ranges, nranges, indirect, t, err, errlen);
}

/* Every function of f, for RIP-relative stores into `ranges` only. */
int trk_scan_all(struct ef_file *f, const struct trk_range *ranges, size_t nranges,
		 struct trk_table *t, char *err, size_t errlen)
{
	for (size_t i = 0; i < f->nsyms; i++) {
		const struct ef_sym *s = &f->syms[i];
		if (s->type == STT_FUNC && s->defined && s->size &&
		    trk_scan_sym(f, s, ranges, nranges, 0, t, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The variable record of KEY in unit u, or NULL. */
static const struct meta_var *var_named(const struct meta_unit *u, const char *key)
{
	for (size_t i = 0; i < u->nvars; i++)
		if (!strcmp(u->vars[i].key, key))
			return &u->vars[i];
	return NULL;
}

/* Adds to `w` (source or emitted names of u) every function writing `key` and every body
 * one of them was inlined into, until nothing changes. */
static void writers_of(const struct meta_unit *u, const char *key, struct smap *w)
{
	for (size_t i = 0; i < u->nuses; i++)
		if (!strcmp(u->uses[i].kind, "write") && !strcmp(u->uses[i].target, key))
			smap_put(w, u->uses[i].fn, 1);
	for (size_t grew = 1; grew;) {
		grew = 0;
		for (size_t i = 0; i < u->ninlines; i++)
			if (smap_get(w, u->inlines[i].b) >= 0 && smap_get(w, u->inlines[i].a) < 0) {
				smap_put(w, u->inlines[i].a, 1);
				grew = 1;
			}
	}
}

/* Scans every emitted body of u that is a writer or a clone of one. */
static int scan_writers(struct ef_file *old, const struct meta_unit *u, const struct smap *w,
			const struct trk_range *pages, struct trk_table *t, char *err,
			size_t errlen)
{
	for (size_t i = 0; i < u->nemits; i++) {
		const char *asm_name = u->emits[i].a, *origin = u->emits[i].b;
		if (smap_get(w, asm_name) < 0 && smap_get(w, origin) < 0)
			continue;
		const struct meta_fn *fn = meta_fn_named(u, origin, 0);
		int local = (fn && fn->is_static) || strcmp(asm_name, origin) != 0;
		if (trk_scan_fn(old, asm_name, local ? u->src : NULL, pages, 1, 1, t, err, errlen) <
		    0)
			return -1;
	}
	return 0;
}

int trk_scan_var(struct ef_file *old, const struct meta_build *b, size_t unit, const char *key,
		 struct trk_range *pages, struct trk_table *t, char *err, size_t errlen)
{
	const struct meta_var *v = unit < b->nunits ? var_named(&b->units[unit], key) : NULL;
	if (!v || !strcmp(v->asm_name, "-"))
		return msg(err, errlen, "variable %s has no storage in OLD's record", key);
	int global = !strcmp(v->scope, "global");
	const struct ef_sym *s =
	    ef_find(old, v->asm_name, global ? NULL : b->units[unit].src, !global);
	if (!s || s == &ef_ambiguous)
		return msg(err, errlen, "%s: symbol %s of variable %s %s", old->path, v->asm_name,
			   key, s ? "is ambiguous" : "not found");
	pages->lo = s->value & ~4095ULL;
	pages->hi = (s->value + s->size + 4095) & ~4095ULL;
	for (size_t i = 0; i < b->nunits; i++) {
		if (!global && i != unit)
			continue;
		struct smap w = {0};
		writers_of(&b->units[i], key, &w);
		int rc = scan_writers(old, &b->units[i], &w, pages, t, err, errlen);
		smap_free(&w);
		if (rc < 0)
			return -1;
	}
	return trk_scan_all(old, pages, 1, t, err, errlen);
}

static int by_off(const void *a, const void *b)
{
	const struct trk_entry *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

int trk_encode(struct trk_table *t, uint8_t **buf, size_t *len)
{
	qsort(t->e, t->n, sizeof(*t->e), by_off);
	size_t n = 0; /* one entry per instruction (a function scanned twice) */
	for (size_t i = 0; i < t->n; i++)
		if (n == 0 || t->e[n - 1].off != t->e[i].off)
			t->e[n++] = t->e[i];
	t->n = n;
	struct trk_header h = {TRK_MAGIC, TRK_VERSION, (uint32_t)n, sizeof(struct trk_entry)};
	*len = sizeof(h) + n * sizeof(*t->e);
	*buf = malloc(*len);
	if (!*buf)
		return -1;
	memcpy(*buf, &h, sizeof(h));
	if (n)
		memcpy(*buf + sizeof(h), t->e, n * sizeof(*t->e));
	return 0;
}

void trk_free(struct trk_table *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

int trk_write_object(const uint8_t *buf, size_t len, const char *driver, const char *tmpdir,
		     char **obj, char *err, size_t errlen)
{
	char *bin = xasprintf("%s/track.bin", tmpdir), *src = xasprintf("%s/track.S", tmpdir);
	char *o = xasprintf("%s/track.o", tmpdir);
	FILE *f = fopen(bin, "w");
	int rc = !f || fwrite(buf, 1, len, f) != len;
	if (f && fclose(f))
		rc = 1;
	if (rc)
		rc = msg(err, errlen, "%s: cannot write: %m", bin);
	if (!rc && !(f = fopen(src, "w")))
		rc = msg(err, errlen, "%s: cannot write: %m", src);
	if (!rc) {
		/* exported (default visibility), so --gc-sections keeps it */
		fprintf(f,
			"\t.section .polus.track,\"a\",@progbits\n\t.balign 8\n"
			"\t.globl " TRK_SYMBOL "\n\t.type " TRK_SYMBOL ", @object\n" TRK_SYMBOL
			":\n\t.incbin \"%s\"\n\t.size " TRK_SYMBOL ", %zu\n"
			"\t.section .note.GNU-stack,\"\",@progbits\n",
			bin, len);
		if (fclose(f))
			rc = msg(err, errlen, "%s: cannot write: %m", src);
	}
	char *argv[] = {(char *)driver, "-c", "-o", o, src, NULL};
	if (!rc && run_argv(argv, NULL, err, errlen))
		rc = -1;
	unlink(src);
	unlink(bin);
	free(src);
	free(bin);
	if (rc) {
		free(o);
		return -1;
	}
	*obj = o;
	return 0;
}
