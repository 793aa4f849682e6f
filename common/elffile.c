/*
 * elffile — libelf access for polus-mkpatch and polus-apply (see elffile.h).
 */
#include "elffile.h"
#include "errmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define fail px_err

/* Appends v to (*v, *n), growing geometrically; -ENOMEM when it cannot. */
static int push(void **v, size_t *n, size_t *cap, size_t elsz, const void *val)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *nv = realloc(*v, nc * elsz);
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	memcpy((char *)*v + *n * elsz, val, elsz);
	(*n)++;
	return 0;
}

/* The common tail of both opens: an ELF file with a header, and a name for messages. */
static int finish_open(struct ef_file *f, const char *name, char *err, size_t errlen)
{
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &f->ehdr)) {
		ef_close(f);
		return fail(err, errlen, -ENOEXEC, "%s: not an ELF file", name);
	}
	if (!(f->path = strdup(name))) {
		ef_close(f);
		return fail(err, errlen, -ENOMEM, "%s: out of memory", name);
	}
	return 0;
}

int ef_open_path(struct ef_file *f, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int rc;
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(err, errlen, -ENOSYS, "libelf: %s", elf_errmsg(-1));
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &st) != 0) {
		rc = -errno;
		ef_close(f);
		return fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
	}
	f->size = (uint64_t)st.st_size;
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if ((rc = finish_open(f, path, err, errlen)) != 0)
		return rc;
	if (f->ehdr.e_shoff > f->size ||
	    (uint64_t)f->ehdr.e_shnum * f->ehdr.e_shentsize > f->size - f->ehdr.e_shoff) {
		ef_close(f);
		return fail(err, errlen, -ENOEXEC,
			    "%s: truncated or corrupt ELF file (section headers past the end)",
			    path);
	}
	return 0;
}

int ef_open_mem(struct ef_file *f, const void *buf, size_t len, const char *name, char *err,
		size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(err, errlen, -ENOSYS, "libelf: %s", elf_errmsg(-1));
	f->mem = buf;
	f->size = len;
	f->elf = elf_memory((char *)buf, len);
	return finish_open(f, name, err, errlen);
}

void ef_close(struct ef_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	free(f->syms);
	free(f->path);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

/* Copies len bytes at file offset off; the caller checked they lie inside the file. */
static int read_at(const struct ef_file *f, uint64_t off, void *buf, size_t len)
{
	ssize_t n;
	if (f->mem) {
		memcpy(buf, f->mem + off, len);
		return 0;
	}
	n = pread(f->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* The first NT_GNU_BUILD_ID note with a non-empty id in d: 0, -ENOENT, -ERANGE. */
static int note_build_id(Elf_Data *d, char *hex, size_t len)
{
	size_t off = 0, noff, doff;
	GElf_Nhdr nh;
	while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((char *)d->d_buf + noff, "GNU", 4) != 0 || nh.n_descsz == 0)
			continue;
		if (len < (size_t)nh.n_descsz * 2 + 1)
			return -ERANGE;
		const unsigned char *id = (const unsigned char *)d->d_buf + doff;
		for (size_t i = 0; i < nh.n_descsz; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		return 0;
	}
	return -ENOENT;
}

int ef_build_id(struct ef_file *f, char *hex, size_t len, char *err, size_t errlen)
{
	Elf_Scn *scn = NULL;
	size_t n;
	int rc = -ENOENT;
	while (rc == -ENOENT && (scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    (d = elf_getdata(scn, NULL)))
			rc = note_build_id(d, hex, len);
	}
	if (rc == -ENOENT && elf_getphdrnum(f->elf, &n) == 0)
		for (size_t i = 0; rc == -ENOENT && i < n; i++) {
			GElf_Phdr ph;
			Elf_Data *d;
			if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_NOTE)
				continue;
			d = elf_getdata_rawchunk(f->elf, (int64_t)ph.p_offset, ph.p_filesz,
						 ELF_T_NHDR);
			if (d)
				rc = note_build_id(d, hex, len);
		}
	if (rc == -ERANGE)
		return fail(err, errlen, rc, "%s: build-id too long", f->path);
	if (rc)
		return fail(err, errlen, rc,
			    "%s: no NT_GNU_BUILD_ID note (link with -Wl,--build-id)", f->path);
	return 0;
}

static Elf_Scn *find_scn(Elf *e, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(e, scn))) {
		const char *n;
		if (!gelf_getshdr(scn, sh))
			continue;
		n = elf_strptr(e, shstrndx, sh->sh_name);
		if (n && strcmp(n, name) == 0)
			return scn;
	}
	return NULL;
}

