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
 *   hijack          ONE thread stopped, to issue system calls; the others keep running
 *   load_patch      memfd "polus:NAME" mapped near the program, image written, protected;
 *                   the registry ("polus:registry") created on the first apply
 *   stop_threads    every thread stopped; retried while one is inside a patch site; the
 *                   threads running functions the warnings say never return are found
 *   switch_funcs    the patch's record added to the registry, a jmp rel32 written at each
 *                   old entry (no system call needed: both through /proc/PID/mem)
 *   release         threads let go; EINTR'd calls re-issued; the pause measured
 * An error up to the end of switch_funcs leaves the process as it was (what was mapped is
 * unmapped, the jumps and our registry record written so far are undone).
 * Loading before the stop keeps the system calls out of the all-threads pause.
 * Exit codes: 0 applied, 1 usage or bad input, 2 the patch does not apply to this
 * process, 3 unsafe now or transient (retry later), 4 internal error.
 */
#include "loader.h"
#include "jsonout.h"
#include "patch_site.h"
#include "placement.h"
#include "procfs.h"
#include "ptrace_ctl.h"
#include "registry.h"
#include "remote_syscall.h"
#include "seccomp_eval.h"
#include "symresolve.h"
#include "target.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { EX_OK, EX_INPUT, EX_NOTAPPLY, EX_UNSAFE, EX_INTERNAL };

#define MAX_CAND 8
#define BUSY_TRIES 6
#define STOP_TIMEOUT_MS 3000
#ifndef MFD_EXEC
#define MFD_EXEC 0x10u
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x8u
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define WARN_MAX_TIDS 64
#define KEEPS_OLD ": running threads keep the old code there"

/* The threads found running a function that a warning says never returns. */
struct warn_run {
	int scanned;
	size_t prefix; /* length of the warning before KEEPS_OLD */
	pid_t tids[WARN_MAX_TIDS];
	int ntids;
};

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
	uint64_t cand[MAX_CAND];
	size_t ncand;
	struct ld_image img;
	struct pt_group g;
	int stopped;
	size_t nthreads;
	uint64_t load_pause_ns; /* the hijacked thread's stop while loading */
	struct rs_ctx rs;
	uint64_t map_addr, reg_addr;
	int mapped, reg_created;
	char *reg_old; /* registry text before our record */
	size_t reg_old_len;
	size_t rec_len; /* bytes of our record written after reg_old_len (0: none) */
	struct reg_patch rec;
	uint64_t pause_ns;
	struct warn_run *wr; /* per version-file warning */
	char err[1024];
};

static int quiet, json, trace;
static uint64_t trace_t0;
static const char *fail_at; /* POLUS_TEST_FAIL_AT: tests only (see test_fail) */

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

__attribute__((format(printf, 1, 2))) static void step(const char *fmt, ...)
{
	va_list ap;
	if (quiet || json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Records the one error line to print; returns the exit code. */
__attribute__((format(printf, 3, 4))) static int fail(struct apply *a, int code, const char *fmt,
						      ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->err, sizeof(a->err), fmt, ap);
	va_end(ap);
	return code;
}

/*
 * For tests of the failure paths: POLUS_TEST_FAIL_AT=load|registry|stop|record|switch
 * makes the apply fail (exit 4) right after that step, as a real error there would.
 */
static int test_fail(struct apply *a, const char *where)
{
	if (!fail_at || strcmp(fail_at, where) != 0)
		return 0;
	return fail(a, EX_INTERNAL, "test failure injected after %s (POLUS_TEST_FAIL_AT)", where);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: polus-apply [--quiet] [--json] PID PATCH.so\n"
		   "Applies a polus patch to the running process PID: loads PATCH.so next to the\n"
		   "program and redirects the functions it replaces, all threads stopped briefly.\n"
		   "  -q, --quiet   print nothing but errors and warnings\n"
		   "  -j, --json    print one JSON object describing the result\n"
		   "  -h, --help    this text\n"
		   "Exit: 0 applied, 1 bad input, 2 patch does not apply to this process,\n"
		   "      3 unsafe now or transient (try again), 4 internal error.\n");
}

static int check_process(struct apply *a)
{
	char buf[64];
	int rc = tg_open(a->pid, &a->tg, a->err, sizeof(a->err));
	if (rc)
		return rc == -ESRCH || rc == -EACCES ? EX_INPUT : EX_INTERNAL;
	a->have_tg = 1;
	if (pf_status_field(a->pid, 0, "TracerPid", buf, sizeof(buf)) == 0 && atoi(buf) != 0)
		return fail(a, EX_UNSAFE,
			    "process %d is already traced by process %s (a debugger?)", (int)a->pid,
			    buf);
	if (!a->tg.dynamic)
		return fail(a, EX_NOTAPPLY,
			    "process %d runs a statically linked program (%s): not supported",
			    (int)a->pid, a->tg.exe_path);
	return 0;
}

static int open_patch(struct apply *a)
{
	int rc = ld_open(a->path, &a->lp, a->err, sizeof(a->err));
	if (rc)
		return EX_INPUT;
	a->have_lp = 1;
	return 0;
}

