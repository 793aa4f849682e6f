/*
 * elfinfo — libelf access for polus-mkpatch (sections, build-id note, symbols).
 */
#include "elfinfo.h"
#include "mkpatch_util.h"
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ei_open(struct elfinfo *ei, const char *path, char *err, size_t errlen)
{
	memset(ei, 0, sizeof(*ei));
	ei->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return msg(err, errlen, "libelf: %s", elf_errmsg(-1));
	ei->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ei->fd < 0)
		return msg(err, errlen, "%s: %s", path, strerror(errno));
	Elf *e = elf_begin(ei->fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(ei->fd);
		ei->fd = -1;
		return msg(err, errlen, "%s: not an ELF file", path);
	}
	/* libelf shows a file cut inside its section headers as one without sections,
	 * which would read as "built without the plugin" */
	GElf_Ehdr eh;
	struct stat st;
	if (!gelf_getehdr(e, &eh) || fstat(ei->fd, &st) || eh.e_shoff > (uint64_t)st.st_size ||
	    (uint64_t)eh.e_shnum * eh.e_shentsize > (uint64_t)st.st_size - eh.e_shoff) {
		elf_end(e);
		close(ei->fd);
		ei->fd = -1;
		return msg(err, errlen,
			   "%s: truncated or corrupt ELF file (section headers past "
			   "the end)",
			   path);
	}
	ei->elf = e;
	ei->path = xstrdup(path);
	return 0;
}

void ei_close(struct elfinfo *ei)
{
	if (ei->elf)
		elf_end(ei->elf);
	if (ei->fd >= 0)
		close(ei->fd);
	free(ei->syms);
	free(ei->path);
	memset(ei, 0, sizeof(*ei));
	ei->fd = -1;
}

static Elf_Scn *find_scn(Elf *e, const char *name)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *n = elf_strptr(e, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

int ei_section(struct elfinfo *ei, const char *name, char **buf, size_t *len, char *err,
	       size_t errlen)
{
	Elf_Scn *scn = find_scn(ei->elf, name);
	Elf_Data *d = NULL;
	size_t n = 0;
	char *b;
	GElf_Shdr sh;
	if (!scn)
		return 0;
	if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return msg(err, errlen, "%s: section %s has no contents", ei->path, name);
	/* sh_size is the file's word: a corrupt one must not size the buffer */
	struct stat st;
	if (fstat(ei->fd, &st) || sh.sh_offset > (uint64_t)st.st_size ||
	    sh.sh_size > (uint64_t)st.st_size - sh.sh_offset)
		return msg(err, errlen, "%s: section %s lies past the end of the file (truncated?)",
			   ei->path, name);
	b = xmalloc(sh.sh_size + 1);
	while ((d = elf_getdata(scn, d))) {
		if (d->d_size && d->d_buf) {
			if (n + d->d_size > sh.sh_size) {
				free(b);
				return msg(err, errlen, "%s: section %s is malformed", ei->path,
					   name);
			}
			memcpy(b + n, d->d_buf, d->d_size);
			n += d->d_size;
		}
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 1;
}

int ei_read_addr(const struct elfinfo *ei, uint64_t addr, void *buf, size_t len, char *err,
		 size_t errlen)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(ei->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NOBITS || addr < sh.sh_addr ||
		    addr - sh.sh_addr >= sh.sh_size)
			continue;
		if (len > sh.sh_size - (addr - sh.sh_addr))
			return msg(err, errlen, "%s: 0x%llx+%zu runs past the end of its section",
				   ei->path, (unsigned long long)addr, len);
		ssize_t n = pread(ei->fd, buf, len, (off_t)(sh.sh_offset + (addr - sh.sh_addr)));
		if (n < 0 || (size_t)n != len)
			return msg(err, errlen, "%s: cannot read 0x%llx+%zu: %s", ei->path,
				   (unsigned long long)addr, len,
				   n < 0 ? strerror(errno) : "file too short");
		return 0;
	}
	return msg(err, errlen, "%s: no section holds address 0x%llx", ei->path,
		   (unsigned long long)addr);
}

/* What the dynamic loader stores at `addr` when a relocation fills it: the addend of an
 * R_X86_64_RELATIVE (PIE), or a defined symbol's value plus addend for R_X86_64_64 (a
 * shared object's slot naming an exported function). 1 found, else 0. */
static int reloc_value(Elf *e, uint64_t addr, uint64_t *v)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; d && i < n; i++) {
			GElf_Rela r;
			if (!gelf_getrela(d, (int)i, &r) || r.r_offset != addr)
				continue;
			if (GELF_R_TYPE(r.r_info) == R_X86_64_RELATIVE) {
				*v = (uint64_t)r.r_addend;
				return 1;
			}
			Elf_Scn *symscn = elf_getscn(e, sh.sh_link);
			Elf_Data *sd = symscn ? elf_getdata(symscn, NULL) : NULL;
			GElf_Sym sym;
			if (GELF_R_TYPE(r.r_info) == R_X86_64_64 && sd &&
			    gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &sym) &&
			    sym.st_shndx != SHN_UNDEF) {
				*v = sym.st_value + (uint64_t)r.r_addend;
				return 1;
			}
		}
	}
	return 0;
}

