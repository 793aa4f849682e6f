/*
 * polus-apply PID PATCH.so — live-apply a polus patch to a running process.
 *
 * Phases, in order (each a function below; the first seven never touch the process):
 *   check_process   the process exists, may be traced, is dynamically linked, untraced
 *   open_patch      PATCH.so is an ELF shared object with a valid .polus.version
 *   check_build     the process runs the build the patch is for (NT_GNU_BUILD_ID)
 *   check_chain     the patches it requires are applied, and it is not applied yet
 *   plan_placement  free address ranges within rel32 reach of the executable's code
 *   resolve_symbols binds and library symbols all resolve (a dry relocation)
 *   prepare_sites   each redirected function can take a jump (capstone)
 *   hijack          ONE thread stopped, to issue system calls; the others keep running;
 *                   its seccomp filters must allow every call remote_load may issue
 *   load_patch      memfd "polus:NAME" mapped near the program, image written, protected
 *                   (remote_load); the registry created on the first apply (registry_io)
 *   stop_threads    every thread stopped; retried while one is inside a patch site; the
 *                   threads running functions the warnings say never return are found
 *                   (thread_scan)
 *   sync_data       variables whose type changed: the stop retried while an old function
 *                   that writes one runs (until DA_WAIT_MS: unsafe now); then, in one
 *                   stopped thread, each one's sync old -> new, check, recover
 *                   (data_apply); a check still failing abandons the update
 *   switch_funcs    the patch's record added to the registry, a jmp rel32 written at each
 *                   old entry (no system call needed: both through /proc/PID/mem)
 *   release         threads let go; EINTR'd calls re-issued; the pause measured
 * Every change to the process goes into an undo log as it is made (undo_log); an error up
 * to the end of switch_funcs undoes the log, newest first, and names what could not be
 * undone. Loading before the stop keeps the system calls out of the all-threads pause.
 * Exit codes: common/exitcodes.h.
 */
#include "cli.h"
#include "dryrun.h"
#include "data_apply.h"
#include "exitcodes.h"
#include "errmsg.h"
#include "formats.h"
#include "jsonout.h"
#include "loader.h"
#include "multi_cli.h"
#include "oplog.h"
#include "patch_site.h"
#include "stopfree_apply.h"
#include "switch_method.h"
#include "placement.h"
#include "procfs.h"
#include "ptrace_ctl.h"
#include "registry_io.h"
#include "reuse.h"
#include "remote_load.h"
#include "runtime_io.h"
#include "seal.h"
#include "seccomp_eval.h"
#include "session.h"
#include "symresolve.h"
#include "target.h"
#include "test_kill.h"
#include "thread_frames.h"
#include "thread_scan.h"
#include "track_apply.h"
#include "undo_log.h"
#include "update_lock.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define MAX_CAND 8
#define STOP_TIMEOUT_MS 3000

struct apply {
	pid_t pid;
	const char *path;
	struct tg_info tg;
	int have_tg;
	struct ld_patch lp;
	int have_lp;
	struct sr_ctx sr;
	int memfd;
	struct ps_site *sites;
	size_t nsites;
	struct sw_choice sw; /* which switch, and why (switch_method) */
	uint64_t cand[MAX_CAND];
	size_t ncand;
	struct ld_image img;
	struct pt_group g;
	int stopped;  /* g holds threads */
	int hijacked; /* rl works through one of them */
	size_t nthreads;
	uint64_t load_pause_ns; /* the hijacked thread's stop while loading */
	uint64_t agent_ns;	/* stop-free: the runtime's agent held for the load and switch */
	struct ul_log log;	/* every change made to the process, until the switch is done */
	struct rl_ctx rl;
	struct ri_ctx reg;
	struct rt_ctx rt;	 /* the runtime: its file, and where it is in the target */
	struct lk_lock lock;	 /* one updater at a time (update_lock) */
	struct reg_patch *below; /* the registry's records when checked (check_chain) */
	size_t nbelow;
	int reg_absent; /* no registry when checked: its creation is among the seccomp calls */
	const struct reg_patch *again; /* this patch rolled back: its image reused (reuse.h) */
	uint64_t map_addr;
	struct reg_patch rec;
	uint64_t pause_ns;
	struct ts_warn *wr; /* per version-file warning */
	struct tf_hit *tf;  /* threads inside old functions (thread_frames) */
	size_t ntf;
	struct seal_info seal; /* the patch's digest and who signed it (open_patch) */
	struct da_report drep; /* what ran for the variables whose type changed */
	unsigned nstops;       /* stops of all threads (stop_without_writers retries) */
	struct ta_ctx ta;      /* write tracking of old code (track_apply) */
	char err[1024];
};

static int quiet, json, trace, check_only, no_wait, no_track;
static const char *trusted_keys; /* --require-signature DIR */
static int wait_ms;		 /* --wait: for another updater of the process */
static uint64_t trace_t0;
/* POLUS_TEST_FAIL_AT: tests only (see test_fail) */
static const char *fail_at;
static unsigned fail_step;

/* POLUS_TRACE=1: the time of each phase on stderr, to see where a pause goes. */
static void tmark(const char *what)
{
	if (!trace)
		return;
	uint64_t t = pt_now_ns();
	if (!trace_t0)
		trace_t0 = t;
	fprintf(stderr, "polus-apply: trace %8.3f ms %s\n", (double)(t - trace_t0) / 1e6, what);
}

/* A progress line (cli.h), silent with --quiet or --json. */
#define step(...) cli_step(quiet || json, __VA_ARGS__)

/* Records the one error line to print; returns the exit code. */
#define fail(a, code, ...) px_err((a)->err, sizeof((a)->err), code, __VA_ARGS__)

/*
 * For tests of the failure paths, POLUS_TEST_FAIL_AT makes the apply fail (exit 4) as a
 * real error would: =load|registry|stop|record|switch right after that phase, =step:N
 * right after the Nth change made to the process (undo_log: each memfd, mapping, the
 * registry, the record, each jump). A step beyond the last fails at the end of the
 * switch, saying how many there were, so a test can walk them all.
 */
static int test_fail(struct apply *a, const char *where)
{
	tk_step(where); /* a phase boundary: POLUS_TEST_KILL_AT counts it */
	if (fail_at && strcmp(fail_at, where) == 0)
		return fail(a, PX_INTERNAL, "test failure injected after %s (POLUS_TEST_FAIL_AT)",
			    where);
	if (fail_step && strcmp(where, "switch") == 0)
		return fail(a, PX_INTERNAL,
			    "test failure: step %u not reached, the apply made %u changes "
			    "(POLUS_TEST_FAIL_AT)",
			    fail_step, a->log.steps);
	return 0;
}

