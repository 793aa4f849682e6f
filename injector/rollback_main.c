/*
 * polus-rollback PID [NAME] — undo polus patches in a running process, live.
 *
 * Phases, in order (each a function below; the first four never touch the process):
 *   check_process   the process exists, may be traced, is dynamically linked, untraced
 *                   (session.h, as polus-apply)
 *   read_registry   the records of the patches applied, in the order they went live
 *   plan            what to undo, newest first (rollback.h): the newest patch; NAME, which
 *                   must be the newest; --all; or --to NAME, every patch above NAME
 *   check_sites     each site still holds the jump its patch wrote
 *   stop_threads    every thread stopped, none inside a site (retried as polus-apply
 *                   does), the sites checked again under the stop; for a patch that
 *                   changed the type of a variable, none running the patch's code either
 *                   (retried up to RD_WAIT_MS, then exit 3), and each such variable synced
 *                   back new -> old (rollback_data.h)
 *   restore         the original bytes written back at every site, newest patch first,
 *                   and the records' state set to rolled-back, all by one call of polus's
 *                   runtime in the target (polus_rt_commit, runtime_io.h): killed at any
 *                   instant, polus-rollback leaves every site and the registry as before
 *                   or as after (docs/transactions.md). A process whose registry records
 *                   no runtime of this polus (patched by an older one) is restored
 *                   through /proc/PID/mem, with a warning that it is not crash-atomic
 *   release         threads let go; EINTR'd calls re-issued; the pause measured; one
 *                   history line per patch undone
 * One updater at a time: the update lock is taken first (update_lock.h; --wait).
 * Every change goes into the undo log as it is made; an error up to the end of restore
 * undoes it, newest first. The patch images stay mapped: a thread inside new code keeps
 * running it until it returns (as old invocations do on an apply), pointers into them may
 * have escaped, and an apply of the same patch again reuses them. Exit codes:
 * common/exitcodes.h.
 */
#include "cli.h"
#include "dryrun.h"
#include "errmsg.h"
#include "exitcodes.h"
#include "jsonout.h"
#include "oplog.h"
#include "procfs.h"
#include "ptrace_ctl.h"
#include "registry_io.h"
#include "rollback.h"
#include "rollback_data.h"
#include "runtime_io.h"
#include "session.h"
#include "stopfree_apply.h"
#include "target.h"
#include "test_kill.h"
#include "thread_scan.h"
#include "undo_log.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STOP_TIMEOUT_MS 3000
#define TOOL "polus-rollback"

struct rollback {
	pid_t pid;
	enum rb_mode mode;
	const char *name;
	struct tg_info tg;
	int have_tg;
	int memfd;
	struct ri_ctx reg;
	struct rb_ctx rb;
	struct ul_log log;
	struct rt_ctx rt;    /* polus's runtime in the target (runtime_io.h) */
	int atomic;	     /* it is there: the restore is one call of it */
	struct rl_ctx rl;    /* the thread that makes that call */
	struct lk_lock lock; /* one updater at a time (update_lock.h) */
	char synced[512];    /* "; VAR: synced new -> old" for each, for the history */
	struct pt_group g;
	int stopped;
	size_t nthreads;
	uint64_t pause_ns;
	char err[1024];
};

static int quiet, json, check_only;
static int wait_ms; /* --wait: for another updater of the process */
/* POLUS_TEST_FAIL_AT=step:N (tests only): fail after the Nth change, as polus-apply does */
static unsigned fail_step;

#define fail(r, code, ...) px_err((r)->err, sizeof((r)->err), code, __VA_ARGS__)

/* A progress line (cli.h), silent with --quiet or --json. */
#define step(...) cli_step(quiet || json, __VA_ARGS__)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: polus-rollback [options] PID [NAME]\n"
		"       polus-rollback [options] --all PID\n"
		"       polus-rollback [options] --to NAME PID\n"
		"       polus-rollback --version\n"
		"Undoes polus patches in the running process PID, live: the original code comes\n"
		"back at every function a patch redirected, all threads stopped briefly. Without\n"
		"NAME the newest patch is undone; NAME (a patch's name or build-id) must be the\n"
		"newest applied. A thread inside new code keeps running it until it returns; the\n"
		"patch stays mapped, and applying it again reuses it.\n"
		"  -a, --all      undo every patch, newest first: back to the release the\n"
		"                 process started as\n"
		"  -t, --to NAME  undo the patches applied after NAME: back to the state right\n"
		"                 after NAME\n"
		"  -w, --wait SECS  another polus-apply or polus-rollback is updating PID:\n"
		"                 wait up to SECS for it (default: refuse at once, exit 3)\n"
		"  -c, --check    run every check of the rollback and change nothing: exit 0\n"
		"                 when it would roll back, else the code it would give\n"
		"  -L, --no-log   do not log the rollback or refusal to the system log (also\n"
		"                 POLUS_NO_SYSLOG=1)\n"
		"  -q, --quiet    print nothing but errors\n"
		"  -j, --json     print one JSON object describing the result\n"
		"  -V, --version  polus's version, its formats, the GCC of its plugin\n"
		"  -h, --help     this text\n" PX_HELP_TEXT);
}

