/*
 * track_unwind — the call frames of a stopped thread of the target, from the call frame
 * information of the files mapped there (.eh_frame, track_cfi), for write tracking: the
 * exact frames of the old writers and their return-address slots (docs/coexistence.md).
 *
 * tu_walk starts at the thread's rip, rsp and rbp and follows each frame's CFA rule to its
 * caller's (return address at CFA - 8, rbp where the rule says it was saved). It is
 * complete when it reaches the outermost frame (a return address the CFI marks undefined:
 * _start, a thread's start in libc); it stops short, incomplete, at code of no file
 * (a JIT, an earlier patch's image), a frame whose rule it cannot follow (a signal frame's
 * expressions), or a return address it cannot read. Nothing prints.
 */
#ifndef POLUS_TRACK_UNWIND_H
#define POLUS_TRACK_UNWIND_H
#include "procfs.h"
#include "track_cfi.h"
#include <sys/user.h>

struct tu_module {
	uint64_t lo, hi, bias; /* an executable mapping and its file's load bias */
	char *path;
	struct cfi cfi;
	int state; /* 0 not read yet, 1 its .eh_frame read, -1 none */
};

struct tu_ctx {
	struct tu_module *m;
	size_t n;
	int memfd;
};

/* The executable file mappings of maps (read when first needed). 0 or -ENOMEM. */
int tu_init(struct tu_ctx *u, const struct pf_maps *maps, int memfd);
void tu_free(struct tu_ctx *u);

/*
 * Calls visit(ctx, pc, cfa) for each frame from the innermost out (pc: the frame's
 * instruction, its return address for the callers; cfa: its canonical frame address, the
 * return-address slot is cfa - 8); a non-zero visit stops the walk with that value.
 * Returns 1 complete, 0 stopped short (incomplete), or visit's value.
 */
int tu_walk(struct tu_ctx *u, const struct user_regs_struct *r,
	    int (*visit)(void *ctx, uint64_t pc, uint64_t cfa), void *ctx);

#endif
