/*
 * multi_apply — polus-apply on many processes (see multi_apply.h).
 */
#include "multi_apply.h"
#include "errmsg.h"
#include "exitcodes.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define fail(err, errlen, code, ...) px_err(err, errlen, code, __VA_ARGS__)
#define MAX_PLAN 64
#define PREFIX "polus-apply: "

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* What one child polus-apply printed. */
struct child_out {
	char *out, *err;
	size_t nout, nerr;
};

static int append(char **buf, size_t *n, const char *data, size_t len)
{
	char *nb = realloc(*buf, *n + len + 1);
	if (!nb)
		return -1;
	memcpy(nb + *n, data, len);
	*n += len;
	nb[*n] = 0;
	*buf = nb;
	return 0;
}

/* Reads the child's stdout and stderr to their end (both at once: neither pipe fills). */
static void drain(int fo, int fe, struct child_out *co)
{
	struct pollfd p[2] = {{fo, POLLIN, 0}, {fe, POLLIN, 0}};
	char buf[4096];
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			ssize_t k = read(p[i].fd, buf, sizeof(buf));
			if (k > 0 && (i ? append(&co->err, &co->nerr, buf, (size_t)k)
					: append(&co->out, &co->nout, buf, (size_t)k)) == 0)
				continue;
			if (k < 0 && errno == EINTR)
				continue;
			close(p[i].fd);
			p[i].fd = -1;
		}
	}
}

/* Runs `exe --json PID PATCH`: its exit code, or -errno when it could not run. */
static int run_apply(const char *exe, pid_t pid, const char *patch, struct child_out *co)
{
	int po[2], pe[2], st;
	char spid[16];
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	if (pipe2(po, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC) != 0) {
		close(po[0]);
		close(po[1]);
		return -errno;
	}
	pid_t c = fork();
	if (c == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execl(exe, "polus-apply", "--json", spid, patch, (char *)NULL);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	if (c < 0) {
		close(po[0]);
		close(pe[0]);
		return -EAGAIN;
	}
	drain(po[0], pe[0], co);
	while (waitpid(c, &st, 0) < 0)
		if (errno != EINTR)
			return -ECHILD;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return -ENOEXEC;
	return WIFEXITED(st) ? WEXITSTATUS(st) : PX_INTERNAL;
}

static int add_str(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));
	if (!nv)
		return -1;
	*v = nv;
	if (!(nv[*n] = strndup(s, len)))
		return -1;
	(*n)++;
	return 0;
}

/* Keeps the warnings and the error line of one apply's stderr. */
static void take_stderr(struct ma_proc *m, const char *text)
{
	static const char warn[] = PREFIX "warning: ";
	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		if (strncmp(l, warn, sizeof(warn) - 1) == 0)
			add_str(&m->warnings, &m->nwarnings, l + sizeof(warn) - 1,
				len - (sizeof(warn) - 1));
		else if (strncmp(l, PREFIX, sizeof(PREFIX) - 1) == 0 && len > sizeof(PREFIX) - 1)
			snprintf(m->err, sizeof(m->err), "%.*s", (int)(len - (sizeof(PREFIX) - 1)),
				 l + sizeof(PREFIX) - 1);
		l = e ? e + 1 : NULL;
	}
}

/* A process ended meanwhile (a failure then says nothing about polus). */
static int gone(pid_t pid)
{
	struct pfind_proc p;
	return pfind_one(pid, &p) != 0;
}

/* Records a done apply: the patch's name, polus-apply's JSON object, its pause. */
static int keep_apply(struct ma_proc *m, const char *name, const char *out)
{
	const char *ps = out ? strstr(out, "\"pause_ns\":") : NULL;
	uint64_t pause = ps ? strtoull(ps + 11, NULL, 10) : 0;
	size_t k = m->napplied;
	if (pause > m->pause_ns)
		m->pause_ns = pause;
	if (!out)
		out = "{}";
	if (add_str(&m->names, &k, name, strlen(name)))
		return -1;
	k = m->napplied;
	if (add_str(&m->json, &k, out, strcspn(out, "\n"))) {
		free(m->names[k]);
		return -1;
	}
	m->napplied = k;
	return 0;
}

/* One apply of patch sp to m: 0, or its exit code (m->err says why). */
static int apply_one(const struct ma_opts *o, struct ma_proc *m, const struct pst_patch *sp)
{
	struct child_out co = {0};
	int rc = run_apply(o->apply_exe, m->p.pid, sp->path, &co);
	m->err[0] = 0;
	if (rc < 0) {
		snprintf(m->err, sizeof(m->err), "cannot run %s: %s", o->apply_exe, strerror(-rc));
		rc = PX_INTERNAL;
	}
	take_stderr(m, co.err);
	if (rc == 0 && keep_apply(m, sp->name, co.out)) {
		snprintf(m->err, sizeof(m->err), "out of memory");
		rc = PX_INTERNAL;
	} else if (rc && !m->err[0]) {
		snprintf(m->err, sizeof(m->err), "polus-apply exited with %d", rc);
	}
	free(co.out);
	free(co.err);
	return rc;
}

