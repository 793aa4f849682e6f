/*
 * track_state — the write tracking state of polus's runtime in a target, read through
 * /proc/PID/mem (polus_rt_track_state, runtime/rt_track.h) without stopping it: what
 * polus-apply follows while it waits for coexistence to end and what polus-status shows.
 *
 * The layout is the runtime's own: it is read only from a runtime with the build-id of
 * the polus-rt.so next to the reading tool (the registry's `runtime ADDR BUILD-ID` line).
 * Nothing prints; functions return 0 or a negative errno.
 */
#ifndef POLUS_TRACK_STATE_H
#define POLUS_TRACK_STATE_H
#include "elffile.h"
#include "rt_track.h"
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

/* The runtime's tracking exports (offsets in polus-rt.so) and where it is loaded. */
struct tst_runtime {
	uint64_t base;
	uint64_t off_arm, off_start, off_end, off_carry, off_state, off_argbuf;
};

/* Our polus-rt.so: $POLUS_RT, else beside the running executable (beside.h). */
int tst_rt_path(char *buf, size_t len);
/* The base of the newest `runtime` line of registry text with build-id id, or 0. */
uint64_t tst_recorded_base(const char *text, const char *id);
/* The exports from polus-rt.so's ELF file (-ENOENT: a runtime without tracking). */
int tst_exports(struct tst_runtime *r, struct ef_file *rt_so);
/* For a reader of the registry text: our polus-rt.so's exports and the base of the
 * runtime it records with our build-id (-ENOENT: none recorded, or another polus's). */
int tst_open(struct tst_runtime *r, const char *registry_text);
int tst_read(const struct tst_runtime *r, int memfd, struct polus_rt_track_shared *s);
/* "armed", "active", "ended" ("idle" for none). */
const char *tst_state_name(int state);
/* The function (want_func) or object symbol of f holding link-time address a, or "?". */
const char *tst_sym_at(const struct ef_file *f, uint64_t a, int want_func);

/* A process's coexistence as polus-status shows it: names from its executable's symbols. */
struct tst_frame_view {
	char fn[64], comm[32];
	pid_t tid;
	int returned;
};
struct tst_view {
	int state;
	int left;
	uint32_t nframes, nvars;
	uint64_t stores, chained;
	char vars[512]; /* "stats, cfg" */
	struct tst_frame_view *frames;
};

/* 0 with *v filled (tst_view_free), -ENOENT when the process has no coexistence (no
 * runtime of ours, or never armed), or another negative errno. */
int tst_view(pid_t pid, const char *registry_text, struct tst_view *v);
void tst_view_free(struct tst_view *v);
/* "  coexistence active: stats; 1 of 3 old frames left: hold in thread 42 (prog); ..." */
void tst_print_text(FILE *f, const struct tst_view *v);
/* "coexistence":{...} (the member, without a leading comma) */
void tst_print_json(FILE *f, const struct tst_view *v);

#endif