static int undo_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct rollback *r = ctx;
	return pf_mem_write(r->memfd, addr, buf, len);
}

static int no_close(void *ctx, long fd)
{
	(void)ctx;
	(void)fd;
	return -ENOSYS; /* polus-rollback opens nothing in the target */
}

static int no_unmap(void *ctx, uint64_t addr, uint64_t len)
{
	(void)ctx;
	(void)addr;
	(void)len;
	return -ENOSYS; /* nor maps anything */
}

static int read_registry(struct rollback *r, struct reg_patch **v, size_t *n)
{
	int rc = ri_list(&r->reg, v, n);
	if (rc == -ENOENT) {
		*v = NULL;
		*n = 0;
		return 0;
	}
	return rc;
}

static int plan(struct rollback *r)
{
	struct reg_patch *v;
	size_t n;
	int rc = read_registry(r, &v, &n);
	if (rc)
		return rc;
	return rb_plan(&r->rb, v, n, r->mode, r->name);
}

static int stop_threads(struct rollback *r)
{
	int rc = ts_stop_clear(r->pid, &r->g, r->rb.sites, r->rb.nsites, r->memfd, STOP_TIMEOUT_MS,
			       rb_verify, &r->rb, &r->stopped, r->err, sizeof(r->err));
	if (rc)
		return rc;
	r->nthreads = pt_nstopped(&r->g);
	return 0;
}

/* A variable synced back: printed, and kept for the history line. */
static void sync_line(void *ctx, const char *text)
{
	struct rollback *r = ctx;
	size_t o = strlen(r->synced);
	step("%s", text);
	snprintf(r->synced + o, sizeof(r->synced) - o, "; %s", text);
}

/* The variables of the plan synced back, in the thread that makes the commit. */
static int sync_back(struct rollback *r)
{
	if (!rd_count(&r->rb))
		return 0;
	if (rs_set_trampoline(&r->rl.rs, r->rt.base + r->rt.off_tramp) != 0)
		return fail(r, PX_INTERNAL, "process %d: the runtime at 0x%llx is not ours",
			    (int)r->pid, (unsigned long long)r->rt.base);
	return rd_sync_back(&r->rb, &r->rl.rs, sync_line, r, r->err, sizeof(r->err));
}

static void release(struct rollback *r);

/*
 * Every thread stopped (stop_threads), and, when the plan syncs variables back, none
 * running the code of their patch: retried with the threads let go in between, up to
 * RD_WAIT_MS (then unsafe now, naming the thread).
 */
static int stop_without_new_code(struct rollback *r)
{
	uint64_t end = pt_now_ns() + (uint64_t)RD_WAIT_MS * 1000000u;
	char what[256];
	unsigned ms = 2, tries = 0;
	for (;; tries++) {
		int rc = stop_threads(r), busy;
		if (rc)
			return rc;
		if (!rd_count(&r->rb))
			break;
		if (tg_refresh_maps(&r->tg) != 0)
			return fail(r, PX_INTERNAL, "cannot re-read the map of process %d",
				    (int)r->pid);
		busy = rd_busy(&r->rb, &r->tg.maps, &r->g, r->memfd, what, sizeof(what));
		if (busy < 0)
			return fail(r, PX_INTERNAL, "out of memory");
		if (!busy)
			break;
		release(r);
		if (pt_now_ns() >= end)
			return fail(r, PX_UNSAFE, "unsafe to roll back now: %s", what);
		struct timespec ts = {0, (long)ms * 1000000};
		nanosleep(&ts, NULL);
		ms = ms < 64 ? ms * 2 : ms;
	}
	if (tries)
		step("attached %zu thread%s (%u tries: the patch's code was running)", r->nthreads,
		     r->nthreads == 1 ? "" : "s", tries + 1);
	else
		step("attached %zu thread%s", r->nthreads, r->nthreads == 1 ? "" : "s");
	return 0;
}

