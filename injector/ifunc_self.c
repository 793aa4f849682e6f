/*
 * ifunc_self — polus-apply's own choice of an IFUNC, moved to a target (see ifunc_self.h).
 */
#include "ifunc_self.h"
#include "procfs.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One of polus-apply's own loaded objects, looked for by build-id. */
struct self_obj {
	const char *want; /* the build-id (hex) looked for */
	const char *name; /* its dlpi_name */
	uint64_t bias, lo, hi;
	int found;
};

/* The NT_GNU_BUILD_ID of one PT_NOTE segment of a loaded object, read in our memory. */
static int note_build_id(const char *p, const char *end, size_t align, char *hex, size_t len)
{
	while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
		const ElfW(Nhdr) *nh = (const void *)p;
		size_t nsz = (nh->n_namesz + align - 1) & ~(align - 1);
		size_t dsz = (nh->n_descsz + align - 1) & ~(align - 1);
		const unsigned char *nm = (const unsigned char *)(nh + 1), *desc = nm + nsz;
		if ((size_t)(end - (const char *)nm) < nsz + dsz)
			break;
		if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(nm, "GNU", 4) &&
		    nh->n_descsz && (size_t)nh->n_descsz * 2 + 1 <= len) {
			for (size_t k = 0; k < nh->n_descsz; k++)
				snprintf(hex + 2 * k, 3, "%02x", desc[k]);
			return 0;
		}
		p = (const char *)desc + dsz;
	}
	return -ENOENT;
}

static int mem_build_id(const struct dl_phdr_info *info, char *hex, size_t len)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		if (ph->p_type == PT_NOTE &&
		    note_build_id(p, p + ph->p_memsz, ph->p_align == 8 ? 8 : 4, hex, len) == 0)
			return 0;
	}
	return -ENOENT;
}

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
	struct self_obj *s = data;
	char hex[129];
	(void)size;
	if (!info->dlpi_name || !info->dlpi_name[0] || mem_build_id(info, hex, sizeof(hex)) != 0 ||
	    strcmp(hex, s->want) != 0)
		return 0;
	s->name = info->dlpi_name;
	s->bias = info->dlpi_addr;
	s->lo = UINT64_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t a = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type != PT_LOAD)
			continue;
		if (a < s->lo)
			s->lo = a;
		if (a + ph->p_memsz > s->hi)
			s->hi = a + ph->p_memsz;
	}
	s->found = 1;
	return 1;
}

/* The value of KEY in the NUL-separated environment env[len], NULL when absent. */
static const char *env_value(const char *env, size_t len, const char *key)
{
	size_t kl = strlen(key);
	for (size_t off = 0; off < len;) {
		const char *e = env + off, *nul = memchr(e, 0, len - off);
		size_t el = nul ? (size_t)(nul - e) : len - off;
		if (nul && el > kl && !memcmp(e, key, kl) && e[kl] == '=')
			return e + kl + 1;
		off += el + 1;
	}
	return NULL;
}

/* 1 when the target's initial environment has our GLIBC_TUNABLES (both may be unset),
 * 0 with the reason in why: tunables can mask CPU features and so change a choice. */
static int same_tunables(pid_t pid, char *why, size_t whylen)
{
	char path[64];
	uint8_t *buf = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	int rc = pf_slurp(path, 1 << 20, &buf, &len);
	if (rc) {
		snprintf(why, whylen, "its GLIBC_TUNABLES cannot be read: %s: %s", path,
			 strerror(-rc));
		return 0;
	}
	const char *theirs = env_value((const char *)buf, len, "GLIBC_TUNABLES");
	const char *ours = getenv("GLIBC_TUNABLES");
	int same = theirs && ours ? !strcmp(theirs, ours) : theirs == ours;
	if (!same)
		snprintf(
		    why, whylen,
		    "polus-apply cannot choose for it: the target's GLIBC_TUNABLES (%s) is not "
		    "its own (%s)",
		    theirs ? theirs : "unset", ours ? ours : "unset");
	free(buf);
	return same;
}

