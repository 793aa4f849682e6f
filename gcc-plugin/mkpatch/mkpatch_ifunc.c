/*
 * mkpatch_ifunc — IFUNCs of OLD's libraries the patch calls and OLD does not import
 * (see mkpatch_ifunc.h).
 */
#include "mkpatch_ifunc.h"
#include "mkpatch_run.h"
#include "mkpatch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The libraries OLD's loader would load, in load order (its search order), as the
 * loader polus-mkpatch itself runs with lists them: never OLD's own PT_INTERP, which
 * could be any program. Paths malloc'd into (*libs, *n). */
static void list_libraries(const char *old_path, const char *tmpdir, char ***libs, size_t *n)
{
	char interp[4096], err[512], line[4608];
	struct ef_file self;
	size_t cap = 0;
	pid_t pid;
	if (ef_open_path(&self, "/proc/self/exe", NULL, 0) != 0)
		return;
	int rc = ef_interp(&self, interp, sizeof(interp));
	ef_close(&self);
	if (rc)
		return;
	char *out = xasprintf("%s/libraries.txt", tmpdir);
	char *const argv[] = {interp, "--list", (char *)old_path, NULL};
	FILE *f = NULL;
	if (run_spawn(argv, NULL, NULL, out, &pid, err, sizeof(err)) == 0 &&
	    run_wait(pid, interp, err, sizeof(err)) == 0)
		f = fopen(out, "r");
	/* "\tNAME => PATH (0x...)", or "\tPATH (0x...)" for the loader itself */
	while (f && fgets(line, sizeof(line), f)) {
		char *arrow = strstr(line, " => "), *p = arrow ? arrow + 4 : line;
		p += strspn(p, " \t");
		if (*p != '/')
			continue; /* the vDSO, "not found" */
		p[strcspn(p, " \t\n")] = 0;
		VEC_PUSH(*libs, *n, cap, xstrdup(p));
	}
	if (f)
		fclose(f);
	unlink(out);
	free(out);
}

static int has_name(const char **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return 1;
	return 0;
}

/* The first of libs defining `name`: 1 and its path when that definition is an IFUNC
 * without an IRELATIVE slot (polus-apply's way (c)), else 0. */
static int unbound_ifunc(char **libs, size_t nlibs, const char *name, const char **lib)
{
	for (size_t i = 0; i < nlibs; i++) {
		struct ef_file ef;
		GElf_Sym s;
		uint64_t slot;
		int r = -1;
		if (ef_open_path(&ef, libs[i], NULL, 0) != 0)
			continue;
		if (ef_dynsym_lookup(&ef, name, &s) == 0)
			r = GELF_ST_TYPE(s.st_info) == STT_GNU_IFUNC &&
			    ef_irelative_slot(&ef, s.st_value, &slot) != 0;
		ef_close(&ef);
		if (r >= 0) {
			*lib = libs[i];
			return r;
		}
	}
	return 0;
}

void ifunc_warnings(const char *old_path, struct ef_file *old, struct ef_file *patch,
		    const char *tmpdir, char ***w, size_t *n, size_t *cap)
{
	const char **calls = NULL, **imports = NULL;
	size_t ncalls = 0, nimports = 0, nlibs = 0;
	char **libs = NULL;
	int listed = 0;
	if (ef_dynsym_undef(patch, &calls, &ncalls) != 0 ||
	    ef_dynsym_undef(old, &imports, &nimports) != 0)
		goto out;
	for (size_t i = 0; i < ncalls; i++) {
		const char *lib, *base;
		/* binds and what OLD defines are the program's own; what OLD imports, its GOT
		 * holds */
		if (!strncmp(calls[i], "__polus_", 8) || has_name(imports, nimports, calls[i]) ||
		    ef_find(old, calls[i], NULL, 0))
			continue;
		if (!listed++)
			list_libraries(old_path, tmpdir, &libs, &nlibs);
		if (!unbound_ifunc(libs, nlibs, calls[i], &lib))
			continue;
		base = strrchr(lib, '/') ? strrchr(lib, '/') + 1 : lib;
		VEC_PUSH(*w, *n, *cap,
			 xasprintf("the patch calls %s, an IFUNC of %s that OLD does not import: "
				   "unless another library of the process imports it, polus-apply "
				   "must compute its choice itself, which needs the target to run "
				   "the same %s with the same GLIBC_TUNABLES as polus-apply (else "
				   "it refuses the patch)",
				   calls[i], base, base));
	}
out:
	for (size_t i = 0; i < nlibs; i++)
		free(libs[i]);
	free(libs);
	free(calls);
	free(imports);
}