int ef_section(struct ef_file *f, const char *name, GElf_Shdr *sh, Elf_Data **data)
{
	Elf_Scn *scn = find_scn(f->elf, name, sh);
	if (!scn)
		return -ENOENT;
	*data = elf_getdata(scn, NULL);
	return *data ? 0 : -EINVAL;
}

int ef_section_copy(struct ef_file *f, const char *name, char **buf, size_t *len, char *err,
		    size_t errlen)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_scn(f->elf, name, &sh);
	Elf_Data *d = NULL;
	size_t n = 0;
	char *b;
	if (!scn)
		return -ENOENT;
	if (sh.sh_type == SHT_NOBITS)
		return fail(err, errlen, -EINVAL, "%s: section %s has no contents", f->path, name);
	/* sh_size is the file's word: a corrupt one must not size the buffer */
	if (sh.sh_offset > f->size || sh.sh_size > f->size - sh.sh_offset)
		return fail(err, errlen, -EINVAL,
			    "%s: section %s lies past the end of the file (truncated?)", f->path,
			    name);
	if (!(b = malloc(sh.sh_size + 1)))
		return fail(err, errlen, -ENOMEM, "%s: section %s: out of memory", f->path, name);
	while ((d = elf_getdata(scn, d))) {
		if (!d->d_size || !d->d_buf)
			continue;
		if (n + d->d_size > sh.sh_size) {
			free(b);
			return fail(err, errlen, -EINVAL, "%s: section %s is malformed", f->path,
				    name);
		}
		memcpy(b + n, d->d_buf, d->d_size);
		n += d->d_size;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

int ef_read_addr(const struct ef_file *f, uint64_t addr, void *buf, size_t len, char *err,
		 size_t errlen)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int rc;
	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NOBITS || addr < sh.sh_addr ||
		    addr - sh.sh_addr >= sh.sh_size)
			continue;
		if (len > sh.sh_size - (addr - sh.sh_addr))
			return fail(err, errlen, -EINVAL,
				    "%s: 0x%llx+%zu runs past the end of its section", f->path,
				    (unsigned long long)addr, len);
		uint64_t off = sh.sh_offset + (addr - sh.sh_addr);
		/* a short file: pread would return less, a buffer must not be overrun */
		rc = off < sh.sh_offset || off > f->size || len > f->size - off
			 ? -EIO
			 : read_at(f, off, buf, len);
		if (rc)
			return fail(err, errlen, rc, "%s: cannot read 0x%llx+%zu: %s", f->path,
				    (unsigned long long)addr, len,
				    rc == -EIO ? "file too short" : strerror(-rc));
		return 0;
	}
	return fail(err, errlen, -ENOENT, "%s: no section holds address 0x%llx", f->path,
		    (unsigned long long)addr);
}

static int program_header(struct ef_file *f, unsigned type, GElf_Phdr *out)
{
	size_t n;
	if (elf_getphdrnum(f->elf, &n) != 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(f->elf, (int)i, out) && out->p_type == type)
			return 0;
	return -ENOENT;
}

int ef_has_interp(struct ef_file *f)
{
	GElf_Phdr ph;
	return program_header(f, PT_INTERP, &ph) == 0;
}

int ef_interp(struct ef_file *f, char *path, size_t len)
{
	GElf_Phdr ph;
	if (program_header(f, PT_INTERP, &ph) != 0)
		return -ENOENT;
	if (!ph.p_filesz || ph.p_filesz > len || ph.p_offset > f->size ||
	    ph.p_filesz > f->size - ph.p_offset)
		return -EINVAL;
	int rc = read_at(f, ph.p_offset, path, ph.p_filesz);
	if (rc)
		return rc;
	if (path[ph.p_filesz - 1] != 0)
		return -EINVAL;
	return 0;
}

