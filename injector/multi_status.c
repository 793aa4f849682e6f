/*
 * multi_status — polus-status for many processes (see multi_status.h).
 */
#include "multi_status.h"
#include "exitcodes.h"
#include "jsonout.h"
#include "proc_find.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ms_row {
	struct pfind_proc p;
	struct reg_patch *v;
	size_t n;
	int rc;		/* of reading its registry: 0, -ESRCH gone meanwhile, -errno */
	char what[512]; /* the patches, "pa pb" ("" none): what the summary groups by */
};

static void describe(struct ms_row *r)
{
	size_t o = 0;
	r->what[0] = 0;
	for (size_t i = 0; i < r->n && o < sizeof(r->what); i++) {
		int applied = strcmp(r->v[i].state, REG_STATE_APPLIED) == 0;
		o += (size_t)snprintf(r->what + o, sizeof(r->what) - o, "%s%s%s%s", i ? " " : "",
				      r->v[i].name, applied ? "" : ":",
				      applied ? "" : r->v[i].state);
	}
}

static void print_row(const struct ms_row *r)
{
	printf("process %d (%s, parent %d): build %s, ", (int)r->p.pid, r->p.comm, (int)r->p.ppid,
	       r->p.build_id[0] ? r->p.build_id : "(none)");
	if (r->rc)
		printf("registry unreadable: %s\n", strerror(-r->rc));
	else if (!r->n)
		printf("no patches\n");
	else
		printf("%zu patch%s: %s\n", r->n, r->n == 1 ? "" : "es", r->what);
}

/* "4 processes: all run pa", or each group with its count. */
static void print_summary(const struct ms_row *rows, size_t n)
{
	size_t groups = 0;
	printf("%zu process%s", n, n == 1 ? "" : "es");
	for (size_t i = 0; i < n; i++) {
		size_t k = 0, same = 0;
		while (k < i && strcmp(rows[k].what, rows[i].what))
			k++;
		if (k < i)
			continue;
		for (size_t j = i; j < n; j++)
			same += strcmp(rows[j].what, rows[i].what) == 0;
		if (same == n && !rows[i].what[0]) {
			printf(": none runs a polus patch\n");
			return;
		}
		if (same == n) {
			printf(": all run %s\n", rows[i].what);
			return;
		}
		printf("%s%zu run%s %s", groups++ ? "; " : ": ", same, same == 1 ? "s" : "",
		       rows[i].what[0] ? rows[i].what : "no patch");
	}
	printf("\n");
}

static void json_row(const struct ms_row *r)
{
	printf("{\"pid\":%d,\"ppid\":%d,\"comm\":", (int)r->p.pid, (int)r->p.ppid);
	json_str(stdout, r->p.comm);
	printf(",\"build_id\":");
	json_str(stdout, r->p.build_id);
	printf(",\"error\":");
	json_str(stdout, r->rc ? strerror(-r->rc) : NULL);
	printf(",\"patches\":[");
	for (size_t i = 0; i < r->n; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str(stdout, r->v[i].name);
		printf(",\"build_id\":");
		json_str(stdout, r->v[i].build_id);
		printf(",\"state\":");
		json_str(stdout, r->v[i].state);
		printf(",\"functions\":%zu}", r->v[i].nfns);
	}
	printf("]}");
}

static void print_json(const char *bid, const struct ms_row *rows, size_t n)
{
	int same = 1;
	printf("{\"build_id\":");
	json_str(stdout, bid);
	printf(",\"processes\":[");
	for (size_t i = 0; i < n; i++) {
		printf("%s", i ? "," : "");
		json_row(&rows[i]);
		same &= strcmp(rows[i].what, rows[0].what) == 0;
	}
	printf("],\"consistent\":%s}\n", same ? "true" : "false");
}

/* The processes, each with its registry; those gone meanwhile are dropped. */
static int collect(struct pfind_proc *v, size_t n, struct ms_row **rows, size_t *nrows)
{
	char err[512];
	*nrows = 0;
	if (!(*rows = calloc(n + 1, sizeof(**rows))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct ms_row *r = &(*rows)[*nrows];
		r->p = v[i];
		struct pfind_proc now;
		r->rc = pfind_registry(v[i].pid, &r->v, &r->n, err, sizeof(err));
		if (r->rc == -ESRCH || (!r->n && pfind_one(v[i].pid, &now) != 0)) {
			reg_free(r->v, r->n); /* it ended meanwhile (a zombie's map is empty) */
			r->v = NULL;
			continue;
		}
		describe(r);
		(*nrows)++;
	}
	return 0;
}

int ms_cli(const char *binary, pid_t root, int json)
{
	char bid[130] = "", err[512];
	struct pfind_proc *v = NULL;
	struct ms_row *rows = NULL;
	size_t n = 0, nrows = 0;
	int rc;
	if (binary && (rc = pfind_file_build_id(binary, bid, sizeof(bid), err, sizeof(err)))) {
		fprintf(stderr, "polus-status: %s\n",
			rc == -ENOENT ? "the binary has no build-id" : err);
		return PX_INPUT;
	}
	char *path = binary ? realpath(binary, NULL) : NULL;
	rc = binary ? pfind_by_binary(bid, path, &v, &n) : pfind_tree(root, &v, &n);
	free(path);
	if (!rc)
		rc = collect(v, n, &rows, &nrows);
	free(v);
	if (!rc && !nrows) {
		if (binary)
			fprintf(stderr, "polus-status: no running process runs %s (build %s)\n",
				binary, bid);
		else
			fprintf(stderr, "polus-status: no such process: %d\n", (int)root);
		free(rows);
		return PX_INPUT;
	}
	if (rc) {
		fprintf(stderr, "polus-status: %s\n",
			rc == -ESRCH ? "no such process" : strerror(-rc));
		free(rows);
		return rc == -ESRCH ? PX_INPUT : PX_INTERNAL;
	}
	if (json) {
		print_json(binary ? bid : NULL, rows, nrows);
	} else {
		for (size_t i = 0; i < nrows; i++)
			print_row(&rows[i]);
		print_summary(rows, nrows);
	}
	for (size_t i = 0; i < nrows; i++)
		reg_free(rows[i].v, rows[i].n);
	free(rows);
	return PX_OK;
}
