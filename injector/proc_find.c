/*
 * proc_find — processes by build-id or by descent, from /proc (see proc_find.h).
 */
#include "proc_find.h"
#include "elffile.h"
#include "procfs.h"
#include "target.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pfind_file_build_id(const char *path, char *hex, size_t len, char *err, size_t errlen)
{
	struct ef_file f;
	int rc = ef_open_path(&f, path, err, errlen);
	if (rc)
		return rc;
	rc = ef_build_id(&f, hex, len, err, errlen);
	ef_close(&f);
	return rc;
}

/*
 * The parent of pid from /proc/PID/stat (the field after the state, which follows the
 * parenthesised name), or -1; *state the state letter.
 */
static pid_t stat_of(pid_t pid, char *state)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	size_t got = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[got] = 0;
	char *p = strrchr(buf, ')');
	int ppid;
	if (!p || sscanf(p + 1, " %c %d", state, &ppid) != 2)
		return -1;
	return (pid_t)ppid;
}

static pid_t parent_of(pid_t pid)
{
	char state;
	return stat_of(pid, &state);
}

int pfind_one(pid_t pid, struct pfind_proc *p)
{
	char path[64];
	memset(p, 0, sizeof(*p));
	char state;
	p->pid = pid;
	if ((p->ppid = stat_of(pid, &state)) < 0 || state == 'Z' || state == 'X')
		return -ESRCH; /* a zombie has ended: nothing runs there */
	for (pid_t a = p->ppid; a > 1 && p->depth < 4096; a = parent_of(a))
		p->depth++;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "r");
	if (f && fgets(p->comm, sizeof(p->comm), f))
		p->comm[strcspn(p->comm, "\n")] = 0;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (pfind_file_build_id(path, p->build_id, sizeof(p->build_id), NULL, 0) != 0)
		p->build_id[0] = 0;
	return 0;
}

static int by_depth(const void *a, const void *b)
{
	const struct pfind_proc *x = a, *y = b;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Every process of /proc (but ourselves) that `keep` accepts, parents first. */
static int scan(int (*keep)(const struct pfind_proc *, const void *), const void *ctx,
		struct pfind_proc **v, size_t *n)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct pfind_proc p;
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid == getpid() || pfind_one(pid, &p) != 0 || !keep(&p, ctx))
			continue;
		if (*n == cap) {
			struct pfind_proc *nv =
			    realloc(*v, (cap = cap ? 2 * cap : 16) * sizeof(**v));
			if (!nv) {
				closedir(d);
				free(*v);
				*v = NULL;
				return -ENOMEM;
			}
			*v = nv;
		}
		(*v)[(*n)++] = p;
	}
	closedir(d);
	if (*n)
		qsort(*v, *n, sizeof(**v), by_depth);
	return 0;
}

struct binary_key {
	const char *bid, *path;
};

static int same_binary(const struct pfind_proc *p, const void *ctx)
{
	const struct binary_key *k = ctx;
	char link[64], exe[4096];
	static const char deleted[] = " (deleted)";
	if (!p->build_id[0])
		return 0;
	if (strcasecmp(p->build_id, k->bid) == 0)
		return 1;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)p->pid);
	ssize_t l = k->path ? readlink(link, exe, sizeof(exe) - 1) : -1;
	if (l < 0)
		return 0;
	exe[l] = 0;
	size_t dl = sizeof(deleted) - 1;
	if ((size_t)l > dl && strcmp(exe + l - dl, deleted) == 0)
		exe[l - dl] = 0;
	return strcmp(exe, k->path) == 0;
}

int pfind_by_binary(const char *bid, const char *path, struct pfind_proc **v, size_t *n)
{
	struct binary_key k = {bid, path};
	return scan(same_binary, &k, v, n);
}

/* p descends from (or is) *root. */
static int in_tree(const struct pfind_proc *p, const void *root)
{
	pid_t r = *(const pid_t *)root;
	if (p->pid == r)
		return 1;
	for (pid_t a = p->ppid; a > 1; a = parent_of(a))
		if (a == r)
			return 1;
	return 0;
}

int pfind_tree(pid_t root, struct pfind_proc **v, size_t *n)
{
	struct pfind_proc p;
	if (pfind_one(root, &p) != 0)
		return -ESRCH;
	return scan(in_tree, &root, v, n);
}

int pfind_registry(pid_t pid, struct reg_patch **v, size_t *n, char *err, size_t errlen)
{
	struct pf_maps maps;
	uint64_t start;
	char *text;
	size_t used;
	int rc = pf_maps_read(pid, &maps), memfd;
	*v = NULL;
	*n = 0;
	if (rc)
		return rc == -ENOENT ? -ESRCH : rc;
	if (tg_registry_find(&maps, &start, &start) != 0) {
		pf_maps_free(&maps);
		return 0;
	}
	if ((memfd = pf_mem_open(pid, 0)) < 0) {
		pf_maps_free(&maps);
		snprintf(err, errlen, "cannot read the memory of process %d: %s", (int)pid,
			 strerror(-memfd));
		return memfd;
	}
	rc = tg_registry_read(memfd, &maps, &text, &used, &start);
	close(memfd);
	pf_maps_free(&maps);
	if (rc) {
		snprintf(err, errlen, "cannot read the registry of process %d: %s", (int)pid,
			 strerror(-rc));
		return rc;
	}
	rc = reg_decode(text, used, v, n, err, errlen) ? -EINVAL : 0;
	free(text);
	return rc;
}