/* Every site and the records' state by one call of the runtime, in a thread held. */
static int restore_atomic(struct rollback *r)
{
	struct pt_thread *t = ss_pick_worker(r->pid, &r->g);
	struct ri_stage st = {0};
	int rc;
	if (!t)
		return fail(r, PX_INTERNAL, "no stopped thread to work with");
	if ((rc = rl_attach(&r->rl, t, &r->tg.maps)) || (rc = sync_back(r)) ||
	    (rc = ri_stage_state(&r->reg, r->rb.undo, r->rb.nundo, REG_STATE_ROLLED_BACK, &st))) {
		ri_stage_free(&st);
		return rc;
	}
	struct rt_commit_job j = {.sites = r->rb.sites,
				  .nsites = r->rb.nsites,
				  .publish = st.at,
				  .publish_byte = st.at_byte,
				  .journal = st.journal,
				  .journal_room = st.journal_room,
				  .revert = 1,
				  .copy = st.copy,
				  .was = st.was,
				  .copy_len = st.copy_len};
	rc = rt_commit(&r->rt, &r->rl, &r->tg, &j);
	ri_stage_free(&st);
	return rc;
}

static int restore(struct rollback *r)
{
	int rc = ri_read(&r->reg);
	if (!rc && r->atomic)
		rc = restore_atomic(r);
	else if (!rc)
		rc = rb_restore(&r->rb, &r->log, &r->reg, undo_write, r);
	tk_step("restored");
	if (rc)
		return rc;
	if (fail_step)
		return fail(r, PX_INTERNAL,
			    "test failure: step %u not reached, the rollback made %u changes "
			    "(POLUS_TEST_FAIL_AT)",
			    fail_step, r->log.steps);
	ul_commit(&r->log);
	for (size_t u = 0; u < r->rb.nundo; u++) {
		size_t nf = rb_functions(&r->rb, r->rb.undo[u]);
		step("rolled back %s: %zu function%s restored", r->rb.v[r->rb.undo[u]].name, nf,
		     nf == 1 ? "" : "s");
	}
	return 0;
}

static void release(struct rollback *r)
{
	if (!r->stopped)
		return;
	pt_release(&r->g, &r->pause_ns);
	r->stopped = 0;
}

/* One history line per patch undone; a failure here loses only the history. */
static void record_history(struct rollback *r)
{
	struct reg_event *ev = calloc(r->rb.nundo + 1, sizeof(*ev));
	char keep[sizeof(r->err)];
	if (!ev)
		return;
	for (size_t u = 0; u < r->rb.nundo; u++)
		ri_event(&ev[u], REG_ACT_ROLLBACK, &r->rb.v[r->rb.undo[u]], r->pause_ns);
	char result[sizeof(r->synced) + 8];
	snprintf(result, sizeof(result), "%s%s", REG_RESULT_OK, r->synced);
	for (size_t u = 0; u < r->rb.nundo; u++)
		ev[u].result = result;
	memcpy(keep, r->err, sizeof(keep));
	ri_add_events(&r->reg, ev, r->rb.nundo);
	memcpy(r->err, keep, sizeof(keep));
	free(ev);
}

static void say_plan(struct rollback *r)
{
	char names[512] = "";
	size_t o = 0;
	for (size_t u = 0; u < r->rb.nundo && o < sizeof(names); u++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", u ? ", " : "",
				      r->rb.v[r->rb.undo[u]].name);
	step("process %d runs build %s; rolling back %s", (int)r->pid, r->tg.build_id, names);
}

static int live_phases(struct rollback *r)
{
	static const struct ul_ops ops = {no_close, no_unmap, undo_write, NULL, NULL, NULL};
	struct ul_ops o = ops;
	int rc;
	o.ctx = r;
	ul_init(&r->log, &o);
	ul_fail_at(&r->log, fail_step);
	ss_hold_signals();
	ss_rt_enter();
	if ((rc = stop_without_new_code(r)) || (rc = restore(r)))
		ul_undo_noting(&r->log, r->err, sizeof(r->err));
	release(r);
	ss_rt_leave();
	return rc;
}

/* --check: every thread held for a moment as the restore would hold it, none inside a
 * site it would write (dryrun); nothing written. */