/* POLUS_TEST_FAIL_UNDO=TEXT (tests only): undoing a change whose name holds TEXT fails. */
static int test_fail_undo(void *ctx, const struct ul_entry *e)
{
	const char *what = getenv("POLUS_TEST_FAIL_UNDO");
	(void)ctx;
	return what && *what && strstr(e->what, what) ? -EIO : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: polus-apply [--quiet] [--json] [--check] [--no-log] [--wait SECS]\n"
		"                   [--require-signature DIR] PID PATCH.so\n"
		"       polus-apply [options] --all BINARY | --tree PID  PATCH.so\n"
		"       polus-apply [options] --store DIR  --all BINARY | --tree PID | PID\n"
		"       polus-apply --version\n"
		"Applies a polus patch to the running process PID: loads PATCH.so next to the\n"
		"program and redirects the functions it replaces, all threads stopped briefly.\n"
		"  -a, --all BINARY  every running process of BINARY's build (by build-id),\n"
		"                    parents first, until none is left without the patch\n"
		"  -t, --tree PID    the process PID and all its descendants, parents first\n"
		"  -s, --store DIR   the patches each process needs, from a patch store\n"
		"                    (docs/patch-store.md), in chain order; with --all,\n"
		"                    also BINARY's path at other releases\n"
		"  --deadline SECS   for --all/--tree/--store: stop retrying after SECS (30)\n"
		"  -w, --wait SECS   another polus-apply or polus-rollback is updating PID:\n"
		"                    wait up to SECS for it (default: refuse at once, exit 3)\n"
		"  -q, --quiet   print nothing but errors and warnings\n"
		"  -n, --check   run every check of an apply and change nothing: exit 0 if\n"
		"                the patch would apply now, else the code the apply would give\n"
		"                (threads are held a moment to check none is in a patch site)\n"
		"  -j, --json    print one JSON object describing the result (or the error)\n"
		"  --require-signature DIR  refuse a patch without a valid signature by one\n"
		"                of the public keys DIR/*.pub (polus-sign; also\n"
		"                POLUS_REQUIRE_SIGNATURE=DIR). Every patch's digest is checked.\n"
		"  --no-wait     return once switched while old code still writes a variable\n"
		"                whose type changed (polus-status shows the coexistence)\n"
		"  --no-track    wait (3 s) for such old code to return instead of tracking\n"
		"                its writes\n"
		"  --no-log      do not log the apply or refusal to the system log (also\n"
		"                POLUS_NO_SYSLOG=1)\n"
		"  -V, --version polus's version, its formats, the GCC of its plugin\n"
		"  -h, --help    this text\n" PX_HELP_TEXT);
}

static int check_process(struct apply *a)
{
	return ss_check_process(a->pid, &a->tg, &a->have_tg, a->err, sizeof(a->err));
}

static int take_lock(struct apply *a)
{
	return ss_take_lock(&a->lock, a->pid, wait_ms, a->err, sizeof(a->err));
}

static int open_patch(struct apply *a)
{
	/* the file's form (the loader's checks, which name what is wrong with a file that is
	 * no patch at all), then its seal, before anything of it is used */
	int rc = ld_open(a->path, &a->lp, a->err, sizeof(a->err));
	if (rc)
		return PX_INPUT;
	a->have_lp = 1;
	return seal_check_file(a->path, trusted_keys, &a->seal, a->err, sizeof(a->err));
}

static int check_build(struct apply *a)
{
	const char *want = a->lp.vf.target_build_id, *have = a->tg.build_id;
	if (strcasecmp(want, have) == 0)
		return 0;
	if (!a->tg.has_meta)
		return fail(
		    a, PX_NOTAPPLY,
		    "process %d was not built with the polus plugin (%s has no " POLUS_META_SECTION
		    " and build %s, the patch is for build %s)",
		    (int)a->pid, a->tg.exe_path, *have ? have : "(none)", want);
	return fail(a, PX_NOTAPPLY, "patch is for build %s, process %d runs build %s", want,
		    (int)a->pid, *have ? have : "(none)");
}

/* The applied record of the patch with build-id id among those below, or NULL. */
static const struct reg_patch *applied_below(const struct apply *a, const char *id)
{
	for (size_t i = 0; i < a->nbelow; i++)
		if (strcasecmp(a->below[i].build_id, id) == 0 &&
		    strcmp(a->below[i].state, REG_STATE_APPLIED) == 0)
			return &a->below[i];
	return NULL;
}

/* A site in an earlier patch's copy (old-in) must be in one this patch requires. */
static int check_old_in(struct apply *a)
{
	const struct vf_patch *vf = &a->lp.vf;
	for (size_t i = 0; i < vf->nfunctions; i++) {
		const struct vf_function *f = &vf->functions[i];
		size_t r = 0;
		while (f->old_in && r < vf->nrequires && strcasecmp(vf->requires[r], f -> old_in))
			r++;
		if (f->old_in && r == vf->nrequires)
			return fail(a, PX_INPUT,
				    "%s: function %s: old-in %s is not a patch it requires",
				    a->path, f->name, f->old_in);
	}
	return 0;
}

static int check_chain(struct apply *a)
{
	int rc = check_old_in(a);
	if (rc)
		return rc;
	rc = ri_list(&a->reg, &a->below, &a->nbelow);
	if (rc == -ENOENT) {
		if (a->lp.vf.nrequires)
			return fail(a, PX_NOTAPPLY,
				    "patch requires patch %s, which is not applied in process %d",
				    a->lp.vf.requires[0], (int)a -> pid);
		return 0;
	}
	if (rc)
		return rc;
	for (size_t r = 0; r < a->lp.vf.nrequires && !rc; r++)
		if (!applied_below(a, a->lp.vf.requires[r]))
			rc = fail(a, PX_NOTAPPLY,
				  "patch requires patch %s, which is not applied in process %d",
				  a->lp.vf.requires[r], (int)a -> pid);
	const struct reg_patch *self = a->lp.build_id[0] ? applied_below(a, a->lp.build_id) : NULL;
	if (!rc && self)
		rc = fail(a, PX_NOTAPPLY,
			  "patch %s (build %s) is already applied to "
			  "process %d",
			  self->name, a->lp.build_id, (int)a->pid);
	a->again = ru_find(a->below, a->nbelow, a->lp.build_id);
	return rc;
}

static int plan_placement(struct apply *a)
{
	uint64_t span = a->lp.span_hi - a->lp.span_lo;
	if (a->again) { /* where its image still is */
		a->cand[0] = a->again->load_addr;
		a->ncand = 1;
		return 0;
	}
	a->ncand = pl_candidates(&a->tg.maps, a->tg.exe_lo, a->tg.exe_hi, a->tg.heap_end != 0, span,
				 a->cand, MAX_CAND);
	if (!a->ncand)
		return fail(
		    a, PX_NOTAPPLY,
		    "process %d: no free address range of %llu KiB within 2 GiB of its code",
		    (int)a->pid, (unsigned long long)(span >> 10));
	return 0;
}

