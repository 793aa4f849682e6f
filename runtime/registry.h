/*
 * registry — the record of applied patches kept inside the target (polus-status shows it).
 *
 * The format (map name and size, line kinds, fields) is versionfiles/registry_format.h;
 * this module turns it into structs and back. Encode/decode only: no I/O.
 */
#ifndef POLUS_REGISTRY_H
#define POLUS_REGISTRY_H
#include <stddef.h>
#include <stdint.h>

#include "registry_format.h"

struct reg_fn {
	char *name;
	uint64_t old_addr; /* where the jump was written (after any endbr64) */
	uint64_t new_addr;
	uint8_t orig[REG_MAX_ORIG];
	size_t norig;
};

struct reg_live {
	char *name, *how;
};

/* A variable whose type the patch changed: the patch's sync of it back, new -> old. */
struct reg_back {
	char *name;    /* the variable's KEY */
	uint64_t addr; /* its sync new -> old, run-time address */
};

struct reg_patch {
	char *name;
	char *build_id;	     /* the patch's own NT_GNU_BUILD_ID, lower-case hex, or "-" */
	uint64_t applied_ns; /* CLOCK_REALTIME */
	uint64_t pause_ns;
	uint64_t load_addr;
	char *state;
	struct reg_fn *fns;
	size_t nfns;
	struct reg_live *live;
	size_t nlive;
	struct reg_live *data; /* `data` lines: name = the variable or check, how = what ran */
	size_t ndata;
	struct reg_back *back; /* `back` lines: the syncs a rollback runs */
	size_t nback;
};

/* One line of the history (registry_format.h): an apply or a rollback. */
struct reg_event {
	char *action; /* REG_ACT_* */
	char *name, *build_id;
	uint64_t at_ns; /* CLOCK_REALTIME */
	uint64_t uid;
	uint64_t pause_ns;
	char *result; /* REG_RESULT_OK, ... */
};

/*
 * Appends the text of one record for `p` to the malloc'd buffer *buf (of length *len,
 * NUL-terminated; *buf may be NULL, the header is then written first). Returns 0 or -1
 * (out of memory).
 */
int reg_encode(const struct reg_patch *p, char **buf, size_t *len);

/*
 * Parses registry text (up to `len` bytes or the first NUL) into a malloc'd array of
 * patches, oldest first. Returns 0, or -1 with a one-line message in err.
 */
int reg_decode(const char *text, size_t len, struct reg_patch **out, size_t *n, char *err,
	       size_t errlen);

void reg_free(struct reg_patch *p, size_t n);

/*
 * The history lines of registry text, oldest first (malloc'd array), and how many older
 * lines were dropped. 0, or -1 with a one-line message in err (the text itself is checked
 * by reg_decode).
 */
int reg_decode_history(const char *text, size_t len, struct reg_event **out, size_t *n,
		       uint64_t *dropped, char *err, size_t errlen);
void reg_events_free(struct reg_event *e, size_t n);

/*
 * Edits of registry text in a malloc'd NUL-terminated buffer (*text, of length *len),
 * line by line, so lines of kinds this code does not know stay as they are. Record i is
 * the i-th `patch` record, oldest first (as reg_decode lists them). Each returns 0, -1
 * (out of memory: *text unchanged) or -2 (no such record, or it has no `end`).
 */
int reg_text_remove(char **text, size_t *len, size_t i);
int reg_text_set_state(char **text, size_t *len, size_t i, const char *state);
/* Appends a history line; beyond REG_HISTORY_MAX lines the oldest go (counted). */
int reg_text_add_event(char **text, size_t *len, const struct reg_event *ev);

#endif