static int check_build(struct apply *a)
{
	const char *want = a->lp.vf.target_build_id, *have = a->tg.build_id;
	if (strcasecmp(want, have) == 0)
		return 0;
	if (!a->tg.has_meta)
		return fail(a, EX_NOTAPPLY,
			    "process %d was not built with the polus plugin (%s has no .polus.meta"
			    " and build %s, the patch is for build %s)",
			    (int)a->pid, a->tg.exe_path, *have ? have : "(none)", want);
	return fail(a, EX_NOTAPPLY, "patch is for build %s, process %d runs build %s", want,
		    (int)a->pid, *have ? have : "(none)");
}

static int check_chain(struct apply *a)
{
	char *text;
	size_t used, n = 0;
	uint64_t start;
	struct reg_patch *v = NULL;
	char derr[256];
	int rc = tg_registry_read(a->memfd, &a->tg.maps, &text, &used, &start);
	if (rc == -ENOENT) {
		if (a->lp.vf.nrequires)
			return fail(a, EX_NOTAPPLY,
				    "patch requires patch %s, which is not applied in process %d",
				    a->lp.vf.requires[0], (int)a -> pid);
		return 0;
	}
	if (rc)
		return fail(a, EX_INTERNAL, "cannot read the registry of process %d: %s",
			    (int)a->pid, strerror(-rc));
	rc = reg_decode(text, used, &v, &n, derr, sizeof(derr));
	free(text);
	if (rc)
		return fail(a, EX_INTERNAL, "process %d: %s", (int)a->pid, derr);
	rc = 0;
	for (size_t r = 0; r < a->lp.vf.nrequires && !rc; r++) {
		int found = 0;
		for (size_t i = 0; i < n; i++)
			found |= strcasecmp(v[i].build_id, a->lp.vf.requires[r]) == 0 &&
				 strcmp(v[i].state, "applied") == 0;
		if (!found)
			rc = fail(a, EX_NOTAPPLY,
				  "patch requires patch %s, which is not applied in process %d",
				  a->lp.vf.requires[r], (int)a -> pid);
	}
	for (size_t i = 0; i < n && !rc && a->lp.build_id[0]; i++)
		if (strcasecmp(v[i].build_id, a->lp.build_id) == 0 &&
		    strcmp(v[i].state, "applied") == 0)
			rc = fail(a, EX_NOTAPPLY,
				  "patch %s (build %s) is already applied to "
				  "process %d",
				  v[i].name, a->lp.build_id, (int)a->pid);
	reg_free(v, n);
	return rc;
}