int ef_tls(struct ef_file *f, uint64_t *memsz, uint64_t *align)
{
	GElf_Phdr ph;
	if (program_header(f, PT_TLS, &ph) != 0)
		return -ENOENT;
	*memsz = ph.p_memsz;
	*align = ph.p_align ? ph.p_align : 1;
	return 0;
}

int ef_link_base(struct ef_file *f, uint64_t *base)
{
	size_t n;
	int found = 0;
	if (elf_getphdrnum(f->elf, &n) != 0)
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(f->elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
			uint64_t v = ph.p_vaddr & ~(uint64_t)0xfff;
			if (!found || v < *base)
				*base = v;
			found = 1;
		}
	}
	return found ? 0 : -ENOEXEC;
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

int ef_init_array(const struct ef_file *f, uint64_t **addrs, size_t *n, char *err, size_t errlen)
{
	static const char *const names[] = {".preinit_array", ".init_array"};
	size_t cap = 0;
	int rc = 0;
	*addrs = NULL;
	*n = 0;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && !rc; k++) {
		GElf_Shdr sh;
		Elf_Scn *scn = find_scn(f->elf, names[k], &sh);
		if (!scn || sh.sh_type == SHT_NOBITS)
			continue;
		for (uint64_t off = 0; off + 8 <= sh.sh_size && !rc; off += 8) {
			uint64_t v;
			if ((rc = ef_read_addr(f, sh.sh_addr + off, &v, sizeof(v), err, errlen)))
				break;
			reloc_value(f->elf, sh.sh_addr + off, &v);
			/* 0 and -1 are no functions (old-style list terminators) */
			if (v && v != UINT64_MAX &&
			    (rc = push((void **)addrs, n, &cap, sizeof(v), &v)))
				fail(err, errlen, rc, "%s: out of memory", f->path);
		}
	}
	if (rc) {
		free(*addrs);
		*addrs = NULL;
		*n = 0;
	}
	return rc;
}

/* .symtab, else .dynsym: 0 with the section, or -ENOENT. */
static int symbol_section(Elf *e, Elf_Scn **out, GElf_Shdr *outsh)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	*out = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !*out)) {
			*out = scn;
			*outsh = sh;
			if (sh.sh_type == SHT_SYMTAB)
				break;
		}
	}
	return *out ? 0 : -ENOENT;
}

int ef_load_symbols(struct ef_file *f, char *err, size_t errlen)
{
	Elf_Scn *symscn;
	GElf_Shdr symsh;
	size_t cap = 0;
	const char *file = NULL;
	if (symbol_section(f->elf, &symscn, &symsh) != 0)
		return fail(err, errlen, -ENOENT, "%s: no symbol table", f->path);
	f->stripped = symsh.sh_type != SHT_SYMTAB;
	Elf_Data *d = elf_getdata(symscn, NULL);
	size_t n = symsh.sh_entsize ? symsh.sh_size / symsh.sh_entsize : 0;
	for (size_t i = 1; d && i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			continue;
		const char *name = elf_strptr(f->elf, symsh.sh_link, s.st_name);
		int type = GELF_ST_TYPE(s.st_info), bind = GELF_ST_BIND(s.st_info);
		if (type == STT_FILE) {
			file = name;
			continue;
		}
		if (!name || !*name || type == STT_SECTION)
			continue;
		struct ef_sym e = {
		    .name = name,
		    .file = bind == STB_LOCAL ? file : NULL,
		    .value = s.st_value,
		    .size = s.st_size,
		    .type = type,
		    .bind = bind,
		    .defined = s.st_shndx != SHN_UNDEF,
		};
		if (push((void **)&f->syms, &f->nsyms, &cap, sizeof(e), &e))
			return fail(err, errlen, -ENOMEM, "%s: out of memory", f->path);
	}
	return 0;
}

const struct ef_sym ef_ambiguous = {.name = "(ambiguous)"};

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

