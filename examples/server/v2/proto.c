/* proto.c — request parsing and the command handlers (see proto.h). The version string
 * below is what VERSION, STATS and HOLD answer, so a test can tell which release of this
 * code served a request. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "counters.h"
#include "heartbeat.h"
#include "io.h"
#include "proto.h"
#include "table.h"

#define RELEASE "v2"

typedef int (*cmd_fn)(const char *args, const char *end, char *out, size_t outsz);

struct command {
	const char *name;
	cmd_fn fn;
};

/* Filled at start-up: the handlers' addresses live in data, as in most real servers. */
static struct command commands[16];
static unsigned ncommands;
static const char *hold_path;
static unsigned nthreads;

static int reply(char *out, size_t outsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reply(char *out, size_t outsz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, outsz - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > outsz - 2)
		n = (int)outsz - 2;
	out[n++] = '\n';
	out[n] = 0;
	return n;
}

static void skip_spaces(const char **p, const char *end)
{
	while (*p < end && **p == ' ')
		(*p)++;
}

/* Next space-delimited word from *p; returns its length (0 at the end). */
static size_t next_word(const char **p, const char *end, const char **word)
{
	skip_spaces(p, end);
	*word = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	return (size_t)(*p - *word);
}

/* The key argument of GET, MGET and INCR. */
static inline int parse_key(const char **p, const char *end, const char **key, size_t *klen)
{
	size_t n = next_word(p, end, key);

	if (n == 0 || n > TABLE_KEY_MAX)
		return -1;
	*klen = n;
	return 0;
}

static int cmd_ping(const char *args, const char *end, char *out, size_t outsz)
{
	(void)args;
	(void)end;
	return reply(out, outsz, "PONG");
}

static int cmd_set(const char *args, const char *end, char *out, size_t outsz)
{
	const char *key, *val;
	size_t klen = next_word(&args, end, &key);
	size_t vlen = next_word(&args, end, &val);

	COUNT(sets);
	if (klen == 0 || args != end)
		return reply(out, outsz, "ERR usage: SET key value");
	if (table_set(key, klen, val, vlen) < 0)
		return reply(out, outsz, "ERR bad key or value");
	return reply(out, outsz, "OK");
}

static int cmd_get(const char *args, const char *end, char *out, size_t outsz)
{
	char val[TABLE_VAL_MAX + 1];
	const char *key;
	size_t klen;
	int n;

	COUNT(gets);
	if (parse_key(&args, end, &key, &klen) < 0)
		return reply(out, outsz, "ERR bad key");
	n = table_get(key, klen, val, sizeof(val));
	if (n == -ENOENT)
		return reply(out, outsz, "NOTFOUND");
	if (n < 0)
		return reply(out, outsz, "ERR bad key");
	return reply(out, outsz, "VALUE %s", val);
}

static int cmd_mget(const char *args, const char *end, char *out, size_t outsz)
{
	char val[TABLE_VAL_MAX + 1];
	size_t used = 0;
	const char *key;
	size_t klen;

	used += (size_t)snprintf(out, outsz, "VALUES");
	while (skip_spaces(&args, end), args < end) {
		COUNT(gets);
		if (parse_key(&args, end, &key, &klen) < 0)
			return reply(out, outsz, "ERR bad key");
		if (table_get(key, klen, val, sizeof(val)) < 0)
			strcpy(val, "-");
		if (used + strlen(val) + 3 > outsz)
			return reply(out, outsz, "ERR reply too long");
		used += (size_t)snprintf(out + used, outsz - used, " %s", val);
	}
	out[used++] = '\n';
	out[used] = 0;
	return (int)used;
}

static int cmd_incr(const char *args, const char *end, char *out, size_t outsz)
{
	const char *key;
	size_t klen;
	long long v;

	COUNT(incrs);
	if (parse_key(&args, end, &key, &klen) < 0)
		return reply(out, outsz, "ERR bad key");
	if (table_incr(key, klen, &v) < 0)
		return reply(out, outsz, "ERR not an integer");
	return reply(out, outsz, "INT %lld", v);
}

