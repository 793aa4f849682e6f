/*
 * procfs — /proc readers for the injector (see procfs.h).
 */
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void pf_maps_free(struct pf_maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

int pf_maps_read(pid_t pid, struct pf_maps *m)
{
	char path[64], *line = NULL;
	size_t cap = 0, alloc = 0;
	FILE *f;
	int rc = 0;
	m->v = NULL;
	m->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		struct pf_map e;
		int pos = 0;
		unsigned dmaj, dmin;
		memset(&e, 0, sizeof(e));
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n",
			   &e.start, &e.end, e.perms, &e.offset, &dmaj, &dmin, &e.inode,
			   &pos) < 7) {
			rc = -EINVAL;
			break;
		}
		char *p = line + pos;
		p[strcspn(p, "\n")] = 0;
		if (!(e.path = strdup(p))) {
			rc = -ENOMEM;
			break;
		}
		if (m->n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			struct pf_map *nv = realloc(m->v, alloc * sizeof(*nv));
			if (!nv) {
				free(e.path);
				rc = -ENOMEM;
				break;
			}
			m->v = nv;
		}
		m->v[m->n++] = e;
	}
	free(line);
	fclose(f);
	if (rc == 0 && m->n == 0)
		rc = -ESRCH; /* a zombie or kernel thread has no map */
	if (rc)
		pf_maps_free(m);
	return rc;
}

int pf_status_field(pid_t pid, pid_t tid, const char *key, char *buf, size_t len)
{
	char path[96], *line = NULL;
	size_t cap = 0, kl = strlen(key);
	int rc = -ENOENT;
	FILE *f;
	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			char *v = line + kl + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			snprintf(buf, len, "%s", v);
			rc = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

int pf_tasks(pid_t pid, pid_t **tids)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	size_t n = 0, alloc = 0;
	pid_t *v = NULL;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long t = strtol(de->d_name, &end, 10);
		if (*end || t <= 0)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			pid_t *nv = realloc(v, alloc * sizeof(*nv));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = (pid_t)t;
	}
	closedir(d);
	*tids = v;
	return (int)n;
}

int pf_mem_open(pid_t pid, int writable)
{
	char path[64];
	int fd;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pf_mem_read(int memfd, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = pread(memfd, (char *)buf + done, len - done, (off_t)(addr + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		done += (size_t)r;
	}
	return 0;
}

int pf_mem_write(int memfd, uint64_t addr, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r =
		    pwrite(memfd, (const char *)buf + done, len - done, (off_t)(addr + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		done += (size_t)r;
	}
	return 0;
}

int pf_slurp(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *b = NULL;
	size_t n = 0, cap = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(b);
				close(fd);
				return -EFBIG;
			}
			cap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				close(fd);
				return -ENOMEM;
			}
			b = nb;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(b);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!b && !(b = malloc(1)))
		return -ENOMEM;
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}
