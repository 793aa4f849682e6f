/*
 * reuse — applying a patch again after polus-rollback: its image is still mapped in the
 * target (a rollback never unmaps it), so polus-apply writes the jumps to it again
 * instead of loading another copy, and apply/rollback cycles do not grow the process.
 *
 * ru_find picks, among the registry's records, the rolled-back one of the patch's build
 * (its image's address is the record's LOAD-ADDR). ru_check makes sure that image is
 * still there and is this patch relocated for that address: the target maps
 * "polus:NAME" there, and every page the image keeps read-only (code, constants, the
 * GOT once protected) holds exactly the bytes ld_relocate builds for it; the writable
 * pages hold the patch's own variables, which keep their values. Nothing prints.
 */
#ifndef POLUS_REUSE_H
#define POLUS_REUSE_H
#include "loader.h"
#include "procfs.h"
#include "registry.h"

/* The rolled-back record of build `build_id` in v[0..n), or NULL. */
const struct reg_patch *ru_find(const struct reg_patch *v, size_t n, const char *build_id);

/*
 * 0 if img (relocated for the record's address) is what the target holds there; else 1
 * with the reason in err (load another copy instead), or -ENOMEM.
 */
int ru_check(int memfd, const struct pf_maps *maps, const struct ld_patch *lp,
	     const struct ld_image *img, char *err, size_t errlen);

#endif