static int cmd_stats(const char *args, const char *end, char *out, size_t outsz)
{
	/* How often STATS ran: state that lives inside a function. */
	static unsigned long stats_calls;
	char c[256], hb[128];

	(void)args;
	(void)end;
	stats_calls++;
	counters_format(c, sizeof(c));
	heartbeat_format(hb, sizeof(hb));
	return reply(out, outsz, "STATS version=%s %s keys=%lu stats_calls=%lu threads=%u %s",
		     RELEASE, c, table_count(), stats_calls, nthreads, hb);
}

static int cmd_version(const char *args, const char *end, char *out, size_t outsz)
{
	(void)args;
	(void)end;
	return reply(out, outsz, "VERSION %s", RELEASE);
}

static int cmd_hbreset(const char *args, const char *end, char *out, size_t outsz)
{
	(void)args;
	(void)end;
	heartbeat_reset();
	return reply(out, outsz, "OK");
}

static int cmd_hold(const char *args, const char *end, char *out, size_t outsz)
{
	(void)args;
	(void)end;
	if (!hold_path)
		return reply(out, outsz, "ERR no --hold-fifo");
	return PROTO_HOLD;
}

static int cmd_quit(const char *args, const char *end, char *out, size_t outsz)
{
	(void)args;
	(void)end;
	(void)out;
	(void)outsz;
	return PROTO_CLOSE;
}

static void add_command(const char *name, cmd_fn fn)
{
	if (ncommands < sizeof(commands) / sizeof(commands[0]))
		commands[ncommands++] = (struct command){name, fn};
}

void proto_init(const char *hold_fifo, unsigned threads)
{
	hold_path = hold_fifo;
	nthreads = threads;
	add_command("PING", cmd_ping);
	add_command("SET", cmd_set);
	add_command("GET", cmd_get);
	add_command("MGET", cmd_mget);
	add_command("INCR", cmd_incr);
	add_command("STATS", cmd_stats);
	add_command("VERSION", cmd_version);
	add_command("HBRESET", cmd_hbreset);
	add_command("HOLD", cmd_hold);
	add_command("QUIT", cmd_quit);
}

int proto_handle(const char *line, size_t len, char *out, size_t outsz)
{
	const char *p = line, *end = line + len, *name;
	size_t nlen = next_word(&p, end, &name);
	int n;

	COUNT(requests);
	/* The hottest command skips the table walk: a direct call that GCC may inline. */
	if (nlen == 3 && memcmp(name, "GET", 3) == 0) {
		n = cmd_get(p, end, out, outsz);
		if (n > 3 && memcmp(out, "ERR", 3) == 0)
			COUNT(errors);
		return n;
	}
	for (unsigned i = 0; i < ncommands; i++) {
		if (strlen(commands[i].name) == nlen && memcmp(commands[i].name, name, nlen) == 0) {
			n = commands[i].fn(p, end, out, outsz);
			if (n > 3 && memcmp(out, "ERR", 3) == 0)
				COUNT(errors);
			return n;
		}
	}
	COUNT(errors);
	return reply(out, outsz, "ERR unknown command");
}

int proto_hold(int fd)
{
	char buf[64];
	ssize_t n;
	int ffd, rc;

	rc = io_write_all(fd, "HOLDING\n", 8);
	if (rc < 0)
		return rc;
	/* Blocks until the test opens the fifo for writing and sends a line. */
	while ((ffd = open(hold_path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != EINTR)
			return -errno;
		COUNT(eintr);
	}
	do
		n = io_read(ffd, buf, sizeof(buf));
	while (n > 0 && !memchr(buf, '\n', (size_t)n));
	close(ffd);
	n = snprintf(buf, sizeof(buf), "HELD %s\n", RELEASE);
	return io_write_all(fd, buf, (size_t)n);
}
