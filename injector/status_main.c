/*
 * polus-status PID — the polus patches applied to a running process.
 *
 * Reads the registry mapping ("polus:registry", runtime/registry.h) through
 * /proc/PID/mem without stopping the process. Exit codes (common/exitcodes.h): 0,
 * PX_INPUT bad input (no such process, no permission), PX_INTERNAL an unreadable
 * registry.
 */
#include "cli.h"
#include "exitcodes.h"
#include "jsonout.h"
#include "multi_status.h"
#include "procfs.h"
#include "registry.h"
#include "target.h"
#include "track_state.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOOL "polus-status"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: polus-status [--json] [--history] PID | --all BINARY | --tree PID\n"
		"       polus-status --version\n"
		"Lists the polus patches applied to process PID: for each, when it was applied,\n"
		"its state (applied, or rolled-back by polus-rollback), the pause it caused, and\n"
		"the functions it redirects (old -> new address).\n"
		"  -H, --history     every apply and rollback instead, oldest first: when, the\n"
		"                    patch, by which uid, the pause, the result\n"
		"  -a, --all BINARY  one line per running process of BINARY's build (by\n"
		"                    build-id) or of its path at another release: its\n"
		"                    patches; then whether all run the same\n"
		"  -t, --tree PID    the same for PID and all its descendants\n"
		"  -j, --json    print one JSON object (or the error)\n"
		"  -V, --version polus's version, its formats, the GCC of its plugin\n"
		"  -h, --help    this text\n" PX_HELP_TEXT);
}

static void fmt_time(uint64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_text(pid_t pid, const struct reg_patch *v, size_t n)
{
	char when[64];
	if (!n) {
		printf("process %d: no polus patches applied\n", (int)pid);
		return;
	}
	size_t back = 0;
	for (size_t i = 0; i < n; i++)
		back += strcmp(v[i].state, REG_STATE_ROLLED_BACK) == 0;
	printf("process %d: %zu polus patch%s", (int)pid, n, n == 1 ? "" : "es");
	if (back)
		printf(" (%zu rolled back)", back);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		fmt_time(v[i].applied_ns, when, sizeof(when));
		printf("patch %s  build %s  %s  applied %s  pause %.2f ms  at 0x%llx\n", v[i].name,
		       v[i].build_id[0] ? v[i].build_id : "-", v[i].state, when,
		       (double)v[i].pause_ns / 1e6, (unsigned long long)v[i].load_addr);
		for (size_t k = 0; k < v[i].nfns; k++)
			printf("  %s  0x%llx -> 0x%llx\n", v[i].fns[k].name,
			       (unsigned long long)v[i].fns[k].old_addr,
			       (unsigned long long)v[i].fns[k].new_addr);
		for (size_t k = 0; k < v[i].nlive; k++)
			printf("  live %s: %s\n", v[i].live[k].name, v[i].live[k].how);
		for (size_t k = 0; k < v[i].ndata; k++)
			printf("  data %s: %s\n", v[i].data[k].name, v[i].data[k].how);
	}
}

/* ],"KEY":[{"name":..,"SECOND":..},...  (the registry's live and data lines) */
static void print_pairs(const char *key, const char *second, const struct reg_live *v, size_t n)
{
	printf("],\"%s\":[", key);
	for (size_t k = 0; k < n; k++) {
		printf("%s{\"name\":", k ? "," : "");
		json_str(stdout, v[k].name);
		printf(",\"%s\":", second);
		json_str(stdout, v[k].how);
		printf("}");
	}
}

