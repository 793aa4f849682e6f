/* chain3 test program: shared by its three releases, never changed. Every path's answer
 * for x at each release (1..3), the load thread that calls every path without pause and
 * checks each answer, and the request loop. A path answers with the value of one release;
 * once it answered a release's value it never goes back to an earlier one. Two exceptions:
 * path_a calls scale twice, so an invocation running while scale switches may add an old
 * scale and a new one, and an old path_c running while compute switches calls the new
 * compute (old invocations finish in their code, but their calls go to the new functions;
 * the stop-the-world switch happens not to show path_c's, whose call of compute lies in
 * the bytes its span keeps threads out of, the stop-free switch does): such a mixed answer
 * is counted apart, at most one per path and switch. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { NPATH = 7 };
extern long (*const paths[NPATH])(long);

/* [path][release-1]: the slope and the constant of path(x) at that release */
static const long want[NPATH][3][2] = {
    {{5, 10}, {5, 11}, {5, 51}}, /* path_a: calls scale (carried by p12) */
    {{5, 12}, {5, 12}, {5, 32}}, /* path_a2: OLD's code, calls OLD's scale clone (v2: as v1) */
    {{7, 10}, {7, 20}, {7, 30}}, /* path_b: p12's code calls added (new in p12) */
    {{7, 11}, {7, 21}, {7, 31}}, /* path_bp: p12's code calls added through a pointer */
    {{3, 11}, {3, 25}, {3, 35}}, /* path_c: p12's code calls p12's compute directly */
    {{3, 13}, {3, 23}, {3, 33}}, /* path_c2: OLD's code calls OLD's compute */
    {{3, 14}, {3, 24}, {3, 34}}, /* path_cp: OLD's code calls compute_ptr */
};

static long iterations, errors, mixed;
static int seen[NPATH];

/* The latest release whose value v is for path p at x (1..3), or 0. */
static int release_of(int p, long x, long v)
{
	for (int r = 2; r >= 0; r--)
		if (v == want[p][r][0] * x + want[p][r][1])
			return r + 1;
	return 0;
}

static void *load(void *arg)
{
	(void)arg;
	for (long i = 0;; i++) {
		long x = i % 1000;
		for (int p = 0; p < NPATH; p++) {
			int r = release_of(p, x, paths[p](x));
			if (!r && (p == 0 || p == 4))
				__atomic_add_fetch(&mixed, 1, __ATOMIC_RELAXED);
			else if (!r || r < __atomic_load_n(&seen[p], __ATOMIC_RELAXED))
				__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
			else
				__atomic_store_n(&seen[p], r, __ATOMIC_RELAXED);
		}
		__atomic_add_fetch(&iterations, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Requests: "X" answers every path's value at x, then the release each one is at;
 * "stats" answers "ITERATIONS ERRORS MIXED". */
static int serve_requests(void)
{
	char line[64];
	pthread_t t;
	if (pthread_create(&t, NULL, load, NULL))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (line[0] == 's') {
			printf("%ld %ld %ld\n", __atomic_load_n(&iterations, __ATOMIC_RELAXED),
			       __atomic_load_n(&errors, __ATOMIC_RELAXED),
			       __atomic_load_n(&mixed, __ATOMIC_RELAXED));
		} else {
			long x = atol(line);
			for (int p = 0; p < NPATH; p++) {
				long v = paths[p](x);
				printf("%s%d", p ? " " : "", release_of(p, x, v));
			}
			printf("\n");
		}
		fflush(stdout);
	}
	return 0;
}
