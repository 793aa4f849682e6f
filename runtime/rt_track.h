/*
 * rt_track — write tracking of old code during data coexistence (docs/coexistence.md).
 * Runtime module: it runs inside the target (freestanding: raw system calls, no libc
 * call, no allocation; the SIGSEGV handler and the return trampoline are
 * async-signal-safe).
 *
 * While old functions that write a variable whose type changed are still active, the
 * pages of the variable's old copy are read-only. An old write faults; the handler finds
 * the instruction in the store table (versionfiles/track_format.h, built by polus-mkpatch),
 * computes what it stores from the signal context, writes it through /proc/self/mem (a
 * second, writable path to the same private memory), calls the variable's sync, and
 * skips the instruction, all under one lock. Each active old-writer frame's saved return
 * address is swapped for a trampoline; when the last one returns, protection is lifted:
 * coexistence is over and the old copy is left unused.
 *
 * Sequence (the injector's, or an in-process test's):
 *   polus_rt_track_arm()    handler installed, pages protected; faulting writers wait
 *   (initialize the new copy from the old one, switch the code)
 *   polus_rt_track_start()  waiting writers go on: each write completes and syncs
 *   ... ends by itself when the last frame returns, or polus_rt_track_end()
 * Every function returns 0 or a negative errno. One coexistence at a time (-EBUSY).
 */
#ifndef POLUS_RT_TRACK_H
#define POLUS_RT_TRACK_H
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#define POLUS_EXPORT __attribute__((visibility("default")))

/* A variable in coexistence: its old copy, and how a write to it reaches the new copy. */
struct polus_rt_track_var {
	uintptr_t addr; /* run-time address of the old copy */
	size_t size;
	/* Carries bytes [off, off+len) of the old copy, just written, to the new copy. Runs in
	 * the SIGSEGV handler with every signal blocked: no lock, no malloc. */
	void (*sync)(void *ctx, size_t off, size_t len);
	void *ctx;
};

enum polus_rt_track_state {
	POLUS_TRACK_IDLE = 0,
	POLUS_TRACK_ARMING, /* protected; writers wait for start */
	POLUS_TRACK_ACTIVE, /* writes complete and sync */
	POLUS_TRACK_ENDED
};

struct polus_rt_track_status {
	uint32_t size; /* the caller sets sizeof(struct polus_rt_track_status) */
	int32_t state; /* enum polus_rt_track_state */
	uint32_t nvars, frames, frames_left;
	pid_t blocked_tid;	   /* after -EDEADLK: a thread that blocks SIGSEGV */
	uint64_t stores;	   /* old-code writes completed by the handler */
	uint64_t chained;	   /* faults passed to the program's own handler */
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC at start and at the end of coexistence */
	uint64_t last_return_ns;   /* when the last frame entered the trampoline */
};

/* What arm takes (one pointer: an injected call passes at most six arguments). */
struct polus_rt_track_args {
	uint32_t size; /* sizeof(struct polus_rt_track_args) */
	uint32_t nvars, nframes, pad;
	const void *table; /* track_format.h; kept mapped by the caller until the end */
	uint64_t table_len;
	uintptr_t load_base; /* where the image the table describes is loaded */
	const struct polus_rt_track_var *vars;
	const uintptr_t *frames;  /* addresses of the saved return addresses of the active
				   * old-writer frames (0 frames: coexistence ends at start) */
	uintptr_t libc_sigaction; /* the program's libc sigaction entry, redirected to
				   * polus_rt_track_sigaction (0: not redirected) */
	/* Since polus-apply drives it (older callers end here: size says which): */
	const uintptr_t *flags; /* per variable: an int the runtime sets to 1 while armed and
				 * to 0 when coexistence ends (the patch's polus_coexist_ID,
				 * which its new code tests), or 0; may be NULL */
	const struct polus_rt_track_frame *frame_info; /* per frame: its pc and thread, for
							* polus-status; may be NULL */
};

/* An old-writer frame: its return-address slot, the real return address, where it runs
 * (an address in the old function) and its thread; done once it returned. */
