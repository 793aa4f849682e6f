/*
 * rollback_data — the variables whose type an undone patch changed (its registry `back`
 * lines): before the old code takes over again, their values go back to the old copies.
 *
 * With every thread stopped, rd_busy finds a thread running code of such a patch (rip or
 * a return address in one of its image's executable mappings: the conservative stack
 * scan of patch_site): its invocation would keep writing the new copy after the sync, so
 * polus-rollback lets the threads go and tries again, as polus-apply waits for old
 * writers. rd_sync_back then runs each variable's sync new -> old in one stopped thread
 * (rs_fncall, crash-safe: it writes only the old copy, which no code uses while the patch
 * is applied, so a rollback that dies before its commit leaves nothing wrong). Nothing
 * prints.
 */
#ifndef POLUS_ROLLBACK_DATA_H
#define POLUS_ROLLBACK_DATA_H
#include "procfs.h"
#include "remote_syscall.h"
#include "rollback.h"

#define RD_WAIT_MS 3000 /* how long polus-rollback waits for new code to return */

/* How many variables the plan's patches sync back. */
size_t rd_count(const struct rb_ctx *c);

/*
 * 1 if a thread of g runs code of a patch of the plan with variables to sync back (what:
 * "new code of patch P runs in thread T (COMM)"), 0 if none, or -ENOMEM.
 */
int rd_busy(const struct rb_ctx *c, const struct pf_maps *maps, const struct pt_group *g, int memfd,
	    char *what, size_t len);

/*
 * Runs every sync back of the plan's patches, newest patch first, in rs's thread (the
 * runtime's trampoline set). 0, or a PX_* code with one line in err; line(ctx, text) gets
 * "VAR: synced new -> old" for each.
 */
int rd_sync_back(const struct rb_ctx *c, struct rs_ctx *rs, void (*line)(void *, const char *),
		 void *ctx, char *err, size_t errlen);

#endif
