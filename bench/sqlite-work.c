/* sqlite-work.c — a CPU-bound SQLite workload for bench/profile-cost.sh, in the spirit of
 * SQLite's speedtest1: an in-memory database; inserts in one transaction, indexed point
 * lookups, range scans, an aggregate with GROUP BY, a sort on a text column, updates and
 * deletes. Linked against sqlite3.c compiled with the flags under test.
 * Usage: sqlite-work [SCALE]   Prints "ms=N cpu_ms=N checksum=N": wall and CPU time of the
 * workload (the checksum guards against a build that computes something else). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "sqlite3.h"

static sqlite3 *db;
static long long checksum;

static void die(const char *what)
{
	fprintf(stderr, "sqlite-work: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql);
}

static sqlite3_stmt *prep(const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql);
	return st;
}

/* Steps st to the end, adding every integer column to the checksum. */
static void drain(sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (int c = 0; c < sqlite3_column_count(st); c++)
			checksum += sqlite3_column_int64(st, c);
	if (rc != SQLITE_DONE)
		die("step");
	sqlite3_reset(st);
}

int main(int argc, char **argv)
{
	int scale = argc > 1 ? atoi(argv[1]) : 100;
	int n = scale * 1000;
	struct timespec t0, t1, c0, c1;
	sqlite3_stmt *ins, *get, *range, *upd;
	char text[64];

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		die("open");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	exec("CREATE TABLE t(a INTEGER PRIMARY KEY, b INTEGER, c TEXT)");
	exec("CREATE INDEX tb ON t(b)");
	exec("BEGIN");
	ins = prep("INSERT INTO t VALUES(?1, ?2, ?3)");
	for (int i = 1; i <= n; i++) {
		unsigned v = (unsigned)i * 2654435761u;

		snprintf(text, sizeof(text), "row %u of %d, %x", v % 1000003, n, v);
		sqlite3_bind_int(ins, 1, i);
		sqlite3_bind_int(ins, 2, (int)(v % 100000));
		sqlite3_bind_text(ins, 3, text, -1, SQLITE_STATIC);
		drain(ins);
	}
	exec("COMMIT");
	get = prep("SELECT b FROM t WHERE a = ?1");
	for (int i = 1; i <= n; i += 2) {
		sqlite3_bind_int(get, 1, i);
		drain(get);
	}
	range = prep("SELECT count(*), sum(a) FROM t WHERE b BETWEEN ?1 AND ?1 + 50");
	for (int i = 0; i < n / 20; i++) {
		sqlite3_bind_int(range, 1, (i * 7919) % 100000);
		drain(range);
	}
	drain(prep("SELECT b % 97, count(*), sum(length(c)) FROM t GROUP BY b % 97"));
	drain(prep("SELECT a FROM t ORDER BY c LIMIT 1000"));
	exec("BEGIN");
	upd = prep("UPDATE t SET b = b + 1, c = c || 'x' WHERE a = ?1");
	for (int i = 1; i <= n; i += 3) {
		sqlite3_bind_int(upd, 1, i);
		drain(upd);
	}
	exec("DELETE FROM t WHERE b % 5 = 0");
	exec("COMMIT");
	drain(prep("SELECT count(*), sum(b) FROM t"));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	printf("ms=%ld cpu_ms=%ld checksum=%lld\n",
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
	       (long)((c1.tv_sec - c0.tv_sec) * 1000 + (c1.tv_nsec - c0.tv_nsec) / 1000000),
	       checksum);
	return 0;
}
