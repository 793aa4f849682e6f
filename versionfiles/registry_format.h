/*
 * registry_format — the registry of applied patches kept inside a target, defined once.
 *
 * polus-apply creates, in the target, a memfd mapping named REG_MAP_NAME (REG_MAP_SIZE
 * bytes, MAP_PRIVATE, read-write) on the first apply and appends one text record per
 * patch applied, through /proc/PID/mem; polus-status reads it. Private: a child forked
 * later inherits a copy that describes exactly what it runs, and records added to one
 * process never show in another. The mapping holds NUL-terminated UTF-8 text: the
 * header line, then records; the text ends at the first NUL byte (the memfd is
 * zero-filled).
 *
 *   polus-registry<TAB>1
 *   runtime<TAB>LOAD-ADDR<TAB>BUILD-ID   polus's runtime (build/polus-rt.so) loaded there;
 *                              written with the record of the apply that loaded it; the
 *                              newest line with the running polus's build-id is used
 *   patch<TAB>NAME<TAB>BUILD-ID<TAB>APPLIED-UNIX-NS<TAB>PAUSE-NS<TAB>LOAD-ADDR<TAB>STATE
 *   fn<TAB>NAME<TAB>OLD-ADDR<TAB>NEW-ADDR<TAB>ORIG-BYTES-HEX
 *   live<TAB>NAME<TAB>HOW      how a changed function goes live (the version file's `live`
 *                              list; absent for older patches)
 *   data<TAB>NAME<TAB>WHAT     a variable whose type changed, or a check of the patch: what
 *                              polus-apply did at the switch ("synced old -> new (struct
 *                              stats, 16 -> 24 bytes); check clean"; absent: none)
 *   back<TAB>NAME<TAB>SYNC-ADDR a variable whose type changed: its sync new -> old, which
 *                              polus-rollback runs before the old code takes over (absent:
 *                              none, or a patch applied by a polus before this line)
 *   end
 *   history<TAB>ACTION<TAB>NAME<TAB>BUILD-ID<TAB>UNIX-NS<TAB>UID<TAB>PAUSE-NS<TAB>RESULT
 *   history-dropped<TAB>COUNT
 *
 * Fields are tab separated with the escapes of docs/metadata.md (\\, \t, \n; "-" = empty).
 * Addresses are run-time addresses in hex (0x...). ORIG-BYTES are the bytes the jump
 * replaced at OLD-ADDR (at most REG_MAX_ORIG), kept for rollback. A function switched
 * stop-free (docs/stopfree.md) has OLD-ADDR = its entry - 5, where the padding holds the
 * jmp to NEW-ADDR, and ORIG-BYTES = its site's first bytes (the short jump replaced two). STATE is
 * REG_STATE_APPLIED (its jumps are live) or REG_STATE_ROLLED_BACK (polus-rollback wrote
 * ORIG-BYTES back at every OLD-ADDR; the image at LOAD-ADDR stays mapped, since pointers
 * into it may have escaped and threads may still run it, and an apply of the same patch,
 * found by BUILD-ID, reuses it: its record then moves to the end, state applied). The
 * records are in the order their patches went live: the last applied record is the
 * newest, the one polus-rollback undoes first. PAUSE-NS is written with 20 digits so
 * the injector can fill it in place once it has let the threads go (the pause is known
 * only then). Unknown line kinds are ignored so the format can grow, and an edit of the
 * text (registry.c's reg_text_*) keeps lines it does not know where they are.
 *
 * History: one `history` line per apply and rollback, oldest first, appended as they
 * happen, between records (ACTION REG_ACT_APPLY or REG_ACT_ROLLBACK; NAME, BUILD-ID: the patch's;
 * UNIX-NS: when it went live or was undone; UID: the real uid of the tool that did it; PAUSE-NS:
 * the longest time a thread was held; RESULT REG_RESULT_OK: done, followed by
 * "; NAME: WHAT" for each sync and check that ran, as in the record's `data` lines: "ok;
 * stats: synced old -> new (struct stats, 16 -> 24 bytes); check clean", or for a rollback
 * "ok; stats: synced new -> old"). At most REG_HISTORY_MAX lines are kept: the oldest go first,
 * and the `history-dropped` line counts them, so the registry stays within its size however many
 * cycles a process sees.
 *
 * How a record becomes visible (docs/transactions.md): polus-apply writes the lines of
 * an apply (its runtime line, then its record) after the text, all but their first byte:
 * the text still ends at the NUL there, so readers do not see them (state "preparing":
 * unpublished bytes after the end of the text). Then polus_rt_commit, one call in the
 * target (runtime/rt_abi.h), writes every jump and last that first byte: the record is
 * published ("applied") exactly when all of its jumps are in place, and the commit runs to
 * its end even if polus-apply dies meanwhile. A polus-apply that failed takes its bytes
 * back (undo_log); one that died leaves unpublished bytes after the text, which readers
 * ignore and the next apply overwrites. An empty text (created, nothing published yet)
 * reads as an empty registry. The record of an apply that reused a rolled-back image
 * (reuse.h) is appended like any other; the rolled-back record is taken out once the
 * apply is done (a killed apply may leave it: readers use the newest record of an image).
 *
 * The code that encodes and decodes it: runtime/registry.c.
 */
#ifndef POLUS_REGISTRY_FORMAT_H
#define POLUS_REGISTRY_FORMAT_H
#include "formats.h"

#define REG_MAGIC "polus-registry\t1\n"
#define REG_MAP_NAME POLUS_MEMFD_PREFIX "registry"
#define REG_MAP_SIZE (256 * 1024)
#define REG_MAX_ORIG 16

/* line kinds, and the fields each carries after its kind */
#define REG_LINE_PATCH "patch"
#define REG_PATCH_NFIELDS 6 /* NAME BUILD-ID APPLIED-UNIX-NS PAUSE-NS LOAD-ADDR STATE */
#define REG_LINE_FN "fn"
#define REG_FN_NFIELDS 4 /* NAME OLD-ADDR NEW-ADDR ORIG-BYTES-HEX */
#define REG_LINE_LIVE "live"
#define REG_LIVE_NFIELDS 2 /* NAME HOW */
#define REG_LINE_DATA "data"
#define REG_DATA_NFIELDS 2 /* NAME WHAT */
#define REG_LINE_BACK "back"
#define REG_BACK_NFIELDS 2 /* NAME SYNC-ADDR */
#define REG_LINE_END "end"
#define REG_LINE_HISTORY "history"
#define REG_HISTORY_NFIELDS 7 /* ACTION NAME BUILD-ID UNIX-NS UID PAUSE-NS RESULT */
#define REG_LINE_DROPPED "history-dropped"
#define REG_HISTORY_MAX 1000
#define REG_LINE_RUNTIME "runtime"
#define REG_RUNTIME_NFIELDS 2 /* LOAD-ADDR BUILD-ID */

#define REG_STATE_APPLIED "applied"
#define REG_STATE_ROLLED_BACK "rolled-back"
#define REG_ACT_APPLY "apply"
#define REG_ACT_ROLLBACK "rollback"
#define REG_RESULT_OK "ok"
/* PAUSE-NS is written with this many digits, so it can be overwritten in place */
#define REG_PAUSE_DIGITS 20

#endif