/* Our own [vdso] mapping: 0, or -ENOENT. */
static int own_vdso(uint64_t *lo, uint64_t *hi)
{
	struct pf_maps m;
	int rc = pf_maps_read(getpid(), &m);
	if (rc)
		return rc;
	rc = -ENOENT;
	for (size_t i = 0; i < m.n && rc; i++)
		if (!strcmp(m.v[i].path, "[vdso]")) {
			*lo = m.v[i].start;
			*hi = m.v[i].end;
			rc = 0;
		}
	pf_maps_free(&m);
	return rc;
}

/* Address a of our vDSO at the same offset in the target's, which must hold the same
 * bytes. -ENOENT when a is not in our vDSO; -ENOTSUP with why when it cannot move. */
static int to_vdso(const struct is_target *t, uint64_t a, uint64_t *out, char *why, size_t whylen)
{
	uint64_t lo, hi;
	uint8_t *theirs;
	int rc;
	if (own_vdso(&lo, &hi) != 0 || a < lo || a >= hi)
		return -ENOENT;
	if (!t->vdso_lo) {
		snprintf(why, whylen,
			 "polus-apply's choice is vDSO code, and the target has no vDSO");
		return -ENOTSUP;
	}
	if (t->vdso_hi - t->vdso_lo != hi - lo) {
		snprintf(why, whylen,
			 "polus-apply's choice is vDSO code, and the target's vDSO is "
			 "not polus-apply's (another size)");
		return -ENOTSUP;
	}
	if (!(theirs = malloc(hi - lo)))
		return -ENOMEM;
	rc = pf_mem_read(t->memfd, t->vdso_lo, theirs, hi - lo);
	if (!rc && memcmp(theirs, (const void *)(uintptr_t)lo, hi - lo) != 0) {
		snprintf(why, whylen,
			 "polus-apply's choice is vDSO code, and the target's vDSO "
			 "differs from polus-apply's");
		rc = -ENOTSUP;
	} else if (rc) {
		snprintf(why, whylen, "the target's vDSO cannot be read: %s", strerror(-rc));
	}
	free(theirs);
	if (!rc)
		*out = t->vdso_lo + (a - lo);
	return rc;
}

/* Our own copy of the library (same build-id): its symbol `name` as our loader binds it. */
static int own_choice(const struct is_target *t, const char *bid, const char *name,
		      const char *version, struct self_obj *s, uint64_t *a, char *why,
		      size_t whylen)
{
	void *h, *p;
	s->want = bid;
	dl_iterate_phdr(find_self, s);
	if (!s->found) {
		snprintf(why, whylen,
			 "polus-apply cannot choose for it: it has not loaded the same %s "
			 "(build-id %s)",
			 t->path, bid);
		return -ENOTSUP;
	}
	if (!(h = dlopen(s->name, RTLD_NOLOAD | RTLD_LAZY))) {
		snprintf(why, whylen, "polus-apply cannot open its own %s: %s", s->name, dlerror());
		return -ENOTSUP;
	}
	p = version ? dlvsym(h, name, version) : dlsym(h, name);
	dlclose(h);
	if (!p) {
		snprintf(why, whylen, "polus-apply's own %s does not resolve it", s->name);
		return -ENOTSUP;
	}
	*a = (uint64_t)(uintptr_t)p;
	return 0;
}

int is_choose(const struct is_target *t, const char *name, const char *version, uint64_t *addr,
	      char *why, size_t whylen)
{
	char bid[129];
	struct self_obj s = {0};
	uint64_t a;
	int rc;
	if (!same_tunables(t->pid, why, whylen))
		return -ENOTSUP;
	if (ef_build_id(t->ef, bid, sizeof(bid), NULL, 0) != 0) {
		snprintf(why, whylen,
			 "polus-apply cannot choose for it: %s has no build-id to compare with its "
			 "own",
			 t->path);
		return -ENOTSUP;
	}
	if ((rc = own_choice(t, bid, name, version, &s, &a, why, whylen)) != 0)
		return rc;
	if (a >= s.lo && a < s.hi) {
		*addr = t->bias + (a - s.bias);
		return 0;
	}
	rc = to_vdso(t, a, addr, why, whylen);
	if (rc == -ENOENT) {
		snprintf(why, whylen, "polus-apply's own choice lies outside %s and the vDSO",
			 s.name);
		rc = -ENOTSUP;
	}
	return rc;
}