static void print_json(pid_t pid, const struct reg_patch *v, size_t n, const struct tst_view *tv)
{
	char when[64];
	printf("{\"pid\":%d,\"patches\":[", (int)pid);
	for (size_t i = 0; i < n; i++) {
		fmt_time(v[i].applied_ns, when, sizeof(when));
		printf("%s{\"name\":", i ? "," : "");
		json_str(stdout, v[i].name);
		printf(",\"build_id\":");
		json_str(stdout, v[i].build_id);
		printf(",\"state\":");
		json_str(stdout, v[i].state);
		printf(",\"applied\":\"%s\",\"applied_ns\":%llu,\"pause_ns\":%llu,"
		       "\"load_addr\":\"0x%llx\",\"functions\":[",
		       when, (unsigned long long)v[i].applied_ns, (unsigned long long)v[i].pause_ns,
		       (unsigned long long)v[i].load_addr);
		for (size_t k = 0; k < v[i].nfns; k++) {
			const struct reg_fn *f = &v[i].fns[k];
			printf("%s{\"name\":", k ? "," : "");
			json_str(stdout, f->name);
			printf(",\"old_addr\":\"0x%llx\",\"new_addr\":\"0x%llx\",\"orig_bytes\":\"",
			       (unsigned long long)f->old_addr, (unsigned long long)f->new_addr);
			for (size_t b = 0; b < f->norig; b++)
				printf("%02x", f->orig[b]);
			printf("\"}");
		}
		print_pairs("live", "how", v[i].live, v[i].nlive);
		print_pairs("data", "what", v[i].data, v[i].ndata);
		printf("]}");
	}
	printf("]");
	if (tv) { /* write tracking of old code (track_state) */
		printf(",");
		tst_print_json(stdout, tv);
	}
	printf("}\n");
}

/* --all BINARY or --tree PID (multi_status.h). */
static int multi_status(const char *all, const char *tree, int json)
{
	char *end;
	long pid = tree ? strtol(tree, &end, 10) : 0;
	if (tree && (*end || pid <= 0 || pid > 0x7fffffff)) {
		fprintf(stderr, "polus-status: not a process id: %s\n", tree);
		return PX_INPUT;
	}
	return ms_cli(all, (pid_t)pid, json);
}

static void print_history(pid_t pid, const struct reg_event *e, size_t n, uint64_t dropped)
{
	char when[64];
	printf("process %d: %zu update%s in the history", (int)pid, n, n == 1 ? "" : "s");
	if (dropped)
		printf(" (%llu older dropped)", (unsigned long long)dropped);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		fmt_time(e[i].at_ns, when, sizeof(when));
		printf("%s  %-8s  %s  build %s  uid %llu  pause %.2f ms  %s\n", when, e[i].action,
		       e[i].name, e[i].build_id[0] ? e[i].build_id : "-",
		       (unsigned long long)e[i].uid, (double)e[i].pause_ns / 1e6, e[i].result);
	}
}

static void print_history_json(pid_t pid, const struct reg_event *e, size_t n, uint64_t dropped)
{
	char when[64];
	printf("{\"pid\":%d,\"dropped\":%llu,\"history\":[", (int)pid, (unsigned long long)dropped);
	for (size_t i = 0; i < n; i++) {
		fmt_time(e[i].at_ns, when, sizeof(when));
		printf("%s{\"action\":", i ? "," : "");
		json_str(stdout, e[i].action);
		printf(",\"patch\":");
		json_str(stdout, e[i].name);
		printf(",\"build_id\":");
		json_str(stdout, e[i].build_id);
		printf(
		    ",\"time\":\"%s\",\"time_ns\":%llu,\"uid\":%llu,\"pause_ns\":%llu,\"result\":",
		    when, (unsigned long long)e[i].at_ns, (unsigned long long)e[i].uid,
		    (unsigned long long)e[i].pause_ns);
		json_str(stdout, e[i].result);
		printf("}");
	}
	printf("]}\n");
}