static struct ld_target ld_target_of(struct apply *a)
{
	struct ld_target t = {a->tg.bias, a->tg.has_tls, a->tg.tls_offset, sr_lookup, &a->sr};
	return t;
}

static int resolve_symbols(struct apply *a)
{
	struct ld_target t;
	int rc = sr_open(&a->sr, a->pid, &a->tg.maps, a->tg.exe_path, a->memfd);
	if (rc)
		return fail(a, PX_INTERNAL, "process %d: cannot read its libraries: %s",
			    (int)a->pid, strerror(-rc));
	t = ld_target_of(a);
	if (ld_relocate(&a->lp, &t, a->cand[0], &a->img, a->err, sizeof(a->err)) != 0)
		return PX_NOTAPPLY;
	return 0;
}

/* A patch rolled back before: its image is reused if it is still there, intact. */
static int reuse_image(struct apply *a)
{
	char why[256];
	struct ld_target t = ld_target_of(a);
	int rc;
	if (!a->again)
		return 0;
	if ((rc = ru_check(a->memfd, &a->tg.maps, &a->lp, &a->img, why, sizeof(why))) <= 0)
		return rc ? fail(a, PX_INTERNAL, "out of memory") : 0;
	step("patch %s was rolled back, but %s: loading it again", a->again->name, why);
	a->again = NULL;
	ld_image_free(&a->img);
	if ((rc = plan_placement(a)))
		return rc;
	return ld_relocate(&a->lp, &t, a->cand[0], &a->img, a->err, sizeof(a->err)) ? PX_NOTAPPLY
										    : 0;
}

static int prepare_sites(struct apply *a)
{
	const struct vf_patch *vf = &a->lp.vf;
	if (!(a->sites = calloc(vf->nfunctions + 1, sizeof(*a->sites))))
		return fail(a, PX_INTERNAL, "out of memory");
	for (size_t i = 0; i < vf->nfunctions; i++) {
		const struct vf_function *f = &vf->functions[i];
		const char *nm = f->name ? f->name : "?";
		if (f->new_addr < a->lp.span_lo || f->new_addr >= a->lp.span_hi)
			return fail(a, PX_INPUT,
				    "%s: function %s: new-addr 0x%llx is outside the "
				    "patch image",
				    a->path, nm, (unsigned long long)f->new_addr);
		if (!f->redirect)
			continue;
		if (!f->old_symbol && !f->old_addr)
			return fail(a, PX_INPUT, "%s: function %s: redirect without old-addr",
				    a->path, nm);
		if (!f->old_size)
			return fail(a, PX_INPUT,
				    "%s: function %s: no old-size in the version file "
				    "(needed to check the patch site)",
				    a->path, nm);
		struct ps_site *s = &a->sites[a->nsites];
		s->name = nm;
		/* a site in an earlier patch's copy: old_addr is from where it was loaded */
		s->func =
		    (f->old_in ? applied_below(a, f->old_in)->load_addr : a->tg.bias) + f->old_addr;
		s->size = f->old_size;
		s->padded = f->padded;
		int rc = ps_prepare(a->memfd, s, a->err, sizeof(a->err));
		if (rc == -EINVAL)
			return PX_NOTAPPLY;
		if (rc)
			return rc == -EIO ? PX_NOTAPPLY : PX_INTERNAL;
		a->nsites++;
	}
	struct sw_facts facts;
	sw_read_facts(a->pid, &facts); /* what cannot be read counts as absent */
	facts.data = vf->ndata != 0;
	sw_choose(a->sites, a->nsites, 1, &facts, &a->sw);
	return 0;
}

static struct rl_job job_of(struct apply *a)
{
	struct rl_job j = {&a->lp, ld_target_of(a), a->cand, a->ncand,
			   a->lp.vf.name ? a->lp.vf.name : "patch"};
	return j;
}

/*
 * A thread in seccomp filter mode must allow every call remote_load may issue (the list
 * it gives, from the constants its calls use); forbidden, or filters we may not read:
 * either way we cannot know it is safe.
 */
static int check_seccomp(struct apply *a, const struct pt_thread *t)
{
	char buf[32];
	struct rl_job j = job_of(a);
	if (pf_status_field(a->pid, t->tid, "Seccomp", buf, sizeof(buf)) != 0 || atoi(buf) != 2)
		return 0;
	size_t n = rl_calls(&a->rl, &j, a->reg_absent, NULL, 0);
	struct sc_call *calls = calloc(n, sizeof(*calls));
	if (!calls)
		return fail(a, PX_INTERNAL, "out of memory");
	rl_calls(&a->rl, &j, a->reg_absent, calls, n);
	int rc = sc_check(t->tid, t->regs.rip, calls, n, a->err, sizeof(a->err));
	free(calls);
	return rc ? PX_NOTAPPLY : 0;
}

static int choose_thread(struct apply *a)
{
	struct pt_thread *t = ss_pick_worker(a->pid, &a->g);
	int rc;
	if (!t)
		return fail(a, PX_INTERNAL, "no stopped thread to work with");
	if ((rc = rl_attach(&a->rl, t, &a->tg.maps)) || (rc = check_seccomp(a, t)))
		return rc;
	a->hijacked = 1;
	return 0;
}

/* Stops thread tid (of the program, or the runtime's agent) to work with. */
static int hijack_thread(struct apply *a, pid_t tid)
{
	int rc = pt_stop_one(a->pid, tid, &a->g, STOP_TIMEOUT_MS, a->err, sizeof(a->err));
	if (rc == -EBUSY || rc == -ETIMEDOUT)
		return PX_UNSAFE;
	if (rc)
		return rc == -ESRCH ? PX_INPUT : PX_INTERNAL;
	a->stopped = 1;
	return choose_thread(a);
}

/* Stops one thread to work with: one outside seccomp filter mode if there is one. */
static int hijack(struct apply *a)
{
	pid_t *tids = NULL, tid = a->pid;
	char buf[32];
	int n = pf_tasks(a->pid, &tids);
	for (int i = 0; i < n; i++)
		if (pf_status_field(a->pid, tids[i], "Seccomp", buf, sizeof(buf)) == 0 &&
		    atoi(buf) != 2) {
			tid = tids[i];
			break;
		}
	free(tids);
	return hijack_thread(a, tid);
}

/*
 * What an apply that died left in the target goes first: descriptors of polus memfds,
 * images and runtimes it mapped and never published (docs/transactions.md).
 */