static int check_live(struct rollback *r)
{
	struct dr_result d;
	int rc = dr_hold_check(r->pid, r->rb.sites, r->rb.nsites, r->memfd, STOP_TIMEOUT_MS, &d,
			       r->err, sizeof(r->err));
	if (rc)
		return rc;
	r->nthreads = d.nthreads;
	r->pause_ns = d.pause_ns;
	step("check: %zu thread%s held %.2f ms, none in a site; nothing changed", d.nthreads,
	     d.nthreads == 1 ? "" : "s", (double)d.pause_ns / 1e6);
	return 0;
}

/*
 * Without our runtime the bytes go back through /proc/PID/mem, ORIG-BYTES at OLD-ADDR:
 * right for a stop-the-world jump, wrong for a stop-free one (its OLD-ADDR is the
 * padding, its site holds a short jump: stopfree_apply.h), which only a runtime reverts.
 */
static int no_stopfree_sites(struct rollback *r)
{
	for (size_t k = 0; k < r->rb.nsites; k++) {
		uint8_t old[RT_SITE_MAX], new[RT_SITE_MAX];
		const struct ps_site *s = &r->rb.sites[k];
		if (sf_revert_bytes(r->memfd, s, old, new) > 0)
			return fail(
			    r, PX_NOTAPPLY,
			    "function %s of patch %s was switched stop-free by another polus "
			    "(process %d holds no runtime of this one): roll it back with "
			    "that polus",
			    s->name, r->rb.v[r->rb.site_rec[k]].name, (int)r->pid);
	}
	return 0;
}

static int run(struct rollback *r)
{
	int rc;
	if ((rc = ss_take_lock(&r->lock, r->pid, wait_ms, r->err, sizeof(r->err))) ||
	    (rc = ss_check_process(r->pid, &r->tg, &r->have_tg, r->err, sizeof(r->err))) ||
	    (rc = rt_open(&r->rt, r->err, sizeof(r->err))))
		return rc;
	if ((r->memfd = pf_mem_open(r->pid, 1)) < 0)
		return fail(r, r->memfd == -EACCES || r->memfd == -EPERM ? PX_INPUT : PX_INTERNAL,
			    "cannot open the memory of process %d: %s", (int)r->pid,
			    strerror(-r->memfd));
	ri_init(&r->reg, r->memfd, &r->tg, &r->log, r->err, sizeof(r->err));
	rl_init(&r->rl, r->pid, r->memfd, 0, &r->log, r->err, sizeof(r->err));
	rb_init(&r->rb, r->pid, r->memfd, r->err, sizeof(r->err));
	if ((rc = plan(r)))
		return rc;
	if (!r->rb.nundo) {
		step("process %d: nothing to roll back (%s)", (int)r->pid,
		     r->mode == RB_TO ? "no patch was applied after it"
				      : "it runs the release it started as");
		return 0;
	}
	if ((rc = rb_sites(&r->rb)) || (rc = rt_find(&r->rt, &r->tg, r->memfd, &r->atomic)))
		return rc;
	if (!r->atomic && rd_count(&r->rb))
		return fail(r, PX_NOTAPPLY,
			    "process %d holds no runtime of this polus (patched by an older one): "
			    "the variables whose type its patches changed cannot be synced back",
			    (int)r->pid);
	if (!r->atomic && (rc = no_stopfree_sites(r)))
		return rc;
	if (!r->atomic && !check_only)
		fprintf(stderr,
			"%s: warning: process %d holds no runtime of this polus (patched by an "
			"older one): the rollback is not crash-atomic\n",
			TOOL, (int)r->pid);
	say_plan(r);
	if (check_only)
		return check_live(r);
	if ((rc = live_phases(r)))
		return rc;
	step("pause %.2f ms (max over %zu thread%s)", (double)r->pause_ns / 1e6, r->nthreads,
	     r->nthreads == 1 ? "" : "s");
	record_history(r);
	return 0;
}

/* The rollback or its refusal in the system log (oplog): one entry per process. */
static void log_rollback(const struct rollback *r, int rc)
{
	const char *name = r->rb.nundo ? r->rb.v[r->rb.undo[0]].name : NULL;
	struct ol_entry e = {"rollback", r->pid,      r->have_tg ? r->tg.exe_path : NULL,
			     NULL,	 name,	      rc,
			     r->err,	 r->pause_ns, "rolled-back",
			     NULL};
	ol_log(TOOL, &e);
}