struct run {
	const struct ma_opts *o;
	struct ma_result *r;
	struct pst_store st;
	ma_report report;
	void *ctx;
	int applied_now; /* an apply ran this round */
	int pending;	 /* a process waits for another try */
};

static void finish(struct run *u, struct ma_proc *m, enum ma_state s)
{
	m->state = s;
	u->r->applied += s == MA_APPLIED;
	u->r->already += s == MA_ALREADY;
	u->r->failed += s == MA_FAILED;
	u->r->exited += s == MA_EXITED;
	if (u->report)
		u->report(m, u->ctx);
}

/* The process's patches now and the plan for it; -1 when m was finished here. */
static int plan_for(struct run *u, struct ma_proc *m, size_t *plan)
{
	struct reg_patch *v;
	size_t nv;
	if (!m->p.build_id[0] || !pst_has_build(&u->st, m->p.build_id)) {
		finish(u, m, MA_OTHER);
		return -1;
	}
	int rc = pfind_registry(m->p.pid, &v, &nv, m->err, sizeof(m->err));
	if (rc == -ESRCH || (rc && gone(m->p.pid))) {
		finish(u, m, MA_EXITED);
		return -1;
	}
	if (rc) {
		m->rc = rc == -EACCES ? PX_INPUT : PX_INTERNAL;
		finish(u, m, MA_FAILED);
		return -1;
	}
	size_t n = pst_plan(&u->st, m->p.build_id, v, nv, plan, MAX_PLAN);
	reg_free(v, nv);
	return (int)n;
}

/* One round's work on process m: every patch it needs, in order. */
static void step(struct run *u, struct ma_proc *m)
{
	size_t plan[MAX_PLAN];
	int n = plan_for(u, m, plan), rc = 0;
	if (n < 0)
		return;
	if (n == 0) {
		finish(u, m, m->napplied ? MA_APPLIED : MA_ALREADY);
		return;
	}
	u->applied_now = 1;
	for (int i = 0; i < n && !rc; i++)
		rc = apply_one(u->o, m, &u->st.v[plan[i]]);
	m->rc = rc;
	if (rc == 0)
		finish(u, m, MA_APPLIED);
	else if (gone(m->p.pid))
		finish(u, m, MA_EXITED);
	else if (rc == PX_UNSAFE && ++m->tries < u->o->tries)
		u->pending = 1;
	else
		finish(u, m, MA_FAILED);
}

static struct ma_proc *lookup(struct ma_result *r, const struct pfind_proc *p)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].p.pid == p->pid)
			return &r->v[i];
	struct ma_proc *nv = realloc(r->v, (r->n + 1) * sizeof(*r->v));
	if (!nv)
		return NULL;
	r->v = nv;
	memset(&nv[r->n], 0, sizeof(*nv));
	nv[r->n].p = *p;
	return &nv[r->n++];
}

static int find(const struct ma_opts *o, const struct ma_result *r, struct pfind_proc **v,
		size_t *n)
{
	if (o->mode == MA_ALL) /* with a store, also the binary's older releases */
		return pfind_by_binary(r->build_id, o->store ? r->binary_path : NULL, v, n);
	if (o->mode == MA_TREE)
		return pfind_tree(o->pid, v, n);
	*n = 0;
	if (!(*v = calloc(1, sizeof(**v))))
		return -ENOMEM;
	if (pfind_one(o->pid, *v) == 0)
		*n = 1;
	return 0;
}

/* A pending process that is no longer found has ended. */
static void mark_exited(struct run *u, const struct pfind_proc *v, size_t n)
{
	for (size_t i = 0; i < u->r->n; i++) {
		struct ma_proc *m = &u->r->v[i];
		size_t k = 0;
		while (k < n && v[k].pid != m->p.pid)
			k++;
		if (m->state == MA_PENDING && k == n)
			finish(u, m, MA_EXITED);
	}
}

/* The store has patches for the build of one of v[0..n). */
static int covered(const struct run *u, const struct pfind_proc *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].build_id[0] && pst_has_build(&u->st, v[i].build_id))
			return 1;
	return 0;
}