struct polus_rt_track_frame {
	uint64_t slot, ra, pc;
	uint32_t tid, done;
};

#define POLUS_TRACK_MAX_VARS 64
#define POLUS_TRACK_MAX_FRAMES 1024
#define POLUS_TRACK_CARRY_MAX 65536 /* bytes of a variable polus_rt_track_carry can carry */
/* polus_rt_track_argbuf: where polus-apply writes arm's arguments (the args, then every
 * variable with its flag and every frame with its details), through /proc/PID/mem. */
#define POLUS_TRACK_ARGS_MAX (128 + POLUS_TRACK_MAX_VARS * 48 + POLUS_TRACK_MAX_FRAMES * 48)

/*
 * What polus-status reads through /proc/PID/mem (exported as polus_rt_track_state): the
 * state, the counters, the variables and the frames. The same build of polus-rt.so on
 * both sides (the registry's runtime line names its build-id), so the layout agrees.
 * Written under the runtime's lock; a reader may see it mid-update and reads it again.
 */
struct polus_rt_track_shared {
	int state; /* enum polus_rt_track_state (a futex while ARMING) */
	int left;  /* frames not returned yet */
	uint32_t nvars, nframes;
	uint64_t stores, chained, start_ns, end_ns, last_return_ns;
	uint64_t seq; /* bumped by every change a reader shows */
	/* Crash safety of the arming: when arm was made, and the registry byte whose value
	 * publish_byte says the patch was committed (written by polus-apply before its commit).
	 * A writer that waits in ARMING for over 2 s with no tracer left (the injector died
	 * between arm and start) starts tracking if the patch was committed, else takes the
	 * arming back. */
	uint64_t arm_ns, publish;
	uint32_t publish_byte, pad;
	struct polus_rt_track_var vars[POLUS_TRACK_MAX_VARS];
	struct polus_rt_track_frame frames[POLUS_TRACK_MAX_FRAMES];
};

/*
 * Arms tracking (vars and frames are copied). The frames must not return while arm runs
 * (the injector holds the threads).
 * -EDEADLK: another thread blocks SIGSEGV (status's blocked_tid; the caller checks its
 * own thread's mask, which an injected call may have changed); -EINVAL: a bad table or
 * argument; -E2BIG: over the limits; -EBUSY: already armed; else what open or mprotect
 * said. On error the pages and frames are untouched (a handler installed stays: it passes
 * on every fault that is not its own).
 */
POLUS_EXPORT int polus_rt_track_arm(const struct polus_rt_track_args *args);
/* The new copy is initialized: writers waiting since arm go on. */
POLUS_EXPORT int polus_rt_track_start(void);
/* Ends coexistence now: return addresses not yet used are put back (the caller holds the
 * threads), protection lifted. Idempotent. */
POLUS_EXPORT int polus_rt_track_end(void);
POLUS_EXPORT int polus_rt_track_status(struct polus_rt_track_status *st);
/*
 * The store of new code into a variable in coexistence (the patch's polus_sync_ID_store
 * calls it through polus_carry_ID): under the lock, `to` writes new -> old into a copy of
 * the old copy's `size` bytes at `old`, and the bytes that changed are written to the
 * protected old copy through /proc/self/mem; when `old` is not protected (coexistence
 * over), to(old) directly. Returns 0, -E2BIG (larger than POLUS_TRACK_CARRY_MAX) or -EIO.
 */
POLUS_EXPORT int polus_rt_track_carry(void *old, size_t size, void (*to)(unsigned char *));
/*
 * What libc's sigaction does once tracking is armed (its entry jumps here when arm was
 * given libc_sigaction): the
 * runtime stays the kernel's SIGSEGV handler and the program's own handler, set before
 * or after arming, is the one it passes foreign faults to; other signals go to the kernel
 * as libc would send them.
 */
POLUS_EXPORT int polus_rt_track_sigaction(int sig, const struct sigaction *act,
					  struct sigaction *oact);

#endif