static int clean_leftovers(struct apply *a)
{
	unsigned nfd = 0, nmap = 0;
	uint64_t *keep = NULL;
	size_t nkeep = 0;
	int rc = rl_close_strays(&a->rl, &nfd);
	if (!rc && (rc = ri_published(&a->reg, &keep, &nkeep)) != 0)
		rc = fail(a, PX_INTERNAL, "cannot read the registry of process %d: %s", (int)a->pid,
			  strerror(-rc));
	char sc[32];
	/* munmap of these addresses is not among the calls a seccomp filter was checked for */
	int filtered = pf_status_field(a->pid, a->rl.rs.t->tid, "Seccomp", sc, sizeof(sc)) == 0 &&
		       atoi(sc) == 2;
	if (!rc && !filtered)
		rc = rl_unmap_orphans(&a->rl, &a->tg.maps, keep, nkeep, &nmap);
	free(keep);
	if (!rc && nfd)
		step("closed %u descriptor%s left by a polus-apply that died", nfd,
		     nfd == 1 ? "" : "s");
	if (!rc && nmap)
		step("unmapped %u mapping%s a polus-apply that died loaded and never used", nmap,
		     nmap == 1 ? "" : "s");
	return rc;
}

static void release(struct apply *a)
{
	a->hijacked = 0;
	if (!a->stopped)
		return;
	pt_release(&a->g, &a->pause_ns);
	a->stopped = 0;
}

/*
 * The undo log's ways of taking a change back. A system call needs a thread to issue
 * it: one of the threads held, or one hijacked again if none is.
 */
static int undo_thread(struct apply *a)
{
	char keep[sizeof(a->err)];
	int rc = 0;
	if (a->hijacked)
		return 0;
	memcpy(keep, a->err, sizeof(keep)); /* the first error is the one to report */
	if (a->stopped && choose_thread(a) != 0)
		release(a);
	if (!a->stopped && hijack(a) != 0) {
		release(a);
		rc = -ESRCH;
	}
	memcpy(a->err, keep, sizeof(keep));
	return rc;
}

static int undo_close(void *ctx, long fd)
{
	struct apply *a = ctx;
	int rc = undo_thread(a);
	return rc ? rc : rl_close(&a->rl, fd);
}

static int undo_unmap(void *ctx, uint64_t addr, uint64_t len)
{
	struct apply *a = ctx;
	int rc = undo_thread(a);
	return rc ? rc : rl_unmap(&a->rl, addr, len);
}

static int write_code(struct apply *a, uint64_t addr, const void *buf, size_t len);
static void say_switched(struct apply *a);

static int undo_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	return write_code(ctx, addr, buf, len);
}

/* Takes back every change of this apply; what could not be is added to the error. */
static void undo(struct apply *a)
{
	ul_undo_noting(&a->log, a->err, sizeof(a->err));
}

static int load_patch(struct apply *a)
{
	struct rl_job j = job_of(a);
	int rc = rl_load(&a->rl, &j, &a->img, &a->map_addr);
	if (rc)
		return rc;
	step("loaded %s at 0x%llx (%u relocations, %u binds, %u library symbols)",
	     a->lp.vf.name ? a->lp.vf.name : a->path, (unsigned long long)a->map_addr,
	     a->img.nrelocs, a->img.nbinds, a->img.nlibsyms);
	return 0;
}

static int stop_threads(struct apply *a)
{
	int rc = ts_stop_idle(a->pid, &a->g, a->sites, a->nsites, a->memfd, STOP_TIMEOUT_MS,
			      &a->stopped, a->err, sizeof(a->err));
	if (rc)
		return rc;
	a->nthreads = pt_nstopped(&a->g);
	a->wr = ts_find_running(&a->lp.vf, a->tg.bias, &a->g, a->memfd);
	tf_find(&a->lp.vf, a->tg.bias, &a->g, a->memfd, &a->tf, &a->ntf);
	for (size_t i = 0; trace && i < a->g.n; i++) {
		const struct pt_thread *t = &a->g.v[i];
		char comm[32] = "?";
		pf_status_field(a->pid, t->tid, "Name", comm, sizeof(comm));
		if (t->state == PT_STOPPED && t->t_seen_ns - t->t_stop_ns > 1000000)
			fprintf(stderr, "polus-apply: trace thread %d (%s) took %.3f ms to stop\n",
				(int)t->tid, comm, (double)(t->t_seen_ns - t->t_stop_ns) / 1e6);
	}
	if (!a->nstops++) /* retried while an old writer runs: said once */
		step("attached %zu thread%s", a->nthreads, a->nthreads == 1 ? "" : "s");
	return 0;
}

/*
 * The threads held where no old function writing a variable whose type changed runs:
 * while one does, all are let go and stopped again, until DA_WAIT_MS (then unsafe now:
 * write tracking of old code would be needed).
 */
static int stop_without_writers(struct apply *a)
{
	uint64_t end = pt_now_ns() + (uint64_t)DA_WAIT_MS * 1000000u;
	struct da_wait st = {.n = 0};
	char what[512];
	for (;;) {
		int rc = stop_threads(a), busy;
		if (rc || !a->lp.vf.ndata)
			return rc;
		busy = da_busy(&a->lp.vf, a->tg.bias, &a->g, a->memfd, &st);
		if (busy < 0)
			return fail(a, PX_INTERNAL, "out of memory");
		if (!busy)
			return 0;
		if (!no_track && ta_possible(&a->lp.vf)) { /* track their writes, not wait */
			rc = ta_find(&a->ta, &a->lp.vf, a->tg.bias, a->tg.exe_path, &a->tg.maps,
				     &a->g, a->memfd);
			if (rc || a->ta.n || a->ta.exact) /* exact and none: no writer runs */
				return rc ? rc : a->ta.n ? ta_check_masks(&a->ta, &a->g) : 0;
		}
		release(a);
		free(a->wr); /* found again at the next stop */
		free(a->tf);
		a->wr = NULL;
		a->tf = NULL;
		a->ntf = 0;
		if (pt_now_ns() > end) {
			da_busy_text(a->pid, &a->lp.vf, &st, what, sizeof(what));
			return fail(a, PX_UNSAFE,
				    "unsafe to update now: %s (waited %d ms for it to return)",
				    what, DA_WAIT_MS);
		}
		struct timespec ts = {0, 10000000L};
		nanosleep(&ts, NULL);
	}
}

/* Write tracking armed in the chosen thread: libc's sigaction redirected when found. */
static int arm_tracking(struct apply *a)
{
	uint64_t sa = 0;
	char sub[256], line[1024];
	if (sr_lookup(&a->sr, "sigaction", &sa, sub, sizeof(sub)) != 0)
		sa = 0; /* a handler the program sets later then replaces the runtime's */
	int rc = ta_arm(&a->ta, &a->rl.rs, &a->rt, &a->lp.vf, a->tg.bias, a->img.base, sa);
	if (!rc) {
		ta_text(&a->ta, line, sizeof(line));
		step("%s", line);
	}
	return rc;
}

