/*
 * track_cfi — CFA rules from .eh_frame (see track_cfi.h). The subset GCC and the assembler
 * emit: CIEs with the z, R, P, L, S augmentations, pointer encodings absptr, udata and
 * sdata 2/4/8, uleb/sleb, pc-relative or absolute; the CFA instructions of DWARF 3/4.
 */
#include "track_cfi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct rd {
	const uint8_t *p, *end;
	uint64_t at; /* link-time address of *p */
	int bad;
};

static uint64_t u8(struct rd *r)
{
	if (r->p >= r->end)
		return r->bad = 1, 0;
	r->at++;
	return *r->p++;
}

static uint64_t uN(struct rd *r, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= u8(r) << (8 * i);
	return v;
}

static uint64_t uleb(struct rd *r)
{
	uint64_t v = 0;
	for (int sh = 0; sh < 64 && !r->bad; sh += 7) {
		uint64_t b = u8(r);
		v |= (b & 0x7f) << sh;
		if (!(b & 0x80))
			break;
	}
	return v;
}

static int64_t sleb(struct rd *r)
{
	uint64_t v = 0, b = 0x80;
	int sh = 0;
	while ((b & 0x80) && sh < 64 && !r->bad) {
		b = u8(r);
		v |= (b & 0x7f) << sh;
		sh += 7;
	}
	if (sh < 64 && (b & 0x40))
		v |= ~0ULL << sh;
	return (int64_t)v;
}

/* A pointer in encoding enc (DW_EH_PE_*); indirect and aligned forms are refused. */
static uint64_t enc_ptr(struct rd *r, int enc)
{
	uint64_t at = r->at, v;
	switch (enc & 0x0f) {
	case 0x00:
		v = uN(r, 8);
		break;
	case 0x01:
		v = uleb(r);
		break;
	case 0x02:
		v = uN(r, 2);
		break;
	case 0x03:
		v = uN(r, 4);
		break;
	case 0x04:
		v = uN(r, 8);
		break;
	case 0x09:
		v = (uint64_t)sleb(r);
		break;
	case 0x0a:
		v = (uint64_t)(int16_t)uN(r, 2);
		break;
	case 0x0b:
		v = (uint64_t)(int32_t)uN(r, 4);
		break;
	case 0x0c:
		v = uN(r, 8);
		break;
	default:
		r->bad = 1;
		return 0;
	}
	if ((enc & 0x70) == 0x10)
		v += at;
	else if (enc & 0x70)
		r->bad = 1;
	return v;
}

struct cie {
	uint64_t code_align;
	int64_t data_align;
	int fde_enc, has_z;
	const uint8_t *ins, *ins_end;
};