static void print_json(const struct rollback *r)
{
	printf("{\"pid\":%d,%s\"threads\":%zu,\"pause_ns\":%llu,\"rolled_back\":[", (int)r->pid,
	       check_only ? "\"check\":\"would-roll-back\"," : "", r->nthreads,
	       (unsigned long long)r->pause_ns);
	for (size_t u = 0; u < r->rb.nundo; u++) {
		const struct reg_patch *p = &r->rb.v[r->rb.undo[u]];
		printf("%s{\"name\":", u ? "," : "");
		json_str(stdout, p->name);
		printf(",\"build_id\":");
		json_str(stdout, p->build_id);
		printf(",\"load_addr\":\"0x%llx\",\"functions\":[",
		       (unsigned long long)p->load_addr);
		for (size_t k = 0; k < p->nfns; k++) {
			printf("%s{\"name\":", k ? "," : "");
			json_str(stdout, p->fns[k].name);
			printf(",\"addr\":\"0x%llx\"}", (unsigned long long)p->fns[k].old_addr);
		}
		printf("]}");
	}
	printf("]}\n");
}

static int parse_args(int argc, char **argv, struct rollback *r)
{
	static const struct option opts[] = {
	    {"all", no_argument, 0, 'a'},	 {"to", required_argument, 0, 't'},
	    {"quiet", no_argument, 0, 'q'},	 {"json", no_argument, 0, 'j'},
	    {"check", no_argument, 0, 'c'},	 {"no-log", no_argument, 0, 'L'},
	    {"help", no_argument, 0, 'h'},	 {"version", no_argument, 0, 'V'},
	    {"wait", required_argument, 0, 'w'}, {0, 0, 0, 0}};
	int c, nmodes = 0;
	char *end;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "at:qjcLhVw:", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			r->mode = RB_ALL;
			nmodes++;
			break;
		case 't':
			r->mode = RB_TO;
			r->name = optarg;
			nmodes++;
			break;
		case 'w':
			if (cli_seconds(TOOL, json, "--wait", optarg, &wait_ms))
				return PX_INPUT;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'c':
			check_only = 1;
			break;
		case 'L':
			ol_disable();
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			px_version_print(stdout, "polus-rollback");
			return -1;
		default: /* opterr = 0: this one line, not getopt's and then ours */
			if (optopt == 't')
				cli_fail(TOOL, json, PX_INPUT,
					 "--to needs a patch name (see --help)");
			else if (optopt == 'w')
				cli_fail(TOOL, json, PX_INPUT,
					 "--wait needs a number of seconds (see --help)");
			else if (optopt)
				cli_fail(TOOL, json, PX_INPUT, "unknown option -%c (see --help)",
					 optopt);
			else
				cli_fail(TOOL, json, PX_INPUT, "unknown option %s (see --help)",
					 argv[optind - 1]);
			return PX_INPUT;
		}
	}
	int npos = argc - optind;
	if (nmodes > 1 || npos < 1 || npos > 2 || (nmodes && npos != 1)) {
		char many[512];
		if (npos > 1 && cli_several_pids(argv + optind, npos, "", many, sizeof(many)))
			return cli_fail(TOOL, json, PX_INPUT, "%s", many);
		return cli_fail(TOOL, json, PX_INPUT,
				"expected PID [NAME], --all PID or --to NAME PID (see --help)");
	}
	long pid = strtol(argv[optind], &end, 10);
	if (*end || pid <= 0 || pid > 0x7fffffff) {
		return cli_fail(TOOL, json, PX_INPUT, "not a process id: %s", argv[optind]);
	}
	r->pid = (pid_t)pid;
	if (npos == 2) {
		r->mode = RB_NAMED;
		r->name = argv[optind + 1];
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rollback r;
	int rc;
	memset(&r, 0, sizeof(r));
	r.memfd = -1;
	if ((rc = parse_args(argc, argv, &r)))
		return rc < 0 ? PX_OK : rc;
	const char *at = getenv("POLUS_TEST_FAIL_AT");
	if (at && strncmp(at, "step:", 5) == 0)
		fail_step = (unsigned)strtoul(at + 5, NULL, 10);
	rc = run(&r);
	if (!check_only)
		log_rollback(&r, rc);
	if (rc)
		cli_fail(TOOL, json, rc, "%s", r.err[0] ? r.err : "failed");
	else if (json)
		print_json(&r);
	rb_free(&r.rb);
	rt_close(&r.rt);
	lk_release(&r.lock);
	ri_free(&r.reg);
	ul_free(&r.log);
	if (r.have_tg)
		tg_close(&r.tg);
	if (r.memfd >= 0)
		close(r.memfd);
	return rc;
}