/* The syncs and checks of the variables whose type changed, threads held. */
static int sync_data(struct apply *a)
{
	int rc;
	if (!a->lp.vf.ndata)
		return 0;
	if ((rc = choose_thread(a)) || (a->ta.n && (rc = arm_tracking(a))))
		return rc;
	if (rs_set_trampoline(&a->rl.rs, a->rt.base + a->rt.off_tramp) != 0)
		return fail(a, PX_INTERNAL, "process %d: the runtime at 0x%llx is not ours",
			    (int)a->pid, (unsigned long long)a->rt.base);
	rc = da_run(&a->lp.vf, a->img.base, &a->rl.rs, &a->drep, a->err, sizeof(a->err));
	for (size_t i = 0; i < a->drep.n; i++)
		step("%s", a->drep.lines[i]);
	return rc;
}

/* Our record, with each site's old bytes and the new code it will jump to. */
static int fill_record(struct apply *a)
{
	const struct vf_patch *vf = &a->lp.vf;
	struct timespec now;
	size_t k = 0;
	clock_gettime(CLOCK_REALTIME, &now);
	a->rec.name = vf->name ? vf->name : (char *)"patch";
	a->rec.build_id = a->lp.build_id[0] ? a->lp.build_id : (char *)"-";
	a->rec.applied_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	a->rec.load_addr = a->map_addr;
	a->rec.state = (char *)REG_STATE_APPLIED;
	if (!(a->rec.fns = calloc(a->nsites + 1, sizeof(*a->rec.fns))))
		return fail(a, PX_INTERNAL, "out of memory");
	for (size_t i = 0; i < vf->nfunctions; i++) {
		if (!vf->functions[i].redirect)
			continue;
		struct ps_site *s = &a->sites[k];
		struct reg_fn *f = &a->rec.fns[k++];
		s->target = a->img.base + vf->functions[i].new_addr;
		f->name = (char *)s->name;
		f->old_addr = s->site;
		f->new_addr = s->target;
		f->norig = s->norig;
		memcpy(f->orig, s->orig, s->norig);
		int64_t rel = (int64_t)(s->target - (s->site + PS_JMP_LEN));
		if (rel != (int32_t)rel)
			return fail(a, PX_INTERNAL, "function %s: new code out of jump reach",
				    s->name);
	}
	a->rec.nfns = k;
	if (!(a->rec.live = calloc(vf->nlive + 1, sizeof(*a->rec.live))))
		return fail(a, PX_INTERNAL, "out of memory");
	for (size_t i = 0; i < vf->nlive; i++)
		a->rec.live[a->rec.nlive++] = (struct reg_live){vf->live[i].name, vf->live[i].how};
	if (!(a->rec.data = calloc(a->drep.n + 1, sizeof(*a->rec.data))))
		return fail(a, PX_INTERNAL, "out of memory");
	for (size_t i = 0; i < a->drep.n; i++) {
		char *line = a->drep.lines[i], *colon = strstr(line, ": ");
		if (colon) { /* "NAME: WHAT", printed already: split in place */
			*colon = 0;
			a->rec.data[a->rec.ndata++] = (struct reg_live){line, colon + 2};
		}
	}
	/* what polus-rollback syncs back before the old code takes over again */
	if (!(a->rec.back = calloc(vf->ndata + 1, sizeof(*a->rec.back))))
		return fail(a, PX_INTERNAL, "out of memory");
	for (size_t i = 0; i < vf->ndata; i++)
		if (vf->data[i].variable && vf->data[i].sync_new2old_addr)
			a->rec.back[a->rec.nback++] = (struct reg_back){
			    vf->data[i].variable, a->img.base + vf->data[i].sync_new2old_addr};
	return 0;
}

/*
 * Writes len bytes at addr of the target (its threads stopped): the executable's text or
 * an earlier patch's image, both private mappings that /proc/PID/mem writes copy on write,
 * so the bytes stay in this process (a child forked after the earlier patch keeps its own
 * code, whose jump would lead to an image it does not have).
 */
static int write_code(struct apply *a, uint64_t addr, const void *buf, size_t len)
{
	return pf_mem_write(a->memfd, addr, buf, len);
}

/* The functions the sites redirect: a chain's patch may jump from several copies of one. */
static size_t distinct_functions(const struct apply *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->nsites; i++) {
		size_t k = 0;
		while (k < i && strcmp(a->sites[k].name, a->sites[i].name))
			k++;
		n += k == i;
	}
	return n;
}

static int switch_funcs(struct apply *a)
{
	int rc;
	a->reg.prefix = a->rt.fresh ? a->rt.line : NULL;
	if ((rc = ri_read(&a->reg)) || (rc = fill_record(a)) ||
	    (rc = ri_write_record(&a->reg, &a->rec, 1)) || (rc = test_fail(a, "record")))
		return rc;
	/* every jump and the record's publication in one call in the target (runtime_io) */
	struct rt_commit_job j = {.sites = a->sites,
				  .nsites = a->nsites,
				  .publish = a->reg.publish,
				  .publish_byte = a->reg.publish_byte,
				  .journal = a->reg.journal,
				  .journal_room = a->reg.journal_room};
	if ((a->ta.armed && (rc = ta_publish(&a->ta, a->memfd, j.publish, j.publish_byte))) ||
	    (rc = choose_thread(a)) || (rc = rt_commit(&a->rt, &a->rl, &a->tg, &j)) ||
	    (rc = test_fail(a, "switch")))
		return rc;
	ul_commit(&a->log); /* switched: never undone (pointers to the new code escape) */
	say_switched(a);
	return 0;
}

/* What the switch did, and which switch it was. */
static void say_switched(struct apply *a)
{
	size_t nfn = distinct_functions(a);
	char why[256];
	vf_live_summary(&a->lp.vf, nfn, why, sizeof(why));
	if (nfn == a->nsites)
		step("switched %zu function%s%s%s", nfn, nfn == 1 ? "" : "s", why[0] ? "; " : "",
		     why);
	else
		step("switched %zu function%s (%zu jumps: copies in earlier patches too)%s%s", nfn,
		     nfn == 1 ? "" : "s", a->nsites, why[0] ? "; " : "", why);
	step("switch: %s (%s)", sw_name(a->sw.method), a->sw.why);
}

/*
 * The stop-free switch (docs/stopfree.md): the record written unpublished, then every
 * site switched and the record published in one call on the runtime's agent while the
 * program runs. A test failure injected after the switch fires before it: the switch
 * is not taken back (no thread is stopped to check that none runs the new code).
 */
