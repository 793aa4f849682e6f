/*
 * track_cfi — where a frame of the program's own code keeps its return address, from the
 * call frame information of its ELF file (.eh_frame, as GCC writes it by default).
 *
 * Write tracking needs the return-address slot of every active old-writer frame
 * (docs/coexistence.md): the frame's CFA - 8. cfi_cfa runs the CFA program of the FDE
 * holding a link-time pc up to that pc and gives the CFA rule there: a register (rsp or
 * rbp) plus an offset; cfi_row adds what an unwinder through the frames needs (where rbp
 * was saved, the outermost frame). Other registers are not followed: a CFA rule on one of
 * them stops the unwinding. Nothing prints; functions return 0 or a negative errno.
 */
#ifndef POLUS_TRACK_CFI_H
#define POLUS_TRACK_CFI_H
#include "elffile.h"
#include <stddef.h>
#include <stdint.h>

#define CFI_RBP 6 /* DWARF register numbers of x86-64 */
#define CFI_RSP 7

struct cfi {
	char *eh; /* .eh_frame's bytes */
	size_t len;
	uint64_t addr; /* its link-time address */
};

/* Reads f's .eh_frame (-ENOENT without one). */
int cfi_open(struct cfi *c, struct ef_file *f);
void cfi_close(struct cfi *c);

/* The CFA rule at link-time address pc: CFA = *reg + *off. -ENOENT no FDE covers pc,
 * -ENOTSUP an expression or another register, -EINVAL malformed. */
int cfi_cfa(const struct cfi *c, uint64_t pc, int *reg, int64_t *off);

/* The row at pc as an unwinder needs it: the CFA rule, where rbp was saved, and whether
 * the return address is undefined (the outermost frame: _start, a thread's start). */
struct cfi_row {
	int reg;
	int64_t off;
	int rbp_saved;
	int64_t rbp_off; /* rbp at CFA + rbp_off */
	int ra_undef;
};
int cfi_row(const struct cfi *c, uint64_t pc, struct cfi_row *row);

#endif
