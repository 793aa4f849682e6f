/*
 * Unit test of symresolve's last way to an IFUNC, polus-apply's own choice moved to the
 * target (ifunc_self), on a real process: /bin/sleep, started afresh (its own address
 * layout), imports neither time nor strstr, and libc has no IRELATIVE slot for them.
 * time's choice is vDSO code: it must land at the same offset in sleep's vDSO; strstr's
 * at the same offset in sleep's libc. Started with another GLIBC_TUNABLES, the lookup is
 * refused with a message naming the symbol and the reason. Read through /proc only.
 */
#include "procfs.h"
#include "symresolve.h"
#include "unit_check.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct child {
	pid_t pid;
	struct pf_maps maps;
	char exe[4096];
	int memfd;
	struct sr_ctx sr;
};

/* The lowest mapping of a file whose name ends in `suffix`, 0 when none. */
static uint64_t map_start(const struct pf_maps *m, const char *suffix)
{
	for (size_t i = 0; i < m->n; i++) {
		size_t pl = strlen(m->v[i].path), sl = strlen(suffix);
		if (pl >= sl && !strcmp(m->v[i].path + pl - sl, suffix))
			return m->v[i].start;
	}
	return 0;
}

/* Starts /bin/sleep with `env` and waits (5 s at most) until its libc is mapped. */
static int start(struct child *c, char **env)
{
	char *const argv[] = {"sleep", "60", NULL};
	char path[64];
	memset(c, 0, sizeof(*c));
	c->memfd = -1;
	if (posix_spawn(&c->pid, "/bin/sleep", NULL, NULL, argv, env) != 0)
		return -1;
	for (int i = 0; i < 500; i++) {
		if (pf_maps_read(c->pid, &c->maps) == 0) {
			if (map_start(&c->maps, "/libc.so.6"))
				break;
			pf_maps_free(&c->maps);
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)c->pid);
	ssize_t n = readlink(path, c->exe, sizeof(c->exe) - 1);
	if (!c->maps.v || n <= 0)
		return -1;
	c->exe[n] = 0;
	if ((c->memfd = pf_mem_open(c->pid, 0)) < 0)
		return -1;
	return sr_open(&c->sr, c->pid, &c->maps, c->exe, c->memfd);
}

static void stop(struct child *c)
{
	sr_close(&c->sr);
	if (c->memfd >= 0)
		close(c->memfd);
	pf_maps_free(&c->maps);
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
}

/* Our own vDSO's [lo, hi) from /proc/self/maps. */
static int own_vdso(uint64_t *lo, uint64_t *hi)
{
	struct pf_maps m;
	int found = 0;
	if (pf_maps_read(getpid(), &m) != 0)
		return 0;
	for (size_t i = 0; i < m.n && !found; i++)
		if (!strcmp(m.v[i].path, "[vdso]")) {
			*lo = m.v[i].start;
			*hi = m.v[i].end;
			found = 1;
		}
	pf_maps_free(&m);
	return found;
}

static void same_choice(void *libc, const struct link_map *lm)
{
	struct child c;
	uint64_t got = 0, vlo = 0, vhi = 0;
	char err[1024] = "";
	uint64_t mine_time = (uintptr_t)dlvsym(libc, "time", "GLIBC_2.2.5");
	uint64_t mine_strstr = (uintptr_t)dlvsym(libc, "strstr", "GLIBC_2.2.5");
	CHECK(start(&c, environ) == 0);
	CHECK(own_vdso(&vlo, &vhi));
	CHECK(c.sr.vdso.lo && c.sr.vdso.hi - c.sr.vdso.lo == vhi - vlo);
	CHECK(mine_time >= vlo && mine_time < vhi); /* the premise: time is vDSO code */
	CHECK(sr_lookup(&c.sr, "time", &got, err, sizeof(err)) == 0);
	if (err[0])
		fprintf(stderr, "time: %s\n", err);
	CHECK(got == c.sr.vdso.lo + (mine_time - vlo));
	err[0] = 0;
	CHECK(sr_lookup(&c.sr, "strstr", &got, err, sizeof(err)) == 0);
	if (err[0])
		fprintf(stderr, "strstr: %s\n", err);
	/* libc's link-time base is 0: its first mapping is its load bias */
	CHECK(got == map_start(&c.maps, "/libc.so.6") + (mine_strstr - lm->l_addr));
	stop(&c);
}

static void other_tunables(void)
{
	struct child c;
	uint64_t got = 0;
	char err[1024] = "";
	char *env[] = {"GLIBC_TUNABLES=glibc.malloc.perturb=0", NULL};
	CHECK(start(&c, env) == 0);
	CHECK(sr_lookup(&c.sr, "time", &got, err, sizeof(err)) == -ENOTSUP);
	CHECK(strstr(err, "symbol time is an IFUNC of ") == err);
	CHECK(strstr(err, "GLIBC_TUNABLES (glibc.malloc.perturb=0) is not its own (unset)"));
	stop(&c);
}

int main(void)
{
	struct link_map *lm = NULL;
	void *libc = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY);
	unsetenv("GLIBC_TUNABLES"); /* ours, as the children's are compared with it */
	CHECK(libc && dlinfo(libc, RTLD_DI_LINKMAP, &lm) == 0);
	if (libc && lm) {
		same_choice(libc, lm);
		other_tunables();
		dlclose(libc);
	}
	return unit_result("symresolve-test");
}
