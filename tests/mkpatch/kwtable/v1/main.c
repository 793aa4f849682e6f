/* a gperf-style word list: a read-only table of struct kw (release 2 adds a field) */
#include <stdio.h>
#include <string.h>
struct kw { const char *name; int id; };
static const struct kw words[] = {{"get", 1}, {"set", 2}, {"del", 3}};
const struct kw *lookup(const char *s)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(words[i].name, s))
			return &words[i];
	return NULL;
}
int kw_id(const struct kw *k) { return k ? k->id : -1; }
int main(int argc, char **argv) { printf("%d\n", kw_id(lookup(argc > 1 ? argv[1] : "get"))); return 0; }