static int parse_cie(const struct cfi *c, const uint8_t *p, struct cie *ci)
{
	const uint8_t *base = (const uint8_t *)c->eh;
	uint32_t len = (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
	if (len == 0xffffffffu || p + 4 + len > base + c->len)
		return -EINVAL;
	struct rd r = {p + 8, p + 4 + len, c->addr + (uint64_t)(p + 8 - base), 0};
	int version = (int)u8(&r);
	const char *aug = (const char *)r.p;
	while (r.p < r.end && *r.p)
		u8(&r);
	u8(&r);
	ci->code_align = uleb(&r);
	ci->data_align = sleb(&r);
	if (version == 1)
		u8(&r);
	else
		uleb(&r);
	ci->fde_enc = 0;
	ci->has_z = aug[0] == 'z';
	if (ci->has_z) {
		uint64_t alen = uleb(&r);
		const uint8_t *after = r.p + alen;
		for (const char *a = aug + 1; *a && !r.bad; a++) {
			if (*a == 'R')
				ci->fde_enc = (int)u8(&r);
			else if (*a == 'P')
				enc_ptr(&r, (int)u8(&r));
			else if (*a == 'L')
				u8(&r);
		}
		if (after > r.end)
			return -EINVAL;
		r.at += (uint64_t)(after - r.p);
		r.p = after;
	} else if (aug[0]) {
		return -ENOTSUP;
	}
	ci->ins = r.p;
	ci->ins_end = r.end;
	return r.bad ? -EINVAL : 0;
}

struct rule {
	int reg;
	int64_t off;
	int expr;      /* the CFA, rbp or the return address by an expression */
	int rbp_saved; /* rbp saved at CFA + rbp_off */
	int64_t rbp_off;
	int ra_undef; /* the outermost frame */
};

#define CFI_RA 16

/* Register reg's rule: saved at CFA + off (how 1), restored to init's (2), not saved
 * (same value or undefined: 0; undefined marks the return address of the outermost frame),
 * by an expression (3). Only rbp and the return address matter here. */
static void reg_rule(struct rule *cur, const struct rule *init, uint64_t reg, int how, int64_t off,
		     int undefined)
{
	if (reg == CFI_RBP) {
		cur->rbp_saved = how == 1 || (how == 2 && init->rbp_saved);
		cur->rbp_off = how == 2 ? init->rbp_off : off;
		cur->expr |= how == 3;
	} else if (reg == CFI_RA) {
		cur->ra_undef = how == 2 ? init->ra_undef : undefined;
		cur->expr |= how == 3;
	}
}

/* Runs CFA instructions [p, end) from loc while loc <= pc; updates *cur. */
static int run(struct rd *r, const struct cie *ci, uint64_t loc, uint64_t pc, struct rule *cur,
	       const struct rule *init)
{
	struct rule stack[8];
	int depth = 0;
	while (r->p < r->end && !r->bad) {
		uint64_t op = u8(r), delta = 0, reg;
		switch (op >> 6) {
		case 1:
			delta = (op & 0x3f) * ci->code_align;
			break;
		case 2:
			reg_rule(cur, init, op & 0x3f, 1, (int64_t)uleb(r) * ci->data_align, 0);
			continue;
		case 3:
			reg_rule(cur, init, op & 0x3f, 2, 0, 0);
			continue;
		}
		if (op >> 6 == 0) {
			switch (op) {
			case 0x00:
			case 0x2e: /* GNU_args_size */
				if (op)
					uleb(r);
				continue;
			case 0x05:
				reg = uleb(r);
				reg_rule(cur, init, reg, 1, (int64_t)uleb(r) * ci->data_align, 0);
				continue;
			case 0x11:
				reg = uleb(r);
				reg_rule(cur, init, reg, 1, sleb(r) * ci->data_align, 0);
				continue;
			case 0x06:
				reg_rule(cur, init, uleb(r), 2, 0, 0);
				continue;
			case 0x07:
			case 0x08:
				reg_rule(cur, init, uleb(r), 0, 0, op == 0x07);
				continue;
			case 0x09:
			case 0x14:
			case 0x2f:
				reg = uleb(r);
				uleb(r);
				reg_rule(cur, init, reg, 3, 0, 0);
				continue;
			case 0x15:
				reg = uleb(r);
				sleb(r);
				reg_rule(cur, init, reg, 3, 0, 0);
				continue;
			case 0x01:
				delta = enc_ptr(r, ci->fde_enc) - loc;
				break;
			case 0x02:
			case 0x03:
			case 0x04:
				delta = uN(r, op == 2 ? 1 : op == 3 ? 2 : 4) * ci->code_align;
				break;
			case 0x0a:
				if (depth < 8)
					stack[depth++] = *cur;
				continue;
			case 0x0b:
				*cur = depth ? stack[--depth] : *init;
				continue;
			case 0x0c:
				cur->reg = (int)uleb(r);
				cur->off = (int64_t)uleb(r);
				cur->expr &= ~4;
				continue;
			case 0x0d:
				cur->reg = (int)uleb(r);
				continue;
			case 0x0e:
				cur->off = (int64_t)uleb(r);
				continue;
			case 0x12:
				cur->reg = (int)uleb(r);
				cur->off = sleb(r) * ci->data_align;
				cur->expr &= ~4;
				continue;
			case 0x13:
				cur->off = sleb(r) * ci->data_align;
				continue;
			case 0x0f: /* def_cfa_expression */
				cur->expr |= 4;
				r->p += uleb(r), r->at = 0;
				continue;
			case 0x10:
			case 0x16:
				reg = uleb(r);
				r->p += uleb(r);
				reg_rule(cur, init, reg, 3, 0, 0);
				continue;
			default:
				return -ENOTSUP;
			}
		}
		if (loc + delta > pc)
			return 0;
		loc += delta;
	}
	return r->bad ? -EINVAL : 0;
}

/* The FDE at p covers pc: its rule there into *out. 1 covered, 0 not, < 0 error. */
static int try_fde(const struct cfi *c, const uint8_t *p, uint32_t len, uint64_t pc,
		   struct rule *out)
{
	const uint8_t *base = (const uint8_t *)c->eh;
	uint32_t id = (uint32_t)(p[4] | p[5] << 8 | p[6] << 16 | (uint32_t)p[7] << 24);
	const uint8_t *cp = p + 4 - id;
	struct cie ci;
	if (cp < base || cp >= p)
		return -EINVAL;
	int rc = parse_cie(c, cp, &ci);
	if (rc)
		return rc;
	struct rd r = {p + 8, p + 4 + len, c->addr + (uint64_t)(p + 8 - base), 0};
	uint64_t lo = enc_ptr(&r, ci.fde_enc), n = enc_ptr(&r, ci.fde_enc & 0x0f);
	if (r.bad)
		return -EINVAL;
	if (pc < lo || pc >= lo + n)
		return 0;
	if (ci.has_z) {
		uint64_t alen = uleb(&r);
		r.p += alen;
	}
	struct rule init = {CFI_RSP, 8, 0, 0, 0, 0};
	struct rd ri = {ci.ins, ci.ins_end, 0, 0};
	if ((rc = run(&ri, &ci, lo, ~0ULL, &init, &init)) < 0)
		return rc;
	*out = init;
	if ((rc = run(&r, &ci, lo, pc, out, &init)) < 0)
		return rc;
	return 1;
}

int cfi_row(const struct cfi *c, uint64_t pc, struct cfi_row *row)
{
	const uint8_t *p = (const uint8_t *)c->eh, *end = p + c->len;
	while (p + 8 <= end) {
		uint32_t len = (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
		if (len == 0)
			break;
		if (len == 0xffffffffu || p + 4 + len > end)
			return -EINVAL;
		uint32_t id = (uint32_t)(p[4] | p[5] << 8 | p[6] << 16 | (uint32_t)p[7] << 24);
		struct rule ru;
		int rc = id ? try_fde(c, p, len, pc, &ru) : 0;
		if (rc < 0)
			return rc;
		if (rc) {
			if (ru.expr || (ru.reg != CFI_RSP && ru.reg != CFI_RBP))
				return -ENOTSUP;
			*row =
			    (struct cfi_row){ru.reg, ru.off, ru.rbp_saved, ru.rbp_off, ru.ra_undef};
			return 0;
		}
		p += 4 + len;
	}
	return -ENOENT;
}

int cfi_cfa(const struct cfi *c, uint64_t pc, int *reg, int64_t *off)
{
	struct cfi_row row;
	int rc = cfi_row(c, pc, &row);
	if (rc == 0) {
		*reg = row.reg;
		*off = row.off;
	}
	return rc;
}

int cfi_open(struct cfi *c, struct ef_file *f)
{
	GElf_Shdr sh;
	Elf_Data *d;
	char err[256];
	memset(c, 0, sizeof(*c));
	if (ef_section(f, ".eh_frame", &sh, &d) != 0)
		return -ENOENT;
	if (ef_section_copy(f, ".eh_frame", &c->eh, &c->len, err, sizeof(err)) != 0)
		return -EINVAL;
	c->addr = sh.sh_addr;
	return 0;
}

void cfi_close(struct cfi *c)
{
	free(c->eh);
	memset(c, 0, sizeof(*c));
}