static int plan_placement(struct apply *a)
{
	uint64_t span = a->lp.span_hi - a->lp.span_lo;
	a->ncand = pl_candidates(&a->tg.maps, a->tg.exe_lo, a->tg.exe_hi, a->tg.heap_end != 0, span,
				 a->cand, MAX_CAND);
	if (!a->ncand)
		return fail(
		    a, EX_NOTAPPLY,
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
		return fail(a, EX_INTERNAL, "process %d: cannot read its libraries: %s",
			    (int)a->pid, strerror(-rc));
	t = ld_target_of(a);
	if (ld_relocate(&a->lp, &t, a->cand[0], &a->img, a->err, sizeof(a->err)) != 0)
		return EX_NOTAPPLY;
	return 0;
}

static int prepare_sites(struct apply *a)
{
	const struct vf_patch *vf = &a->lp.vf;
	if (!(a->sites = calloc(vf->nfunctions + 1, sizeof(*a->sites))))
		return fail(a, EX_INTERNAL, "out of memory");
	for (size_t i = 0; i < vf->nfunctions; i++) {
		const struct vf_function *f = &vf->functions[i];
		const char *nm = f->name ? f->name : "?";
		if (f->new_addr < a->lp.span_lo || f->new_addr >= a->lp.span_hi)
			return fail(a, EX_INPUT,
				    "%s: function %s: new-addr 0x%llx is outside the "
				    "patch image",
				    a->path, nm, (unsigned long long)f->new_addr);
		if (!f->redirect)
			continue;
		if (!f->old_symbol && !f->old_addr)
			return fail(a, EX_INPUT, "%s: function %s: redirect without old-addr",
				    a->path, nm);
		if (!f->old_size)
			return fail(a, EX_INPUT,
				    "%s: function %s: no old-size in the version file "
				    "(needed to check the patch site)",
				    a->path, nm);
		struct ps_site *s = &a->sites[a->nsites];
		s->name = nm;
		s->func = a->tg.bias + f->old_addr;
		s->size = f->old_size;
		int rc = ps_prepare(a->memfd, s, a->err, sizeof(a->err));
		if (rc == -EINVAL)
			return EX_NOTAPPLY;
		if (rc)
			return rc == -EIO ? EX_NOTAPPLY : EX_INTERNAL;
		a->nsites++;
	}
	return 0;
}

/*
 * While it holds threads of the target, the injector runs as a real-time task if it may:
 * every thread it lets go would otherwise preempt it (2 cores, busy workers) and the
 * threads still held would wait for that; and each system call of the hijacked thread
 * is a round trip that should not also wait for the injector's turn. Best effort.
 */
static int rt_saved_policy = -1;
static struct sched_param rt_saved_param;

static void rt_enter(void)
{
	struct sched_param sp = {.sched_priority = 1};
	if (rt_saved_policy >= 0)
		return;
	rt_saved_policy = sched_getscheduler(0);
	sched_getparam(0, &rt_saved_param);
	if (rt_saved_policy < 0 ||
	    sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0)
		rt_saved_policy = -1;
}

static void rt_leave(void)
{
	if (rt_saved_policy < 0)
		return;
	sched_setscheduler(0, rt_saved_policy, &rt_saved_param);
	rt_saved_policy = -1;
}

/*
 * For each warning "NAME: ... never return(s): running threads keep the old code there"
 * whose NAME is a function of the version file with its old range: the threads (all
 * stopped now) that run it, by rip or a stack word inside the whole old function.
 */
static void find_running(struct apply *a)
{
	const struct vf_patch *vf = &a->lp.vf;
	if (!vf->nwarnings || !(a->wr = calloc(vf->nwarnings, sizeof(*a->wr))))
		return;
	for (size_t i = 0; i < vf->nwarnings; i++) {
		const char *w = vf->warnings[i], *colon = strchr(w, ':');
		size_t wl = strlen(w), kl = strlen(KEEPS_OLD);
		if (!colon || !strstr(w, "never return") || wl < kl ||
		    strcmp(w + wl - kl, KEEPS_OLD) != 0)
			continue;
		for (size_t k = 0; k < vf->nfunctions; k++) {
			const struct vf_function *f = &vf->functions[k];
			if (!f->name || strlen(f->name) != (size_t)(colon - w) ||
			    strncmp(f->name, w, (size_t)(colon - w)) != 0 || !f->old_addr ||
			    !f->old_size)
				continue;
			uint64_t lo = a->tg.bias + f->old_addr;
			int n = ps_threads_in(&a->g, a->memfd, lo, lo + f->old_size, a->wr[i].tids,
					      WARN_MAX_TIDS);
			if (n >= 0) {
				a->wr[i].scanned = 1;
				a->wr[i].ntids = n;
				a->wr[i].prefix = wl - kl;
			}
			break;
		}
	}
}

/* Warning i as printed: with the threads that keep running the old code, if known. */
static void warning_text(struct apply *a, size_t i, char *buf, size_t len)
{
	const char *w = a->lp.vf.warnings[i];
	const struct warn_run *r = a->wr ? &a->wr[i] : NULL;
	size_t o;
	if (!r || !r->scanned) {
		snprintf(buf, len, "%s", w);
		return;
	}
	o = (size_t)snprintf(buf, len, "%.*s: ", (int)r->prefix, w);
	if (o >= len)
		return;
	if (!r->ntids)
		snprintf(buf + o, len - o, "no thread runs it now");
	for (int k = 0; k < r->ntids && o < len; k++) {
		char comm[32] = "?";
		pf_status_field(a->pid, r->tids[k], "Name", comm, sizeof(comm));
		o += (size_t)snprintf(buf + o, len - o, "%s%d (%s)",
				      k		      ? ", "
				      : r->ntids == 1 ? "thread "
						      : "threads ",
				      (int)r->tids[k], comm);
	}
	if (r->ntids && o < len)
		snprintf(buf + o, len - o, " %s",
			 r->ntids == 1 ? "runs it and keeps the old code"
				       : "run it and keep the old code");
}

static int stop_threads(struct apply *a)
{
	char busy[512] = "";
	for (int attempt = 0; attempt < BUSY_TRIES; attempt++) {
		int rc = pt_stop_all(a->pid, &a->g, STOP_TIMEOUT_MS, a->err, sizeof(a->err));
		if (rc == -EBUSY || rc == -ETIMEDOUT)
			return EX_UNSAFE;
		if (rc == -ESRCH)
			return EX_INPUT;
		if (rc)
			return EX_INTERNAL;
		a->stopped = 1;
		/* The sites again, now that nothing runs: another apply may have written a
		 * jump there since the first look, and the bytes kept must be the current. */
		for (size_t i = 0; i < a->nsites; i++) {
			if ((rc = ps_prepare(a->memfd, &a->sites[i], a->err, sizeof(a->err))))
				return rc == -EINVAL || rc == -EIO ? EX_NOTAPPLY : EX_INTERNAL;
		}
		rc = ps_busy(a->sites, a->nsites, &a->g, a->memfd, busy, sizeof(busy));
		if (rc == 0)
			break;
		pt_release(&a->g, NULL);
		a->stopped = 0;
		if (rc < 0)
			return fail(a, EX_INTERNAL, "out of memory");
		/* let the thread leave the site: 2, 4, 8, 16, 32 ms */
		struct timespec ts = {0, 2000000L << attempt};
		nanosleep(&ts, NULL);
	}
	if (!a->stopped)
		return fail(a, EX_UNSAFE, "unsafe to patch now: %s (tried %d times)", busy,
			    BUSY_TRIES);
	a->nthreads = pt_nstopped(&a->g);
	find_running(a);
	for (size_t i = 0; trace && i < a->g.n; i++) {
		const struct pt_thread *t = &a->g.v[i];
		char comm[32] = "?";
		pf_status_field(a->pid, t->tid, "Name", comm, sizeof(comm));
		if (t->state == PT_STOPPED && t->t_seen_ns - t->t_stop_ns > 1000000)
			fprintf(stderr, "polus-apply: trace thread %d (%s) took %.3f ms to stop\n",
				(int)t->tid, comm, (double)(t->t_seen_ns - t->t_stop_ns) / 1e6);
	}
	step("attached %zu thread%s", a->nthreads, a->nthreads == 1 ? "" : "s");
	return 0;
}

/* One remote system call; a mechanism failure is an internal error. */
static int rsys(struct apply *a, long *res, long nr, long a0, long a1, long a2, long a3, long a4,
		long a5)
{
	long args[6] = {a0, a1, a2, a3, a4, a5};
	int rc = rs_call(&a->rs, nr, args, res);
	if (trace) {
		char what[64];
		snprintf(what, sizeof(what), "syscall %ld = %ld", nr, *res);
		tmark(what);
	}
	if (rc)
		fail(a, EX_INTERNAL, "remote system call %ld in thread %d failed: %s", nr,
		     (int)a->rs.t->tid, strerror(-rc));
	return rc;
}

/* memfd_create with the flags this kernel knows; the name lives on the thread's stack. */
static int remote_memfd(struct apply *a, const char *name, unsigned flags, long *fd)
{
	uint64_t sname = rs_scratch(&a->rs, name, strlen(name) + 1);
	if (!sname)
		return fail(a, EX_INTERNAL, "cannot write to the stack of thread %d",
			    (int)a->rs.t->tid);
	if (rsys(a, fd, SYS_memfd_create, (long)sname, MFD_CLOEXEC | flags, 0, 0, 0, 0))
		return EX_INTERNAL;
	if (*fd == -EINVAL && rsys(a, fd, SYS_memfd_create, (long)sname, MFD_CLOEXEC, 0, 0, 0, 0))
		return EX_INTERNAL;
	if (*fd < 0)
		return fail(a, EX_INTERNAL, "memfd_create in process %d: %s", (int)a->pid,
			    strerror((int)-*fd));
	return 0;
}

static void remote_close(struct apply *a, long fd)
{
	long r;
	rsys(a, &r, SYS_close, fd, 0, 0, 0, 0, 0);
}

static int choose_thread(struct apply *a)
{
	char buf[32];
	struct pt_thread *t = NULL;
	/* prefer a thread outside seccomp filter mode */
	for (size_t i = 0; i < a->g.n && !t; i++) {
		struct pt_thread *c = &a->g.v[i];
		if (c->state == PT_STOPPED && c->event && c->nsignals == 0 &&
		    pf_status_field(a->pid, c->tid, "Seccomp", buf, sizeof(buf)) == 0 &&
		    atoi(buf) != 2)
			t = c;
	}
	if (!t)
		t = pt_pick(&a->g);
	if (!t)
		return fail(a, EX_INTERNAL, "no stopped thread to work with");
	if (rs_init(&a->rs, a->pid, t, &a->tg.maps, a->memfd) != 0)
		return fail(a, EX_INTERNAL, "process %d: no syscall instruction found in its code",
			    (int)a->pid);
	if (pf_status_field(a->pid, t->tid, "Seccomp", buf, sizeof(buf)) == 0 && atoi(buf) == 2) {
		uint64_t span = a->lp.span_hi - a->lp.span_lo;
		struct sc_call calls[] = {
		    {"memfd_create", SYS_memfd_create, {0, MFD_CLOEXEC | MFD_EXEC}},
		    {"ftruncate", SYS_ftruncate, {3, span}},
		    {"mmap",
		     SYS_mmap,
		     {a->cand[0], span, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, 3,
		      0}},
		    {"mmap",
		     SYS_mmap,
		     {a->cand[0], 4096, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED_NOREPLACE, 3,
		      4096}},
		    {"mprotect", SYS_mprotect, {a->cand[0], 4096, PROT_READ | PROT_EXEC}},
		    {"close", SYS_close, {3}},
		    {"munmap", SYS_munmap, {a->cand[0], span}},
		};
		/* forbidden, or filters we may not read: either way we cannot know it is safe */
		if (sc_check(t->tid, t->regs.rip, calls, sizeof(calls) / sizeof(calls[0]), a->err,
			     sizeof(a->err)) != 0)
			return EX_NOTAPPLY;
	}
	return 0;
}

static int mprotect_cb(void *ctx, uint64_t addr, uint64_t len, int prot)
{
	struct apply *a = ctx;
	long r;
	if (rsys(a, &r, SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0))
		return EX_INTERNAL;
	if (r < 0)
		return fail(a, EX_INTERNAL, "mprotect in process %d: %s", (int)a->pid,
			    strerror((int)-r));
	return 0;
}

/* Stops one thread to work with: one outside seccomp filter mode if there is one. */
static int hijack(struct apply *a)
{
	pid_t *tids = NULL, tid = a->pid;
	char buf[32];
	int n = pf_tasks(a->pid, &tids), rc;
	for (int i = 0; i < n; i++)
		if (pf_status_field(a->pid, tids[i], "Seccomp", buf, sizeof(buf)) == 0 &&
		    atoi(buf) != 2) {
			tid = tids[i];
			break;
		}
	free(tids);
	rc = pt_stop_one(a->pid, tid, &a->g, STOP_TIMEOUT_MS, a->err, sizeof(a->err));
	if (rc == -EBUSY || rc == -ETIMEDOUT)
		return EX_UNSAFE;
	if (rc)
		return rc == -ESRCH ? EX_INPUT : EX_INTERNAL;
	a->stopped = 1;
	return choose_thread(a);
}

/*
 * Our own descriptor for the target's `fd` (pidfd_getfd), or -1 if the kernel refuses
 * (before 5.6) or POLUS_NO_PIDFD is set: the caller then works through the target.
 */
static int local_fd(struct apply *a, long fd)
{
	const char *no = getenv("POLUS_NO_PIDFD");
	if (no && *no == '1')
		return -1;
	int pfd = (int)syscall(SYS_pidfd_open, a->pid, 0);
	if (pfd < 0)
		return -1;
	int l = (int)syscall(SYS_pidfd_getfd, pfd, (int)fd, 0);
	close(pfd);
	return l;
}

struct prot_run {
	uint64_t off, len;
	int prot;
};

struct prot_runs {
	struct prot_run v[2 * LD_MAX_SEGS + 2];
	size_t n;
};

static int collect_run(void *ctx, uint64_t off, uint64_t len, int prot)
{
	struct prot_runs *r = ctx;
	if (r->n == sizeof(r->v) / sizeof(r->v[0]))
		return -1;
	r->v[r->n++] = (struct prot_run){off, len, prot};
	return 0;
}

static int pwrite_all(int fd, const uint8_t *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = pwrite(fd, buf + done, len - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

/*
 * The image goes into the memfd from the injector (through our own descriptor for it),
 * and each run of pages is mapped with its final protection: two system calls of the
 * target fewer than load_through_target, and no write through /proc/PID/mem. Each
 * round trip of the hijacked thread costs a scheduler turn on a busy machine.
 */
static int load_through_fd(struct apply *a, long fd, int lfd)
{
	struct prot_runs runs = {.n = 0};
	struct ld_image rel = {.base = (uint64_t)0 - a->lp.span_lo};
	uint64_t span = a->lp.span_hi - a->lp.span_lo;
	long r;
	if (ld_each_prot(&a->lp, &rel, collect_run, &runs) != 0)
		return fail(a, EX_INTERNAL, "too many protection runs in the patch");
	if (ftruncate(lfd, (off_t)span) != 0)
		return fail(a, EX_INTERNAL, "cannot size the patch's memfd: %m");
	for (size_t i = 0; i < a->ncand; i++) {
		uint64_t c = a->cand[i];
		size_t k;
		if (c != a->img.addr) {
			struct ld_target t = ld_target_of(a);
			ld_image_free(&a->img);
			if (ld_relocate(&a->lp, &t, c, &a->img, a->err, sizeof(a->err)))
				return EX_NOTAPPLY;
		}
		if (pwrite_all(lfd, a->img.buf, a->img.len) != 0)
			return fail(a, EX_INTERNAL, "cannot write the patch's memfd: %m");
		for (k = 0; k < runs.n; k++) {
			const struct prot_run *pr = &runs.v[k];
			if (rsys(a, &r, SYS_mmap, (long)(c + pr->off), (long)pr->len, pr->prot,
				 MAP_SHARED | MAP_FIXED_NOREPLACE, fd, (long)pr->off))
				r = -EIO;
			if (r == (long)(c + pr->off))
				continue;
			long u;
			if (k) /* what this candidate got so far */
				rsys(a, &u, SYS_munmap, (long)c, (long)pr->off, 0, 0, 0, 0);
			if (r >= 0)
				rsys(a, &u, SYS_munmap, r, (long)pr->len, 0, 0, 0, 0);
			if (r != -EEXIST)
				return a->err[0] ? EX_INTERNAL
						 : fail(a, EX_INTERNAL, "mmap in process %d: %s",
							(int)a->pid,
							r >= 0 ? "not placed where asked"
							       : strerror((int)-r));
			break;
		}
		if (k == runs.n) {
			a->map_addr = c;
			a->mapped = 1;
			return 0;
		}
	}
	return fail(a, EX_NOTAPPLY, "process %d: no free address range within 2 GiB of its code",
		    (int)a->pid);
}

static int load_through_target(struct apply *a, long fd);

static int load_patch(struct apply *a)
{
	char name[256];
	long fd;
	int rc, lfd;
	snprintf(name, sizeof(name), "polus:%s", a->lp.vf.name ? a->lp.vf.name : "patch");
	if ((rc = remote_memfd(a, name, MFD_EXEC, &fd)))
		return rc;
	if ((lfd = local_fd(a, fd)) >= 0) {
		rc = load_through_fd(a, fd, lfd);
		close(lfd);
	} else {
		rc = load_through_target(a, fd);
	}
	remote_close(a, fd);
	if (rc)
		return rc;
	step("loaded %s at 0x%llx (%u relocations, %u binds, %u library symbols)",
	     a->lp.vf.name ? a->lp.vf.name : a->path, (unsigned long long)a->map_addr,
	     a->img.nrelocs, a->img.nbinds, a->img.nlibsyms);
	return 0;
}

/* Without pidfd_getfd: size, map read-write, write via /proc/PID/mem, then protect. */
static int load_through_target(struct apply *a, long fd)
{
	long r = -EEXIST;
	int rc;
	uint64_t span = a->lp.span_hi - a->lp.span_lo;
	if (rsys(a, &r, SYS_ftruncate, fd, (long)span, 0, 0, 0, 0) || r < 0)
		return a->err[0] ? EX_INTERNAL
				 : fail(a, EX_INTERNAL, "ftruncate in process %d: %s", (int)a->pid,
					strerror((int)-r));
	for (size_t i = 0; i < a->ncand; i++) {
		if (rsys(a, &r, SYS_mmap, (long)a->cand[i], (long)span, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0))
			return EX_INTERNAL;
		if (r == (long)a->cand[i])
			break;
		if (r >= 0 || (r > -4096 && r != -EEXIST)) {
			long u;
			if (r >= 0) /* an old kernel placed it elsewhere */
				rsys(a, &u, SYS_munmap, r, (long)span, 0, 0, 0, 0);
			return fail(a, EX_INTERNAL, "mmap in process %d: %s", (int)a->pid,
				    r >= 0 ? "not placed where asked" : strerror((int)-r));
		}
	}
	if (r < 0)
		return fail(a, EX_NOTAPPLY,
			    "process %d: no free address range within 2 GiB of its "
			    "code",
			    (int)a->pid);
	a->map_addr = (uint64_t)r;
	a->mapped = 1;
	if (a->map_addr != a->img.addr) {
		struct ld_target t = ld_target_of(a);
		ld_image_free(&a->img);
		if (ld_relocate(&a->lp, &t, a->map_addr, &a->img, a->err, sizeof(a->err)))
			return EX_NOTAPPLY;
	}
	if ((rc = pf_mem_write(a->memfd, a->map_addr, a->img.buf, a->img.len)) != 0)
		return fail(a, EX_INTERNAL, "cannot write the patch into process %d: %s",
			    (int)a->pid, strerror(-rc));
	tmark("image written");
	return ld_each_prot(&a->lp, &a->img, mprotect_cb, a);
}

/* Makes sure the registry exists (hijacked thread stopped). */
static int ensure_registry(struct apply *a)
{
	uint64_t end;
	long fd, r;
	int rc = tg_refresh_maps(&a->tg);
	if (rc)
		return fail(a, EX_INTERNAL, "cannot re-read the map of process %d", (int)a->pid);
	if (tg_registry_find(&a->tg.maps, &a->reg_addr, &end) == 0)
		return 0;
	if ((rc = remote_memfd(a, REG_MAP_NAME, MFD_NOEXEC_SEAL, &fd)))
		return rc;
	int lfd = local_fd(a, fd);
	if (lfd >= 0) { /* sized from here: one round trip fewer */
		r = ftruncate(lfd, REG_MAP_SIZE) == 0 ? 0 : -errno;
		close(lfd);
		if (r < 0) {
			remote_close(a, fd);
			return fail(a, EX_INTERNAL, "cannot size the registry: %s",
				    strerror((int)-r));
		}
	}
	if ((lfd < 0 && (rsys(a, &r, SYS_ftruncate, fd, REG_MAP_SIZE, 0, 0, 0, 0) || r < 0)) ||
	    rsys(a, &r, SYS_mmap, 0, REG_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ||
	    (r < 0 && r > -4096)) {
		remote_close(a, fd);
		return a->err[0] ? EX_INTERNAL
				 : fail(a, EX_INTERNAL, "cannot create the registry in process %d",
					(int)a->pid);
	}
	remote_close(a, fd);
	a->reg_addr = (uint64_t)r;
	a->reg_created = 1;
	return 0;
}

/* Reads the registry's current text (all threads stopped: no other writer now). */
static int read_registry(struct apply *a)
{
	char *text;
	size_t used;
	uint64_t start;
	int rc = tg_refresh_maps(&a->tg);
	if (!rc)
		rc = tg_registry_read(a->memfd, &a->tg.maps, &text, &used, &start);
	if (rc)
		return fail(a, EX_INTERNAL, "cannot read the registry of process %d: %s",
			    (int)a->pid, strerror(-rc));
	free(a->reg_old);
	a->reg_old = used ? text : NULL;
	a->reg_old_len = used;
	if (!used)
		free(text);
	a->reg_addr = start;
	return 0;
}

/* Encodes our record after the old text and writes what changed. */
static int write_record(struct apply *a)
{
	char *buf = NULL;
	size_t len = a->reg_old_len;
	int rc;
	if (a->reg_old) {
		if (!(buf = malloc(a->reg_old_len + 1)))
			return fail(a, EX_INTERNAL, "out of memory");
		memcpy(buf, a->reg_old, a->reg_old_len + 1);
	}
	if (reg_encode(&a->rec, &buf, &len) != 0)
		return fail(a, EX_INTERNAL, "out of memory");
	if (len >= REG_MAP_SIZE) {
		free(buf);
		return fail(a, EX_NOTAPPLY, "the registry of process %d is full", (int)a->pid);
	}
	/* with its NUL: the text ends there even if a failed apply left bytes after it */
	rc = pf_mem_write(a->memfd, a->reg_addr + a->reg_old_len, buf + a->reg_old_len,
			  len - a->reg_old_len + 1);
	free(buf);
	if (rc)
		return fail(a, EX_INTERNAL, "cannot write the registry of process %d: %s",
			    (int)a->pid, strerror(-rc));
	a->rec_len = len - a->reg_old_len;
	return 0;
}

/* Takes our record out of the registry again: zeroed, as if never written. */
static void erase_record(struct apply *a)
{
	char *zero;
	if (!a->rec_len || !(zero = calloc(1, a->rec_len)))
		return;
	pf_mem_write(a->memfd, a->reg_addr + a->reg_old_len, zero, a->rec_len);
	free(zero);
	a->rec_len = 0;
}

/* Writes back the bytes the jumps replaced at the first n sites. */
static void unwrite_sites(struct apply *a, size_t n)
{
	for (size_t j = 0; j < n; j++)
		pf_mem_write(a->memfd, a->sites[j].site, a->sites[j].orig, a->sites[j].norig);
}

static int switch_funcs(struct apply *a)
{
	const struct vf_patch *vf = &a->lp.vf;
	struct timespec now;
	size_t k = 0;
	int rc;
	if ((rc = read_registry(a)))
		return rc;
	clock_gettime(CLOCK_REALTIME, &now);
	a->rec.name = vf->name ? vf->name : (char *)"patch";
	a->rec.build_id = a->lp.build_id[0] ? a->lp.build_id : (char *)"-";
	a->rec.applied_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	a->rec.load_addr = a->map_addr;
	a->rec.state = (char *)"applied";
	if (!(a->rec.fns = calloc(a->nsites + 1, sizeof(*a->rec.fns))))
		return fail(a, EX_INTERNAL, "out of memory");
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
			return fail(a, EX_INTERNAL, "function %s: new code out of jump reach",
				    s->name);
	}
	a->rec.nfns = k;
	if ((rc = write_record(a)))
		return rc;
	if ((rc = test_fail(a, "record"))) {
		erase_record(a);
		return rc;
	}
	for (size_t i = 0; i < a->nsites; i++) {
		if ((rc = ps_write(a->memfd, &a->sites[i])) != 0) {
			unwrite_sites(a, i); /* undo: the old entries come back */
			erase_record(a);
			return fail(a, EX_INTERNAL, "cannot write the jump in %s: %s",
				    a->sites[i].name, strerror(-rc));
		}
	}
	if ((rc = test_fail(a, "switch"))) {
		unwrite_sites(a, a->nsites);
		erase_record(a);
		return rc;
	}
	a->mapped = 0; /* switched: never unmapped again (pointers to it escape) */
	a->reg_created = 0;
	step("switched %zu function%s", a->nsites, a->nsites == 1 ? "" : "s");
	return 0;
}

static void release(struct apply *a);

/*
 * Undoes the mappings of a failed apply, through a stopped thread (hijacking one again
 * if none is stopped now).
 */
static void undo(struct apply *a)
{
	long r;
	char keep[sizeof(a->err)];
	if (!a->mapped && !a->reg_created)
		return;
	memcpy(keep, a->err, sizeof(keep)); /* the first error is the one to report */
	if (a->stopped && choose_thread(a) != 0)
		release(a);
	if (!a->stopped && hijack(a) != 0) {
		release(a);
		memcpy(a->err, keep, sizeof(keep));
		return;
	}
	if (a->mapped)
		rsys(a, &r, SYS_munmap, (long)a->map_addr, (long)(a->lp.span_hi - a->lp.span_lo), 0,
		     0, 0, 0);
	if (a->reg_created)
		rsys(a, &r, SYS_munmap, (long)a->reg_addr, REG_MAP_SIZE, 0, 0, 0, 0);
	a->mapped = a->reg_created = 0;
	memcpy(a->err, keep, sizeof(keep));
}

static void release(struct apply *a)
{
	if (!a->stopped)
		return;
	pt_release(&a->g, &a->pause_ns);
	a->stopped = 0;
}

static void print_json(struct apply *a)
{
	const struct vf_patch *vf = &a->lp.vf;
	printf("{\"pid\":%d,\"patch\":", (int)a->pid);
	json_str(stdout, vf->name);
	printf(",\"build_id\":");
	json_str(stdout, a->lp.build_id);
	printf(",\"target_build_id\":");
	json_str(stdout, a->tg.build_id);
	printf(",\"load_addr\":\"0x%llx\",\"relocations\":%u,\"binds\":%u,"
	       "\"library_symbols\":%u,\"threads\":%zu,\"pause_ns\":%llu,\"functions\":[",
	       (unsigned long long)a->map_addr, a->img.nrelocs, a->img.nbinds, a->img.nlibsyms,
	       a->nthreads, (unsigned long long)a->pause_ns);
	for (size_t i = 0; i < a->nsites; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str(stdout, a->sites[i].name);
		printf(",\"old_addr\":\"0x%llx\",\"new_addr\":\"0x%llx\"}",
		       (unsigned long long)a->sites[i].site,
		       (unsigned long long)a->sites[i].target);
	}
	printf("],\"warnings\":[");
	for (size_t i = 0; i < vf->nwarnings; i++) {
		char w[4096];
		warning_text(a, i, w, sizeof(w));
		printf("%s", i ? "," : "");
		json_str(stdout, w);
	}
	printf("]}\n");
}

/* The phases that touch the process; every exit leaves its threads running. */
static int live_phases(struct apply *a)
{
	int rc;
	if ((rc = hijack(a)) || (rc = load_patch(a)) || (rc = test_fail(a, "load")) ||
	    (rc = ensure_registry(a)) || (rc = test_fail(a, "registry"))) {
		undo(a);
		release(a);
		return rc;
	}
	release(a);
	a->load_pause_ns = a->pause_ns;
	tmark("loaded, thread released");
	if ((rc = stop_threads(a)) || (rc = test_fail(a, "stop")) ||
	    (tmark("threads stopped"), rc = switch_funcs(a))) {
		undo(a);
		release(a);
		return rc;
	}
	tmark("switched");
	release(a);
	return 0;
}

static int run(struct apply *a)
{
	int rc;
	if ((rc = check_process(a)) || (rc = open_patch(a)))
		return rc;
	if ((a->memfd = pf_mem_open(a->pid, 1)) < 0)
		return fail(a, a->memfd == -EACCES || a->memfd == -EPERM ? EX_INPUT : EX_INTERNAL,
			    "cannot open the memory of process %d: %s", (int)a->pid,
			    strerror(-a->memfd));
	if ((rc = check_build(a)) || (rc = check_chain(a)) || (rc = plan_placement(a)) ||
	    (rc = resolve_symbols(a)) || (rc = prepare_sites(a)))
		return rc;
	step("process %d runs build %s; patch %s applies", (int)a->pid, a->tg.build_id,
	     a->lp.vf.name ? a->lp.vf.name : a->path);
	tmark("checks done");
	/* From here a Ctrl-C or kill would leave threads without their EINTR fix-up, or a
	 * half-written switch: such signals wait until we are done. */
	sigset_t hold;
	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGQUIT);
	sigaddset(&hold, SIGPIPE);
	sigprocmask(SIG_BLOCK, &hold, NULL);
	rt_enter();
	rc = live_phases(a);
	rt_leave();
	if (rc)
		return rc;
	tmark("released");
	if (a->load_pause_ns > a->pause_ns)
		a->pause_ns = a->load_pause_ns;
	/* the pause is known now: fill it into our record in place */
	a->rec.pause_ns = a->pause_ns;
	if (write_record(a) != 0)
		a->err[0] = 0; /* the record keeps pause 0: not worth failing an applied patch */
	step("pause %.2f ms (max over %zu thread%s; loading held one thread %.2f ms)",
	     (double)a->pause_ns / 1e6, a->nthreads, a->nthreads == 1 ? "" : "s",
	     (double)a->load_pause_ns / 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"quiet", no_argument, 0, 'q'},
					     {"json", no_argument, 0, 'j'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	struct apply a;
	int c, rc;
	char *end;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qjh", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default: /* opterr = 0: this one line, not getopt's and then ours */
			if (optopt)
				fprintf(stderr, "polus-apply: unknown option -%c (see --help)\n",
					optopt);
			else
				fprintf(stderr, "polus-apply: unknown option %s (see --help)\n",
					argv[optind - 1]);
			return EX_INPUT;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "polus-apply: expected PID and PATCH.so (see --help)\n");
		return EX_INPUT;
	}
	memset(&a, 0, sizeof(a));
	a.memfd = -1;
	trace = getenv("POLUS_TRACE") && *getenv("POLUS_TRACE") == '1';
	fail_at = getenv("POLUS_TEST_FAIL_AT");
	long pid = strtol(argv[optind], &end, 10);
	if (*end || pid <= 0 || pid > 0x7fffffff) {
		fprintf(stderr, "polus-apply: not a process id: %s\n", argv[optind]);
		return EX_INPUT;
	}
	a.pid = (pid_t)pid;
	a.path = argv[optind + 1];
	rc = run(&a);
	if (rc) {
		fprintf(stderr, "polus-apply: %s\n", a.err[0] ? a.err : "failed");
	} else {
		for (size_t i = 0; i < a.lp.vf.nwarnings; i++) {
			char w[4096];
			warning_text(&a, i, w, sizeof(w));
			fprintf(stderr, "polus-apply: warning: %s\n", w);
		}
		if (json)
			print_json(&a);
	}
	free(a.rec.fns);
	free(a.wr);
	free(a.reg_old);
	free(a.sites);
	ld_image_free(&a.img);
	sr_close(&a.sr);
	if (a.have_lp)
		ld_close(&a.lp);
	if (a.have_tg)
		tg_close(&a.tg);
	if (a.memfd >= 0)
		close(a.memfd);
	return rc;
}
