/*
 * elfinfo — small questions asked of ELF files through libelf: build-id, interpreter,
 * named sections, the TLS segment, dynamic symbols. Works on an fd (the target's binary
 * and libraries, through /proc) or on a buffer (the patch). Returns 0 or a negative errno.
 */
#ifndef POLUS_ELFINFO_H
#define POLUS_ELFINFO_H
#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

struct ei_file {
	int fd; /* -1 for a buffer */
	Elf *elf;
	GElf_Ehdr ehdr;
};

int ei_open_path(const char *path, struct ei_file *f);
int ei_open_mem(const void *buf, size_t len, struct ei_file *f);
void ei_close(struct ei_file *f);

/* NT_GNU_BUILD_ID as lower-case hex into hex[len]; -ENOENT if the file has none. */
int ei_build_id(struct ei_file *f, char *hex, size_t len);
/* 1 if the file has a PT_INTERP (dynamically linked program), else 0. */
int ei_has_interp(struct ei_file *f);
/* The section named `name` (its header and its data); -ENOENT if absent. */
int ei_section(struct ei_file *f, const char *name, GElf_Shdr *sh, Elf_Data **data);
/* The PT_TLS segment's memsz and align; -ENOENT if none. */
int ei_tls(struct ei_file *f, uint64_t *memsz, uint64_t *align);
/* Lowest PT_LOAD p_vaddr rounded down to a page: the file's link-time base. */
int ei_link_base(struct ei_file *f, uint64_t *base);

/*
 * Looks up a defined, exported dynamic symbol by name, taking the default version
 * (not hidden). *sym gets the symbol. -ENOENT if not defined there.
 */
int ei_dynsym_lookup(struct ei_file *f, const char *name, GElf_Sym *sym);

/*
 * For an IFUNC whose resolver is at link-time address `resolver`: the link-time address of
 * the GOT slot of an R_X86_64_IRELATIVE relocation with that addend (the loader fills it
 * at startup, so reading it in the target gives the chosen implementation).
 */
int ei_irelative_slot(struct ei_file *f, uint64_t resolver, uint64_t *slot);

#endif
