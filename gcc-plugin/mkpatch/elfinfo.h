/*
 * elfinfo — what polus-mkpatch reads from ELF files through libelf: a section's bytes,
 * the NT_GNU_BUILD_ID note and the symbol table.
 *
 * Symbols come from .symtab (.dynsym when stripped). Each local symbol carries the name
 * of the STT_FILE symbol that precedes it, so `static` functions and static locals of
 * different units with the same name can be told apart.
 */
#ifndef POLUS_ELFINFO_H
#define POLUS_ELFINFO_H
#include <stddef.h>
#include <stdint.h>

struct ei_sym {
	const char *name;
	const char *file; /* preceding STT_FILE name for locals, NULL for globals */
	uint64_t value, size;
	int type, bind; /* STT_*, STB_* */
	int defined;	/* st_shndx != SHN_UNDEF */
};

struct elfinfo {
	int fd;
	void *elf; /* Elf * */
	struct ei_sym *syms;
	size_t nsyms;
	int stripped; /* no .symtab: syms came from .dynsym (no locals, no STT_FILE) */
	char *path;
};

/* Opens `path` as an ELF file. -1 + message when missing, unreadable or not ELF. */
int ei_open(struct elfinfo *ei, const char *path, char *err, size_t errlen);
void ei_close(struct elfinfo *ei);
/* Copies the bytes of section `name` into a malloc'd buffer (NUL-terminated beyond len).
 * Returns 1 found, 0 absent, -1 error. */
int ei_section(struct elfinfo *ei, const char *name, char **buf, size_t *len, char *err,
	       size_t errlen);
/* Lower-case hex of the NT_GNU_BUILD_ID note into `hex` (>= 129 bytes). 0, or -1 absent. */
int ei_build_id(struct elfinfo *ei, char *hex, size_t hexlen, char *err, size_t errlen);
/* Copies `len` bytes at link-time address `addr` from the allocated section holding them
 * (all of them in one section). 0, or -1 + message. */
int ei_read_addr(const struct elfinfo *ei, uint64_t addr, void *buf, size_t len, char *err,
		 size_t errlen);
/* The function addresses of .preinit_array and .init_array (the constructors the
 * dynamic loader runs before main), link-time values: what a relocation of the slot
 * stores (R_X86_64_RELATIVE in a PIE, R_X86_64_64 against a defined symbol in a shared
 * object), else the slot's contents. Zero entries are left out.
 * 0 with the entries in a malloc'd *addrs (*n = 0 without such sections), or -1 +
 * message. */
int ei_init_array(const struct elfinfo *ei, uint64_t **addrs, size_t *n, char *err, size_t errlen);
/* Loads the symbol table into ei->syms. 0 or -1. */
int ei_load_symbols(struct elfinfo *ei, char *err, size_t errlen);
/* Finds a defined symbol: a global by name (file NULL), or a local whose STT_FILE
 * matches `file` (compared by full string first, then basename). NULL when absent,
 * &ei_ambiguous when several locals fit equally well. */
extern const struct ei_sym ei_ambiguous;
const struct ei_sym *ei_find(const struct elfinfo *ei, const char *name, const char *file,
			     int want_local);
#endif
