/*
 * elffile — what polus-mkpatch and polus-apply read from ELF files, through libelf, one
 * rule for both: open (a path, or a buffer), sections by name, the build-id, symbols,
 * dynamic symbol lookup (with versions), imports and their GOT slots, the IRELATIVE slot
 * of an IFUNC, PT_INTERP, PT_TLS, the link-time base, .init_array, bytes at a link-time
 * address.
 *
 * Every function returns 0 or a negative errno (-ENOENT: the thing asked for is absent).
 * Those taking `err` (may be NULL) also write there a message naming the file; absence
 * gets no message where the caller has the better words. Nothing prints.
 *
 * The build-id is the NT_GNU_BUILD_ID note, looked for in SHT_NOTE sections (a stripped
 * copy keeps .note.gnu.build-id) and then in PT_NOTE segments; an empty one is no
 * build-id. Symbols come from .symtab (.dynsym when stripped); each local carries the
 * name of the STT_FILE symbol before it, so `static` functions and static locals of
 * different units with the same name can be told apart.
 */
#ifndef POLUS_ELFFILE_H
#define POLUS_ELFFILE_H
#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

struct ef_sym {
	const char *name;
	const char *file; /* preceding STT_FILE name for locals, NULL for globals */
	uint64_t value, size;
	int type, bind; /* STT_*, STB_* */
	int defined;	/* st_shndx != SHN_UNDEF */
};

struct ef_file {
	int fd; /* -1 when opened on a buffer */
	Elf *elf;
	GElf_Ehdr ehdr;
	const uint8_t *mem;  /* the bytes when opened on a buffer (the caller's) */
	uint64_t size;	     /* of the file or the buffer */
	char *path;	     /* for messages */
	struct ef_sym *syms; /* after ef_load_symbols */
	size_t nsyms;
	int stripped; /* no .symtab: syms came from .dynsym (no locals, no STT_FILE) */
};

/* Opens `path`. -errno when it cannot be opened, -ENOEXEC when not ELF or cut inside its
 * section headers (libelf would show such a file as one without sections). */
int ef_open_path(struct ef_file *f, const char *path, char *err, size_t errlen);
/* Opens the `len` bytes at `buf` (kept by the caller until ef_close), named `name` in
 * messages. Headers are not checked against `len`: the caller checks what it loads. */
int ef_open_mem(struct ef_file *f, const void *buf, size_t len, const char *name, char *err,
		size_t errlen);
/* Safe on a zeroed struct with fd -1, and twice. */
void ef_close(struct ef_file *f);

/* NT_GNU_BUILD_ID as lower-case hex into hex[len] (129 bytes hold any). -ENOENT none
 * (or only empty ones), -ERANGE longer than `len` allows. */
int ef_build_id(struct ef_file *f, char *hex, size_t len, char *err, size_t errlen);
/* The section named `name`: its header and its data. -ENOENT absent, -EINVAL no data. */
int ef_section(struct ef_file *f, const char *name, GElf_Shdr *sh, Elf_Data **data);
/* A copy of section `name`'s bytes in a malloc'd buffer, NUL-terminated beyond *len.
 * -ENOENT absent (no message); -EINVAL no contents, past the end, malformed. */
int ef_section_copy(struct ef_file *f, const char *name, char **buf, size_t *len, char *err,
		    size_t errlen);
/* Copies `len` bytes at link-time address `addr` from the allocated section holding them
 * (all of them in one section). */
int ef_read_addr(const struct ef_file *f, uint64_t addr, void *buf, size_t len, char *err,
		 size_t errlen);

/* 1 if the file has a PT_INTERP (dynamically linked program), else 0. */
int ef_has_interp(struct ef_file *f);
/* The PT_INTERP path into path[len] (NUL-terminated). -ENOENT none, -EINVAL malformed or
 * longer than len. */
int ef_interp(struct ef_file *f, char *path, size_t len);
/* The PT_TLS segment's memsz and align (1 when 0). -ENOENT if none. */
int ef_tls(struct ef_file *f, uint64_t *memsz, uint64_t *align);
/* Lowest PT_LOAD p_vaddr rounded down to a page: the file's link-time base. -ENOEXEC
 * without a loadable segment. */
int ef_link_base(struct ef_file *f, uint64_t *base);

/* The function addresses of .preinit_array and .init_array (the constructors the dynamic
 * loader runs before main), link-time values: what a relocation of the slot stores
 * (R_X86_64_RELATIVE in a PIE, R_X86_64_64 against a defined symbol in a shared object),
 * else the slot's contents. Zero entries are left out. The entries in a malloc'd *addrs
 * (*n = 0 without such sections). */
int ef_init_array(const struct ef_file *f, uint64_t **addrs, size_t *n, char *err, size_t errlen);

/* Loads the symbol table into f->syms. -ENOENT when the file has none. */
int ef_load_symbols(struct ef_file *f, char *err, size_t errlen);
/* Finds a loaded, defined symbol: a global by name (want_local 0), or a local whose
 * STT_FILE matches `file` (compared by full string first, then basename). NULL when
 * absent, &ef_ambiguous when several locals fit equally well. */
extern const struct ef_sym ef_ambiguous;
const struct ef_sym *ef_find(const struct ef_file *f, const char *name, const char *file,
			     int want_local);

/* A defined, exported dynamic symbol by name, default version (not hidden); a strong
 * definition wins over a weak one. -ENOENT if not defined there. */
int ef_dynsym_lookup(struct ef_file *f, const char *name, GElf_Sym *sym);
/* The same, and (when `version` is not NULL) the name of its version (NULL: unversioned);
 * the string lives as long as f. */
int ef_dynsym_find(struct ef_file *f, const char *name, GElf_Sym *sym, const char **version);
/* The names of the file's undefined dynamic symbols (its imports; strings live as long
 * as f) in a malloc'd *names. No .dynsym: none. */
int ef_dynsym_undef(struct ef_file *f, const char ***names, size_t *n);

/* A GOT slot through which the file imports a symbol. */
struct ef_import {
	uint64_t slot;	     /* link-time address of the slot */
	uint64_t initial;    /* what the file holds there: for a lazy JUMP_SLOT, its PLT stub */
	int type;	     /* R_X86_64_GLOB_DAT or R_X86_64_JUMP_SLOT */
	const char *version; /* the version the import asks for, NULL unversioned */
};
/* Every GLOB_DAT and JUMP_SLOT relocation against the undefined dynamic symbol `name`, in
 * a malloc'd *imp (*n = 0: the file does not import it through its GOT). */
int ef_got_imports(struct ef_file *f, const char *name, struct ef_import **imp, size_t *n);
/* For an IFUNC whose resolver is at link-time address `resolver`: the link-time address
 * of the GOT slot of an R_X86_64_IRELATIVE relocation with that addend (the loader fills
 * it at startup, so reading it in the process gives the chosen implementation). */
int ef_irelative_slot(struct ef_file *f, uint64_t resolver, uint64_t *slot);

#endif
