/*
 * multi_cli — polus-apply's output for many processes (see multi_cli.h).
 */
#include "multi_cli.h"
#include "exitcodes.h"
#include "jsonout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	const struct ma_opts *o;
	int json, quiet;
};

static const char *const state_name[] = {"pending", "applied", "already",
					 "failed",  "exited",  "other"};

/* "p12, p23" */
static void print_names(FILE *f, const struct ma_proc *m)
{
	for (size_t i = 0; i < m->napplied; i++)
		fprintf(f, "%s%s", i ? ", " : "", m->names[i]);
}

static void print_line(const struct ma_proc *m, void *ctx)
{
	const struct out *u = ctx;
	for (size_t i = 0; i < m->nwarnings; i++)
		fprintf(stderr, "polus-apply: process %d (%s): warning: %s\n", (int)m->p.pid,
			m->p.comm, m->warnings[i]);
	if (m->state == MA_FAILED) {
		fprintf(stderr, "polus-apply: process %d (%s): not updated (exit %d", (int)m->p.pid,
			m->p.comm, m->rc);
		if (m->tries > 1)
			fprintf(stderr, ", %u tries", m->tries);
		fprintf(stderr, "): %s\n", m->err);
		return;
	}
	if (u->json || u->quiet)
		return;
	printf("process %d (%s): ", (int)m->p.pid, m->p.comm);
	if (m->state == MA_APPLIED) {
		printf("applied ");
		print_names(stdout, m);
		printf(" (pause %.2f ms)\n", (double)m->pause_ns / 1e6);
	} else if (m->state == MA_ALREADY) {
		printf("already up to date\n");
	} else if (m->state == MA_EXITED) {
		printf("exited before it was updated\n");
	} else {
		printf("left alone: runs build %s\n", m->p.build_id[0] ? m->p.build_id : "(none)");
	}
	fflush(stdout);
}

static void json_proc(const struct ma_proc *m)
{
	printf("{\"pid\":%d,\"ppid\":%d,\"comm\":", (int)m->p.pid, (int)m->p.ppid);
	json_str(stdout, m->p.comm);
	printf(",\"build_id\":");
	json_str(stdout, m->p.build_id);
	printf(",\"result\":\"%s\",\"exit\":%d,\"tries\":%u,\"error\":", state_name[m->state],
	       m->state == MA_FAILED ? m->rc : 0, m->tries);
	json_str(stdout, m->state == MA_FAILED ? m->err : NULL);
	printf(",\"applies\":[");
	for (size_t i = 0; i < m->napplied; i++)
		printf("%s%s", i ? "," : "", m->json[i]);
	printf("],\"warnings\":[");
	for (size_t i = 0; i < m->nwarnings; i++) {
		printf("%s", i ? "," : "");
		json_str(stdout, m->warnings[i]);
	}
	printf("]}");
}

static void print_json(const struct ma_opts *o, const struct ma_result *r, int code)
{
	static const char *const mode[] = {"one", "all", "tree"};
	printf("{\"mode\":\"%s\",\"binary\":", mode[o->mode]);
	json_str(stdout, o->mode == MA_ALL ? o->binary : NULL);
	printf(",\"build_id\":");
	json_str(stdout, r->build_id[0] ? r->build_id : NULL);
	printf(",\"patch\":");
	json_str(stdout, o->patch);
	printf(",\"store\":");
	json_str(stdout, o->store);
	printf(",\"processes\":[");
	for (size_t i = 0; i < r->n; i++) {
		printf("%s", i ? "," : "");
		json_proc(&r->v[i]);
	}
	printf("],\"applied\":%zu,\"already\":%zu,\"failed\":%zu,\"exited\":%zu,\"exit\":%d}\n",
	       r->applied, r->already, r->failed, r->exited, code);
}

static void print_summary(const struct ma_result *r)
{
	size_t n = r->applied + r->already + r->failed;
	printf("%zu process%s: %zu updated, %zu already up to date, %zu not updated", n,
	       n == 1 ? "" : "es", r->applied, r->already, r->failed);
	if (r->exited)
		printf(" (%zu exited meanwhile)", r->exited);
	printf("\n");
}

int ma_parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || end == s || v <= 0 || v > 0x7fffffff)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* The operands: [PID] [PATCH.so]. */
static int operands(struct ma_opts *o, int argc, char **argv)
{
	int want = (o->mode == MA_ONE) + !o->store;
	if (argc != want) {
		fprintf(stderr, "polus-apply: expected %s (see --help)\n",
			o->mode != MA_ONE ? "PATCH.so, or --store DIR"
					  : "PID, with --store DIR (no PATCH.so)");
		return PX_INPUT;
	}
	if (o->mode == MA_ONE && ma_parse_pid(argv[0], &o->pid)) {
		fprintf(stderr, "polus-apply: not a process id: %s\n", argv[0]);
		return PX_INPUT;
	}
	o->patch = o->store ? NULL : argv[argc - 1];
	return 0;
}

int ma_cli(struct ma_opts *o, int argc, char **argv, int json, int quiet)
{
	struct out u = {o, json, quiet};
	struct ma_result r;
	char err[1024];
	int rc = operands(o, argc, argv);
	if (rc)
		return rc;
	rc = ma_run(o, &r, print_line, &u, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "polus-apply: %s\n", err);
		ma_free(&r);
		return rc;
	}
	rc = ma_exit_code(&r);
	if (json)
		print_json(o, &r, rc);
	else if (!quiet)
		print_summary(&r);
	ma_free(&r);
	return rc;
}
