/*
 * remote_load — loading into the target through a hijacked thread (see remote_load.h).
 */
#include "remote_load.h"
#include "errmsg.h"
#include "exitcodes.h"
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x10u
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x8u
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The image may be executed; the registry never is (sealed where the kernel can). */
#define IMAGE_MFD_FLAGS MFD_EXEC
#define REGISTRY_MFD_FLAGS MFD_NOEXEC_SEAL
/*
 * Private, both (docs/architecture.md, "Many processes"): a child forked after an apply
 * gets its own copy on write, and what the injector later writes through /proc/PID/mem (a
 * chain's jump into this image, the next registry record) stays in the process it was
 * written to. Once mapped, the memfd is never written again: it names the mapping.
 */
#define IMAGE_MAP_FLAGS (MAP_PRIVATE | MAP_FIXED_NOREPLACE)
#define REGISTRY_MAP_FLAGS MAP_PRIVATE
#define RW (PROT_READ | PROT_WRITE)

/*
 * The constructors of every call issued; rl_calls lists what they build. memfd_create
 * with `flags` may be refused (EINVAL) by a kernel that does not know them: it is then
 * issued again with MFD_CLOEXEC alone.
 */
static struct sc_call call_memfd(uint64_t name, unsigned flags)
{
	return (struct sc_call){"memfd_create", SYS_memfd_create, {name, MFD_CLOEXEC | flags}};
}

static struct sc_call call_ftruncate(long fd, uint64_t len)
{
	return (struct sc_call){"ftruncate", SYS_ftruncate, {(uint64_t)fd, len}};
}

static struct sc_call call_mmap(uint64_t addr, uint64_t len, int prot, int flags, long fd,
				uint64_t off)
{
	return (struct sc_call){
	    "mmap", SYS_mmap, {addr, len, (uint64_t)prot, (uint64_t)flags, (uint64_t)fd, off}};
}

static struct sc_call call_mprotect(uint64_t addr, uint64_t len, int prot)
{
	return (struct sc_call){"mprotect", SYS_mprotect, {addr, len, (uint64_t)prot}};
}

static struct sc_call call_munmap(uint64_t addr, uint64_t len)
{
	return (struct sc_call){"munmap", SYS_munmap, {addr, len}};
}

static struct sc_call call_close(long fd)
{
	return (struct sc_call){"close", SYS_close, {(uint64_t)fd}};
}

#define fail(c, code, ...) px_err((c)->err, (c)->errlen, code, __VA_ARGS__)

/* The call issued: 0 and its raw result in *res, or a negative errno (no message). */
static int rcall(struct rl_ctx *c, struct sc_call k, long *res)
{
	long args[6];
	for (int i = 0; i < 6; i++)
		args[i] = (long)k.args[i];
	*res = -ENOSYS;
	int rc = rs_call(&c->rs, k.nr, args, res);
	if (c->mark) {
		char what[64];
		snprintf(what, sizeof(what), "syscall %d = %ld", k.nr, *res);
		c->mark(what);
	}
	return rc;
}

/* The same; a failure of the mechanism is an internal error. */
static int issue(struct rl_ctx *c, struct sc_call k, long *res)
{
	int rc = rcall(c, k, res);
	if (rc)
		return fail(c, PX_INTERNAL, "remote system call %d in thread %d failed: %s", k.nr,
			    (int)c->rs.t->tid, strerror(-rc));
	return 0;
}

/* pidfd_getfd of an invalid descriptor fails with EBADF only if the call is there for us. */
static int pidfd_getfd_works(pid_t pid)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), e;
	if (pfd < 0)
		return 0;
	long r = syscall(SYS_pidfd_getfd, pfd, -1, 0);
	e = errno;
	close(pfd);
	return r < 0 && e == EBADF;
}

void rl_init(struct rl_ctx *c, pid_t pid, int memfd, int allow_pidfd, struct ul_log *log, char *err,
	     size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->memfd = memfd;
	c->use_pidfd = allow_pidfd && pidfd_getfd_works(pid);
	c->log = log;
	c->err = err;
	c->errlen = errlen;
}

int rl_attach(struct rl_ctx *c, struct pt_thread *t, const struct pf_maps *maps)
{
	if (rs_init(&c->rs, c->pid, t, maps, c->memfd) != 0)
		return fail(c, PX_INTERNAL, "process %d: no syscall instruction found in its code",
			    (int)c->pid);
	return 0;
}