static int switch_stopfree(struct apply *a)
{
	int rc;
	a->reg.prefix = NULL; /* the runtime's line is published already */
	if ((rc = ri_read(&a->reg)) || (rc = fill_record(a)) ||
	    (rc = sf_record_fns(a->sites, a->nsites, &a->rec)) ||
	    (rc = ri_write_record(&a->reg, &a->rec, 1)) || (rc = test_fail(a, "record")) ||
	    (rc = test_fail(a, "switch")))
		return rc;
	struct rt_commit_job j = {.sites = a->sites,
				  .nsites = a->nsites,
				  .publish = a->reg.publish,
				  .publish_byte = a->reg.publish_byte,
				  .journal = a->reg.journal,
				  .journal_room = a->reg.journal_room};
	if ((rc = sf_commit(&a->rt, &a->rl, &j)))
		return rc;
	ul_commit(&a->log); /* switched: never undone (pointers to the new code escape) */
	say_switched(a);
	return 0;
}

/* The patch's image: loaded now, or the one still mapped since its rollback (reuse.h). */
static int reuse_or_load(struct apply *a)
{
	if (!a->again)
		return load_patch(a);
	a->map_addr = a->again->load_addr;
	step("reusing %s at 0x%llx (mapped since its rollback)", a->again->name,
	     (unsigned long long)a->map_addr);
	return 0;
}

/*
 * Stop-free, once per process: one program thread held to load the runtime, publish its
 * registry line and start its agent (stopfree_apply.h); all of it stays.
 */
static int start_agent(struct apply *a, int found, pid_t *agent)
{
	int rc;
	if ((rc = hijack(a)) || (!found && (rc = clean_leftovers(a))) ||
	    (rc = rt_ensure(&a->rt, &a->rl, &a->tg, a->memfd, ld_target_of(a))) ||
	    (rc = ri_ensure(&a->reg, &a->rl, a->reg_absent)) ||
	    (a->rt.fresh &&
	     (rc = sf_publish_line(a->memfd, &a->tg, a->rt.line, a->err, sizeof(a->err)))) ||
	    (rc = sf_start_agent(&a->rt, &a->rl, agent))) {
		undo(a);
		release(a);
		return rc;
	}
	pid_t held = a->rl.rs.t->tid;
	ul_commit(&a->log);
	a->rt.fresh = 0;
	release(a);
	a->load_pause_ns = a->pause_ns;
	step("started the runtime's agent (thread %d); held thread %d %.2f ms for it", (int)*agent,
	     (int)held, (double)a->load_pause_ns / 1e6);
	tmark("agent started, thread released");
	return 0;
}

/*
 * The stop-free phases: the patch loaded and switched by the runtime's agent, no thread
 * of the program stopped (but once per process, to start the agent).
 */
static int live_stopfree(struct apply *a)
{
	int found = 0, rc = rt_find(&a->rt, &a->tg, a->memfd, &found), cleaned = !found;
	pid_t agent = found ? sf_agent_find(a->pid) : 0;
	if (rc || (!agent && (rc = start_agent(a, found, &agent))))
		return rc;
	if ((rc = hijack_thread(a, agent)) || (!cleaned && (rc = clean_leftovers(a))) ||
	    (rc = reuse_or_load(a)) || (rc = test_fail(a, "load")) ||
	    (rc = ri_ensure(&a->reg, &a->rl, a->reg_absent)) || (rc = test_fail(a, "registry")) ||
	    (tmark("loaded by the agent"), rc = switch_stopfree(a))) {
		undo(a);
		release(a);
		return rc;
	}
	release(a);
	a->agent_ns = a->pause_ns;
	a->pause_ns = a->load_pause_ns; /* the program's threads: held only to start the agent */
	tmark("switched stop-free");
	return 0;
}

/* The phases that touch the process; every exit leaves its threads running. */
static int live_phases(struct apply *a)
{
	int rc = 0;
	int found = 0;
	if (a->sw.method == SW_STOP_FREE)
		return live_stopfree(a);
	if (a->again) /* the runtime is needed too: without it, one thread hijacked to load it */
		rc = rt_find(&a->rt, &a->tg, a->memfd, &found);
	if (rc || (!found && ((rc = hijack(a)) || (rc = clean_leftovers(a)))) ||
	    (rc = reuse_or_load(a)) ||
	    (rc = rt_ensure(&a->rt, &a->rl, &a->tg, a->memfd, ld_target_of(a))) ||
	    (rc = test_fail(a, "load")) || (rc = ri_ensure(&a->reg, &a->rl, a->reg_absent)) ||
	    (rc = test_fail(a, "registry"))) {
		undo(a);
		release(a);
		return rc;
	}
	release(a);
	a->load_pause_ns = a->pause_ns;
	tmark("loaded, thread released");
	if ((rc = stop_without_writers(a)) || (rc = test_fail(a, "stop")) ||
	    (tmark("threads stopped"), rc = sync_data(a)) ||
	    (tmark("data synced"), rc = switch_funcs(a))) {
		if (a->ta.armed && a->hijacked) /* before the patch (its syncs) goes */
			ta_end(&a->ta, &a->rl.rs, &a->rt);
		undo(a);
		release(a);
		return rc;
	}
	tmark("switched");
	if (a->ta.armed && (rc = ta_start(&a->ta, &a->rl.rs, &a->rt)) != 0)
		ta_end(&a->ta, &a->rl.rs, &a->rt); /* the writers must not wait for good */
	release(a);
	return rc;
}

static void start_live(struct apply *a)
{
	static const struct ul_ops ops = {undo_close, undo_unmap,     undo_write,
					  NULL,	      test_fail_undo, NULL};
	struct ul_ops o = ops;
	const char *no = getenv("POLUS_NO_PIDFD");
	uint64_t lo, hi;
	o.ctx = a;
	ul_init(&a->log, &o);
	ul_fail_at(&a->log, fail_step);
	rl_init(&a->rl, a->pid, a->memfd, !(no && *no == '1'), &a->log, a->err, sizeof(a->err));
	a->rl.mark = trace ? tmark : NULL;
	a->reg_absent = tg_registry_find(&a->tg.maps, &lo, &hi) != 0;
}

/*
 * --check: the checks of the phases that touch the process, nothing written: the thread
 * the load would work through may issue its calls (seccomp, hijack), every thread can be
 * held outside the patch sites (dryrun), each jump reaches the new code where the patch
 * would be loaded (fill_record).
 */
