/* SPDX-License-Identifier: MIT */
/* partctl's side of the partd socket: JSON lines over a Unix stream socket. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "partctl.h"

struct conn {
	int fd;
	char *buf;
	size_t len, cap;
};

struct conn *conn_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct conn *c;
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = fd;
	return c;
}

void conn_close(struct conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}

int conn_send(struct conn *c, struct json_object *req)
{
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s), off = 0;
	int r = 0;

	while (off < len + 1) {
		const char *p = off < len ? s + off : "\n";
		ssize_t w = send(c->fd, p, off < len ? len - off : 1, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	json_object_put(req);
	return r;
}

struct json_object *conn_recv(struct conn *c, int timeout_ms, char *err, size_t errlen)
{
	for (;;) {
		char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		ssize_t r;
		int pr;

		if (nl) {
			struct json_object *o;
			size_t used = (size_t)(nl - c->buf) + 1;

			*nl = '\0';
			o = json_tokener_parse(c->buf);
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			if (!o)
				snprintf(err, errlen, "partd sent something that is not JSON");
			return o;
		}
		pr = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			snprintf(err, errlen, "no answer from partd within %d s",
				 timeout_ms / 1000);
			return NULL;
		}
		if (c->len + 65536 + 1 > c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 65536 * 2;
			char *n = realloc(c->buf, cap);

			if (!n) {
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
			c->buf = n;
			c->cap = cap;
		}
		r = recv(c->fd, c->buf + c->len, 65536, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "partd closed the connection%s%s", r < 0 ? ": " : "",
				 r < 0 ? strerror(errno) : "");
			return NULL;
		}
		c->len += (size_t)r;
	}
}