/* Our own descriptor for the target's fd (pidfd_getfd), or -1. */
static int local_fd(struct rl_ctx *c, long fd)
{
	int pfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (pfd < 0)
		return -1;
	int l = (int)syscall(SYS_pidfd_getfd, pfd, (int)fd, 0);
	close(pfd);
	return l;
}

/* The lowest descriptor the target has free: what its next memfd_create returns. */
long rl_next_fd(pid_t pid)
{
	char path[64];
	unsigned char used[1024] = {0};
	struct dirent *d;
	long fd = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	while (dir && (d = readdir(dir)))
		if (atol(d->d_name) >= 0 && atol(d->d_name) < (long)sizeof(used) &&
		    d->d_name[0] != '.')
			used[atol(d->d_name)] = 1;
	if (dir)
		closedir(dir);
	while (fd < (long)sizeof(used) && used[fd])
		fd++;
	return fd;
}

int rl_close_strays(struct rl_ctx *c, unsigned *nclosed)
{
	char path[64], link[256];
	struct dirent *d;
	int rc = 0;
	*nclosed = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)c->pid);
	DIR *dir = opendir(path);
	while (dir && !rc && (d = readdir(dir))) {
		char fp[320];
		long res;
		if (d->d_name[0] == '.')
			continue;
		snprintf(fp, sizeof(fp), "%s/%s", path, d->d_name);
		ssize_t n = readlink(fp, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strncmp(link, "/memfd:" POLUS_MEMFD_PREFIX, 7 + strlen(POLUS_MEMFD_PREFIX)))
			continue;
		if ((rc = issue(c, call_close(atol(d->d_name)), &res)) == 0 && res == 0)
			++*nclosed;
	}
	if (dir)
		closedir(dir);
	return rc;
}

/* Whether mapping m of a polus memfd belongs to an object starting at one of keep. */
static int kept(const struct pf_maps *maps, const struct pf_map *m, const uint64_t *keep,
		size_t nkeep)
{
	uint64_t base = m->start;
	for (size_t i = 0; i < maps->n; i++) /* the object's lowest mapping */
		if (maps->v[i].inode == m->inode && maps->v[i].start < base &&
		    strcmp(maps->v[i].path, m->path) == 0)
			base = maps->v[i].start;
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] == base)
			return 1;
	return 0;
}

