/*
 * loader — read, check and relocate a patch .so in the injector (see loader.h).
 */
#include "loader.h"
#include "formats.h"
#include "procfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096ull
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define PATCH_MAX_SIZE (1ull << 30)
#define LD_NAME_MAX 200

void ld_close(struct ld_patch *p)
{
	ef_close(&p->ef);
	vf_free(&p->vf);
	free(p->file);
	p->file = NULL;
}

/* Every header, segment and section lies inside the file (catches truncation). */
static int check_bounds(struct ld_patch *p, char *err, size_t errlen)
{
	size_t n;
	GElf_Ehdr *eh = &p->ef.ehdr;
	if (eh->e_machine != EM_X86_64 || gelf_getclass(p->ef.elf) != ELFCLASS64) {
		snprintf(err, errlen, "not an x86-64 ELF file");
		return -1;
	}
	if (eh->e_type != ET_DYN) {
		snprintf(err, errlen, "not an ELF shared object (e_type %u)", eh->e_type);
		return -1;
	}
	if (eh->e_phoff + (uint64_t)eh->e_phnum * eh->e_phentsize > p->flen ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize > p->flen) {
		snprintf(err, errlen, "truncated or corrupt (headers past the end of the file)");
		return -1;
	}
	if (elf_getphdrnum(p->ef.elf, &n) != 0 || n == 0) {
		snprintf(err, errlen, "corrupt: no program headers");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(p->ef.elf, (int)i, &ph)) {
			snprintf(err, errlen, "corrupt program header %zu", i);
			return -1;
		}
		/* no p_offset + p_filesz: it wraps for offsets near 2^64 */
		if (ph.p_type == PT_LOAD &&
		    (ph.p_offset > p->flen || ph.p_filesz > p->flen - ph.p_offset ||
		     ph.p_filesz > ph.p_memsz)) {
			snprintf(err, errlen, "truncated (segment %zu past the end of the file)",
				 i);
			return -1;
		}
		/* what mmap requires of a loadable segment; a shifted p_offset would load
		 * other bytes than the linker placed there as code */
		if (ph.p_type == PT_LOAD && ph.p_offset % PAGE != ph.p_vaddr % PAGE) {
			snprintf(err, errlen,
				 "corrupt: segment %zu: offset and address differ within a page",
				 i);
			return -1;
		}
	}
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(p->ef.elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh)) {
			snprintf(err, errlen, "corrupt section header");
			return -1;
		}
		if (sh.sh_type != SHT_NOBITS && sh.sh_offset + sh.sh_size > p->flen) {
			snprintf(err, errlen, "truncated (section %zu past the end of the file)",
				 elf_ndxscn(scn));
			return -1;
		}
	}
	return 0;
}

