/*
 * mkpatch_data — the patch's sync/ folder: variables in coexistence and checks.
 *
 * data_generate writes, for each variable the plan puts in coexistence, sync/ID.c
 * (mkpatch_sync) and a copy of polus_recover.h beside it; data_compile compiles every
 * .c file of the folder (the generated ones and the author's own checks) into objects
 * the patch links; data_fill lists them in the version file (`data`). Refusals (a stub
 * left to the author, a function that locks or allocates) are collected, one line each
 * naming the file and the field or function. Nothing prints.
 */
#ifndef POLUS_MKPATCH_DATA_H
#define POLUS_MKPATCH_DATA_H
#include "elffile.h"
#include "meta.h"
#include "mkpatch_plan.h"
#include "mkpatch_sync.h"
#include "versionfile.h"

struct data_build {
	char *dir;		 /* the sync/ folder */
	struct sync_result *res; /* per plan.coexist */
	char **files, **objs;	 /* every .c of dir and its object */
	size_t nfiles, capfiles, nobjs, capobjs;
	char **refusals;
	size_t nrefusals, caprefusals;
	uint64_t *old_addr; /* per plan.coexist: OLD's copy (link-time), from data_track */
	char *track_note;   /* why the patch carries no store table (malloc'd), or NULL */
};

/* dir: where sync/ goes (beside OUT.so unless given); header: polus_recover.h to copy.
 * 0, or -1 with err (refusals are not errors: see db->nrefusals). */
int data_generate(struct data_build *db, const struct plan *p, const struct meta_build *ob,
		  const struct meta_build *nb, const char *dir, const char *header, char *err,
		  size_t errlen);
/*
 * The store table of every variable in coexistence (mkpatch_track: trk_scan_var over OLD
 * and its record `ob`), compiled into an object added to db->objs, so polus-apply can
 * track old code's writes instead of waiting for it to return. A variable that cannot be
 * tracked (a store into its pages that the runtime cannot complete, a writer missing from
 * OLD) leaves the patch without a table: db->track_note says why. 0, or -1 with err.
 */
int data_track(struct data_build *db, const struct plan *p, struct ef_file *old,
	       const struct meta_build *ob, const char *driver, const char *tmpdir, char *err,
	       size_t errlen);
/* Compiles the folder's files with `driver` into tmpdir; 0, or -1 with err. */
int data_compile(struct data_build *db, const char *driver, const char *tmpdir, char *err,
		 size_t errlen);
/* The version file's `data` entries, from the linked patch's symbols. */
void data_fill(const struct data_build *db, const struct plan *p, struct ef_file *patch,
	       struct vf_patch *vf);
void data_free(struct data_build *db, const struct plan *p);

#endif
