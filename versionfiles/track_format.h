/*
 * track_format — the store table: every instruction of an old binary that may store into
 * a variable in coexistence, defined once for polus-mkpatch (which writes it, with
 * capstone, gcc-plugin/mkpatch/mkpatch_track.c) and the runtime in the target (which
 * reads it in its SIGSEGV handler, runtime/rt_track.c; no decoder there).
 *
 * Layout (little-endian, as the target): a struct trk_header, then `nentries` struct
 * trk_entry sorted by `off` (the handler bisects). Offsets are from the image's load
 * base (link-time address minus the image's link base), so one table serves every run.
 *
 * An entry describes one store: [EA] op= SRC, size bytes, where EA is
 *   base + index * scale + disp       (base TRK_REG_RIP: the address of the next
 *                                      instruction, off + len, plus disp)
 * and SRC is register `src` or the immediate `imm` (TRK_F_IMM). Operations:
 *   TRK_OP_MOV      [EA] = SRC                    (also SSE stores from xmm registers)
 *   TRK_OP_ADD..XOR [EA] = [EA] op SRC, flags as the CPU sets them
 *   TRK_OP_INC..NOT [EA] = op [EA] (no SRC)
 *   TRK_OP_XCHG     swap [EA] and register src
 *   TRK_OP_XADD     tmp = [EA]; [EA] += src; src = tmp
 *   TRK_OP_CMPXCHG  if rAX == [EA]: [EA] = src, ZF=1 else rAX = [EA], ZF=0
 *   TRK_OP_SETCC    [EA] = condition `src` (x86 encoding: 0 o, 1 no, 2 b ... 15 g) ? 1 : 0
 * TRK_F_LOCK marks lock-prefixed forms (xchg with memory is always locked).
 * TRK_OP_UNSUPPORTED is a store the handler cannot complete (string stores, shifts...):
 * mkpatch refuses to track a variable such a store may reach.
 */
#ifndef POLUS_TRACK_FORMAT_H
#define POLUS_TRACK_FORMAT_H
#include <stdint.h>

#define TRK_MAGIC 0x4b525450u /* "PTRK" */
#define TRK_VERSION 1u

enum trk_op {
	TRK_OP_UNSUPPORTED = 0,
	TRK_OP_MOV,
	TRK_OP_ADD,
	TRK_OP_SUB,
	TRK_OP_AND,
	TRK_OP_OR,
	TRK_OP_XOR,
	TRK_OP_INC,
	TRK_OP_DEC,
	TRK_OP_NEG,
	TRK_OP_NOT,
	TRK_OP_XCHG,
	TRK_OP_XADD,
	TRK_OP_CMPXCHG,
	TRK_OP_SETCC,
	TRK_OP_COUNT
};

/* Registers: 0..15 the general registers in x86 encoding order (rax rcx rdx rbx rsp rbp
 * rsi rdi r8..r15), the legacy high bytes, rip (base only), xmm0..15 (source only). */
enum trk_reg {
	TRK_REG_RAX = 0,
	TRK_REG_R15 = 15,
	TRK_REG_AH = 16, /* ah ch dh bh: 16..19 */
	TRK_REG_RIP = 20,
	TRK_REG_XMM0 = 32, /* xmm0..xmm15: 32..47 */
	TRK_REG_NONE = 0xff
};

#define TRK_F_LOCK 0x01	   /* lock prefix (or xchg with memory) */
#define TRK_F_IMM 0x02	   /* source is `imm` */
#define TRK_F_EXACT 0x04   /* RIP-relative: EA known at build time to hit a variable */
#define TRK_F_NOFLAGS 0x08 /* the operation leaves EFLAGS alone (mov, xchg, not) */

struct trk_header {
	uint32_t magic, version;
	uint32_t nentries;
	uint32_t entry_size; /* sizeof(struct trk_entry): lets the entry grow */
};

struct trk_entry {
	uint64_t off;  /* instruction offset from the image's load base */
	uint8_t len;   /* instruction length */
	uint8_t op;    /* enum trk_op */
	uint8_t size;  /* bytes stored: 1, 2, 4, 8 or 16 */
	uint8_t flags; /* TRK_F_* */
	uint8_t src;   /* enum trk_reg, TRK_REG_NONE with TRK_F_IMM or no source; setcc: the
			* condition */
	uint8_t base;  /* enum trk_reg or TRK_REG_NONE */
	uint8_t index; /* enum trk_reg or TRK_REG_NONE */
	uint8_t scale; /* 1, 2, 4, 8 */
	int32_t disp;
	uint32_t reserved;
	int64_t imm; /* sign-extended immediate source */
};

#endif
