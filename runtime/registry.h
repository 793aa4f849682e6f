/*
 * registry — the record of applied patches kept inside the target (polus-status shows it).
 *
 * The injector creates, in the target, a memfd mapping named "polus:registry"
 * (REG_MAP_SIZE bytes, shared, read-write) on the first apply and appends one text record
 * per patch applied. The mapping holds NUL-terminated UTF-8 text: a header line, then
 * records; the text ends at the first NUL byte (the memfd is zero-filled).
 *
 *   polus-registry<TAB>1
 *   patch<TAB>NAME<TAB>BUILD-ID<TAB>APPLIED-UNIX-NS<TAB>PAUSE-NS<TAB>LOAD-ADDR<TAB>STATE
 *   fn<TAB>NAME<TAB>OLD-ADDR<TAB>NEW-ADDR<TAB>ORIG-BYTES-HEX
 *   end
 *
 * Fields are tab separated with the escapes of docs/metadata.md (\\, \t, \n; "-" = empty).
 * Addresses are run-time addresses in hex (0x...). ORIG-BYTES are the bytes the jump
 * replaced at OLD-ADDR, kept for rollback. STATE is "applied" (rollback will add others).
 * PAUSE-NS is written with 20 digits so the injector can fill it in place once it has
 * let the threads go (the pause is known only then).
 * Unknown line kinds are ignored so the format can grow. Encode/decode only: no I/O.
 */
#ifndef POLUS_REGISTRY_H
#define POLUS_REGISTRY_H
#include <stddef.h>
#include <stdint.h>

#define REG_MAGIC "polus-registry\t1\n"
#define REG_MAP_NAME "polus:registry"
#define REG_MAP_SIZE (256 * 1024)
#define REG_MAX_ORIG 16

struct reg_fn {
	char *name;
	uint64_t old_addr; /* where the jump was written (after any endbr64) */
	uint64_t new_addr;
	uint8_t orig[REG_MAX_ORIG];
	size_t norig;
};

struct reg_patch {
	char *name;
	char *build_id;	     /* the patch's own NT_GNU_BUILD_ID, lower-case hex, or "-" */
	uint64_t applied_ns; /* CLOCK_REALTIME */
	uint64_t pause_ns;
	uint64_t load_addr;
	char *state;
	struct reg_fn *fns;
	size_t nfns;
};

/*
 * Appends the text of one record for `p` to the malloc'd buffer *buf (of length *len,
 * NUL-terminated; *buf may be NULL, the header is then written first). Returns 0 or -1
 * (out of memory).
 */
int reg_encode(const struct reg_patch *p, char **buf, size_t *len);

/*
 * Parses registry text (up to `len` bytes or the first NUL) into a malloc'd array of
 * patches, oldest first. Returns 0, or -1 with a one-line message in err.
 */
int reg_decode(const char *text, size_t len, struct reg_patch **out, size_t *n, char *err,
	       size_t errlen);

void reg_free(struct reg_patch *p, size_t n);

#endif
