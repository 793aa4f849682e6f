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
};

/* dir: where sync/ goes (beside OUT.so unless given); header: polus_recover.h to copy.
 * 0, or -1 with err (refusals are not errors: see db->nrefusals). */
int data_generate(struct data_build *db, const struct plan *p, const struct meta_build *ob,
		  const struct meta_build *nb, const char *dir, const char *header, char *err,
		  size_t errlen);
/* Compiles the folder's files with `driver` into tmpdir; 0, or -1 with err. */
int data_compile(struct data_build *db, const char *driver, const char *tmpdir, char *err,
		 size_t errlen);
/* The version file's `data` entries, from the linked patch's symbols. */
void data_fill(const struct data_build *db, const struct plan *p, struct ef_file *patch,
	       struct vf_patch *vf);
void data_free(struct data_build *db, const struct plan *p);

#endif
