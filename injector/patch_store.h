/*
 * patch_store — a folder of patches (docs/patch-store.md), and the choice, per process,
 * of the patches it needs and their order.
 *
 * Layout: STORE/BUILD-ID/NN-NAME.so, BUILD-ID the build the patch applies to (its
 * version file's target-build-id), NN its place in that build's chain (01 for a patch on
 * the bare build, 02 for one that requires one patch below it...). The folder name and
 * NN are for people and for cheap lookup: what is chosen comes from each patch's own
 * version file (target-build-id, requires, its own build-id).
 *
 * pst_single makes a store of one patch (polus-apply --all BINARY PATCH.so), so one
 * choice serves both. Functions return 0 or a PX_* code with one line in err; nothing
 * prints.
 */
#ifndef POLUS_PATCH_STORE_H
#define POLUS_PATCH_STORE_H
#include "registry.h"
#include <stddef.h>

struct pst_patch {
	char *path, *name;
	char *build_id;	 /* the patch's own, lower-case hex */
	char *target;	 /* the build it applies to */
	char **requires; /* build-ids of patches that must be applied first */
	size_t nrequires;
};

struct pst_store {
	struct pst_patch *v; /* by build, then by place in the chain */
	size_t n;
	int single; /* one patch named on the command line: always chosen until applied */
};

/* Reads every DIR/BUILD-ID/ *.so, each checked as polus-apply would open it. */
int pst_open(const char *dir, struct pst_store *s, char *err, size_t errlen);
int pst_single(const char *path, struct pst_store *s, char *err, size_t errlen);
void pst_close(struct pst_store *s);

/* The store holds a patch for build bid. */
int pst_has_build(const struct pst_store *s, const char *bid);

/*
 * The patches a process running build bid with the registry records applied[0..n) needs
 * next, in order: indices into s->v in out[0..max), their count returned. A chain is
 * linear (polus-mkpatch: a patch requires exactly every patch below it), so the next
 * patch is one that requires exactly what is applied and chosen so far (of two such, the
 * first in name order). A patch already applied is never chosen. A single-patch store
 * chooses its patch unless applied: polus-apply itself then says why it does not fit.
 */
size_t pst_plan(const struct pst_store *s, const char *bid, const struct reg_patch *applied,
		size_t napplied, size_t *out, size_t max);

/* The store path of a patch (STORE/TARGET/NN-NAME.so) into buf: 0, or -ENAMETOOLONG. */
int pst_path(const char *dir, const char *target, size_t nrequires, const char *name, char *buf,
	     size_t len);

#endif