static int collect_segments(struct ld_patch *p, char *err, size_t errlen)
{
	size_t n;
	elf_getphdrnum(p->ef.elf, &n);
	p->nsegs = 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		gelf_getphdr(p->ef.elf, (int)i, &ph);
		if (ph.p_type == PT_GNU_RELRO) {
			p->relro_lo = ph.p_vaddr;
			p->relro_hi = ph.p_vaddr + ph.p_memsz;
		}
		if (ph.p_type == PT_TLS) {
			snprintf(err, errlen,
				 "the patch defines thread-local storage (unsupported)");
			return -1;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		/* the end of a segment near 2^64 wraps, and the span would not hold it */
		if (ph.p_vaddr > UINT64_MAX - PAGE || ph.p_memsz > UINT64_MAX - PAGE - ph.p_vaddr) {
			snprintf(err, errlen, "corrupt: segment %zu ends past the address space",
				 i);
			return -1;
		}
		if (p->nsegs == LD_MAX_SEGS) {
			snprintf(err, errlen, "too many segments");
			return -1;
		}
		struct ld_seg *s = &p->segs[p->nsegs++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->filesz = ph.p_filesz;
		s->offset = ph.p_offset;
		s->prot = (ph.p_flags & PF_R ? PROT_READ : 0) |
			  (ph.p_flags & PF_W ? PROT_WRITE : 0) |
			  (ph.p_flags & PF_X ? PROT_EXEC : 0);
		uint64_t lo = PAGE_DOWN(s->vaddr), hi = PAGE_UP(s->vaddr + s->memsz);
		if (p->nsegs == 1 || lo < p->span_lo)
			p->span_lo = lo;
		if (p->nsegs == 1 || hi > p->span_hi)
			p->span_hi = hi;
	}
	if (!p->nsegs) {
		snprintf(err, errlen, "corrupt: no loadable segment");
		return -1;
	}
	/* every loaded section inside a loaded segment: a segment dropped by a corrupt
	 * p_type would leave the code reading an unmapped hole after the switch */
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(p->ef.elf, scn))) {
		GElf_Shdr sh;
		size_t k;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) || !sh.sh_size)
			continue;
		for (k = 0; k < p->nsegs; k++)
			if (sh.sh_addr >= p->segs[k].vaddr &&
			    sh.sh_addr - p->segs[k].vaddr <= p->segs[k].memsz &&
			    sh.sh_size <= p->segs[k].memsz - (sh.sh_addr - p->segs[k].vaddr))
				break;
		if (k == p->nsegs) {
			snprintf(err, errlen, "corrupt: section %zu is in no loadable segment",
				 elf_ndxscn(scn));
			return -1;
		}
	}
	if (p->span_hi - p->span_lo > PATCH_MAX_SIZE) {
		snprintf(err, errlen, "corrupt: the image would be %llu MiB",
			 (unsigned long long)((p->span_hi - p->span_lo) >> 20));
		return -1;
	}
	return 0;
}

