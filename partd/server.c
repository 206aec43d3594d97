/* SPDX-License-Identifier: MIT */
/*
 * The partctl socket: a root-only Unix stream socket; one JSON object per
 * line each way (docs/partd.md, "Protocol"). Requests that change the
 * machine are queued as the single running job; the job streams
 * {"type":"progress"} lines to the requester and ends with one
 * {"type":"result"} line. Read-only requests are answered at once, even
 * while a job runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>

#include "partd.h"

#define MAX_CLIENTS 64
/* A plan travels in the request, JSON-escaped: up to 6 bytes ("\u0001")
 * for each byte of plan text, and a little more for the rest. */
#define MAX_REQUEST (6u * PLAN_TEXT_MAX + 65536)

static int mkdir_p(const char *dir, mode_t mode)
{
	char *tmp = strdup(dir), *p;

	if (!tmp)
		return -ENOMEM;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST) {
			free(tmp);
			return -errno;
		}
		*p = '/';
	}
	free(tmp);
	if (mkdir(dir, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int server_open(struct partd *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *copy = strdup(d->socket_path), *dir;
	mode_t old;
	int fd, r;

	if (!copy)
		return -ENOMEM;
	if (strlen(d->socket_path) >= sizeof(sa.sun_path)) {
		plog(LOG_ERR, "socket path %s is too long", d->socket_path);
		free(copy);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, d->socket_path);
	dir = dirname(copy);
	r = mkdir_p(dir, 0700);
	if (r) {
		plog(LOG_ERR, "cannot create %s: %s", dir, strerror(-r));
		free(copy);
		return r;
	}
	if (!d->state_dir)
		d->state_dir = strdup(dir);
	free(copy);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Another partd answering? Then do not steal its socket. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		plog(LOG_ERR, "another partd is already serving %s", d->socket_path);
		close(fd);
		return -EADDRINUSE;
	}
	unlink(d->socket_path);
	old = umask(0177); /* socket 0600: root (the owner) only */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r || listen(fd, 16)) {
		plog(LOG_ERR, "cannot listen on %s: %s", d->socket_path, strerror(errno));
		close(fd);
		return -errno;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	d->listen_fd = fd;
	return 0;
}

void server_close(struct partd *d)
{
	while (d->clients)
		client_release(d, d->clients);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		unlink(d->socket_path);
	}
	d->listen_fd = -1;
	free((char *)d->state_dir);
	d->state_dir = NULL;
}

void server_accept(struct partd *d)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct timeval tv = {.tv_sec = 5};
	struct client *c;
	int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		static const char msg[] = "{\"type\":\"result\",\"ok\":false,\"exit\":1,\"error\":"
					  "\"permission denied: partd serves root only\"}\n";

		send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		plog(LOG_WARNING, "refused a connection from uid %u", (unsigned)cred.uid);
		close(fd);
		return;
	}
	if (d->nclients >= MAX_CLIENTS) {
		static const char msg[] = "{\"type\":\"result\",\"ok\":false,\"exit\":1,\"error\":"
					  "\"too many connections\"}\n";

		send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	/* a stuck partctl must not stall partd */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->uid = cred.uid;
	c->next = d->clients;
	d->clients = c;
	d->nclients++;
}

void client_release(struct partd *d, struct client *c)
{
	struct client **pp;

	for (pp = &d->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c);
	d->nclients--;
}

static void client_kill(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->dead = true;
}

void client_send(struct client *c, struct json_object *o)
{
	const char *s;
	size_t len, off = 0;

	if (!c || c->dead) {
		json_object_put(o);
		return;
	}
	s = json_object_to_json_string_ext(o,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(s);
	while (off <= len) {
		/* the line, then its newline */
		const char *p = off < len ? s + off : "\n";
		size_t n = off < len ? len - off : 1;
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			client_kill(c);
			break;
		}
		off += (size_t)w;
		if (off == len + 1)
			break;
	}
	json_object_put(o);
}

/* {"partitions":[...], "plan":{...}, "events":...} for status requests. */
struct json_object *status_json(struct partd *d, const char *name)
{
	struct json_object *o = partd_result(true, 0, NULL), *arr = json_object_new_array();
	struct json_object *plan = json_object_new_object();
	size_t i;

