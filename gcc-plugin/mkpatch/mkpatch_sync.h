/*
 * mkpatch_sync — the sync, check and recover code of a variable whose type changed.
 *
 * For each such variable polus-mkpatch writes one readable C file, DIR/ID.c, from the two
 * recorded layouts (`var` type texts and `type` layouts of OLD and NEW): accessor macros
 * for every field of both copies, polus_sync_ID_old2new and polus_sync_ID_new2old (fields
 * matched by name, added ones left at their initializer, removed ones dropped, scalars
 * converted as C converts them, arrays up to the shorter length, nested structs field by
 * field), and polus_check_ID / polus_recover_ID stubs for the author. A field no rule
 * carries safely (unrelated types, a union whose layout changed, an anonymous member) is
 * left as `#error` naming it: the file does not compile until the author fills it in.
 * A file that exists is the author's and kept, as long as its `polus-sync:` line still
 * names the same two layouts. The functions run with every thread of the program stopped
 * (runtime/polus_recover.h): they must not lock or allocate, which sync_forbidden checks
 * in the compiled object. Nothing prints; errors are one line in err.
 */
#ifndef POLUS_MKPATCH_SYNC_H
#define POLUS_MKPATCH_SYNC_H
#include "meta.h"
#include <stddef.h>

/* One variable to sync: its records in OLD (unit ou) and NEW (unit nu). */
struct sync_var {
	const char *key, *unit;
	const struct meta_var *old, *new;
	int ou, nu;
	const char *id;	    /* C identifier: names the file and its functions */
	const char *oldsym; /* the patch's symbol of OLD's copy (a bind) */
	const char *newsym; /* the patch's symbol of its new copy */
};

/* What sync_write found: the fields left to the author (each "FIELD: WHY", malloc'd) and
 * a one-line summary of what the generated sync carries. */
struct sync_result {
	char **stubs;
	size_t nstubs, capstubs;
	char *covers;
	int kept; /* the file existed and was kept (the author's) */
};

/* The first place in v's type that holds a lock or an atomic ("stats.lock
 * (pthread_mutex_t)", malloc'd), or NULL. */
char *sync_lock_field(const struct meta_build *b, int unit, const struct meta_var *v);

/* Writes DIR/ID.c for sv (unless kept); 0, or -1 with err. */
int sync_write(const struct meta_build *ob, const struct meta_build *nb, const struct sync_var *sv,
	       const char *dir, struct sync_result *r, char *err, size_t errlen);
void sync_result_free(struct sync_result *r);

/* The functions of a compiled sync object that lock, allocate or may block (malloc,
 * pthread_mutex_lock, printf...): a comma-separated list (malloc'd) or NULL. */
char *sync_forbidden(const char *obj_path, char *err, size_t errlen, int *failed);

/* The C identifier of a variable KEY (`api/calls#2` -> `api__calls_2`, malloc'd). */
char *sync_ident(const char *key);

#endif
