/* SPDX-License-Identifier: MIT */
/* Problem lists: everything wrong with a plan, reported at once. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "internal.h"

void problems_init(struct problems *ps)
{
	memset(ps, 0, sizeof(*ps));
}

void problems_free(struct problems *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].path);
		free(ps->v[i].message);
		free(ps->v[i].holder);
		free(ps->v[i].hint);
	}
	free(ps->v);
	problems_init(ps);
}

struct problem *problem_add(struct problems *ps, enum problem_severity sev, const char *path,
			    const char *fmt, ...)
{
	struct problem *p;
	va_list ap;

	p = kp_reserve(ps->v, ps->n, &ps->cap, sizeof(*p), 8);
	if (!p)
		return NULL;
	ps->v = p;
	p = &ps->v[ps->n];
	memset(p, 0, sizeof(*p));
	p->severity = sev;
	p->path = strdup(path ? path : "");
	va_start(ap, fmt);
	p->message = kp_vasprintf(fmt, ap);
	va_end(ap);
	if (!p->path || !p->message) {
		free(p->path);
		free(p->message);
		return NULL;
	}
	ps->n++;
	if (sev == PROBLEM_ERROR)
		ps->nerrors++;
	return p;
}

/* Replace *field with a formatted text; the old text may be an argument. */
static void set_text(char **field, const char *fmt, va_list ap)
{
	char *s = kp_vasprintf(fmt, ap);

	free(*field);
	*field = s;
}

void problem_holder(struct problem *p, const char *fmt, ...)
{
	va_list ap;

	if (!p)
		return;
	va_start(ap, fmt);
	set_text(&p->holder, fmt, ap);
	va_end(ap);
}

void problem_hint(struct problem *p, const char *fmt, ...)
{
	va_list ap;

	if (!p)
		return;
	va_start(ap, fmt);
	set_text(&p->hint, fmt, ap);
	va_end(ap);
}

void problems_print(const struct problems *ps, const char *source, FILE *f)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		const struct problem *p = &ps->v[i];

		fprintf(f, "%s%s%s%s%s: %s\n", source ? source : "", source ? ": " : "",
			p->path[0] ? p->path : "", p->path[0] ? ": " : "",
			p->severity == PROBLEM_ERROR ? "error" : "warning", p->message);
		if (p->holder)
			fprintf(f, "    held by: %s\n", p->holder);
		if (p->hint)
			fprintf(f, "    hint: %s\n", p->hint);
	}
}

struct json_object *problems_to_json(const struct problems *ps)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; arr && i < ps->n; i++) {
		const struct problem *p = &ps->v[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(
		    o, "severity",
		    json_object_new_string(p->severity == PROBLEM_ERROR ? "error" : "warning"));
		json_object_object_add(o, "path", json_object_new_string(p->path));
		json_object_object_add(o, "message", json_object_new_string(p->message));
		if (p->holder)
			json_object_object_add(o, "holder", json_object_new_string(p->holder));
		if (p->hint)
			json_object_object_add(o, "hint", json_object_new_string(p->hint));
		json_object_array_add(arr, o);
	}
	return arr;
}
