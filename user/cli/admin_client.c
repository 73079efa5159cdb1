// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../agent/admin.h"
#include "../dataplane/paths.h"
#include "admin_client.h"

int admin_target_arg(int argc, char **argv, int *i, struct admin_target *t)
{
	const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	bool node = !strcmp(argv[*i], "--node");

	if (!node && strcmp(argv[*i], "--state-dir"))
		return 0;
	if (!v)
		return -1;
	snprintf(t->sock, sizeof(t->sock), "%s%s/" ADMIN_SOCK,
		 node ? IM_STATE_BASE "/" : "", v);
	(*i)++;
	return 1;
}

int admin_cmd_args(int argc, char **argv, int first, struct admin_target *t,
		   struct cli_opts *o)
{
	int i, r;

	memset(t, 0, sizeof(*t));
	for (i = first; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return -3;
		if (!strcmp(argv[i], "-o") && i + 1 < argc &&
		    parse_output(argv[i + 1], o)) {
			i++;
			continue;
		}
		r = admin_target_arg(argc, argv, &i, t);
		if (r <= 0)
			return -2;
	}
	return t->sock[0] ? 0 : admin_target_default(t, o);
}

int admin_target_default(struct admin_target *t, const struct cli_opts *o)
{
	DIR *d = opendir(IM_STATE_BASE);
	char path[sizeof(t->sock)];
	struct dirent *e;
	struct stat st;
	int n = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/" ADMIN_SOCK,
			 IM_STATE_BASE, e->d_name);
		if (lstat(path, &st) || !S_ISSOCK(st.st_mode))
			continue;
		if (!n++)
			memcpy(t->sock, path, sizeof(path));
	}
	if (d)
		closedir(d);
	if (n == 1)
		return 0;
	if (n)
		cli_error(o, "%d agents have admin sockets under %s: choose one "
			  "with --node", n, IM_STATE_BASE);
	else
		cli_error(o, "no agent admin socket under %s/*/" ADMIN_SOCK
			  ": is the agent running? (give --node or "
			  "--state-dir)", IM_STATE_BASE);
	return -1;
}

/* A connected socket, or -1 after saying why in the user's terms. */
static int dial(const struct admin_target *t, const struct cli_opts *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { ADMIN_CLIENT_TIMEOUT_S, 0 };
	int fd, err;

	if (strlen(t->sock) >= sizeof(sa.sun_path)) {
		cli_error(o, "%s: too long for a unix socket path", t->sock);
		return -1;
	}
	strcpy(sa.sun_path, t->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return fd;
	err = errno;
	close(fd);
	if (err == ENOENT)
		cli_error(o, "%s: no such socket: is the agent running for "
			  "this node?", t->sock);
	else if (err == ECONNREFUSED)
		cli_error(o, "%s: nobody listens: the agent is not running "
			  "(a stale socket)", t->sock);
	else if (err == EACCES || err == EPERM)
		cli_error(o, "%s: permission denied: the admin socket is for "
			  "root and the agent's user", t->sock);
	else
		cli_error(o, "%s: %s", t->sock, strerror(err));
	return -1;
}

/* The whole answer, up to the agent's own limit; NULL after an error. */
static char *read_all(int fd, const struct admin_target *t,
		      const struct cli_opts *o)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1), *nb;
	ssize_t r;

	while (buf) {
		if (len == cap) {
			if (cap >= ADMIN_REPLY_MAX)
				break;
			nb = realloc(buf, cap * 2 + 1);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ECONNRESET && len)
			r = 0;	/* closed with our request unread: answered */
		if (r <= 0) {
			if (r < 0 || !len) {
				cli_error(o, "%s: %s", t->sock, r < 0 &&
					  errno == EAGAIN ? "no answer within "
					  "the timeout" : r < 0 ?
					  strerror(errno) :
					  "the agent closed without answering");
				break;
			}
			buf[len] = 0;
			return buf;
		}
		len += (size_t)r;
	}
	if (buf && len == cap)
		cli_error(o, "%s: the answer is larger than %u bytes", t->sock,
			  ADMIN_REPLY_MAX);
	free(buf);
	return NULL;
}

int admin_ask(const struct admin_target *t, const char *req,
	      const struct cli_opts *o, json_t **out)
{
	json_error_t jerr;
	char *buf, line[64];
	const char *e;
	int fd = dial(t, o);

	*out = NULL;
	if (fd < 0)
		return -1;
	/* An agent that refuses us answers and closes before reading: the
	 * send may fail then (no SIGPIPE), its answer is still there. */
	snprintf(line, sizeof(line), "%s\n", req);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 &&
	    errno != EPIPE && errno != ECONNRESET) {
		cli_error(o, "%s: %s", t->sock, strerror(errno));
		close(fd);
		return -1;
	}
	buf = read_all(fd, t, o);
	close(fd);
	if (!buf)
		return -1;
	*out = json_loads(buf, 0, &jerr);
	free(buf);
	if (!*out) {
		cli_error(o, "%s: the answer is not JSON (%s)", t->sock,
			  jerr.text);
		return -1;
	}
	e = json_string_value(json_object_get(*out, "error"));
	if (e) {
		cli_error(o, "the agent: %s", e);
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

void admin_json_out(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}
