/*
 * versionfile — the patch version file (docs/patch-format.md): parse, emit, free.
 *
 * One module shared by polus-mkpatch (emits it), the injector (parses the copy embedded
 * in a patch) and anything else that reads patches. YAML via libyaml. Functions return 0
 * or -1; on -1 `err` holds one line saying what is wrong and where. Nothing prints.
 */
#ifndef POLUS_VERSIONFILE_H
#define POLUS_VERSIONFILE_H
#include <stddef.h>
#include <stdint.h>

#define VF_FORMAT 1

struct vf_function {
	char *name;   /* source name; a clone is named by its origin */
	char *unit;   /* translation unit key (source path relative to the tree) */
	char *change; /* "changed" or "new" */
	char **reasons;
	size_t nreasons;
	char *old_symbol;  /* NULL for a new function */
	uint64_t old_addr; /* st_value in the base binary, or offset in patch old_in */
	char *old_in;	   /* NULL: the site is in the base; else the build-id of the earlier
			    * patch of the chain whose own copy the site is in */
	uint64_t old_size;
	char *new_symbol;  /* symbol in the patch .so */
	uint64_t new_addr; /* st_value in the patch .so */
	int redirect;	   /* write a jump at old_addr */
	int padded;	   /* old_addr has a padded entry (docs/stopfree.md); absent: false */
};

struct vf_bind {
	char *symbol;  /* undefined symbol of the patch (__polus_b_N) */
	char *name;    /* variable KEY or function name, for messages */
	uint64_t addr; /* st_value in the base binary */
	int tls;       /* a thread-local variable: addr is its offset in the base's TLS segment */
};

/* How one changed function of the base goes live (polus-mkpatch's completeness proof). */
struct vf_live {
	char *name; /* source name */
	char *unit;
	char *how; /* "redirected", "inlined into a, b (redirected)", ... */
};

/* An old function that writes a variable in coexistence: polus-apply syncs only when no
 * thread runs it. */
struct vf_writer {
	char *name;
	uint64_t old_addr; /* st_value in the base binary */
	uint64_t old_size;
};

/* A variable whose type changed (its sync, check and recover functions), or, with
 * variable NULL, a check of the patch's own. Addresses are st_values in the patch .so;
 * 0 when the function is absent. */
struct vf_data {
	char *variable; /* KEY */
	char *unit;
	char *file;   /* the source: sync/ID.c */
	char *covers; /* what the generated sync carries, in words */
	char *old_type, *new_type;
	uint64_t old_size, new_size;
	char *new_symbol; /* the patch's new copy */
	uint64_t new_addr;
	char *old_bind; /* the bind symbol of the running program's copy */
	char *sync_old2new, *sync_new2old, *check, *recover; /* symbols */
	uint64_t sync_old2new_addr, sync_new2old_addr, check_addr, recover_addr;
	struct vf_writer *writers;
	size_t nwriters;
	/* Write tracking of old code (docs/coexistence.md; absent in patches of an older
	 * polus-mkpatch or with a sync file kept from one): the partial sync the runtime's
	 * SIGSEGV handler calls, new -> old into a buffer, the coexistence flag and the slot
	 * of the runtime's carry entry. */
	char *sync_track, *sync_new2old_to, *coexist_flag, *carry_slot;
	uint64_t old_addr; /* OLD's copy, link-time (0: not given) */
	uint64_t sync_track_addr, sync_new2old_to_addr, coexist_flag_addr, carry_slot_addr;
};

struct vf_patch {
	int format;
	char *name;
	char *created;
	char *target_build_id; /* lower-case hex */
	char *target_path;
	char **requires;
	size_t nrequires;
	struct vf_function *functions;
	size_t nfunctions;
	struct vf_bind *binds;
	size_t nbinds;
	char **warnings;
	size_t nwarnings;
	struct vf_live *live; /* absent in patches of older polus-mkpatch */
	size_t nlive;
	struct vf_data *data; /* variables in coexistence and checks (absent: none) */
	size_t ndata;
	/* The store table of the variables in coexistence (versionfiles/track_format.h), in
	 * the patch image: its symbol, link-time address and size (absent: none). */
	char *track_table;
	uint64_t track_table_addr, track_table_size;
};

/* Parses `len` bytes of YAML into `out` (zeroed first). */
int vf_parse(const char *text, size_t len, struct vf_patch *out, char *err, size_t errlen);
/* Emits `p` as YAML into a malloc'd NUL-terminated buffer. */
int vf_emit(const struct vf_patch *p, char **text, size_t *len, char *err, size_t errlen);
/* Why `switched` (the functions polus-apply redirected) differs from the changed functions
 * of p's live list, into buf: "7 changed: 3 live through inlining into them"; "" when the
 * patch has no live list, or the counts agree and every function is live. */
void vf_live_summary(const struct vf_patch *p, size_t switched, char *buf, size_t len);
/* Frees everything `p` owns (all strings are malloc'd) and zeroes it. */
void vf_free(struct vf_patch *p);

#endif
