/*
 * remote_load — the system calls polus-apply makes one hijacked thread of the target
 * issue (remote_syscall.h), and the list of them for the seccomp check.
 *
 * rl_load puts a relocated patch image into the target: a memfd "polus:NAME", each run
 * of pages mapped with its final protection near the program (MAP_PRIVATE |
 * MAP_FIXED_NOREPLACE at the first free candidate address), the image written through
 * our own descriptor for the memfd (pidfd_getfd) or, without one, through /proc/PID/mem
 * into a read-write mapping then protected. rl_create_registry creates the registry
 * mapping ("polus:registry", private, read-write, where the kernel puts it). Both are
 * private: a process forked later has its own copy, and /proc/PID/mem writes stay in PID.
 *
 * Every call is built by one constructor that rl_calls uses too, so the list the seccomp
 * check evaluates is exactly what these functions may issue: the same numbers, flags,
 * protections, lengths, offsets and candidate addresses; a descriptor argument is the
 * lowest free descriptor of the target (what memfd_create returns); a pointer (the
 * memfd's name, on the thread's stack) is 0, since a filter cannot read what it points
 * to, and so is the registry's address in its munmap (the kernel chooses it).
 *
 * Every change is added to the undo log as it is made (undo_log.h); rl_unmap and rl_close
 * are the undo steps. rl_load and rl_create_registry return 0 or a PX_* exit code with
 * one line in err; rl_unmap/rl_close 0 or a negative errno. Nothing prints.
 */
#ifndef POLUS_REMOTE_LOAD_H
#define POLUS_REMOTE_LOAD_H
#include "loader.h"
#include "remote_syscall.h"
#include "seccomp_eval.h"
#include "undo_log.h"

struct rl_ctx {
	pid_t pid;
	int memfd;	  /* /proc/PID/mem, writable */
	int use_pidfd;	  /* the image goes in through our own descriptor for the memfd */
	struct rs_ctx rs; /* the hijacked thread, once rl_attach succeeded */
	struct ul_log *log;
	void (*mark)(const char *what); /* POLUS_TRACE: the time of each call; may be NULL */
	char *err;
	size_t errlen;
};

/* A patch to load: the image is relocated again if it lands elsewhere than cand[0]. */
struct rl_job {
	struct ld_patch *lp;
	struct ld_target tgt;
	const uint64_t *cand; /* placement.h, nearest first */
	size_t ncand;
	const char *name; /* the patch's name, for "polus:NAME" */
};

/*
 * allow_pidfd = 0 (POLUS_NO_PIDFD=1) or a kernel without pidfd_getfd (< 5.6): the target
 * sizes and maps the memfd itself. Decided here, once, so the call list is exact.
 */
void rl_init(struct rl_ctx *c, pid_t pid, int memfd, int allow_pidfd, struct ul_log *log, char *err,
	     size_t errlen);

/* Works through stopped thread t from now on (it must stay stopped). PX_* code. */
int rl_attach(struct rl_ctx *c, struct pt_thread *t, const struct pf_maps *maps);

/*
 * Every call rl_load(j) (and rl_create_registry if with_registry) may issue, and their
 * undo; out[0..max) filled, the total count returned.
 */
size_t rl_calls(const struct rl_ctx *c, const struct rl_job *j, int with_registry,
		struct sc_call *out, size_t max);

/* Loads j into the target: *img relocated for *addr, where it is mapped. */
int rl_load(struct rl_ctx *c, const struct rl_job *j, struct ld_image *img, uint64_t *addr);

/* Creates the registry mapping (REG_MAP_SIZE bytes, zero-filled) at *addr. */
int rl_create_registry(struct rl_ctx *c, uint64_t *addr);

/*
 * Closes every descriptor of the target that names a polus memfd: polus keeps none open
 * once an apply is done, so each is left by a polus-apply that died between creating
 * and closing it. *nclosed gets how many. PX_* code.
 */
int rl_close_strays(struct rl_ctx *c, unsigned *nclosed);

/*
 * Unmaps every mapping of a polus memfd (but the registry) whose object does not start
 * at one of keep[0..nkeep) (registry_io's ri_published): an image or runtime an apply that
 * died loaded and never published. No jump leads into one (the jumps are written with
 * the publication, in one call): nothing runs there. *nunmapped gets how many. PX_* code.
 */
int rl_unmap_orphans(struct rl_ctx *c, const struct pf_maps *maps, const uint64_t *keep,
		     size_t nkeep, unsigned *nunmapped);

/* The lowest descriptor the target has free: what its next open or memfd_create returns. */
long rl_next_fd(pid_t pid);

int rl_unmap(struct rl_ctx *c, uint64_t addr, uint64_t len);
int rl_close(struct rl_ctx *c, long fd);

#endif
