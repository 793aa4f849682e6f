/*
 * seal_test PATCH.so [STRIDE] — the seal (common/seal.h) of a sealed patch: it checks;
 * then each byte of the file (every STRIDE-th, default 1; every byte of the ELF header,
 * the section headers and the seal itself always) is flipped in turn, and each flipped
 * copy must be refused, with one line naming the problem. Prints the number of flips per
 * section (so a run shows every region was reached) and the refusal messages met.
 */
#include "seal.h"
#include "unit_check.h"
#include <elf.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	b = malloc(*len);
	if (b && fread(b, 1, *len, f) != *len) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

/* The section holding file offset o (its name), or the header or gap it falls in. */
static const char *region(const uint8_t *b, size_t len, size_t o)
{
	const Elf64_Ehdr *eh = (const void *)b;
	if (o < sizeof(*eh))
		return "ELF header";
	if (o >= eh->e_phoff && o < eh->e_phoff + (size_t)eh->e_phnum * eh->e_phentsize)
		return "program headers";
	if (o >= eh->e_shoff)
		return "section headers";
	const Elf64_Shdr *sh = (const void *)(b + eh->e_shoff);
	const char *names = (const char *)b + sh[eh->e_shstrndx].sh_offset;
	for (size_t i = 1; i < eh->e_shnum && eh->e_shoff + (i + 1) * sizeof(*sh) <= len; i++)
		if (sh[i].sh_type != SHT_NOBITS && o >= sh[i].sh_offset &&
		    o < sh[i].sh_offset + sh[i].sh_size)
			return names + sh[i].sh_name;
	return "(between sections)";
}

#define MAX_REGIONS 64
static struct {
	const char *name;
	size_t flips;
} regions[MAX_REGIONS];
static char msgs[8][256];

static void count(const char *name, const char *msg)
{
	size_t i = 0, m = 0;
	while (i < MAX_REGIONS && regions[i].name && strcmp(regions[i].name, name))
		i++;
	if (i < MAX_REGIONS) {
		regions[i].name = name;
		regions[i].flips++;
	}
	while (m < 8 && msgs[m][0] && strcmp(msgs[m], msg))
		m++;
	if (m < 8 && !msgs[m][0])
		snprintf(msgs[m], sizeof(msgs[m]), "%.200s", msg);
}

int main(int argc, char **argv)
{
	size_t len, stride = argc > 2 ? strtoul(argv[2], NULL, 10) : 1, flips = 0;
	struct seal_info si;
	char err[1024];
	uint8_t *b = argc > 1 ? slurp(argv[1], &len) : NULL;
	if (!b || !stride) {
		fprintf(stderr, "usage: seal_test PATCH.so [STRIDE]\n");
		return 2;
	}
	CHECK(seal_check_buf(b, len, NULL, &si, err, sizeof(err)) == 0);
	const Elf64_Ehdr *eh = (const void *)b;
	size_t shoff = eh->e_shoff;
	for (size_t o = 0; o < len; o++) {
		const char *r = region(b, len, o);
		int always = o < sizeof(Elf64_Ehdr) || o >= shoff || !strcmp(r, ".polus.seal");
		if (!always && o % stride)
			continue;
		b[o] ^= 0xff;
		int rc = seal_check_buf(b, len, NULL, &si, err, sizeof(err));
		b[o] ^= 0xff;
		if (rc == 0)
			fprintf(stderr, "offset %zu (%s): flipped, still accepted\n", o, r);
		CHECK(rc != 0 && !strchr(err, '\n') && err[0]);
		count(r, err);
		flips++;
	}
	CHECK(seal_check_buf(b, len, NULL, &si, err, sizeof(err)) == 0);
	printf("%zu bytes, %zu flips, each refused:\n", len, flips);
	for (size_t i = 0; i < MAX_REGIONS && regions[i].name; i++)
		printf("  %-20s %zu\n", regions[i].name, regions[i].flips);
	for (size_t m = 0; m < 8 && msgs[m][0]; m++)
		printf("  message: %s\n", msgs[m]);
	free(b);
	return unit_result("seal_test");
}