static int check_live(struct apply *a)
{
	struct dr_result r;
	int rc;
	start_live(a);
	rc = hijack(a);
	release(a);
	if (rc ||
	    (rc = dr_hold_check(a->pid, a->sites, a->nsites, a->memfd, STOP_TIMEOUT_MS, &r, a->err,
				sizeof(a->err))) ||
	    (rc = fill_record(a)))
		return rc;
	a->nthreads = r.nthreads;
	a->pause_ns = r.pause_ns;
	a->map_addr = a->img.base;
	step("check: %zu thread%s held %.2f ms, none in a patch site; nothing changed", a->nthreads,
	     a->nthreads == 1 ? "" : "s", (double)a->pause_ns / 1e6);
	step("would apply: %s to process %d", a->lp.vf.name ? a->lp.vf.name : a->path, (int)a->pid);
	return 0;
}

static volatile sig_atomic_t stop_waiting;
static void on_stop(int sig)
{
	(void)sig;
	stop_waiting = 1;
}

static void say_line(const char *line)
{
	step("%s", line);
}

/* Old writers still run: until the last one returned (--no-wait: not at all). */
static int wait_coexistence(struct apply *a)
{
	if (!a->ta.started)
		return 0;
	if (no_wait) {
		step("coexistence goes on until the old frames return (polus-status %d shows it)",
		     (int)a->pid);
		return 0;
	}
	lk_release(&a->lock); /* the update is done: the lock is for an operation only */
	/* Ctrl-C now only stops the waiting (the signals held since the live phases) */
	struct sigaction sa = {.sa_handler = on_stop};
	sigset_t held;
	sigemptyset(&held);
	for (int s = 0; s < 3; s++) {
		int sig = s == 0 ? SIGINT : s == 1 ? SIGTERM : SIGHUP;
		sigaction(sig, &sa, NULL);
		sigaddset(&held, sig);
	}
	sigprocmask(SIG_UNBLOCK, &held, NULL);
	return ta_wait(&a->ta, a->memfd, &stop_waiting, say_line);
}

static int run(struct apply *a)
{
	int rc;
	if ((rc = take_lock(a)) || (rc = check_process(a)) || (rc = open_patch(a)) ||
	    (rc = rt_open(&a->rt, a->err, sizeof(a->err))))
		return rc;
	if ((a->memfd = pf_mem_open(a->pid, 1)) < 0)
		return fail(a, a->memfd == -EACCES || a->memfd == -EPERM ? PX_INPUT : PX_INTERNAL,
			    "cannot open the memory of process %d: %s", (int)a->pid,
			    strerror(-a->memfd));
	ri_init(&a->reg, a->memfd, &a->tg, &a->log, a->err, sizeof(a->err));
	if ((rc = check_build(a)) || (rc = check_chain(a)) || (rc = plan_placement(a)) ||
	    (rc = resolve_symbols(a)) || (rc = reuse_image(a)) || (rc = prepare_sites(a)))
		return rc;
	step("process %d runs build %s; patch %s applies", (int)a->pid, a->tg.build_id,
	     a->lp.vf.name ? a->lp.vf.name : a->path);
	tmark("checks done");
	if (check_only)
		return check_live(a);
	/* From here a Ctrl-C or kill would leave threads without their EINTR fix-up, or a
	 * half-written switch: such signals wait until we are done. */
	ss_hold_signals();
	start_live(a);
	ss_rt_enter();
	rc = live_phases(a);
	ss_rt_leave();
	if (rc)
		return rc;
	tmark("released");
	if (a->load_pause_ns > a->pause_ns)
		a->pause_ns = a->load_pause_ns;
	/* the pause is known now: fill it into our record in place */
	a->rec.pause_ns = a->pause_ns;
	struct reg_event ev;
	char result[1024];
	ri_event(&ev, REG_ACT_APPLY, &a->rec, a->pause_ns);
	ev.result = ri_result(result, sizeof(result), a->rec.data, a->rec.ndata);
	if (ri_write_record(&a->reg, &a->rec, 0) != 0 || ri_add_events(&a->reg, &ev, 1) != 0)
		a->err[0] = 0; /* pause 0 or no history line: not worth failing an applied patch */
	if (a->sw.method == SW_STOP_FREE)
		step("pause %.2f ms: no thread of the program stopped for the switch (the "
		     "runtime's agent loaded and switched in %.2f ms)",
		     (double)a->pause_ns / 1e6, (double)a->agent_ns / 1e6);
	else if (a->again)
		step("pause %.2f ms (max over %zu thread%s)", (double)a->pause_ns / 1e6,
		     a->nthreads, a->nthreads == 1 ? "" : "s");
	else
		step("pause %.2f ms (max over %zu thread%s; loading held one thread %.2f ms)",
		     (double)a->pause_ns / 1e6, a->nthreads, a->nthreads == 1 ? "" : "s",
		     (double)a->load_pause_ns / 1e6);
	return wait_coexistence(a);
}

/* The apply or its refusal in the system log (oplog). */
static void log_apply(const struct apply *a, int rc)
{
	struct ol_entry e = {"apply",	    a->pid,	   a->have_tg ? a->tg.exe_path : NULL,
			     a->path,	    a->lp.vf.name, rc,
			     a->err,	    a->pause_ns,   "applied",
			     a->seal.digest};
	ol_log("polus-apply", &e);
}

