/*
 * rollback — which patches polus-rollback undoes, and undoing them.
 *
 * rb_plan reads the registry's records (oldest first: the order they went live) and
 * picks the applied ones to undo, newest first: the newest (RB_NEWEST), a named one that
 * must be the newest (RB_NAMED: one with an applied patch above it is refused, naming
 * that patch), every one (RB_ALL: back to the release the process started as), or those
 * above a named one (RB_TO). rb_sites lists their sites in that order, each with the
 * jump it must hold now and the bytes to write back, and checks them as they would be
 * after each earlier restore (a chain's patch jumps where an earlier one did). rb_verify
 * checks the same against the target's memory (again under the stop: the bytes written
 * back must replace exactly the jumps the registry describes). rb_restore writes the
 * original bytes back, newest first, each logged in the undo log (undo_log.h), then sets
 * the records' state to rolled-back (logged): a failure midway is undone by the log.
 * The patch images stay mapped: pointers into them may have escaped, threads may still
 * run them, and an apply of the same patch again reuses them. Functions return 0 or a
 * PX_* code with one line in err. Nothing prints.
 */
#ifndef POLUS_ROLLBACK_H
#define POLUS_ROLLBACK_H
#include "patch_site.h"
#include "registry_io.h"

enum rb_mode { RB_NEWEST, RB_NAMED, RB_ALL, RB_TO };

struct rb_ctx {
	pid_t pid;
	int memfd;	     /* /proc/PID/mem, writable */
	struct reg_patch *v; /* the registry's records, oldest first */
	size_t n;
	size_t *undo; /* indices into v, newest first */
	size_t nundo;
	struct ps_site *sites; /* of the records undone, in that order; target = new code */
	size_t *site_rec;      /* the index in v of each site's record */
	size_t nsites;
	char *err;
	size_t errlen;
};

void rb_init(struct rb_ctx *c, pid_t pid, int memfd, char *err, size_t errlen);
void rb_free(struct rb_ctx *c);

/*
 * Picks what to undo from the records (taken over: rb_free frees them; NULL and 0 when
 * the process has no registry). name: the patch of RB_NAMED and RB_TO (its name or
 * build-id). An empty plan is no error (nundo = 0) for RB_ALL and RB_TO.
 */
int rb_plan(struct rb_ctx *c, struct reg_patch *v, size_t n, enum rb_mode mode, const char *name);

/* Lists and checks the sites of the plan (see above). */
int rb_sites(struct rb_ctx *c);

/* ts_recheck_fn: every site still holds its jump (after the restores before it). */
int rb_verify(void *ctx, struct ps_site *sites, size_t nsites, int memfd, char *err, size_t errlen);

/*
 * With every thread stopped: the bytes written back through write(ctx, ...), logged in
 * log, then the records' state set through reg.
 */
int rb_restore(struct rb_ctx *c, struct ul_log *log, struct ri_ctx *reg,
	       int (*write)(void *ctx, uint64_t addr, const void *buf, size_t len), void *ctx);

/* The functions of record i restored (distinct names), for messages. */
size_t rb_functions(const struct rb_ctx *c, size_t rec);

#endif
