/*
 * mkpatch_site — the jump site check on OLD's bytes (see mkpatch_site.h).
 */
#include "mkpatch_site.h"
#include "mkpatch_util.h"
#include <capstone/capstone.h>
#include <string.h>

static const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};

static int is_branch(const cs_detail *d)
{
	for (uint8_t g = 0; g < d->groups_count; g++)
		if (d->groups[g] == CS_GRP_JUMP || d->groups[g] == CS_GRP_CALL)
			return 1;
	return 0;
}

int site_check(const uint8_t *code, size_t len, uint64_t size, uint64_t addr, char *why,
	       size_t whylen)
{
	csh cs;
	cs_insn *insn = NULL;
	size_t count;
	uint64_t site = addr, end = 0;
	int endbr = len >= 4 && !memcmp(code, endbr64, 4);
	int rc = 0;
	if (!size)
		return msg(why, whylen,
			   "OLD's symbol for it has no size: its code cannot be "
			   "checked for the jump"),
		       1;
	if (endbr)
		site += 4;
	if (site + SITE_JMP_LEN > addr + size)
		return msg(why, whylen,
			   "its code in OLD is %llu byte%s long%s, too short for the %d-byte "
			   "jump that redirects it",
			   (unsigned long long)size, size == 1 ? "" : "s",
			   endbr ? " with its endbr64" : "", SITE_JMP_LEN),
		       1;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return msg(why, whylen, "capstone cannot be opened to check its code"), 1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	count = cs_disasm(cs, code, len, addr, 0, &insn);
	for (size_t i = 0; i < count; i++) {
		uint64_t a = insn[i].address, e = a + insn[i].size;
		if (a < site && e > site) {
			rc = msg(why, whylen,
				 "its endbr64 is not followed by an instruction "
				 "boundary in OLD");
			goto out;
		}
		if (a >= site && a < site + SITE_JMP_LEN)
			end = e;
	}
	if (end < site + SITE_JMP_LEN) {
		rc = msg(why, whylen, "its first instructions in OLD cannot be decoded");
		goto out;
	}
	if (end > addr + size) {
		rc = msg(why, whylen,
			 "its code in OLD is %llu bytes long, too short for the %d-byte jump "
			 "that redirects it (its first instructions end at +%llu)",
			 (unsigned long long)size, SITE_JMP_LEN, (unsigned long long)(end - addr));
		goto out;
	}
	/* a branch landing inside the jump would execute half of it */
	for (size_t i = 0; i < count; i++) {
		const cs_detail *d = insn[i].detail;
		if (!d || !is_branch(d))
			continue;
		for (uint8_t o = 0; o < d->x86.op_count; o++) {
			const cs_x86_op *op = &d->x86.operands[o];
			uint64_t t = (uint64_t)op->imm;
			if (op->type != X86_OP_IMM || t <= site || t >= end)
				continue;
			rc = msg(why, whylen,
				 "in OLD the %s at +0x%llx branches to +0x%llx, inside the "
				 "instructions (+0x%llx..+0x%llx) that the jump redirecting it "
				 "overwrites",
				 insn[i].mnemonic, (unsigned long long)(insn[i].address - addr),
				 (unsigned long long)(t - addr), (unsigned long long)(site - addr),
				 (unsigned long long)(end - addr));
			goto out;
		}
	}
out:
	cs_free(insn, count);
	cs_close(&cs);
	return rc ? 1 : 0;
}