int ei_init_array(const struct elfinfo *ei, uint64_t **addrs, size_t *n, char *err, size_t errlen)
{
	static const char *const names[] = {".preinit_array", ".init_array"};
	size_t cap = 0;
	*addrs = NULL;
	*n = 0;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		Elf_Scn *scn = find_scn(ei->elf, names[k]);
		GElf_Shdr sh;
		if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		for (uint64_t off = 0; off + 8 <= sh.sh_size; off += 8) {
			uint64_t v;
			if (ei_read_addr(ei, sh.sh_addr + off, &v, sizeof(v), err, errlen)) {
				free(*addrs);
				*addrs = NULL;
				*n = 0;
				return -1;
			}
			reloc_value(ei->elf, sh.sh_addr + off, &v);
			/* 0 and -1 are no functions (old-style list terminators) */
			if (v && v != UINT64_MAX)
				VEC_PUSH(*addrs, *n, cap, v);
		}
	}
	return 0;
}

int ei_build_id(struct elfinfo *ei, char *hex, size_t hexlen, char *err, size_t errlen)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(ei->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		if (!d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			const char *nm = (const char *)d->d_buf + name_off;
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp(nm, "GNU", 4))
				continue;
			if (nh.n_descsz * 2 + 1 > hexlen)
				return msg(err, errlen, "%s: build-id too long", ei->path);
			const unsigned char *id = (const unsigned char *)d->d_buf + desc_off;
			for (size_t i = 0; i < nh.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", id[i]);
			hex[nh.n_descsz * 2] = 0;
			return 0;
		}
	}
	return msg(err, errlen, "%s: no NT_GNU_BUILD_ID note (link with -Wl,--build-id)", ei->path);
}

int ei_load_symbols(struct elfinfo *ei, char *err, size_t errlen)
{
	Elf_Scn *scn = NULL, *symscn = NULL;
	GElf_Shdr sh, symsh;
	size_t cap = 0;
	const char *file = NULL;
	while ((scn = elf_nextscn(ei->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !symscn)) {
			symscn = scn;
			symsh = sh;
			if (sh.sh_type == SHT_SYMTAB)
				break;
		}
	}
	if (!symscn)
		return msg(err, errlen, "%s: no symbol table", ei->path);
	ei->stripped = symsh.sh_type != SHT_SYMTAB;
	Elf_Data *d = elf_getdata(symscn, NULL);
	size_t n = symsh.sh_entsize ? symsh.sh_size / symsh.sh_entsize : 0;
	for (size_t i = 1; d && i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			continue;
		const char *name = elf_strptr(ei->elf, symsh.sh_link, s.st_name);
		int type = GELF_ST_TYPE(s.st_info), bind = GELF_ST_BIND(s.st_info);
		if (type == STT_FILE) {
			file = name;
			continue;
		}
		if (!name || !*name || type == STT_SECTION)
			continue;
		struct ei_sym e = {
		    .name = name,
		    .file = bind == STB_LOCAL ? file : NULL,
		    .value = s.st_value,
		    .size = s.st_size,
		    .type = type,
		    .bind = bind,
		    .defined = s.st_shndx != SHN_UNDEF,
		};
		VEC_PUSH(ei->syms, ei->nsyms, cap, e);
	}
	return 0;
}

const struct ei_sym ei_ambiguous = {.name = "(ambiguous)"};

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

const struct ei_sym *ei_find(const struct elfinfo *ei, const char *name, const char *file,
			     int want_local)
{
	const struct ei_sym *exact = NULL, *by_base = NULL, *nofile = NULL;
	int nexact = 0, nbase = 0, nnofile = 0;
	for (size_t i = 0; i < ei->nsyms; i++) {
		const struct ei_sym *s = &ei->syms[i];
		if (!s->defined || strcmp(s->name, name))
			continue;
		if (!want_local) {
			if (s->bind != STB_LOCAL)
				return s;
			continue;
		}
		if (s->bind != STB_LOCAL)
			continue;
		if (!file || !s->file) {
			nnofile++;
			nofile = s;
		} else if (!strcmp(s->file, file)) {
			nexact++;
			exact = s;
		} else if (!strcmp(base(s->file), base(file))) {
			nbase++;
			by_base = s;
		}
	}
	/* two candidates for one static: answering either could bind the wrong one */
	if (nexact)
		return nexact == 1 ? exact : &ei_ambiguous;
	if (nbase)
		return nbase == 1 ? by_base : &ei_ambiguous;
	if (nnofile)
		return nnofile == 1 ? nofile : &ei_ambiguous;
	return NULL;
}
