/*
 * procfs — what the injector reads about a process from /proc: status fields, the
 * memory map, the thread list, and its memory through /proc/PID/mem.
 * Functions return 0 / a count, or a negative errno; nothing prints.
 */
#ifndef POLUS_PROCFS_H
#define POLUS_PROCFS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pf_map {
	uint64_t start, end, offset;
	char perms[5];
	uint64_t inode;
	char *path; /* "" for anonymous mappings */
};

struct pf_maps {
	struct pf_map *v;
	size_t n;
};

/* Reads /proc/PID/maps (sorted by address, as the kernel writes it). */
int pf_maps_read(pid_t pid, struct pf_maps *m);
void pf_maps_free(struct pf_maps *m);

/*
 * The value of field `key` ("TracerPid", "Seccomp", ...) of /proc/PID/status, or of
 * /proc/PID/task/TID/status when tid > 0, copied into buf. -ENOENT if absent.
 */
int pf_status_field(pid_t pid, pid_t tid, const char *key, char *buf, size_t len);

/* Lists the thread ids in /proc/PID/task into a malloc'd array. Returns the count. */
int pf_tasks(pid_t pid, pid_t **tids);

/* Reads/writes target memory through an fd of /proc/PID/mem. Whole transfers or -errno. */
int pf_mem_open(pid_t pid, int writable);
int pf_mem_read(int memfd, uint64_t addr, void *buf, size_t len);
int pf_mem_write(int memfd, uint64_t addr, const void *buf, size_t len);

/* Reads a whole file (at most `max` bytes) into a malloc'd buffer. */
int pf_slurp(const char *path, size_t max, uint8_t **buf, size_t *len);

#endif
