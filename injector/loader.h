/*
 * loader — polus's own loader for patch shared objects (docs/patch-format.md).
 *
 * ld_open reads and checks PATCH.so (an x86-64 ELF shared object with a valid
 * `.polus.version`) and collects its PT_LOAD segments. ld_relocate builds, in the
 * injector's memory, the image as it must appear at a given address in the target:
 * segments copied, bss zeroed, every relocation applied (RELATIVE, 64, GLOB_DAT,
 * JUMP_SLOT, PC32, TPOFF64 for thread-local binds). Undefined `__polus_b_N` symbols are
 * bound from the version file's binds; other undefined symbols go to a resolver callback
 * (the target's libraries). Nothing here touches the target.
 */
#ifndef POLUS_LOADER_H
#define POLUS_LOADER_H
#include "elffile.h"
#include "versionfile.h"

#define LD_MAX_SEGS 16

struct ld_seg {
	uint64_t vaddr, memsz, filesz, offset;
	int prot; /* PROT_* */
};

struct ld_patch {
	uint8_t *file;
	size_t flen;
	struct ef_file ef;
	struct vf_patch vf;
	char build_id[130]; /* of the patch itself, "" if it has none */
	struct ld_seg segs[LD_MAX_SEGS];
	size_t nsegs;
	uint64_t span_lo, span_hi; /* link-time, page-aligned */
	uint64_t relro_lo, relro_hi;
};

/* Error classes of ld_open, for the exit code: */
#define LD_EBADFILE (-1001)    /* missing, unreadable, truncated, corrupt, not an ELF .so */
#define LD_ENOTPATCH (-1002)   /* no .polus.version */
#define LD_EBADVERSION (-1003) /* the version file does not parse or validate */

int ld_open(const char *path, struct ld_patch *p, char *err, size_t errlen);
/* The same for the runtime (build/polus-rt.so): no version file (p->vf stays empty). */
int ld_open_runtime(const char *path, struct ld_patch *p, char *err, size_t errlen);
void ld_close(struct ld_patch *p);

/* Where the base executable is in the target, for binds. */
struct ld_target {
	uint64_t bias;	     /* load bias of the main executable */
	int has_tls;	     /* it has a PT_TLS segment */
	uint64_t tls_offset; /* round_up(memsz, align) of that segment */
	/* Resolves an undefined non-bind symbol: 0 and *value, or -ENOENT / other errno. */
	int (*resolve)(void *ctx, const char *name, uint64_t *value, char *err, size_t errlen);
	void *ctx;
};

struct ld_image {
	uint8_t *buf; /* span_hi - span_lo bytes, to be written at `addr` */
	size_t len;
	uint64_t addr; /* where span_lo lands in the target */
	uint64_t base; /* addr - span_lo: add to the patch's link-time addresses */
	unsigned nrelocs, nbinds, nlibsyms;
};

/* Builds the image for load address `addr` (page-aligned). 0, or -1 with err. */
int ld_relocate(struct ld_patch *p, const struct ld_target *t, uint64_t addr, struct ld_image *img,
		char *err, size_t errlen);
void ld_image_free(struct ld_image *img);

/*
 * Calls fn for each run of pages with the same final protection (PT_GNU_RELRO made
 * read-only), as target addresses relative to img->addr. Stops at the first non-zero.
 */
int ld_each_prot(const struct ld_patch *p, const struct ld_image *img,
		 int (*fn)(void *ctx, uint64_t addr, uint64_t len, int prot), void *ctx);

#endif