const struct ef_sym *ef_find(const struct ef_file *f, const char *name, const char *file,
			     int want_local)
{
	const struct ef_sym *exact = NULL, *by_base = NULL, *nofile = NULL;
	int nexact = 0, nbase = 0, nnofile = 0;
	for (size_t i = 0; i < f->nsyms; i++) {
		const struct ef_sym *s = &f->syms[i];
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
		return nexact == 1 ? exact : &ef_ambiguous;
	if (nbase)
		return nbase == 1 ? by_base : &ef_ambiguous;
	if (nnofile)
		return nnofile == 1 ? nofile : &ef_ambiguous;
	return NULL;
}

/* The dynamic symbol table: .dynsym and .gnu.version (may be absent). */
static int dynsym(struct ef_file *f, Elf_Data **syms, Elf_Data **vers, size_t *strndx,
		  size_t *nsyms)
{
	Elf_Scn *scn = NULL;
	*syms = *vers = NULL;
	while ((scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM) {
			*syms = elf_getdata(scn, NULL);
			*strndx = sh.sh_link;
			*nsyms = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		} else if (sh.sh_type == SHT_GNU_versym) {
			*vers = elf_getdata(scn, NULL);
		}
	}
	return *syms ? 0 : -ENOENT;
}

/* An exported definition in the default version: what another object binds to. */
static int exported(const GElf_Sym *s, Elf_Data *vers, size_t i)
{
	int bind = GELF_ST_BIND(s->st_info), vis = GELF_ST_VISIBILITY(s->st_other);
	if (s->st_shndx == SHN_UNDEF || vis == STV_HIDDEN || vis == STV_INTERNAL)
		return 0;
	if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
		return 0;
	/* the hidden bit: not the default version */
	return !vers || (i + 1) * sizeof(GElf_Versym) > vers->d_size ||
	       !(((GElf_Versym *)vers->d_buf)[i] & 0x8000);
}

/* The name of symbol version index `ndx` (a definition's in .gnu.version_d, an import's in
 * .gnu.version_r: the indexes are shared), NULL for 0 and 1 (unversioned) or when absent. */
static const char *version_name(Elf *e, unsigned ndx)
{
	Elf_Scn *scn = NULL;
	while (ndx > 1 && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t off = 0;
		if (!gelf_getshdr(scn, &sh) || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; sh.sh_type == SHT_GNU_verdef && i < sh.sh_info; i++) {
			GElf_Verdef vd;
			GElf_Verdaux va;
			if (!gelf_getverdef(d, (int)off, &vd))
				break;
			if (vd.vd_ndx == ndx && gelf_getverdaux(d, (int)(off + vd.vd_aux), &va))
				return elf_strptr(e, sh.sh_link, va.vda_name);
			if (!vd.vd_next)
				break;
			off += vd.vd_next;
		}
		for (size_t i = 0; sh.sh_type == SHT_GNU_verneed && i < sh.sh_info; i++) {
			GElf_Verneed vn;
			GElf_Vernaux va;
			if (!gelf_getverneed(d, (int)off, &vn))
				break;
			size_t aoff = off + vn.vn_aux;
			for (size_t k = 0; k < vn.vn_cnt && gelf_getvernaux(d, (int)aoff, &va);
			     k++) {
				if (va.vna_other == ndx)
					return elf_strptr(e, sh.sh_link, va.vna_name);
				if (!va.vna_next)
					break;
				aoff += va.vna_next;
			}
			if (!vn.vn_next)
				break;
			off += vn.vn_next;
		}
	}
	return NULL;
}

/* The version of dynamic symbol i (see version_name). */
static const char *sym_version(Elf *e, Elf_Data *vers, size_t i)
{
	if (!vers || (i + 1) * sizeof(GElf_Versym) > vers->d_size)
		return NULL;
	return version_name(e, ((GElf_Versym *)vers->d_buf)[i] & 0x7fff);
}

int ef_dynsym_find(struct ef_file *f, const char *name, GElf_Sym *out, const char **version)
{
	Elf_Data *syms, *vers;
	size_t strndx = 0, n = 0, found = 0;
	if (dynsym(f, &syms, &vers, &strndx, &n) != 0)
		return -ENOENT;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		const char *sn;
		if (!gelf_getsym(syms, (int)i, &s) || !exported(&s, vers, i))
			continue;
		sn = elf_strptr(f->elf, strndx, s.st_name);
		if (!sn || strcmp(sn, name) != 0)
			continue;
		*out = s;
		found = i;
		if (GELF_ST_BIND(s.st_info) != STB_WEAK)
			break; /* a strong definition in the same file wins */
	}
	if (!found)
		return -ENOENT;
	if (version)
		*version = sym_version(f->elf, vers, found);
	return 0;
}