int rl_unmap_orphans(struct rl_ctx *c, const struct pf_maps *maps, const uint64_t *keep,
		     size_t nkeep, unsigned *nunmapped)
{
	static const char pre[] = "/memfd:" POLUS_MEMFD_PREFIX;
	*nunmapped = 0;
	for (size_t i = 0; i < maps->n; i++) {
		const struct pf_map *m = &maps->v[i];
		long res;
		int rc;
		if (strncmp(m->path, pre, sizeof(pre) - 1) != 0 ||
		    strncmp(m->path + sizeof(pre) - 1, "registry ", 9) == 0 ||
		    kept(maps, m, keep, nkeep))
			continue;
		if ((rc = issue(c, call_munmap(m->start, m->end - m->start), &res)))
			return rc;
		if (res == 0)
			++*nunmapped;
	}
	return 0;
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

/* The runs of pages of the patch with their final protection, as offsets in its span. */
static int prot_runs_of(const struct ld_patch *lp, struct prot_runs *runs)
{
	struct ld_image rel = {.base = (uint64_t)0 - lp->span_lo};
	runs->n = 0;
	return ld_each_prot(lp, &rel, collect_run, runs);
}

static void put(struct sc_call *out, size_t max, size_t *n, struct sc_call k)
{
	if (*n < max)
		out[*n] = k;
	(*n)++;
}

size_t rl_calls(const struct rl_ctx *c, const struct rl_job *j, int with_registry,
		struct sc_call *out, size_t max)
{
	struct prot_runs runs;
	uint64_t span = j->lp->span_hi - j->lp->span_lo;
	long fd = rl_next_fd(c->pid);
	size_t n = 0;
	if (prot_runs_of(j->lp, &runs) != 0)
		runs.n = 0;
	/* remote_syscall's own: the thread returns to its code through rt_sigreturn */
	put(out, max, &n, (struct sc_call){"rt_sigreturn", SYS_rt_sigreturn, {0}});
	put(out, max, &n, call_memfd(0, IMAGE_MFD_FLAGS));
	put(out, max, &n, call_memfd(0, 0));
	if (!c->use_pidfd)
		put(out, max, &n, call_ftruncate(fd, span));
	for (size_t i = 0; i < j->ncand; i++) {
		uint64_t a = j->cand[i];
		if (!c->use_pidfd) {
			put(out, max, &n, call_mmap(a, span, RW, IMAGE_MAP_FLAGS, fd, 0));
			put(out, max, &n, call_munmap(a, span));
		}
		for (size_t k = 0; k < runs.n; k++) {
			const struct prot_run *r = &runs.v[k];
			if (c->use_pidfd) {
				put(out, max, &n,
				    call_mmap(a + r->off, r->len, r->prot, IMAGE_MAP_FLAGS, fd,
					      r->off));
				put(out, max, &n, call_munmap(a + r->off, r->len));
			} else {
				put(out, max, &n, call_mprotect(a + r->off, r->len, r->prot));
			}
		}
	}
	put(out, max, &n, call_close(fd));
	if (!with_registry)
		return n;
	put(out, max, &n, call_memfd(0, REGISTRY_MFD_FLAGS));
	if (!c->use_pidfd)
		put(out, max, &n, call_ftruncate(fd, REG_MAP_SIZE));
	put(out, max, &n, call_mmap(0, REG_MAP_SIZE, RW, REGISTRY_MAP_FLAGS, fd, 0));
	put(out, max, &n, call_munmap(0, REG_MAP_SIZE));
	return n;
}

/* memfd_create, logged; the name lives on the thread's stack. */
static int remote_memfd(struct rl_ctx *c, const char *name, unsigned flags, long *fd)
{
	struct ul_entry *e;
	uint64_t sname = rs_scratch(&c->rs, name, strlen(name) + 1);
	if (!sname)
		return fail(c, PX_INTERNAL, "cannot write to the stack of thread %d",
			    (int)c->rs.t->tid);
	if (!(e = ul_add(c->log, UL_FD, 0, 0, NULL, "memfd %s", name)))
		return fail(c, PX_INTERNAL, "out of memory");
	if (issue(c, call_memfd(sname, flags), fd) ||
	    (*fd == -EINVAL && issue(c, call_memfd(sname, 0), fd))) {
		ul_drop(c->log);
		return PX_INTERNAL;
	}
	if (*fd < 0) {
		ul_drop(c->log);
		return fail(c, PX_INTERNAL, "memfd_create in process %d: %s", (int)c->pid,
			    strerror((int)-*fd));
	}
	e->addr = (uint64_t)*fd;
	return ul_made(c->log, e, c->err, c->errlen);
}

int rl_close(struct rl_ctx *c, long fd)
{
	long r;
	int rc = rcall(c, call_close(fd), &r);
	return rc ? rc : r < 0 ? (int)r : 0;
}

int rl_unmap(struct rl_ctx *c, uint64_t addr, uint64_t len)
{
	long r;
	int rc = rcall(c, call_munmap(addr, len), &r);
	return rc ? rc : r < 0 ? (int)r : 0;
}

/* Closes the target's fd on the normal path; it was open only while loading. */
static void remote_close(struct rl_ctx *c, long fd)
{
	if (rl_close(c, fd) == 0)
		ul_closed(c->log, fd);
}

/*
 * One mmap of the target, logged: 0 and *res = the address it returned, PX_INTERNAL, or
 * the fault hook's code. A mapping placed elsewhere than asked (an old kernel ignoring
 * MAP_FIXED_NOREPLACE) is logged too: the caller undoes it.
 */
static int logged_mmap(struct rl_ctx *c, struct sc_call k, uint64_t object, const char *what,
		       long *res)
{
	struct ul_entry *e = ul_add(c->log, UL_MAP, k.args[0], k.args[1], NULL, "%s at 0x%llx",
				    what, (unsigned long long)k.args[0]);
	if (!e)
		return fail(c, PX_INTERNAL, "out of memory");
	e->object = object;
	if (issue(c, k, res)) {
		ul_drop(c->log);
		return PX_INTERNAL;
	}
	if (*res < 0 && *res > -4096) {
		ul_drop(c->log);
		return 0;
	}
	if (e->addr != (uint64_t)*res) {
		e->addr = (uint64_t)*res;
		snprintf(e->what, sizeof(e->what), "%s at 0x%llx", what, (unsigned long long)*res);
	}
	return ul_made(c->log, e, c->err, c->errlen);
}

/* Takes back what the log holds from `mark` on; a failure becomes the error. */
static int undo_to(struct rl_ctx *c, size_t mark)
{
	char msg[512];
	if (ul_undo_to(c->log, mark, msg, sizeof(msg)) == 0)
		return 0;
	return fail(c, PX_INTERNAL, "process %d: %s", (int)c->pid, msg);
}

static int relocate_for(const struct rl_job *j, struct ld_image *img, uint64_t addr, char *err,
			size_t errlen)
{
	if (img->buf && img->addr == addr)
		return 0;
	ld_image_free(img);
	return ld_relocate(j->lp, &j->tgt, addr, img, err, errlen) ? PX_NOTAPPLY : 0;
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
 * Maps each run of candidate `a` with its final protection: 0 and all mapped, -EEXIST
 * (something is there now: what was mapped is undone), or a PX_* code.
 */
static int map_runs(struct rl_ctx *c, const struct prot_runs *runs, uint64_t a, long fd,
		    const char *what)
{
	size_t mark = c->log->n;
	for (size_t k = 0; k < runs->n; k++) {
		const struct prot_run *pr = &runs->v[k];
		long r;
		int rc = logged_mmap(
		    c, call_mmap(a + pr->off, pr->len, pr->prot, IMAGE_MAP_FLAGS, fd, pr->off), a,
		    what, &r);
		if (rc)
			return rc;
		if (r == (long)(a + pr->off))
			continue;
		if ((rc = undo_to(c, mark)))
			return rc;
		if (r == -EEXIST)
			return -EEXIST;
		return fail(c, PX_INTERNAL, "mmap in process %d: %s", (int)c->pid,
			    r >= 0 ? "not placed where asked" : strerror((int)-r));
	}
	return 0;
}

/*
 * The image goes into the memfd from the injector (through our own descriptor for it),
 * and each run of pages is mapped with its final protection: two system calls of the
 * target fewer than load_through_target, and no write through /proc/PID/mem. Each
 * round trip of the hijacked thread costs a scheduler turn on a busy machine.
 */
static int load_through_fd(struct rl_ctx *c, const struct rl_job *j, long fd, int lfd,
			   const char *what, struct ld_image *img, uint64_t *addr)
{
	struct prot_runs runs;
	uint64_t span = j->lp->span_hi - j->lp->span_lo;
	int rc;
	if (prot_runs_of(j->lp, &runs) != 0)
		return fail(c, PX_INTERNAL, "too many protection runs in the patch");
	if (ftruncate(lfd, (off_t)span) != 0)
		return fail(c, PX_INTERNAL, "cannot size the patch's memfd: %m");
	for (size_t i = 0; i < j->ncand; i++) {
		if ((rc = relocate_for(j, img, j->cand[i], c->err, c->errlen)))
			return rc;
		if (pwrite_all(lfd, img->buf, img->len) != 0)
			return fail(c, PX_INTERNAL, "cannot write the patch's memfd: %m");
		rc = map_runs(c, &runs, j->cand[i], fd, what);
		if (rc == -EEXIST)
			continue;
		if (rc)
			return rc;
		*addr = j->cand[i];
		return 0;
	}
	return fail(c, PX_NOTAPPLY, "process %d: no free address range within 2 GiB of its code",
		    (int)c->pid);
}

/* Without pidfd_getfd: size, map read-write, write via /proc/PID/mem, then protect. */
static int load_through_target(struct rl_ctx *c, const struct rl_job *j, long fd, const char *what,
			       struct ld_image *img, uint64_t *addr)
{
	struct prot_runs runs;
	uint64_t span = j->lp->span_hi - j->lp->span_lo, a = 0;
	long r = -EEXIST;
	int rc;
	if (prot_runs_of(j->lp, &runs) != 0)
		return fail(c, PX_INTERNAL, "too many protection runs in the patch");
	if (issue(c, call_ftruncate(fd, span), &r))
		return PX_INTERNAL;
	if (r < 0)
		return fail(c, PX_INTERNAL, "ftruncate in process %d: %s", (int)c->pid,
			    strerror((int)-r));
	for (size_t i = 0; i < j->ncand && !a; i++) {
		size_t mark = c->log->n;
		if ((rc = logged_mmap(c, call_mmap(j->cand[i], span, RW, IMAGE_MAP_FLAGS, fd, 0),
				      j->cand[i], what, &r)))
			return rc;
		if (r == (long)j->cand[i])
			a = j->cand[i];
		else if (r != -EEXIST)
			return (rc = undo_to(c, mark))
				   ? rc
				   : fail(c, PX_INTERNAL, "mmap in process %d: %s", (int)c->pid,
					  r >= 0 ? "not placed where asked" : strerror((int)-r));
	}
	if (!a)
		return fail(c, PX_NOTAPPLY,
			    "process %d: no free address range within 2 GiB of its code",
			    (int)c->pid);
	if ((rc = relocate_for(j, img, a, c->err, c->errlen)))
		return rc;
	if ((rc = pf_mem_write(c->memfd, a, img->buf, img->len)) != 0)
		return fail(c, PX_INTERNAL, "cannot write the patch into process %d: %s",
			    (int)c->pid, strerror(-rc));
	if (c->mark)
		c->mark("image written");
	for (size_t k = 0; k < runs.n; k++) {
		const struct prot_run *pr = &runs.v[k];
		if (issue(c, call_mprotect(a + pr->off, pr->len, pr->prot), &r))
			return PX_INTERNAL;
		if (r < 0)
			return fail(c, PX_INTERNAL, "mprotect in process %d: %s", (int)c->pid,
				    strerror((int)-r));
	}
	*addr = a;
	return 0;
}

int rl_load(struct rl_ctx *c, const struct rl_job *j, struct ld_image *img, uint64_t *addr)
{
	char name[256];
	long fd;
	int rc, lfd = -1;
	snprintf(name, sizeof(name), POLUS_MEMFD_PREFIX "%s", j->name);
	if ((rc = remote_memfd(c, name, IMAGE_MFD_FLAGS, &fd)))
		return rc;
	if (c->use_pidfd && (lfd = local_fd(c, fd)) < 0)
		rc = fail(c, PX_INTERNAL, "pidfd_getfd on process %d: %m", (int)c->pid);
	else if (lfd >= 0)
		rc = load_through_fd(c, j, fd, lfd, name, img, addr);
	else
		rc = load_through_target(c, j, fd, name, img, addr);
	if (lfd >= 0)
		close(lfd);
	if (!rc)
		remote_close(c, fd);
	return rc;
}

/* Sizes the registry's memfd: from here if we may (one round trip fewer). */
static int size_registry(struct rl_ctx *c, long fd)
{
	long r;
	if (c->use_pidfd) {
		int lfd = local_fd(c, fd);
		if (lfd < 0)
			return fail(c, PX_INTERNAL, "pidfd_getfd on process %d: %m", (int)c->pid);
		r = ftruncate(lfd, REG_MAP_SIZE) == 0 ? 0 : -errno;
		close(lfd);
	} else if (issue(c, call_ftruncate(fd, REG_MAP_SIZE), &r)) {
		return PX_INTERNAL;
	}
	if (r < 0)
		return fail(c, PX_INTERNAL, "cannot size the registry: %s", strerror((int)-r));
	return 0;
}

int rl_create_registry(struct rl_ctx *c, uint64_t *addr)
{
	long fd, r;
	int rc;
	if ((rc = remote_memfd(c, REG_MAP_NAME, REGISTRY_MFD_FLAGS, &fd)) ||
	    (rc = size_registry(c, fd)))
		return rc;
	rc = logged_mmap(c, call_mmap(0, REG_MAP_SIZE, RW, REGISTRY_MAP_FLAGS, fd, 0), 0,
			 "the registry", &r);
	if (rc)
		return rc;
	if (r < 0)
		return fail(c, PX_INTERNAL, "cannot create the registry in process %d: %s",
			    (int)c->pid, strerror((int)-r));
	remote_close(c, fd);
	*addr = (uint64_t)r;
	return 0;
}
