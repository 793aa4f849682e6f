/*
 * target — facts about the process to patch (see target.h).
 */
#include "target.h"
#include "elffile.h"
#include "formats.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void tg_close(struct tg_info *t)
{
	pf_maps_free(&t->maps);
}

int tg_refresh_maps(struct tg_info *t)
{
	pf_maps_free(&t->maps);
	int rc = pf_maps_read(t->pid, &t->maps);
	if (rc)
		return rc;
	t->exe_lo = t->exe_hi = t->heap_end = 0;
	for (size_t i = 0; i < t->maps.n; i++) {
		const struct pf_map *m = &t->maps.v[i];
		if (strcmp(m->path, t->exe_path) == 0) {
			if (!t->exe_lo || m->start < t->exe_lo)
				t->exe_lo = m->start;
			if (m->end > t->exe_hi)
				t->exe_hi = m->end;
		}
		if (strcmp(m->path, "[heap]") == 0)
			t->heap_end = m->end;
	}
	return t->exe_lo ? 0 : -ENOENT;
}

int tg_open(pid_t pid, struct tg_info *t, char *err, size_t errlen)
{
	char path[64];
	struct ef_file ef;
	GElf_Shdr sh;
	Elf_Data *d;
	uint64_t link, memsz, align;
	ssize_t n;
	int rc;
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (kill(pid, 0) != 0 && errno == ESRCH) {
		snprintf(err, errlen, "no such process: %d", (int)pid);
		return -ESRCH;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, t->exe_path, sizeof(t->exe_path) - 1);
	if (n < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			snprintf(err, errlen, "no such process: %d", (int)pid);
		else if (rc == -EACCES || rc == -EPERM)
			snprintf(err, errlen,
				 "no permission to inspect process %d (run as its "
				 "user or root)",
				 (int)pid);
		else
			snprintf(err, errlen, "process %d: %s: %s", (int)pid, path, strerror(-rc));
		return rc == -ENOENT ? -ESRCH : rc == -EPERM ? -EACCES : rc;
	}
	t->exe_path[n] = 0;
	if ((rc = ef_open_path(&ef, path, NULL, 0)) != 0) {
		snprintf(err, errlen, "process %d: cannot read its executable: %s", (int)pid,
			 strerror(-rc));
		return rc == -EPERM ? -EACCES : rc;
	}
	t->dynamic = ef_has_interp(&ef);
	t->has_meta = ef_section(&ef, POLUS_META_SECTION, &sh, &d) == 0;
	if (ef_build_id(&ef, t->build_id, sizeof(t->build_id), NULL, 0) != 0)
		t->build_id[0] = 0;
	if (ef_tls(&ef, &memsz, &align) == 0) {
		t->has_tls = 1;
		t->tls_offset = (memsz + align - 1) / align * align;
	}
	rc = ef_link_base(&ef, &link);
	ef_close(&ef);
	if (rc) {
		snprintf(err, errlen, "process %d: its executable has no loadable segment",
			 (int)pid);
		return rc;
	}
	if ((rc = tg_refresh_maps(t)) != 0) {
		snprintf(err, errlen, "process %d: cannot read its memory map (%s)", (int)pid,
			 rc == -ENOENT ? "executable not mapped" : strerror(-rc));
		tg_close(t);
		return rc == -EPERM ? -EACCES : rc;
	}
	for (size_t i = 0; i < t->maps.n; i++) {
		const struct pf_map *m = &t->maps.v[i];
		if (strcmp(m->path, t->exe_path) == 0 && m->offset == 0) {
			t->bias = m->start - link;
			break;
		}
	}
	return 0;
}

int tg_registry_find(const struct pf_maps *maps, uint64_t *start, uint64_t *end)
{
	const char *want = "/memfd:" REG_MAP_NAME;
	size_t wl = strlen(want);
	for (size_t i = 0; i < maps->n; i++) {
		const char *p = maps->v[i].path;
		if (strncmp(p, want, wl) == 0 && (p[wl] == 0 || p[wl] == ' ')) {
			*start = maps->v[i].start;
			*end = maps->v[i].end;
			return 0;
		}
	}
	return -ENOENT;
}

int tg_registry_read(int memfd, const struct pf_maps *maps, char **text, size_t *used,
		     uint64_t *start)
{
	uint64_t s, e;
	int rc;
	if ((rc = tg_registry_find(maps, &s, &e)) != 0)
		return rc;
	size_t len = e - s;
	char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	if ((rc = pf_mem_read(memfd, s, buf, len)) != 0) {
		free(buf);
		return rc;
	}
	buf[len] = 0;
	*text = buf;
	*used = strlen(buf);
	*start = s;
	return 0;
}
