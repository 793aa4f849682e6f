/*
 * mkpatch_track — the store table of write tracking (versionfiles/track_format.h): which
 * instructions of an old binary may store into a variable that goes into coexistence.
 *
 * trk_scan_fn disassembles one function of the old binary with capstone and adds to the
 * table every instruction with a memory destination that
 *   - is RIP-relative (or absolute) and reaches one of the `ranges` (TRK_F_EXACT), or
 *   - uses a base/index register (may reach anything: an array element, a field through
 *     a pointer) when `indirect` is set; the caller sets it for the functions the record
 *     says write the variable (and the bodies they were inlined into).
 * Stores through %fs/%gs (thread-local data) never reach a global and are skipped. A store
 * the runtime cannot complete is added as TRK_OP_UNSUPPORTED and counted, and so is every
 * address of a range taken into a register (`lea`): the caller decides whether to refuse.
 * Offsets are link-time addresses minus `link_base` (ef_link_base).
 */
#ifndef POLUS_MKPATCH_TRACK_H
#define POLUS_MKPATCH_TRACK_H
#include "elffile.h"
#include "meta.h"
#include "track_format.h"
#include <stddef.h>
#include <stdint.h>

struct trk_range {
	uint64_t lo, hi; /* link-time addresses, [lo, hi) */
};

struct trk_table {
	struct trk_entry *e;
	size_t n, cap;
	size_t unsupported; /* TRK_OP_UNSUPPORTED entries */
	size_t addr_taken;  /* `lea` of an address inside a range */
};

/* Scans `len` bytes of code at link-time address `addr`. 0, or -1 + message. */
int trk_scan_code(const uint8_t *code, size_t len, uint64_t addr, uint64_t link_base,
		  const struct trk_range *ranges, size_t nranges, int indirect, struct trk_table *t,
		  char *err, size_t errlen);
/* Scans the function symbol `name` (a local when `file` is set, as ef_find) of f, whose
 * symbols are loaded. -1 + message when absent or not in an allocated section. */
int trk_scan_fn(struct ef_file *f, const char *name, const char *file,
		const struct trk_range *ranges, size_t nranges, int indirect, struct trk_table *t,
		char *err, size_t errlen);
/* The same for the symbol s of f. */
int trk_scan_sym(struct ef_file *f, const struct ef_sym *s, const struct trk_range *ranges,
		 size_t nranges, int indirect, struct trk_table *t, char *err, size_t errlen);
/* Every function symbol of f (symbols loaded), for RIP-relative stores only. */
int trk_scan_all(struct ef_file *f, const struct trk_range *ranges, size_t nranges,
		 struct trk_table *t, char *err, size_t errlen);
/*
 * The whole table for variable KEY of unit `unit` of OLD's record `b`: its writers are the
 * functions whose source writes it (`use FN write KEY`; every unit's for a global, its own
 * unit's for a static), the bodies they were inlined into (transitively) and their clones;
 * each emitted body among them is scanned with `indirect`. Every function of OLD is
 * scanned for RIP-relative stores into the variable's pages, so the writers of variables
 * sharing those pages are listed too (the pages are all write-protected). *pages gets the
 * page range (link-time). -1 + message when KEY or a writer's symbol is not in OLD.
 */
int trk_scan_var(struct ef_file *old, const struct meta_build *b, size_t unit, const char *key,
		 struct trk_range *pages, struct trk_table *t, char *err, size_t errlen);
/* Sorts by offset (one entry per instruction) and encodes header + entries into a
 * malloc'd *buf. 0, or -1 (out of memory). */
int trk_encode(struct trk_table *t, uint8_t **buf, size_t *len);
void trk_free(struct trk_table *t);
/*
 * The encoded table `buf` as an object for the patch (compiled by `driver` into tmpdir):
 * an allocated section .polus.track holding the exported symbol TRK_SYMBOL, so the table
 * is mapped with the patch image and stays mapped while the patch is. *obj gets the
 * object's path (malloc'd). 0, or -1 + message.
 */
#define TRK_SYMBOL "__polus_track_table"
int trk_write_object(const uint8_t *buf, size_t len, const char *driver, const char *tmpdir,
		     char **obj, char *err, size_t errlen);
/* "mov", "add"... for messages and listings. */
const char *trk_op_name(unsigned op);

#endif
