/*
 * proc_find — the processes a multi-process apply or status works on, found in /proc:
 * every process whose executable (/proc/PID/exe, so a deleted or replaced binary still
 * counts) has a given build-id, or a process and all its descendants; both ordered
 * parents first (by depth in the process tree), so a parent is updated before the
 * children it forks. Also the registry of one process, read without stopping it.
 * Functions return 0 or a negative errno (with one line in err where they take one);
 * nothing prints. Our own process is never listed.
 */
#ifndef POLUS_PROC_FIND_H
#define POLUS_PROC_FIND_H
#include "registry.h"
#include <stddef.h>
#include <sys/types.h>

struct pfind_proc {
	pid_t pid, ppid;
	int depth;	    /* ancestors up to the root of the process tree */
	char comm[32];	    /* the process's name, /proc/PID/comm */
	char build_id[130]; /* of /proc/PID/exe, "" if none or unreadable */
};

/* The build-id of the ELF file at path (lower-case hex). -ENOENT: it has none. */
int pfind_file_build_id(const char *path, char *hex, size_t len, char *err, size_t errlen);

/*
 * Every process whose executable has build-id bid, or (path not NULL) is the file at
 * path, also deleted or replaced since ("PATH (deleted)"): the processes of one binary
 * started at different releases. Parents first (malloc'd *v).
 */
int pfind_by_binary(const char *bid, const char *path, struct pfind_proc **v, size_t *n);

/* Process root and every descendant, parents first; -ESRCH if root is gone. */
int pfind_tree(pid_t root, struct pfind_proc **v, size_t *n);

/* One process's entry, or -ESRCH (none, or it ended: a zombie). */
int pfind_one(pid_t pid, struct pfind_proc *p);

/*
 * The patches in pid's registry, oldest first (reg_free them): 0 (n = 0 when it has
 * none), -ESRCH gone, -EACCES no permission, or another -errno (err says which).
 */
int pfind_registry(pid_t pid, struct reg_patch **v, size_t *n, char *err, size_t errlen);

#endif
