/* tests/data/kinds.t, release 1: "N" -> api(N), which updates one variable of each kind
 * and prints them. Release 2 changes each one's type: a function-local static struct
 * grows (int -> long, a field added), an array grows, an enum is renumbered, an extern
 * global widens (util.c), a read-only table of structs gains a field and an entry, and a
 * new global appears. */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>

enum mode { M_IDLE, M_RUN, M_STOP };
static enum mode mode = M_IDLE;
static int hist[4];
struct kw {
	const char *name;
	int val;
};
static const struct kw words[] = {{"a", 1}, {"b", 2}};

__attribute__((noinline)) const char *mode_name(void)
{
	switch (mode) {
	case M_IDLE:
		return "idle";
	case M_RUN:
		return "run";
	case M_STOP:
		return "stop";
	}
	return "?";
}

__attribute__((noinline)) void api(int n)
{
	static struct apistate {
		int calls;
	} st;
	const char *prev = mode_name();
	st.calls++;
	hist[n % 4]++;
	bump_total(n);
	mode = n ? M_RUN : M_STOP;
	printf("calls=%d hist=%d total=%ld prev=%s word=%s\n", st.calls, hist[n % 4], (long)total,
	       prev, words[n % 2].name);
}

int main(void)
{
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin))
		api(atoi(line));
	return 0;
}
