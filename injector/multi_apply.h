/*
 * multi_apply — polus-apply on many processes: every process of a build (--all), a
 * process and its descendants (--tree), or one process with the patches a store chooses
 * for it (--store). With a store, --all takes also the processes started from the same
 * file at another release (their executable is that path, deleted or replaced since):
 * each gets what the store holds for its own build. Processes are taken parents first, so a parent
 * runs the new code before it forks again; the list is read again each round until none of them
 * needs a patch (processes born meanwhile are caught) or the deadline passes.
 *
 * Each process's apply runs as a child polus-apply (apply_exe PID PATCH.so --json): the
 * one apply path, its own process (its signals held, its real-time priority, its
 * errors), and one process's failure cannot disturb the others. Exit 3 (unsafe now) is
 * retried in later rounds, up to `tries` times; the other processes are not held back.
 *
 * ma_run reports each process once it is final through on_proc (the caller prints).
 * Returns 0 or a PX_* code with one line in err (nothing was done then).
 */
#ifndef POLUS_MULTI_APPLY_H
#define POLUS_MULTI_APPLY_H
#include "patch_store.h"
#include "proc_find.h"
#include <stdint.h>

enum ma_mode { MA_ONE, MA_ALL, MA_TREE };

struct ma_opts {
	enum ma_mode mode;
	const char *binary; /* MA_ALL */
	pid_t pid;	    /* MA_ONE, MA_TREE */
	const char *patch;  /* or NULL: store */
	const char *store;
	unsigned deadline_ms, tries;
	const char *apply_exe;
};

enum ma_state { MA_PENDING, MA_APPLIED, MA_ALREADY, MA_FAILED, MA_EXITED, MA_OTHER };

struct ma_proc {
	struct pfind_proc p;
	enum ma_state state;
	int rc; /* the last apply's exit code */
	unsigned tries;
	char err[1024];
	char **names; /* patches applied by this run, in order */
	char **json;  /* each apply's JSON object */
	size_t napplied;
	char **warnings; /* polus-apply's warning lines, without the prefix */
	size_t nwarnings;
	uint64_t pause_ns; /* the longest of this run's applies */
};

struct ma_result {
	char build_id[130];	/* MA_ALL: the binary's */
	char binary_path[4096]; /* MA_ALL: its real path */
	struct ma_proc *v;	/* in the order they were found */
	size_t n;
	size_t applied, already, failed, exited;
};

typedef void (*ma_report)(const struct ma_proc *p, void *ctx);

int ma_run(const struct ma_opts *o, struct ma_result *r, ma_report on_proc, void *ctx, char *err,
	   size_t errlen);
void ma_free(struct ma_result *r);

/* The exit code of a finished run: 0 all updated, PX_SOME some, else the first failure's. */
int ma_exit_code(const struct ma_result *r);

#endif