	for (i = 0; i < d->inv->nparts; i++) {
		const struct inv_partition *p = &d->inv->parts[i];
		const struct plan_partition *pp = plan_find(d->plan, p->name);
		struct json_object *j;

		if (name && strcmp(name, p->name))
			continue;
		j = inv_partition_to_json(p);
		json_object_object_add(j, "in_plan", json_object_new_boolean(pp != NULL));
		json_object_object_add(j, "autostart",
				       json_object_new_boolean(pp && pp->autostart));
		json_object_object_add(j, "held", json_object_new_boolean(is_held(d, p->name)));
		json_object_array_add(arr, j);
	}
	/* planned but absent */
	for (i = 0; d->plan && i < d->plan->nparts; i++) {
		const struct plan_partition *pp = &d->plan->parts[i];
		struct json_object *j;
		char *cpus;

		if ((name && strcmp(name, pp->name)) || inventory_find(d->inv, pp->name))
			continue;
		j = json_object_new_object();
		cpus = cpuset_format(&pp->cpus);
		json_object_object_add(j, "name", json_object_new_string(pp->name));
		json_object_object_add(j, "state", json_object_new_string("absent"));
		json_object_object_add(j, "cpus", json_object_new_string(cpus ? cpus : ""));
		json_object_object_add(j, "memory", json_object_new_int64((int64_t)pp->memory));
		json_object_object_add(j, "in_plan", json_object_new_boolean(true));
		json_object_object_add(j, "autostart", json_object_new_boolean(pp->autostart));
		json_object_object_add(j, "held", json_object_new_boolean(false));
		free(cpus);
		json_object_array_add(arr, j);
	}
	if (name && json_object_array_length(arr) == 0) {
		char msg[128];

		json_object_put(o);
		json_object_put(arr);
		json_object_put(plan);
		snprintf(msg, sizeof(msg), "no partition named \"%s\"", name);
		return partd_result(false, 2, msg);
	}
	json_object_object_add(o, "partitions", arr);
	json_object_object_add(plan, "path", json_object_new_string(d->plan_path));
	json_object_object_add(plan, "source",
			       d->plan_source ? json_object_new_string(d->plan_source) : NULL);
	json_object_object_add(plan, "loaded", json_object_new_boolean(d->plan != NULL));
	json_object_object_add(plan, "rejected_errors", json_object_new_int((int)d->plan_errors));
	json_object_object_add(o, "plan", plan);
	json_object_object_add(o, "events", json_object_new_string(d->nl ? "netlink" : "polling"));
	json_object_object_add(o, "busy", json_object_new_boolean(d->busy));
	return o;
}

static const char *str_member(struct json_object *req, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The "plan" of an apply request breaks plan_check_text's rules: message in msg */
static bool plan_text_problem(struct json_object *req, char *msg, size_t len)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(req, "plan", &v);
	return plan_check_text(json_object_get_string(v), (size_t)json_object_get_string_len(v),
			       msg, len) != 0;
}