/* The ELF part of ld_open: read, checked, segments collected. 0 or LD_EBADFILE. */
static int open_elf(const char *path, struct ld_patch *p, char *err, size_t errlen)
{
	int rc;
	char verr[256];
	memset(p, 0, sizeof(*p));
	p->ef.fd = -1;
	if ((rc = pf_slurp(path, PATCH_MAX_SIZE, &p->file, &p->flen)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return LD_EBADFILE;
	}
	if (p->flen < 4 || memcmp(p->file, ELFMAG, SELFMAG) != 0) {
		snprintf(err, errlen, "%s: not an ELF file", path);
		goto bad;
	}
	if (p->flen < sizeof(Elf64_Ehdr)) {
		snprintf(err, errlen, "%s: truncated ELF file", path);
		goto bad;
	}
	if (ef_open_mem(&p->ef, p->file, p->flen, path, NULL, 0) != 0) {
		snprintf(err, errlen, "%s: corrupt ELF file", path);
		goto bad;
	}
	if (check_bounds(p, verr, sizeof(verr)) || collect_segments(p, verr, sizeof(verr))) {
		snprintf(err, errlen, "%s: %s", path, verr);
		goto bad;
	}
	if (ef_build_id(&p->ef, p->build_id, sizeof(p->build_id), NULL, 0) != 0)
		p->build_id[0] = 0;
	return 0;
bad:
	ld_close(p);
	return LD_EBADFILE;
}

int ld_open_runtime(const char *path, struct ld_patch *p, char *err, size_t errlen)
{
	return open_elf(path, p, err, errlen);
}

int ld_open(const char *path, struct ld_patch *p, char *err, size_t errlen)
{
	GElf_Shdr sh;
	Elf_Data *d;
	char verr[256];
	int rc = open_elf(path, p, err, errlen);
	if (rc)
		return rc;
	if (ef_section(&p->ef, POLUS_VERSION_SECTION, &sh, &d) != 0 || !d->d_size) {
		snprintf(err, errlen,
			 "%s: not a polus patch (no " POLUS_VERSION_SECTION " section)", path);
		ld_close(p);
		return LD_ENOTPATCH;
	}
	if (sh.sh_type == SHT_NOBITS || !d->d_buf) { /* libyaml asserts on a NULL input */
		snprintf(err, errlen,
			 "%s: invalid version file: " POLUS_VERSION_SECTION " has no contents",
			 path);
		ld_close(p);
		return LD_EBADVERSION;
	}
	if (vf_parse(d->d_buf, d->d_size, &p->vf, verr, sizeof(verr)) != 0) {
		snprintf(err, errlen, "%s: invalid version file: %s", path, verr);
		ld_close(p);
		return LD_EBADVERSION;
	}
	if (!p->vf.target_build_id || !*p->vf.target_build_id) {
		snprintf(err, errlen, "%s: invalid version file: no target build-id", path);
		ld_close(p);
		return LD_EBADVERSION;
	}
	/* the name becomes the memfd name "polus:NAME" in the target, which the kernel
	 * limits to 249 bytes: refuse here rather than fail inside the stopped target */
	if (p->vf.name && strlen(p->vf.name) > LD_NAME_MAX) {
		snprintf(err, errlen,
			 "%s: invalid version file: name is %zu bytes long (at most %d)", path,
			 strlen(p->vf.name), LD_NAME_MAX);
		ld_close(p);
		return LD_EBADVERSION;
	}
	/* a jump into a data page or an unmapped hole would crash the target after the
	 * switch: the new code must lie in an executable segment with file contents */
	for (size_t i = 0; i < p->vf.nfunctions; i++) {
		const struct vf_function *f = &p->vf.functions[i];
		size_t k;
		if (!f->redirect)
			continue;
		for (k = 0; k < p->nsegs; k++)
			if ((p->segs[k].prot & PROT_EXEC) && f->new_addr >= p->segs[k].vaddr &&
			    f->new_addr - p->segs[k].vaddr < p->segs[k].filesz)
				break;
		if (k == p->nsegs) {
			snprintf(err, errlen,
				 "%s: function %s: new-addr 0x%llx is not in an executable "
				 "segment of the patch",
				 path, f->name, (unsigned long long)f->new_addr);
			ld_close(p);
			return LD_EBADVERSION;
		}
	}
	return 0;
}

void ld_image_free(struct ld_image *img)
{
	free(img->buf);
	img->buf = NULL;
}

static const struct vf_bind *find_bind(const struct vf_patch *vf, const char *name)
{
	for (size_t i = 0; i < vf->nbinds; i++)
		if (vf->binds[i].symbol && strcmp(vf->binds[i].symbol, name) == 0)
			return &vf->binds[i];
	return NULL;
}

/* The value of the symbol a relocation refers to; *tls set for a thread-local bind. */
static int sym_value(struct ld_patch *p, const struct ld_target *t, struct ld_image *img,
		     Elf_Data *syms, size_t strndx, size_t idx, uint64_t *val, int *tls,
		     unsigned char *bound, char *err, size_t errlen)
{
	GElf_Sym s;
	const char *name;
	*tls = 0;
	if (!gelf_getsym(syms, (int)idx, &s)) {
		snprintf(err, errlen, "corrupt symbol index %zu", idx);
		return -1;
	}
	name = elf_strptr(p->ef.elf, strndx, s.st_name);
	if (!name)
		name = "?";
	if (s.st_shndx != SHN_UNDEF) {
		if (GELF_ST_TYPE(s.st_info) == STT_TLS ||
		    GELF_ST_TYPE(s.st_info) == STT_GNU_IFUNC) {
			snprintf(err, errlen,
				 "symbol %s: thread-local or IFUNC definitions in a "
				 "patch are unsupported",
				 name);
			return -1;
		}
		/* an undefined symbol whose st_shndx got corrupted must not become a pointer
		 * into the patch image: the value must lie in its (loaded) section */
		Elf_Scn *ds = s.st_shndx < SHN_LORESERVE ? elf_getscn(p->ef.elf, s.st_shndx) : NULL;
		GElf_Shdr dsh;
		if (s.st_shndx != SHN_ABS &&
		    (!ds || !gelf_getshdr(ds, &dsh) || !(dsh.sh_flags & SHF_ALLOC) ||
		     s.st_value < dsh.sh_addr || s.st_value - dsh.sh_addr > dsh.sh_size)) {
			snprintf(err, errlen, "corrupt symbol %s (section %u, value 0x%llx)", name,
				 s.st_shndx, (unsigned long long)s.st_value);
			return -1;
		}
		*val = s.st_shndx == SHN_ABS ? s.st_value : img->base + s.st_value;
		return 0;
	}
	const struct vf_bind *b = find_bind(&p->vf, name);
	if (b) {
		if (b->tls) {
			if (!t->has_tls) {
				snprintf(err, errlen,
					 "bind %s (%s) is thread-local, but the target "
					 "has no TLS segment",
					 name, b->name ? b->name : "?");
				return -1;
			}
			*tls = 1;
			*val = b->addr - t->tls_offset;
		} else {
			*val = t->bias + b->addr;
		}
		if (!bound[idx]) {
			bound[idx] = 1;
			img->nbinds++;
		}
		return 0;
	}
	if (strncmp(name, "__polus_b_", 10) == 0) {
		snprintf(err, errlen, "symbol %s has no bind in the version file", name);
		return -1;
	}
	char rerr[1024] = "";
	int rc = t->resolve ? t->resolve(t->ctx, name, val, rerr, sizeof(rerr)) : -ENOENT;
	if (rc == -ENOENT && GELF_ST_BIND(s.st_info) == STB_WEAK) {
		*val = 0;
		return 0;
	}
	if (rc != 0) {
		if (rerr[0])
			snprintf(err, errlen, "%s", rerr);
		else
			snprintf(err, errlen, "cannot resolve symbol %s in the target's libraries",
				 name);
		return -1;
	}
	if (!bound[idx]) {
		bound[idx] = 1;
		img->nlibsyms++;
	}
	return 0;
}

static int apply_one(struct ld_patch *p, const struct ld_target *t, struct ld_image *img,
		     const GElf_Rela *r, Elf_Data *syms, size_t strndx, unsigned char *bound,
		     int textrel, char *err, size_t errlen)
{
	unsigned type = (unsigned)GELF_R_TYPE(r->r_info);
	size_t symi = GELF_R_SYM(r->r_info);
	uint64_t S = 0, P = img->base + r->r_offset, v;
	int64_t A = r->r_addend;
	int tls = 0;
	size_t width = type == R_X86_64_PC32 ? 4 : 8;
	if (type == R_X86_64_NONE)
		return 0;
	/* span_hi - width: r_offset + width would wrap for offsets near 2^64 */
	if (r->r_offset < p->span_lo || r->r_offset > p->span_hi - width) {
		snprintf(err, errlen, "corrupt: relocation at 0x%llx outside the image",
			 (unsigned long long)r->r_offset);
		return -1;
	}
	/* a linked -fPIC object relocates only its data: a word outside the writable
	 * segments (a corrupt r_offset or p_vaddr) would overwrite code or land in a hole
	 * while the real slot stays unrelocated */
	size_t k;
	for (k = 0; k < p->nsegs; k++)
		if ((textrel || (p->segs[k].prot & PROT_WRITE)) &&
		    r->r_offset >= p->segs[k].vaddr &&
		    r->r_offset - p->segs[k].vaddr <= p->segs[k].memsz - width &&
		    p->segs[k].memsz >= width)
			break;
	if (k == p->nsegs) {
		snprintf(err, errlen, "corrupt: relocation at 0x%llx is not in a writable segment",
			 (unsigned long long)r->r_offset);
		return -1;
	}
	if (symi && sym_value(p, t, img, syms, strndx, symi, &S, &tls, bound, err, errlen))
		return -1;
	if (tls && type != R_X86_64_TPOFF64) {
		snprintf(err, errlen,
			 "thread-local bind used by relocation type %u; compile "
			 "patches with -ftls-model=initial-exec",
			 type);
		return -1;
	}
	switch (type) {
	case R_X86_64_RELATIVE:
		v = img->base + (uint64_t)A;
		break;
	case R_X86_64_64:
	case R_X86_64_GLOB_DAT:
	case R_X86_64_JUMP_SLOT:
		v = S + (uint64_t)A;
		break;
	case R_X86_64_TPOFF64:
		if (!tls) {
			snprintf(err, errlen, "TPOFF64 relocation against a non-TLS symbol");
			return -1;
		}
		v = S + (uint64_t)A;
		break;
	case R_X86_64_PC32: {
		int64_t d = (int64_t)(S + (uint64_t)A - P);
		if (d != (int32_t)d) {
			snprintf(err, errlen, "PC32 relocation out of reach");
			return -1;
		}
		uint32_t w = (uint32_t)(int32_t)d;
		memcpy(img->buf + (r->r_offset - p->span_lo), &w, 4);
		img->nrelocs++;
		return 0;
	}
	default:
		snprintf(err, errlen, "unsupported relocation type %u", type);
		return -1;
	}
	memcpy(img->buf + (r->r_offset - p->span_lo), &v, 8);
	img->nrelocs++;
	return 0;
}

/* The relocation tables the dynamic section names (DT_RELA and DT_JMPREL, address and
 * size): a real loader finds relocations there, this one by section headers, so the two
 * must agree. Returns how many of the two ranges exist. */
static int dyn_rela_ranges(struct ld_patch *p, uint64_t rng[2][2], int *textrel)
{
	size_t n;
	int have[4] = {0};
	uint64_t v[4] = {0}; /* DT_RELA, DT_RELASZ, DT_JMPREL, DT_PLTRELSZ */
	if (elf_getphdrnum(p->ef.elf, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		Elf_Data *d;
		GElf_Dyn dyn;
		if (!gelf_getphdr(p->ef.elf, (int)i, &ph) || ph.p_type != PT_DYNAMIC)
			continue;
		d = elf_getdata_rawchunk(p->ef.elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_DYN);
		for (int k = 0; d && gelf_getdyn(d, k, &dyn) && dyn.d_tag != DT_NULL; k++) {
			int w = dyn.d_tag == DT_RELA	   ? 0
				: dyn.d_tag == DT_RELASZ   ? 1
				: dyn.d_tag == DT_JMPREL   ? 2
				: dyn.d_tag == DT_PLTRELSZ ? 3
							   : -1;
			if (dyn.d_tag == DT_TEXTREL ||
			    (dyn.d_tag == DT_FLAGS && (dyn.d_un.d_val & DF_TEXTREL)))
				*textrel = 1;
			if (w >= 0) {
				have[w] = 1;
				v[w] = dyn.d_un.d_val;
			}
		}
		break;
	}
	int m = 0;
	for (int k = 0; k < 4; k += 2)
		if (have[k] && v[k + 1]) {
			rng[m][0] = v[k];
			rng[m][1] = v[k + 1];
			m++;
		}
	return m;
}

static uint64_t overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	uint64_t lo = a > b ? a : b;
	uint64_t ahi = alen > UINT64_MAX - a ? UINT64_MAX : a + alen;
	uint64_t bhi = blen > UINT64_MAX - b ? UINT64_MAX : b + blen;
	uint64_t hi = ahi < bhi ? ahi : bhi;
	return hi > lo ? hi - lo : 0;
}

int ld_relocate(struct ld_patch *p, const struct ld_target *t, uint64_t addr, struct ld_image *img,
		char *err, size_t errlen)
{
	uint64_t dyn[2][2], covered[2] = {0, 0};
	int textrel = 0;
	int ndyn = dyn_rela_ranges(p, dyn, &textrel);
	Elf_Scn *scn = NULL;
	unsigned char *bound = NULL;
	size_t nbound = 0;
	memset(img, 0, sizeof(*img));
	img->len = p->span_hi - p->span_lo;
	img->addr = addr;
	img->base = addr - p->span_lo;
	if (!(img->buf = calloc(1, img->len))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < p->nsegs; i++) {
		const struct ld_seg *s = &p->segs[i];
		memcpy(img->buf + (s->vaddr - p->span_lo), p->file + s->offset, s->filesz);
	}
	while ((scn = elf_nextscn(p->ef.elf, scn))) {
		GElf_Shdr sh, symsh;
		Elf_Data *d, *syms = NULL;
		Elf_Scn *symscn;
		size_t nsyms = 0;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (sh.sh_type == SHT_REL || sh.sh_type == SHT_RELR) {
			snprintf(err, errlen, "unsupported relocation section type %u", sh.sh_type);
			goto fail;
		}
		if (sh.sh_type != SHT_RELA)
			continue;
		if (sh.sh_entsize != sizeof(Elf64_Rela) || !(d = elf_getdata(scn, NULL))) {
			snprintf(err, errlen, "corrupt relocation section %zu", elf_ndxscn(scn));
			goto fail;
		}
		for (int k = 0; k < ndyn; k++)
			covered[k] += overlap(sh.sh_addr, sh.sh_size, dyn[k][0], dyn[k][1]);
		if ((symscn = elf_getscn(p->ef.elf, sh.sh_link)) && gelf_getshdr(symscn, &symsh) &&
		    symsh.sh_entsize) {
			syms = elf_getdata(symscn, NULL);
			nsyms = symsh.sh_size / symsh.sh_entsize;
		}
		/* the relocation sections of a linked .so share one .dynsym: each symbol is
		 * counted once across them */
		if (nsyms + 1 > nbound) {
			unsigned char *nb = realloc(bound, nsyms + 1);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			memset(nb + nbound, 0, nsyms + 1 - nbound);
			bound = nb;
			nbound = nsyms + 1;
		}
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			if (!gelf_getrela(d, (int)i, &r)) {
				snprintf(err, errlen, "corrupt relocation %zu", i);
				goto fail;
			}
			if (GELF_R_SYM(r.r_info) && (!syms || GELF_R_SYM(r.r_info) >= nsyms)) {
				snprintf(err, errlen, "corrupt relocation %zu: bad symbol", i);
				goto fail;
			}
			if (apply_one(p, t, img, &r, syms, symsh.sh_link, bound, textrel, err,
				      errlen))
				goto fail;
		}
	}
	/* a relocation table left out (its section header corrupt) would leave pointers of
	 * the patch unrelocated: the target would crash on them after the switch */
	for (int k = 0; k < ndyn; k++)
		if (covered[k] != dyn[k][1]) {
			snprintf(err, errlen,
				 "corrupt: the relocation sections do not match the dynamic "
				 "section");
			goto fail;
		}
	free(bound);
	return 0;
fail:
	free(bound);
	ld_image_free(img);
	return -1;
}

static int page_prot(const struct ld_patch *p, uint64_t page)
{
	int prot = 0;
	for (size_t i = 0; i < p->nsegs; i++) {
		const struct ld_seg *s = &p->segs[i];
		if (page + PAGE > PAGE_DOWN(s->vaddr) && page < PAGE_UP(s->vaddr + s->memsz))
			prot |= s->prot;
	}
	if (p->relro_hi > p->relro_lo && page >= PAGE_DOWN(p->relro_lo) &&
	    page + PAGE <= PAGE_DOWN(p->relro_hi))
		prot &= ~PROT_WRITE;
	return prot;
}

int ld_each_prot(const struct ld_patch *p, const struct ld_image *img,
		 int (*fn)(void *ctx, uint64_t addr, uint64_t len, int prot), void *ctx)
{
	uint64_t run = p->span_lo;
	int prot = page_prot(p, run);
	for (uint64_t pg = p->span_lo + PAGE;; pg += PAGE) {
		int pp = pg < p->span_hi ? page_prot(p, pg) : -1;
		if (pp != prot) {
			int rc = fn(ctx, img->base + run, pg - run, prot);
			if (rc)
				return rc;
			if (pg >= p->span_hi)
				return 0;
			run = pg;
			prot = pp;
		}
	}
}
