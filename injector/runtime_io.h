/*
 * runtime_io — polus's runtime in the target (build/polus-rt.so, runtime/rt_abi.h):
 * loaded once per process by our own loader (remote_load) and found again afterwards
 * through its registry line (`runtime ADDR BUILD-ID`, versionfiles/registry_format.h),
 * and the in-target commit that makes a patch live in one call (rt_commit).
 *
 * The file is build/polus-rt.so next to the polus-apply that runs ($POLUS_RT overrides).
 * A runtime recorded with another build-id (another polus) is not used: ours is loaded
 * and recorded after it. A freshly loaded runtime is recorded with the patch's record,
 * published by the commit itself (one an apply that died loaded is unmapped by the next,
 * remote_load's rl_unmap_orphans). Each call the runtime's work makes
 * the hijacked thread issue is first run through its seccomp filters, like remote_load's.
 * Functions return 0 or a PX_* code with one line in err; nothing prints.
 */
#ifndef POLUS_RUNTIME_IO_H
#define POLUS_RUNTIME_IO_H
#include "loader.h"
#include "patch_site.h"
#include "remote_load.h"
#include "rt_abi.h"
#include "registry_format.h"
#include "target.h"

struct rt_ctx {
	struct ld_patch lp;
	int have_lp;
	struct ld_image img;
	uint64_t base;	     /* where it is in the target (0: not there yet) */
	uint64_t off_commit; /* link-time addresses of its exports */
	uint64_t off_tramp;
	uint64_t off_commit_sf; /* polus_rt_commit_stopfree, polus_rt_agent_start */
	uint64_t off_agent;
	int fresh;	/* loaded by this apply: recorded with its record */
	char line[200]; /* its registry line, to publish with the record (fresh) */
	char *err;
	size_t errlen;
};

/* Opens our polus-rt.so. */
int rt_open(struct rt_ctx *c, char *err, size_t errlen);
void rt_close(struct rt_ctx *c);

/* *found = 1 if the registry records our runtime (base then set). 0 or a PX_* code. */
int rt_find(struct rt_ctx *c, struct tg_info *tg, int memfd, int *found);

/*
 * Makes sure the runtime is in the target: the one its registry records (with our
 * build-id), or ours loaded now through rl (a thread hijacked) at the first free
 * placement candidate near the program (placement.h).
 */
int rt_ensure(struct rt_ctx *c, struct rl_ctx *rl, struct tg_info *tg, int memfd,
	      struct ld_target tgt);

/*
 * What one commit changes: the sites (jumps prepared) and the record's publish byte; or,
 * revert set (a rollback), each site's jump back to its original bytes (a site listed
 * again, a chain's patches jumping from one entry, takes the last one's bytes) and the
 * registry's text from `publish` on replaced by copy[0..copy_len) (its byte there now is
 * publish_byte; was: the copy_len bytes there now, for the undo log).
 */
struct rt_commit_job {
	const struct ps_site *sites;
	size_t nsites;
	uint64_t publish; /* the registry byte, 0 now */
	uint8_t publish_byte;
	uint64_t journal; /* free registry bytes for the journal (logged before written) */
	uint64_t journal_room;
	int revert;
	const uint8_t *copy, *was;
	size_t copy_len;
};

/*
 * Runs polus_rt_commit in rl's thread (all threads stopped): 0 when every site and the
 * registry are written, each then logged (undo_log, made) so a later failure of this
 * operation takes it back as before; PX_NOTAPPLY/PX_INTERNAL with nothing changed.
 */
int rt_commit(struct rt_ctx *c, struct rl_ctx *rl, const struct tg_info *tg,
	      const struct rt_commit_job *j);

/*
 * Writes the journal jn (len bytes) where j says, in the registry's free bytes, after
 * logging the bytes it overwrites (undo_log). PX_* code.
 */
int rt_write_journal(struct rt_ctx *c, struct rl_ctx *rl, const struct rt_commit_job *j,
		     const void *jn, size_t len);

/* The commit of j ran to its end (its publish byte is written): 1, else 0. */
int rt_published(const struct rl_ctx *rl, const struct rt_commit_job *j);

/* The registry line recording a runtime at base with build-id id. */
#define RT_LINE_FMT REG_LINE_RUNTIME "\t0x%llx\t%s\n"

#endif
