/*
 * target — what polus-apply and polus-status learn about a process before touching it:
 * its executable (through /proc/PID/exe, so a deleted or replaced binary still counts),
 * build-id, whether it is dynamically linked and carries polus metadata, where it is
 * loaded, its TLS layout, its memory map, and the registry of patches in it.
 */
#ifndef POLUS_TARGET_H
#define POLUS_TARGET_H
#include "procfs.h"
#include "registry.h"
#include <stdint.h>
#include <sys/types.h>

struct tg_info {
	pid_t pid;
	char exe_path[4096]; /* as /proc/PID/exe and /proc/PID/maps show it */
	char build_id[130];  /* "" if the binary has none */
	int dynamic;	     /* has PT_INTERP */
	int has_meta;	     /* has a .polus.meta section */
	uint64_t bias;	     /* load bias of the executable */
	uint64_t exe_lo, exe_hi;
	uint64_t heap_end; /* end of [heap], or 0 */
	int has_tls;
	uint64_t tls_offset; /* of the executable's TLS block below the thread pointer */
	struct pf_maps maps;
};

/*
 * Fills `t`. Returns 0, -ESRCH (no such process), -EACCES (no permission), or another
 * negative errno; err says which in one line.
 */
int tg_open(pid_t pid, struct tg_info *t, char *err, size_t errlen);
void tg_close(struct tg_info *t);
/* Re-reads the memory map. */
int tg_refresh_maps(struct tg_info *t);

/* The registry mapping in `maps`: 0 and its range, or -ENOENT. */
int tg_registry_find(const struct pf_maps *maps, uint64_t *start, uint64_t *end);

/*
 * Reads the registry of the process: *text (malloc'd, NUL-terminated, of length *used =
 * bytes in use) or -ENOENT when there is none. memfd: an open /proc/PID/mem.
 */
int tg_registry_read(int memfd, const struct pf_maps *maps, char **text, size_t *used,
		     uint64_t *start);

#endif
