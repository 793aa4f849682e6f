/*
 * registry_io — the registry of applied patches inside the target (runtime/registry.h
 * for its format): found in the memory map, read and written through /proc/PID/mem, and
 * created on the first apply (remote_load.h). ri_write_record logs what it overwrites in
 * the undo log (undo_log.h) first, so a failed apply takes the record back byte for
 * byte. Functions return 0 or a PX_* exit code with one line in err. Nothing prints.
 */
#ifndef POLUS_REGISTRY_IO_H
#define POLUS_REGISTRY_IO_H
#include "registry.h"
#include "remote_load.h"
#include "target.h"

struct ri_ctx {
	int memfd; /* /proc/PID/mem, writable */
	struct tg_info *tg;
	struct ul_log *log;
	uint64_t addr; /* of the registry mapping */
	char *old;     /* its text before our record (NULL: empty) */
	size_t old_len;
	const char *prefix; /* a line written before the record (a fresh runtime's), or NULL */
	/* after a logged ri_write_record: the record's first byte is held back there (the
	 * text still ends at it) for the commit to publish, and room after the record */
	uint64_t publish;
	uint8_t publish_byte;
	uint64_t journal, journal_room;
	char *err;
	size_t errlen;
};

void ri_init(struct ri_ctx *r, int memfd, struct tg_info *tg, struct ul_log *log, char *err,
	     size_t errlen);
void ri_free(struct ri_ctx *r);

/* The patches recorded now, oldest first (reg_free them); -ENOENT: no registry yet. */
int ri_list(struct ri_ctx *r, struct reg_patch **v, size_t *n);

/*
 * Where each object the registry records starts in the process (each patch's load
 * address, each runtime's), malloc'd in *addrs; none without a registry. 0 or -errno.
 */
int ri_published(struct ri_ctx *r, uint64_t **addrs, size_t *n);

/*
 * Makes sure the registry exists, creating it through rl (a thread hijacked) if it may:
 * may_create = 0 when the seccomp check did not cover the calls (it existed then).
 */
int ri_ensure(struct ri_ctx *r, struct rl_ctx *rl, int may_create);

/* Reads the current text (all threads stopped: no other writer now). */
int ri_read(struct ri_ctx *r);

/*
 * Writes `rec` (after r->prefix if set) as the newest record, after the text read by
 * ri_read, with its terminating NUL (the text ends there even if a failed apply left
 * bytes after it). logged: its bytes go in the log first, and its first byte is held
 * back (the record stays unpublished until polus_rt_commit writes r->publish_byte at
 * r->publish). 0 to rewrite the record of a done apply in place (its pause filled in),
 * taking out the rolled-back record of the same image (build and address: reuse.h);
 * that write compares with the text there now and writes from the first byte that differs.
 */
int ri_write_record(struct ri_ctx *r, const struct reg_patch *rec, int logged);

/* Sets the state of records idx[0..n) (reg_decode's order) in the text there now. */
int ri_set_state(struct ri_ctx *r, const size_t *idx, size_t n, const char *state, int logged);

/*
 * What ri_set_state would write, staged for an in-target commit (runtime_io.h's revert
 * job) instead: the text from its first changed byte on (with its NUL) in *copy, the
 * bytes there now in *was (both copy_len long, malloc'd), where (*at) and the byte there
 * now (*at_byte), and free registry bytes after both texts for the journal.
 */
struct ri_stage {
	uint64_t at;
	uint8_t at_byte;
	uint8_t *copy, *was;
	size_t copy_len;
	uint64_t journal, journal_room;
};
int ri_stage_state(struct ri_ctx *r, const size_t *idx, size_t n, const char *state,
		   struct ri_stage *st);
void ri_stage_free(struct ri_stage *st);

/* A history line for patch p: now, by our real uid, the pause given, result ok. */
void ri_event(struct reg_event *ev, const char *action, const struct reg_patch *p,
	      uint64_t pause_ns);

/*
 * A history line's result in buf: "ok", then "; NAME: WHAT" for each of the n data lines
 * (the syncs and checks that ran: "ok; stats: synced old -> new (...); check clean").
 */
char *ri_result(char *buf, size_t len, const struct reg_live *data, size_t n);

/* Appends history lines (registry_format.h) to the text there now; never logged. */
int ri_add_events(struct ri_ctx *r, const struct reg_event *ev, size_t n);

#endif