static void handle(struct partd *d, struct client *c, const char *line)
{
	struct json_object *req = json_tokener_parse(line), *v;
	const char *cmd, *name;
	char msg[256];
	enum job_kind kind = JOB_NONE;

	if (!req || !json_object_is_type(req, json_type_object) ||
	    !(cmd = str_member(req, "cmd"))) {
		client_send(c, partd_result(false, 2, "bad request: want {\"cmd\": ...}"));
		json_object_put(req);
		return;
	}
	name = str_member(req, "name");
	plog(LOG_DEBUG, "request from uid %u: %s%s%s", (unsigned)c->uid, cmd, name ? " " : "",
	     name ? name : "");

	if (!strcmp(cmd, "ping")) {
		struct json_object *o = partd_result(true, 0, NULL);

		json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
		json_object_object_add(o, "plan_version", json_object_new_int(PLAN_VERSION));
		client_send(c, o);
	} else if (!strcmp(cmd, "status")) {
		client_send(c, status_json(d, name));
	} else if (!strcmp(cmd, "inventory")) {
		struct json_object *o = partd_result(true, 0, NULL);

		json_object_object_add(o, "inventory", inventory_to_json(d->inv));
		client_send(c, o);
	} else if (!strcmp(cmd, "apply")) {
		kind = JOB_APPLY;
	} else if (!strcmp(cmd, "start")) {
		kind = JOB_START;
	} else if (!strcmp(cmd, "stop")) {
		kind = JOB_STOP;
	} else if (!strcmp(cmd, "reload")) {
		kind = JOB_RELOAD;
	} else {
		snprintf(msg, sizeof(msg), "unknown command \"%.64s\"", cmd);
		client_send(c, partd_result(false, 2, msg));
	}
	if (kind == JOB_NONE) {
		json_object_put(req);
		return;
	}

	if ((kind == JOB_START || kind == JOB_STOP) && (!name || plan_name_problem(name))) {
		client_send(c, partd_result(false, 2, "start and stop want a valid \"name\""));
	} else if (kind == JOB_STOP && json_object_object_get_ex(req, "kill_after", &v) &&
		   (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 ||
		    json_object_get_int64(v) > PLAN_STOP_TIMEOUT_MAX)) {
		client_send(c, partd_result(false, 2, "\"kill_after\" wants seconds (1-3600)"));
	} else if (kind == JOB_APPLY && !str_member(req, "plan")) {
		client_send(c, partd_result(false, 2, "apply wants the plan text in \"plan\""));
	} else if (kind == JOB_APPLY && plan_text_problem(req, msg, sizeof(msg))) {
		/* the limits of every plan reader, before anything reads it as a C string */
		client_send(c, partd_result(false, 2, msg));
	} else if (kind == JOB_APPLY && json_object_object_get_ex(req, "dry_run", &v) &&
		   json_object_get_boolean(v) && !d->busy) {
		/* a dry run changes nothing: answer now */
		client_send(c, reconcile(d, str_member(req, "plan"), str_member(req, "source"),
					 true, false));
	} else if (d->busy || d->job.kind != JOB_NONE) {
		client_send(
		    c, partd_result(false, 1, "busy: another change is in progress; try again"));
	} else {
		d->job.kind = kind;
		d->job.client = c;
		d->job.dry_run = false;
		if (name)
			snprintf(d->job.name, sizeof(d->job.name), "%s", name);
		d->job.kill_after =
		    kind == JOB_STOP && json_object_object_get_ex(req, "kill_after", &v)
			? (int)json_object_get_int64(v)
			: 0;
		if (kind == JOB_APPLY) {
			const char *src = str_member(req, "source");

			d->job.text = strdup(str_member(req, "plan"));
			d->job.source = strdup(src ? src : "partctl");
		}
	}
	json_object_put(req);
}

void client_readable(struct partd *d, struct client *c)
{
	char buf[65536];
	ssize_t r;
	char *nl;

	if (c->dead)
		return;
	r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (r <= 0) {
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_kill(c);
		return;
	}
	if (c->inlen + (size_t)r + 1 > MAX_REQUEST) {
		char msg[128];

		snprintf(msg, sizeof(msg), "request too large (more than %u bytes, limit %u)",
			 (unsigned)(c->inlen + (size_t)r), (unsigned)MAX_REQUEST);
		client_send(c, partd_result(false, 2, msg));
		client_kill(c);
		return;
	}
	if (c->inlen + (size_t)r + 1 > c->incap) {
		size_t cap = c->incap ? c->incap : 4096;
		char *n;

		while (cap < c->inlen + (size_t)r + 1)
			cap *= 2;
		n = realloc(c->in, cap);
		if (!n) {
			client_kill(c);
			return;
		}
		c->in = n;
		c->incap = cap;
	}
	memcpy(c->in + c->inlen, buf, (size_t)r);
	c->inlen += (size_t)r;
	c->in[c->inlen] = '\0';
	while (!c->dead && (nl = memchr(c->in, '\n', c->inlen))) {
		size_t used = (size_t)(nl - c->in) + 1;

		*nl = '\0';
		if (nl > c->in)
			handle(d, c, c->in);
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
		c->in[c->inlen] = '\0';
	}
}