/* --history: the registry's history lines. */
static int show_history(long pid, const char *text, size_t used, int json)
{
	struct reg_event *e;
	size_t n;
	uint64_t dropped;
	char err[256];
	if (reg_decode_history(text, used, &e, &n, &dropped, err, sizeof(err)) != 0) {
		fprintf(stderr, "polus-status: process %ld: %s\n", pid, err);
		return PX_INTERNAL;
	}
	if (json)
		print_history_json((pid_t)pid, e, n, dropped);
	else
		print_history((pid_t)pid, e, n, dropped);
	reg_events_free(e, n);
	return PX_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, 0, 'j'},
					     {"history", no_argument, 0, 'H'},
					     {"help", no_argument, 0, 'h'},
					     {"all", required_argument, 0, 'a'},
					     {"tree", required_argument, 0, 't'},
					     {"version", no_argument, 0, 'V'},
					     {0, 0, 0, 0}};
	const char *all = NULL, *tree = NULL;
	int c, json = 0, history = 0, memfd, rc;
	char *end, *text = NULL, err[1024];
	struct pf_maps maps;
	struct reg_patch *v = NULL;
	size_t n = 0, used;
	uint64_t start;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jHha:t:V", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			history = 1;
			break;
		case 'a':
			all = optarg;
			break;
		case 't':
			tree = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return PX_OK;
		case 'V':
			px_version_print(stdout, "polus-status");
			return PX_OK;
		default: /* opterr = 0: this one line, not getopt's and then ours */
			if (optopt)
				return cli_fail(TOOL, json, PX_INPUT,
						"unknown option -%c (see --help)", optopt);
			return cli_fail(TOOL, json, PX_INPUT, "unknown option %s (see --help)",
					argv[optind - 1]);
		}
	}
	if ((all || tree) && argc == optind)
		return multi_status(all, tree, json);
	if (argc - optind != 1) {
		if (cli_several_pids(argv + optind, argc - optind, "", err, sizeof(err)))
			return cli_fail(TOOL, json, PX_INPUT, "%s", err);
		return cli_fail(TOOL, json, PX_INPUT, "expected one PID (see --help)");
	}
	long pid = strtol(argv[optind], &end, 10);
	if (*end || pid <= 0 || pid > 0x7fffffff)
		return cli_fail(TOOL, json, PX_INPUT, "not a process id: %s", argv[optind]);
	if ((rc = pf_maps_read((pid_t)pid, &maps)) != 0) {
		if (rc == -ENOENT || rc == -ESRCH)
			return cli_fail(TOOL, json, PX_INPUT, "no such process: %ld", pid);
		return cli_fail(TOOL, json, PX_INPUT, "cannot read the map of process %ld: %s", pid,
				strerror(-rc));
	}
	rc = tg_registry_find(&maps, &start, &start);
	if (rc == -ENOENT) {
		pf_maps_free(&maps);
		if (history)
			return show_history(pid, "", 0, json);
		if (json)
			printf("{\"pid\":%ld,\"patches\":[]}\n", pid);
		else
			printf("process %ld: no polus patches applied\n", pid);
		return PX_OK;
	}
	if ((memfd = pf_mem_open((pid_t)pid, 0)) < 0) {
		pf_maps_free(&maps);
		return cli_fail(TOOL, json, PX_INPUT, "cannot read the memory of process %ld: %s",
				pid, strerror(-memfd));
	}
	rc = tg_registry_read(memfd, &maps, &text, &used, &start);
	close(memfd);
	pf_maps_free(&maps);
	if (rc)
		return cli_fail(TOOL, json, PX_INTERNAL,
				"cannot read the registry of process %ld: %s", pid, strerror(-rc));
	if (reg_decode(text, used, &v, &n, err, sizeof(err)) != 0) {
		free(text);
		return cli_fail(TOOL, json, PX_INTERNAL, "process %ld: %s", pid, err);
	}
	if (history) {
		rc = show_history(pid, text, used, json);
		free(text);
		reg_free(v, n);
		return rc;
	}
	struct tst_view tv; /* a coexistence (write tracking), if the process has one */
	int have_tv = tst_view((pid_t)pid, text, &tv) == 0;
	free(text);
	if (json)
		print_json((pid_t)pid, v, n, have_tv ? &tv : NULL);
	else
		print_text((pid_t)pid, v, n);
	if (have_tv && !json)
		tst_print_text(stdout, &tv);
	if (have_tv)
		tst_view_free(&tv);
	reg_free(v, n);
	return PX_OK;
}