/* One pass over the processes found now; 0 or a negative errno. */
static int round_once(struct run *u, int first, char *err, size_t errlen)
{
	struct pfind_proc *v;
	size_t n;
	int rc = find(u->o, u->r, &v, &n);
	if (rc)
		return fail(err, errlen, PX_INTERNAL, "cannot list processes: %s", strerror(-rc));
	if (first && n && u->o->store && !covered(u, v, n)) {
		free(v);
		return fail(err, errlen, PX_NOTAPPLY, "the store %s has no patch for build %s (%s)",
			    u->o->store, u->r->build_id, u->o->binary);
	}
	if (first && !n) {
		free(v);
		if (u->o->mode == MA_ALL)
			return fail(err, errlen, PX_INPUT, "no running process runs %s (build %s)",
				    u->o->binary, u->r->build_id);
		return fail(err, errlen, PX_INPUT, "no such process: %d", (int)u->o->pid);
	}
	mark_exited(u, v, n);
	u->applied_now = u->pending = 0;
	for (size_t i = 0; i < n; i++) {
		struct ma_proc *m = lookup(u->r, &v[i]);
		if (!m) {
			free(v);
			return fail(err, errlen, PX_INTERNAL, "out of memory");
		}
		if (m->state == MA_PENDING)
			step(u, m);
	}
	free(v);
	return 0;
}

/* --tree PID / --store DIR PID: the process named must run a build the patches are for. */
static int check_root(struct run *u, char *err, size_t errlen)
{
	struct pfind_proc p;
	if (pfind_one(u->o->pid, &p) != 0)
		return fail(err, errlen, PX_INPUT, "no such process: %d", (int)u->o->pid);
	if (p.build_id[0] && pst_has_build(&u->st, p.build_id))
		return 0;
	if (u->o->patch)
		return fail(err, errlen, PX_NOTAPPLY,
			    "patch is for build %s, process %d runs build %s", u->st.v[0].target,
			    (int)p.pid, p.build_id[0] ? p.build_id : "(none)");
	return fail(err, errlen, PX_NOTAPPLY, "the store %s has no patch for build %s (process %d)",
		    u->o->store, p.build_id[0] ? p.build_id : "(none)", (int)p.pid);
}

/* What the command line names must fit before anything is done. */
static int check_start(struct run *u, char *err, size_t errlen)
{
	const struct ma_opts *o = u->o;
	int rc = o->patch ? pst_single(o->patch, &u->st, err, errlen)
			  : pst_open(o->store, &u->st, err, errlen);
	if (rc)
		return rc;
	if (o->mode != MA_ALL)
		return check_root(u, err, errlen);
	char ferr[512];
	if ((rc = pfind_file_build_id(o->binary, u->r->build_id, sizeof(u->r->build_id), ferr,
				      sizeof(ferr))))
		return fail(err, errlen, rc == -ENOENT ? PX_NOTAPPLY : PX_INPUT, "%s",
			    rc == -ENOENT ? "the binary has no build-id" : ferr);
	if (!realpath(o->binary, u->r->binary_path))
		snprintf(u->r->binary_path, sizeof(u->r->binary_path), "%s", o->binary);
	if (o->store || pst_has_build(&u->st, u->r->build_id))
		return 0; /* a store: checked against the processes found (round_once) */
	return fail(err, errlen, PX_NOTAPPLY, "patch is for build %s, %s is build %s",
		    u->st.v[0].target, o->binary, u->r->build_id);
}

int ma_run(const struct ma_opts *o, struct ma_result *r, ma_report on_proc, void *ctx, char *err,
	   size_t errlen)
{
	struct run u = {o, r, {0}, on_proc, ctx, 0, 0};
	uint64_t deadline = now_ms() + o->deadline_ms;
	int rc;
	memset(r, 0, sizeof(*r));
	if ((rc = check_start(&u, err, errlen)) != 0) {
		pst_close(&u.st);
		return rc;
	}
	for (unsigned round = 0;; round++) {
		if ((rc = round_once(&u, round == 0, err, errlen)))
			break;
		/* done when a whole pass needed nothing: newborns are caught by the next */
		if (!u.applied_now && !u.pending)
			break;
		if (now_ms() >= deadline) {
			for (size_t i = 0; i < r->n; i++)
				if (r->v[i].state == MA_PENDING) {
					size_t l = strlen(r->v[i].err);
					snprintf(r->v[i].err + l, sizeof(r->v[i].err) - l,
						 "%sdeadline of %u s passed", l ? "; " : "",
						 o->deadline_ms / 1000);
					finish(&u, &r->v[i], MA_FAILED);
				}
			break;
		}
		if (u.pending && !u.applied_now) /* only retries left: let the threads move */
			usleep(50000);
	}
	pst_close(&u.st);
	return rc;
}

void ma_free(struct ma_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct ma_proc *m = &r->v[i];
		for (size_t k = 0; k < m->napplied; k++) {
			free(m->names[k]);
			free(m->json[k]);
		}
		for (size_t k = 0; k < m->nwarnings; k++)
			free(m->warnings[k]);
		free(m->names);
		free(m->json);
		free(m->warnings);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

int ma_exit_code(const struct ma_result *r)
{
	if (!r->failed)
		return PX_OK;
	if (r->applied || r->already)
		return PX_SOME;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].state == MA_FAILED)
			return r->v[i].rc ? r->v[i].rc : PX_INTERNAL;
	return PX_INTERNAL;
}