static void print_json(struct apply *a)
{
	const struct vf_patch *vf = &a->lp.vf;
	printf("{\"pid\":%d,%s\"patch\":", (int)a->pid,
	       check_only ? "\"check\":\"would-apply\"," : "");
	json_str(stdout, vf->name);
	printf(",\"build_id\":");
	json_str(stdout, a->lp.build_id);
	printf(",\"target_build_id\":");
	json_str(stdout, a->tg.build_id);
	printf(",\"sha256\":");
	json_str(stdout, a->seal.digest);
	printf(",\"signed_by\":");
	json_str(stdout, a->seal.ntrusted ? a->seal.signer : NULL);
	printf(",\"load_addr\":\"0x%llx\",\"relocations\":%u,\"binds\":%u,"
	       "\"library_symbols\":%u,\"threads\":%zu,\"pause_ns\":%llu,\"agent_ns\":%llu,"
	       "\"switch\":\"%s\","
	       "\"switch_why\":",
	       (unsigned long long)a->map_addr, a->img.nrelocs, a->img.nbinds, a->img.nlibsyms,
	       a->nthreads, (unsigned long long)a->pause_ns, (unsigned long long)a->agent_ns,
	       sw_name(a->sw.method));
	json_str(stdout, a->sw.why);
	printf(",\"functions\":[");
	for (size_t i = 0; i < a->nsites; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str(stdout, a->sites[i].name);
		printf(",\"old_addr\":\"0x%llx\",\"new_addr\":\"0x%llx\"}",
		       (unsigned long long)a->sites[i].site,
		       (unsigned long long)a->sites[i].target);
	}
	printf("],\"live\":[");
	for (size_t i = 0; i < vf->nlive; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str(stdout, vf->live[i].name);
		printf(",\"how\":");
		json_str(stdout, vf->live[i].how);
		printf("}");
	}
	if (a->ta.started) /* write tracking of old code (track_apply) */
		printf(
		    "],\"coexistence\":{\"old_frames\":%zu,\"state\":\"%s\",\"old_writes\":%llu}",
		    a->ta.n, a->ta.ended ? "ended" : "active", (unsigned long long)a->ta.stores);
	printf("%s\"warnings\":[", a->ta.started ? "," : "],");
	for (size_t i = 0; i < vf->nwarnings; i++) {
		char w[4096];
		ts_warning_text(a->pid, vf, a->wr, i, w, sizeof(w));
		printf("%s", i ? "," : "");
		json_str(stdout, w);
	}
	for (size_t i = 0; i < a->ntf; i++) {
		char w[4096];
		tf_text(a->pid, &a->tf[i], w, sizeof(w));
		printf("%s", i || vf->nwarnings ? "," : "");
		json_str(stdout, w);
	}
	printf("]}\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"quiet", no_argument, 0, 'q'},
					     {"json", no_argument, 0, 'j'},
					     {"help", no_argument, 0, 'h'},
					     {"all", required_argument, 0, 'a'},
					     {"tree", required_argument, 0, 't'},
					     {"store", required_argument, 0, 's'},
					     {"deadline", required_argument, 0, 'D'},
					     {"version", no_argument, 0, 'V'},
					     {"check", no_argument, 0, 'n'},
					     {"no-log", no_argument, 0, 'L'},
					     {"require-signature", required_argument, 0, 'S'},
					     {"wait", required_argument, 0, 'w'},
					     {"no-wait", no_argument, 0, 'W'},
					     {"no-track", no_argument, 0, 'T'},
					     {0, 0, 0, 0}};
	struct ma_opts mo = {MA_ONE, NULL, 0, NULL, NULL, 30000, 5, "/proc/self/exe"};
	struct apply a;
	int c, rc;
	char *end;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qjha:t:s:Vnw:", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			mo.mode = MA_ALL;
			mo.binary = optarg;
			break;
		case 't':
			mo.mode = MA_TREE;
			if (ma_parse_pid(optarg, &mo.pid) == 0)
				break;
			fprintf(stderr, "polus-apply: not a process id: %s\n", optarg);
			return PX_INPUT;
		case 's':
			mo.store = optarg;
			break;
		case 'D':
			mo.deadline_ms = (unsigned)(strtod(optarg, NULL) * 1000);
			break;
		case 'w':
			if (cli_seconds("polus-apply", json, "--wait", optarg, &wait_ms))
				return PX_INPUT;
			break;
		case 'W':
			no_wait = 1;
			break;
		case 'T':
			no_track = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return PX_OK;
		case 'V':
			px_version_print(stdout, "polus-apply");
			return PX_OK;
		case 'n':
			check_only = 1;
			break;
		case 'L': /* and for the polus-apply run per process of --all/--tree/--store */
			ol_disable();
			setenv("POLUS_NO_SYSLOG", "1", 1);
			break;
		case 'S':
			trusted_keys = optarg;
			setenv("POLUS_REQUIRE_SIGNATURE", optarg, 1);
			break;
		default: /* opterr = 0: this one line, not getopt's and then ours */
			if (optopt)
				return cli_fail("polus-apply", json, PX_INPUT,
						"unknown option -%c (see --help)", optopt);
			return cli_fail("polus-apply", json, PX_INPUT,
					"unknown option %s (see --help)", argv[optind - 1]);
		}
	}
	if (mo.mode != MA_ONE || mo.store)
		return check_only ? cli_fail("polus-apply", json, PX_INPUT,
					     "--check takes one PID and one patch")
				  : ma_cli(&mo, argc - optind, argv + optind, json, quiet);
	if (argc - optind != 2) {
		char many[1024];
		if (cli_several_pids(argv + optind, argc - optind - 1, " PATCH.so", many,
				     sizeof(many)))
			return cli_fail("polus-apply", json, PX_INPUT, "%s", many);
		return cli_fail("polus-apply", json, PX_INPUT,
				"expected PID and PATCH.so (see --help)");
	}
	memset(&a, 0, sizeof(a));
	a.memfd = -1;
	ta_init(&a.ta, 0, a.err, sizeof(a.err));
	trace = getenv("POLUS_TRACE") && *getenv("POLUS_TRACE") == '1';
	fail_at = getenv("POLUS_TEST_FAIL_AT");
	if (fail_at && strncmp(fail_at, "step:", 5) == 0)
		fail_step = (unsigned)strtoul(fail_at + 5, NULL, 10);
	long pid = strtol(argv[optind], &end, 10);
	if (*end || pid <= 0 || pid > 0x7fffffff)
		return cli_fail("polus-apply", json, PX_INPUT, "not a process id: %s",
				argv[optind]);
	a.pid = (pid_t)pid;
	a.ta.pid = a.pid;
	a.path = argv[optind + 1];
	if (!trusted_keys && getenv("POLUS_REQUIRE_SIGNATURE") &&
	    *getenv("POLUS_REQUIRE_SIGNATURE"))
		trusted_keys = getenv("POLUS_REQUIRE_SIGNATURE");
	rc = run(&a);
	if (!check_only)
		log_apply(&a, rc);
	if (rc) {
		cli_fail("polus-apply", json, rc, "%s", a.err[0] ? a.err : "failed");
	} else {
		for (size_t i = 0; i < a.lp.vf.nwarnings; i++) {
			char w[4096];
			ts_warning_text(a.pid, &a.lp.vf, a.wr, i, w, sizeof(w));
			fprintf(stderr, "polus-apply: warning: %s\n", w);
		}
		for (size_t i = 0; i < a.ntf; i++) {
			char w[4096];
			tf_text(a.pid, &a.tf[i], w, sizeof(w));
			fprintf(stderr, "polus-apply: warning: %s\n", w);
		}
		if (json)
			print_json(&a);
	}
	free(a.rec.fns);
	free(a.rec.live);
	free(a.rec.data);
	free(a.rec.back);
	da_report_free(&a.drep);
	ta_free(&a.ta);
	free(a.wr);
	free(a.tf);
	reg_free(a.below, a.nbelow);
	ri_free(&a.reg);
	ul_free(&a.log);
	free(a.sites);
	ld_image_free(&a.img);
	rt_close(&a.rt);
	lk_release(&a.lock);
	sr_close(&a.sr);
	if (a.have_lp)
		ld_close(&a.lp);
	if (a.have_tg)
		tg_close(&a.tg);
	if (a.memfd >= 0)
		close(a.memfd);
	return rc;
}