int ef_dynsym_lookup(struct ef_file *f, const char *name, GElf_Sym *out)
{
	return ef_dynsym_find(f, name, out, NULL);
}

int ef_dynsym_undef(struct ef_file *f, const char ***names, size_t *count)
{
	Elf_Data *syms, *vers;
	size_t strndx = 0, n = 0, cap = 0;
	*names = NULL;
	*count = 0;
	if (dynsym(f, &syms, &vers, &strndx, &n) != 0)
		return 0;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		const char *sn;
		if (!gelf_getsym(syms, (int)i, &s) || s.st_shndx != SHN_UNDEF ||
		    !(sn = elf_strptr(f->elf, strndx, s.st_name)) || !*sn)
			continue;
		if (push((void **)names, count, &cap, sizeof(sn), &sn)) {
			free(*names);
			*names = NULL;
			*count = 0;
			return -ENOMEM;
		}
	}
	return 0;
}

/* The import of `name` relocation r of a SHT_RELA section (symbols in section `link`)
 * fills, if it is one: a GLOB_DAT or JUMP_SLOT against that name. 1 and *imp, else 0. */
static int got_import(struct ef_file *f, const GElf_Rela *r, size_t link, Elf_Data *vers,
		      const char *name, struct ef_import *imp)
{
	unsigned type = (unsigned)GELF_R_TYPE(r->r_info);
	size_t si = GELF_R_SYM(r->r_info);
	Elf_Scn *symscn = elf_getscn(f->elf, link);
	GElf_Shdr symsh;
	Elf_Data *sd;
	GElf_Sym s;
	const char *sn;
	if ((type != R_X86_64_GLOB_DAT && type != R_X86_64_JUMP_SLOT) || !si || !symscn ||
	    !gelf_getshdr(symscn, &symsh) || symsh.sh_type != SHT_DYNSYM ||
	    !(sd = elf_getdata(symscn, NULL)) || !gelf_getsym(sd, (int)si, &s) ||
	    s.st_shndx != SHN_UNDEF || !(sn = elf_strptr(f->elf, symsh.sh_link, s.st_name)) ||
	    strcmp(sn, name) != 0)
		return 0;
	imp->slot = r->r_offset;
	imp->type = (int)type;
	imp->version = sym_version(f->elf, vers, si);
	if (ef_read_addr(f, r->r_offset, &imp->initial, sizeof(imp->initial), NULL, 0) != 0)
		imp->initial = 0;
	return 1;
}

int ef_got_imports(struct ef_file *f, const char *name, struct ef_import **out, size_t *count)
{
	Elf_Data *syms, *vers;
	size_t strndx = 0, n = 0, cap = 0;
	Elf_Scn *scn = NULL;
	*out = NULL;
	*count = 0;
	if (dynsym(f, &syms, &vers, &strndx, &n) != 0)
		return 0;
	while ((scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA ||
		    !(sh.sh_flags & SHF_ALLOC) || !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			struct ef_import imp;
			if (!gelf_getrela(d, (int)i, &r) ||
			    !got_import(f, &r, sh.sh_link, vers, name, &imp))
				continue;
			if (push((void **)out, count, &cap, sizeof(imp), &imp)) {
				free(*out);
				*out = NULL;
				*count = 0;
				return -ENOMEM;
			}
		}
	}
	return 0;
}

int ef_irelative_slot(struct ef_file *f, uint64_t resolver, uint64_t *slot)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (!(d = elf_getdata(scn, NULL)) || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			if (gelf_getrela(d, (int)i, &r) &&
			    GELF_R_TYPE(r.r_info) == R_X86_64_IRELATIVE &&
			    (uint64_t)r.r_addend == resolver) {
				*slot = r.r_offset;
				return 0;
			}
		}
	}
	return -ENOENT;
}
