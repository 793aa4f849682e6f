/*
 * Unit test of common/elffile on hand-made ELF images: the build-id rule (a PT_NOTE is
 * read, an empty id is none, a short buffer is refused), the link base, and the refusals
 * of a file that is not ELF, missing, or cut inside its section headers.
 */
#include "elffile.h"
#include "unit_check.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An x86-64 ET_DYN image: one PT_LOAD at 0x400000 and one PT_NOTE holding a GNU
 * build-id note with `idlen` bytes of id. No sections. */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	Elf64_Nhdr nh;
	char name[4];
	uint8_t id[8];
};

static void make_image(struct image *im, uint32_t idlen)
{
	static const uint8_t id[8] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_DYN;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_ehsize = sizeof(Elf64_Ehdr);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 2;
	im->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
				 .p_vaddr = 0x400123,
				 .p_filesz = sizeof(*im),
				 .p_memsz = sizeof(*im),
				 .p_align = 4096};
	im->ph[1] = (Elf64_Phdr){.p_type = PT_NOTE,
				 .p_offset = offsetof(struct image, nh),
				 .p_filesz = sizeof(Elf64_Nhdr) + 4 + (idlen + 3) / 4 * 4,
				 .p_align = 4};
	im->nh = (Elf64_Nhdr){.n_namesz = 4, .n_descsz = idlen, .n_type = NT_GNU_BUILD_ID};
	memcpy(im->name, "GNU", 4);
	memcpy(im->id, id, idlen);
}

static void build_id_from_pt_note(void)
{
	struct image im;
	struct ef_file f;
	char hex[129], err[256];
	uint64_t base = 0;
	make_image(&im, 8);
	CHECK(ef_open_mem(&f, &im, sizeof(im), "img", err, sizeof(err)) == 0);
	CHECK(ef_build_id(&f, hex, sizeof(hex), err, sizeof(err)) == 0);
	CHECK(!strcmp(hex, "deadbeef01020304"));
	CHECK(ef_build_id(&f, hex, 16, err, sizeof(err)) == -ERANGE);
	CHECK(!strcmp(err, "img: build-id too long"));
	CHECK(ef_link_base(&f, &base) == 0 && base == 0x400000);
	CHECK(!ef_has_interp(&f));
	ef_close(&f);
	ef_close(&f); /* twice is harmless */
}

static void empty_build_id_is_none(void)
{
	struct image im;
	struct ef_file f;
	char hex[129], err[256];
	make_image(&im, 0);
	CHECK(ef_open_mem(&f, &im, sizeof(im), "img", NULL, 0) == 0);
	CHECK(ef_build_id(&f, hex, sizeof(hex), err, sizeof(err)) == -ENOENT);
	CHECK(strstr(err, "img: no NT_GNU_BUILD_ID note") == err);
	CHECK(ef_build_id(&f, hex, sizeof(hex), NULL, 0) == -ENOENT); /* err is optional */
	ef_close(&f);
}

static void refusals(void)
{
	struct image im;
	struct ef_file f;
	char err[256], path[] = "/tmp/polus-elf-test.XXXXXX", text[] = "not an ELF file at all";
	FILE *fp;
	int fd;
	CHECK(ef_open_mem(&f, text, sizeof(text), "txt", err, sizeof(err)) == -ENOEXEC);
	CHECK(!strcmp(err, "txt: not an ELF file"));
	CHECK(ef_open_path(&f, "/nonexistent/polus", err, sizeof(err)) == -ENOENT);
	CHECK(!strcmp(err, "/nonexistent/polus: No such file or directory"));
	/* section headers said to lie past the end: libelf alone would show no sections */
	make_image(&im, 8);
	im.eh.e_shoff = sizeof(im);
	im.eh.e_shentsize = sizeof(Elf64_Shdr);
	im.eh.e_shnum = 3;
	if ((fd = mkstemp(path)) < 0 || !(fp = fdopen(fd, "w"))) {
		CHECK(!"a temporary file");
		return;
	}
	CHECK(fwrite(&im, sizeof(im), 1, fp) == 1 && fclose(fp) == 0);
	CHECK(ef_open_path(&f, path, err, sizeof(err)) == -ENOEXEC);
	CHECK(strstr(err, "truncated or corrupt ELF file") != NULL);
	unlink(path);
}

int main(void)
{
	build_id_from_pt_note();
	empty_build_id_is_none();
	refusals();
	return unit_result("elf-test");
}
