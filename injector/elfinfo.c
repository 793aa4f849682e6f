/*
 * elfinfo — libelf helpers (see elfinfo.h).
 */
#include "elfinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int ei_init(struct ei_file *f)
{
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &f->ehdr)) {
		ei_close(f);
		return -ENOEXEC;
	}
	return 0;
}

int ei_open_path(const char *path, struct ei_file *f)
{
	elf_version(EV_CURRENT);
	f->elf = NULL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	return ei_init(f);
}

int ei_open_mem(const void *buf, size_t len, struct ei_file *f)
{
	elf_version(EV_CURRENT);
	f->fd = -1;
	f->elf = elf_memory((char *)buf, len);
	return ei_init(f);
}

void ei_close(struct ei_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	f->elf = NULL;
	f->fd = -1;
}

static int note_build_id(Elf_Data *d, char *hex, size_t len)
{
	size_t off = 0, noff, doff;
	GElf_Nhdr nh;
	while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp((char *)d->d_buf + noff, "GNU", 4) == 0) {
			const unsigned char *id = (const unsigned char *)d->d_buf + doff;
			if (nh.n_descsz == 0 || len < nh.n_descsz * 2 + 1)
				return -ERANGE;
			for (size_t i = 0; i < nh.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", id[i]);
			return 0;
		}
	}
	return -ENOENT;
}

int ei_build_id(struct ei_file *f, char *hex, size_t len)
{
	Elf_Scn *scn = NULL;
	size_t n;
	/* Sections first (a stripped copy keeps .note.gnu.build-id), then PT_NOTE. */
	while ((scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		if ((d = elf_getdata(scn, NULL)) && note_build_id(d, hex, len) == 0)
			return 0;
	}
	if (elf_getphdrnum(f->elf, &n) != 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		Elf_Data *d;
		if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		d = elf_getdata_rawchunk(f->elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		if (d && note_build_id(d, hex, len) == 0)
			return 0;
	}
	return -ENOENT;
}

int ei_has_interp(struct ei_file *f)
{
	size_t n;
	if (elf_getphdrnum(f->elf, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(f->elf, (int)i, &ph) && ph.p_type == PT_INTERP)
			return 1;
	}
	return 0;
}

int ei_section(struct ei_file *f, const char *name, GElf_Shdr *sh, Elf_Data **data)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	if (elf_getshdrstrndx(f->elf, &shstrndx) != 0)
		return -ENOENT;
	while ((scn = elf_nextscn(f->elf, scn))) {
		const char *sn;
		if (!gelf_getshdr(scn, sh))
			continue;
		sn = elf_strptr(f->elf, shstrndx, sh->sh_name);
		if (sn && strcmp(sn, name) == 0) {
			*data = elf_getdata(scn, NULL);
			return *data ? 0 : -EINVAL;
		}
	}
	return -ENOENT;
}

int ei_tls(struct ei_file *f, uint64_t *memsz, uint64_t *align)
{
	size_t n;
	if (elf_getphdrnum(f->elf, &n) != 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(f->elf, (int)i, &ph) && ph.p_type == PT_TLS) {
			*memsz = ph.p_memsz;
			*align = ph.p_align ? ph.p_align : 1;
			return 0;
		}
	}
	return -ENOENT;
}

int ei_link_base(struct ei_file *f, uint64_t *base)
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

/* The dynamic symbol table: .dynsym and .gnu.version (may be absent). */
static int dynsym(struct ei_file *f, Elf_Data **syms, Elf_Data **vers, size_t *strndx,
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

int ei_dynsym_lookup(struct ei_file *f, const char *name, GElf_Sym *out)
{
	Elf_Data *syms, *vers;
	size_t strndx = 0, n = 0;
	int weak_found = 0;
	if (dynsym(f, &syms, &vers, &strndx, &n) != 0)
		return -ENOENT;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		const char *sn;
		int bind;
		if (!gelf_getsym(syms, (int)i, &s) || s.st_shndx == SHN_UNDEF)
			continue;
		bind = GELF_ST_BIND(s.st_info);
		if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
			continue;
		if (GELF_ST_VISIBILITY(s.st_other) == STV_HIDDEN ||
		    GELF_ST_VISIBILITY(s.st_other) == STV_INTERNAL)
			continue;
		sn = elf_strptr(f->elf, strndx, s.st_name);
		if (!sn || strcmp(sn, name) != 0)
			continue;
		if (vers && (i + 1) * sizeof(GElf_Versym) <= vers->d_size) {
			GElf_Versym vs = ((GElf_Versym *)vers->d_buf)[i];
			if (vs & 0x8000) /* hidden: not the default version */
				continue;
		}
		if (bind == STB_WEAK) { /* a strong definition in the same file wins */
			*out = s;
			weak_found = 1;
			continue;
		}
		*out = s;
		return 0;
	}
	return weak_found ? 0 : -ENOENT;
}

int ei_irelative_slot(struct ei_file *f, uint64_t resolver, uint64_t *slot)
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
