/*
 * undo_log — every change polus-apply makes to the target, recorded as it is made, so a
 * failed apply is taken back in reverse order from the log alone.
 *
 * A change is added to the log before it is made (ul_add: what it will be) and then
 * either confirmed (ul_made: it happened; the test fault hook may fail the apply right
 * there) or dropped (ul_drop: the call failed, nothing changed). Kinds: a descriptor
 * opened in the target (undone by closing it), a mapping created (unmapped), bytes
 * overwritten through /proc/PID/mem (the saved original bytes written back: a jump at a
 * patch site, our registry record). ul_undo_to walks the log backwards down to a mark
 * through the caller's callbacks; a step that fails is named in the message, never
 * skipped silently, and a mapping that a jump still leads to (the jump could not be
 * taken out) is left mapped, with every mapping of the same object (its data, its GOT):
 * unmapping them would crash the target at the next call; likewise the registry record
 * that describes such a jump stays, so polus-status shows what runs.
 * ul_commit forgets the log once the apply is done. Nothing prints.
 */
#ifndef POLUS_UNDO_LOG_H
#define POLUS_UNDO_LOG_H
#include <stddef.h>
#include <stdint.h>

enum ul_kind {
	UL_FD,	  /* a descriptor of the target: addr = the fd */
	UL_MAP,	  /* a mapping [addr, addr + len) */
	UL_BYTES, /* len bytes at addr overwritten; orig holds them as they were */
};

struct ul_entry {
	enum ul_kind kind;
	char what[96]; /* for messages and the fault hook: "the jump in compute" */
	uint64_t addr, len;
	uint8_t *orig;	   /* UL_BYTES */
	uint64_t leads_to; /* UL_BYTES of a jump: its destination, else 0 */
	uint64_t object;   /* UL_MAP: mappings of one image share it (0: on its own) */
	int describes;	   /* UL_BYTES: a record of the jumps newer than it (the registry's):
			      kept while one of them could not be taken out */
	int made;	   /* confirmed by ul_made */
	int undone;	   /* taken back (by ul_undo_to or the caller's own close) */
};

/* How to take a change back; each returns 0 or a negative errno. */
struct ul_ops {
	int (*close_fd)(void *ctx, long fd);
	int (*unmap)(void *ctx, uint64_t addr, uint64_t len);
	int (*write)(void *ctx, uint64_t addr, const void *buf, size_t len);
	/*
	 * Called by ul_made after each change, numbered from 1: returns 0, or non-zero with
	 * a message in err to make the apply fail there (tests). May be NULL.
	 */
	int (*after)(void *ctx, unsigned step, const struct ul_entry *e, char *err, size_t errlen);
	/* Called before each undo step: 0, or a negative errno to fail it (tests). May be NULL. */
	int (*before_undo)(void *ctx, const struct ul_entry *e);
	void *ctx;
};

struct ul_log {
	struct ul_entry *v;
	size_t n, cap;
	unsigned steps;	    /* changes confirmed so far */
	unsigned fail_step; /* tests: ul_made fails the change numbered so (ul_fail_at) */
	struct ul_ops ops;
};

void ul_init(struct ul_log *l, const struct ul_ops *ops);

/*
 * Adds the change about to be made (orig: the UL_BYTES bytes as they are now, copied).
 * Returns the entry, valid until the next ul_add, or NULL (out of memory).
 */
__attribute__((format(printf, 6, 7))) struct ul_entry *ul_add(struct ul_log *l, enum ul_kind k,
							      uint64_t addr, uint64_t len,
							      const void *orig, const char *fmt,
							      ...);

/*
 * Tests (POLUS_TEST_FAIL_AT=step:N): the Nth change confirmed fails the tool with
 * PX_INTERNAL and "test failure injected after step N, WHAT" (0: never).
 */
void ul_fail_at(struct ul_log *l, unsigned step);

/* The change was made (addr/len may be updated first). Non-zero: the fault hook's code. */
int ul_made(struct ul_log *l, struct ul_entry *e, char *err, size_t errlen);

/* The last entry's change did not happen after all. */
void ul_drop(struct ul_log *l);

/* The descriptor fd was closed by the normal path: nothing left to undo for it. */
void ul_closed(struct ul_log *l, long fd);

/*
 * Takes back, newest first, every confirmed change from index `mark` on, and removes
 * those entries. 0 when all were undone; -1 with what was not (and why) in err.
 */
int ul_undo_to(struct ul_log *l, size_t mark, char *err, size_t errlen);
int ul_undo(struct ul_log *l, char *err, size_t errlen);
/* ul_undo, with what could not be undone appended to the message already in err. */
void ul_undo_noting(struct ul_log *l, char *err, size_t errlen);

/* The apply is done: its changes stay. */
void ul_commit(struct ul_log *l);
void ul_free(struct ul_log *l);

#endif
