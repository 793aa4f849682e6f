/*
 * oplog — operations into the system log (see oplog.h). The datagram is what syslog(3)
 * sends ("<PRI>Mmm dd hh:mm:ss TAG[PID]: TEXT" over a unix datagram socket), built here
 * so the socket can be chosen for tests and the sending is the same code either way.
 */
#include "oplog.h"
#include "exitcodes.h"
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static int disabled;

void ol_disable(void)
{
	disabled = 1;
}

/* The login name of who runs us: the session's (also under sudo), else the uid's. */
static const char *login_name(char *buf, size_t len)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw;
	if (getlogin_r(buf, len) == 0 && *buf)
		return buf;
	if (sudo && *sudo)
		return sudo;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : "-";
}

/* Appends key="value" with quotes and backslashes escaped, newlines as spaces. */
static size_t put_quoted(char *buf, size_t len, size_t o, const char *key, const char *v)
{
	if (o >= len)
		return o;
	o += (size_t)snprintf(buf + o, len - o, " %s=\"", key);
	for (; *v && o + 3 < len; v++) {
		if (*v == '"' || *v == '\\')
			buf[o++] = '\\';
		buf[o++] = *v == '\n' ? ' ' : *v;
	}
	if (o + 1 < len)
		buf[o++] = '"';
	buf[o < len ? o : len - 1] = 0;
	return o;
}

/* Appends key=value when value has no blank or quote, else key="value". */
static size_t put(char *buf, size_t len, size_t o, const char *key, const char *v)
{
	if (!v || o >= len)
		return o;
	if (!*v || strpbrk(v, " \t\n\"\\="))
		return put_quoted(buf, len, o, key, v);
	return o + (size_t)snprintf(buf + o, len - o, " %s=%s", key, v);
}

static const char *result_word(const struct ol_entry *e)
{
	if (e->exit_code == PX_OK)
		return e->done_as ? e->done_as : "done";
	return e->exit_code == PX_INTERNAL ? "failed" : "refused";
}

void ol_format(const struct ol_entry *e, char *buf, size_t len)
{
	char who[64], num[64];
	size_t o = (size_t)snprintf(buf, len, "%s pid=%d", e->op, (int)e->pid);
	o = put(buf, len, o, "exe", e->exe);
	o = put(buf, len, o, "patch", e->patch);
	o = put(buf, len, o, "name", e->name);
	if (e->digest && *e->digest)
		o = put(buf, len, o, "sha256", e->digest);
	o = put(buf, len, o, "result", result_word(e));
	snprintf(num, sizeof(num), "%d", e->exit_code);
	o = put(buf, len, o, "exit", num);
	if (e->exit_code == PX_OK) {
		snprintf(num, sizeof(num), "%.2f", (double)e->pause_ns / 1e6);
		o = put(buf, len, o, "pause-ms", num);
	} else {
		o = put_quoted(buf, len, o, "error", e->error && *e->error ? e->error : "failed");
	}
	snprintf(num, sizeof(num), "%u", (unsigned)getuid());
	o = put(buf, len, o, "uid", num);
	put(buf, len, o, "login", login_name(who, sizeof(who)));
}

static int send_line(const char *path, const char *msg, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int types[] = {SOCK_DGRAM, SOCK_STREAM}, rc = -ENOENT;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	for (size_t i = 0; i < 2; i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		/* a stream socket (a syslog daemon's) needs the message's end marked */
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    send(fd, msg, len + (types[i] == SOCK_STREAM), MSG_NOSIGNAL) >= 0)
			rc = 0;
		else
			rc = -errno;
		close(fd);
		if (rc != -EPROTOTYPE)
			break;
	}
	return rc;
}

int ol_log(const char *tool, const struct ol_entry *e)
{
	const char *off = getenv("POLUS_NO_SYSLOG"), *path = getenv("POLUS_SYSLOG_SOCKET");
	char text[3072], msg[4096], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int pri = LOG_DAEMON | (e->exit_code == PX_OK	      ? LOG_NOTICE
				: e->exit_code == PX_INTERNAL ? LOG_ERR
							      : LOG_WARNING);
	if (disabled || (off && *off == '1'))
		return 0;
	ol_format(e, text, sizeof(text));
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	int n =
	    snprintf(msg, sizeof(msg), "<%d>%s %s[%d]: %s", pri, stamp, tool, (int)getpid(), text);
	if (n < 0)
		return -EINVAL;
	return send_line(path && *path ? path : "/dev/log", msg,
			 (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}
