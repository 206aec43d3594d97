/* SPDX-License-Identifier: MIT */
/*
 * Plan parsing. The text is JSON with comments: a small scanner blanks out
 * comments (keeping offsets, so json-c's error offsets still point into the
 * original text) and finds duplicate object keys, which json-c would
 * silently merge; json-c then parses the result in strict mode. The schema
 * rules of schemas/plan.schema.json are checked here, in C, collecting every
 * problem instead of stopping at the first.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "internal.h"

const char *const plan_top_keys[] = {"version", "description", "boot_cpus",
				     "pool",	"partitions",  NULL};
const char *const plan_pool_keys[] = {"size", "description", NULL};
const char *const plan_partition_keys[] = {
    "name",	    "description", "cpus",	   "smt_split", "memory",  "numa_node",
    "kernel",	    "initrd",	   "cmdline",	   "console",	"devices", "autostart",
    "stop_timeout", "on_hang",	   "hang_timeout", NULL};
const char *const plan_cpus_keys[] = {"count", "numa_node", NULL};

/* ---------------------------------------------------------------- scanner */

struct span {
	size_t off, len;
};

/* A key as JSON means it, escapes decoded: "a" and "\u0061" are one key. */
struct dkey {
	char *s;
	size_t len;
};

struct frame {
	bool obj;
	bool expect_key;
	size_t idx;	 /* arrays: element index */
	struct span key; /* objects: the current key */
	struct dkey *keys;
	size_t nkeys, capkeys;
};

static void frame_free(struct frame *f)
{
	size_t k;

	for (k = 0; k < f->nkeys; k++)
		free(f->keys[k].s);
	free(f->keys);
}

static void line_col(const char *text, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int hex4(const char *p, size_t left, unsigned *v)
{
	size_t i;

	*v = 0;
	if (left < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return -1;
		*v = *v * 16 + (unsigned)(isdigit((unsigned char)p[i])
					      ? p[i] - '0'
					      : (tolower((unsigned char)p[i]) - 'a' + 10));
	}
	return 0;
}

/*
 * Check the string whose contents are text[start..end) (between the
 * quotes) for what JSON forbids and json-c lets through, and decode it into
 * *out (malloc'd, UTF-8) when out is not NULL. Returns 0, -ENOMEM, or
 * -EINVAL with a problem added.
 */
static int check_string(const char *text, size_t start, size_t end, struct problems *ps, char **out,
			size_t *outlen)
{
	char *d = out ? malloc(end - start + 1) : NULL;
	size_t i, n = 0;
	const char *why = NULL;
	size_t at = start;

	if (out && !d)
		return -ENOMEM;
	for (i = start; i < end && !why; i++) {
		unsigned char c = (unsigned char)text[i];
		unsigned cp, lo;

		at = i;
		if (c < 0x20) {
			why = "a control character inside a string (write \\n, \\t or \\u00XX)";
			break;
		}
		if (c != '\\') {
			if (d)
				d[n++] = (char)c;
			continue;
		}
		i++; /* the escape; json-c rejects unknown ones */
		if (i >= end || text[i] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *e = i < end ? strchr(from, text[i]) : NULL;

			if (d)
				d[n++] = e && *e ? to[e - from] : text[i < end ? i : end - 1];
			continue;
		}
		if (hex4(text + i + 1, end - i - 1, &cp))
			continue; /* malformed: json-c says so */
		i += 4;
		if (cp == 0) {
			why = "\\u0000: a plan cannot hold NUL characters";
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			why = "a \\u escape of a lone low surrogate (not a character)";
		} else if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 2 >= end || text[i + 1] != '\\' || text[i + 2] != 'u' ||
			    hex4(text + i + 3, end - i - 3, &lo) || lo < 0xdc00 || lo > 0xdfff) {
				why = "a \\u escape of a lone high surrogate (not a character)";
			} else {
				i += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
		}
		if (why || !d)
			continue;
		/* UTF-8, as json-c stores it */
		if (cp < 0x80) {
			d[n++] = (char)cp;
		} else if (cp < 0x800) {
			d[n++] = (char)(0xc0 | (cp >> 6));
			d[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			d[n++] = (char)(0xe0 | (cp >> 12));
			d[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			d[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			d[n++] = (char)(0xf0 | (cp >> 18));
			d[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			d[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			d[n++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	if (why) {
		unsigned line, col;

		line_col(text, at, &line, &col);
		problem_add(ps, PROBLEM_ERROR, "", "malformed JSON at line %u, column %u: %s", line,
			    col, why);
		free(d);
		return -EINVAL;
	}
	if (out) {
		*out = d;
		*outlen = n;
	}
	return 0;
}

static char *frames_path(const char *text, const struct frame *f, size_t depth)
{
	char *path = strdup(""), *n;
	size_t i;

	for (i = 0; path && i < depth; i++) {
		if (f[i].obj) {
			char *k = strndup(text + f[i].key.off, f[i].key.len);

			n = k ? jptr_key(path, k) : NULL;
			free(k);
		} else {
			n = jptr_idx(path, f[i].idx);
		}
		free(path);
		path = n;
	}
	return path;
}

/*
 * Blank comments in buf (a copy of text) and report duplicate keys.
 * Returns -EINVAL after reporting an unterminated comment, -ENOMEM, else 0.
 * Anything else malformed is left for json-c to report.
 */
static int scan(const char *text, char *buf, size_t len, struct problems *ps)
{
	struct frame *st = NULL;
	size_t depth = 0, cap = 0, i = 0, k;
	int ret = 0;

	while (i < len) {
		char c = buf[i];

		if (c == '\'') {
			unsigned line, col;

			line_col(text, i, &line, &col);
			problem_add(ps, PROBLEM_ERROR, "",
				    "malformed JSON at line %u, column %u: a single quote; JSON "
				    "strings and keys take double quotes",
				    line, col);
			ret = -EINVAL;
			goto out;
		} else if (c == '"') {
			size_t start = ++i;
			bool is_key = depth && st[depth - 1].obj && st[depth - 1].expect_key;
			struct dkey dk = {0};

			while (i < len && buf[i] != '"') {
				if (buf[i] == '\\' && i + 1 < len)
					i++;
				i++;
			}
			if (i >= len)
				break; /* unterminated string: json-c says so */
			ret = check_string(text, start, i, ps, is_key ? &dk.s : NULL, &dk.len);
			if (ret)
				goto out;
			if (is_key) {
				struct frame *f = &st[depth - 1];
				struct span key = {start, i - start};

				for (k = 0; k < f->nkeys; k++) {
					if (f->keys[k].len == dk.len &&
					    !memcmp(f->keys[k].s, dk.s, dk.len)) {
						unsigned line, col;
						char *path;
						struct problem *p;

						f->key = key;
						path = frames_path(text, st, depth);
						line_col(text, start - 1, &line, &col);
						p = problem_add(
						    ps, PROBLEM_ERROR, path ? path : "",
						    "duplicate key \"%.*s\" (line %u, column %u)%s",
						    (int)key.len, text + key.off, line, col,
						    dk.len == key.len &&
							    !memcmp(dk.s, text + key.off, key.len)
							? ""
							: ": the same key as an earlier one, "
							  "spelled "
							  "with escapes");
						problem_hint(p,
							     "each key may appear once per object; "
							     "remove one of them");
						free(path);
						break;
					}
				}
				if (f->nkeys == f->capkeys) {
					size_t nc = f->capkeys ? f->capkeys * 2 : 8;
					struct dkey *nk = realloc(f->keys, nc * sizeof(*nk));

					if (!nk) {
						free(dk.s);
						ret = -ENOMEM;
						goto out;
					}
					f->keys = nk;
					f->capkeys = nc;
				}
				f->keys[f->nkeys++] = dk;
				f->key = key;
				f->expect_key = false;
			}
			i++;
		} else if (c == '/' && i + 1 < len && buf[i + 1] == '/') {
			while (i < len && buf[i] != '\n')
				buf[i++] = ' ';
		} else if (c == '/' && i + 1 < len && buf[i + 1] == '*') {
			size_t start = i;

			buf[i++] = ' ';
			buf[i++] = ' ';
			while (i < len && !(buf[i] == '*' && i + 1 < len && buf[i + 1] == '/')) {
				if (buf[i] != '\n')
					buf[i] = ' ';
				i++;
			}
			if (i >= len) {
				unsigned line, col;

				line_col(text, start, &line, &col);
				problem_add(
				    ps, PROBLEM_ERROR, "",
				    "malformed JSON: comment opened at line %u, column %u is "
				    "never closed",
				    line, col);
				ret = -EINVAL;
				goto out;
			}
			buf[i++] = ' ';
			buf[i++] = ' ';
		} else if (c == '{' || c == '[') {
			if (depth == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct frame *ns = realloc(st, nc * sizeof(*ns));

				if (!ns) {
					ret = -ENOMEM;
					goto out;
				}
				st = ns;
				cap = nc;
			}
			memset(&st[depth], 0, sizeof(st[depth]));
			st[depth].obj = c == '{';
			st[depth].expect_key = c == '{';
			depth++;
			i++;
		} else if (c == '}' || c == ']') {
			if (!depth)
				break; /* unbalanced: json-c reports it */
			frame_free(&st[--depth]);
			i++;
		} else if (c == ',') {
			if (depth) {
				if (st[depth - 1].obj)
					st[depth - 1].expect_key = true;
				else
					st[depth - 1].idx++;
			}
			i++;
		} else {
			i++;
		}
	}
out:
	while (depth)
		frame_free(&st[--depth]);
	free(st);
	return ret;
}

/* ------------------------------------------------------------ schema walk */

struct ctx {
	struct problems *ps;
	int oom;
};

static struct problem *err_at(struct ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct problem *err_at(struct ctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	struct problem *p;

	va_start(ap, fmt);
	msg = kp_vasprintf(fmt, ap);
	va_end(ap);
	if (!msg) {
		c->oom = 1;
		return NULL;
	}
	p = problem_add(c->ps, PROBLEM_ERROR, path, "%s", msg);
	free(msg);
	if (!p)
		c->oom = 1;
	return p;
}

static const char *type_name(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a fractional number";
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "something else";
}

static void check_keys(struct ctx *c, struct json_object *obj, const char *path,
		       const char *const *known, const char *what)
{
	json_object_object_foreach(obj, key, val)
	{
		size_t i;
		bool ok = false;

		(void)val;
		for (i = 0; known[i]; i++)
			if (!strcmp(key, known[i]))
				ok = true;
		if (!ok) {
			char *kp = jptr_key(path, key);
			const char *near = kp_nearest(key, known);
			struct problem *p =
			    err_at(c, kp ? kp : path, "unknown key \"%s\" in %s", key, what);

			if (near)
				problem_hint(p, "did you mean \"%s\"?", near);
			else
				problem_hint(p, "docs/plans.md lists the keys of %s", what);
			free(kp);
		}
	}
}

static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, key, &v);
	return v;
}

static char *path_of(struct ctx *c, const char *base, const char *key)
{
	char *p = jptr_key(base, key);

	if (!p)
		c->oom = 1;
	return p;
}

/* A string member; returns 1 when present and a string, 0 when absent, -1 when bad. */
static int get_string(struct ctx *c, struct json_object *obj, const char *base, const char *key,
		      bool required, const char **out)
{
	struct json_object *v = member(obj, key);
	char *path;

	*out = NULL;
	if (!v && !json_object_object_get_ex(obj, key, NULL)) {
		if (required) {
			struct problem *p = err_at(c, base, "missing required key \"%s\"", key);

			problem_hint(p, "add \"%s\"", key);
			return -1;
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		path = path_of(c, base, key);
		err_at(c, path ? path : base, "must be a string, not %s", type_name(v));
		free(path);
		return -1;
	}
	*out = json_object_get_string(v);
	return 1;
}

static int parse_size_value(struct ctx *c, struct json_object *v, const char *path, uint64_t *out)
{
	struct problem *p;

	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);

		if (n < 0) {
			err_at(c, path, "must not be negative");
			return -1;
		}
		*out = (uint64_t)n;
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		int r = plan_parse_size(s, out);

		if (r == -ERANGE) {
			err_at(c, path, "size \"%s\" is too large", s);
			return -1;
		}
		if (r) {
			p = err_at(c, path, "\"%s\" is not a size", s);
			problem_hint(p, "write bytes as a number, or a string like \"512M\" or "
					"\"2G\" (suffixes K, M, G, T are powers of 1024)");
			return -1;
		}
		return 0;
	}
	p = err_at(c, path, "must be a size (a number of bytes or a string like \"1G\"), not %s",
		   type_name(v));
	return -1;
}

/* A size string without a unit ("4096") */
static bool digits_only(struct json_object *v)
{
	const char *s = json_object_get_string(v);

	return json_object_is_type(v, json_type_string) && *s &&
	       isdigit((unsigned char)s[strlen(s) - 1]);
}

/*
 * "none", ttyS0-ttyS3 (the legacy ports the module knows) or io:0xN with
 * 1-4 hex digits, not 0 (an I/O port 1-0xffff): the schema's pattern.
 */
static bool console_ok(const char *s)
{
	const char *p;
	bool nonzero = false;

	if (!strcmp(s, "none"))
		return true;
	if (!strncmp(s, "ttyS", 4))
		return s[4] >= '0' && s[4] <= '3' && !s[5];
	if (!strncmp(s, "io:0x", 5)) {
		for (p = s + 5; *p; p++) {
			if (!isxdigit((unsigned char)*p))
				return false;
			nonzero |= *p != '0';
		}
		return p > s + 5 && p - s <= 9 && nonzero;
	}
	return false;
}

static bool path_ok(struct ctx *c, const char *path, const char *what, const char *s)
{
	struct problem *p;

	if (s[0] != '/') {
		p = err_at(c, path, "%s path \"%s\" is not absolute", what, s);
		problem_hint(p, "the kernel opens the file itself; give the full path, starting "
				"with '/'");
		return false;
	}
	if (strlen(s) >= 4096) {
		err_at(c, path, "%s path is longer than 4095 bytes", what);
		return false;
	}
	return true;
}

static void parse_cpus(struct ctx *c, struct plan_partition *pp, struct json_object *v,
		       const char *path)
{
	struct problem *p;
	char err[160];

	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		int r = cpuset_parse(&pp->cpus, s, err, sizeof(err));

		if (r) {
			p = err_at(c, path, "\"%s\" is not a cpulist: %s", s, err);
			problem_hint(p, "write CPUs like \"2-3,6\"");
			pp->invalid |= PLAN_F_CPUS;
			return;
		}
		if (cpuset_empty(&pp->cpus)) {
			p = err_at(c, path, "the cpulist is empty");
			problem_hint(p, "a partition needs at least one CPU");
			pp->invalid |= PLAN_F_CPUS;
			return;
		}
		pp->cpus_mode = PLAN_CPUS_LIST;
		return;
	}
	if (json_object_is_type(v, json_type_object)) {
		struct json_object *cnt = member(v, "count"), *node = member(v, "numa_node");
		char *sub;
		bool bad = false;

		check_keys(c, v, path, plan_cpus_keys, "cpus");
		if (!cnt) {
			p = err_at(c, path, "missing required key \"count\"");
			problem_hint(p, "write {\"count\": 4, \"numa_node\": 0} or a cpulist");
			bad = true;
		} else if (!json_object_is_type(cnt, json_type_int) ||
			   json_object_get_int64(cnt) < 1 ||
			   json_object_get_int64(cnt) >= CPUSET_MAX_CPUS) {
			sub = path_of(c, path, "count");
			err_at(c, sub ? sub : path, "must be a whole number of CPUs, at least 1");
			free(sub);
			bad = true;
		} else {
			pp->cpu_count = (unsigned)json_object_get_int64(cnt);
		}
		pp->numa_node = -1;
		if (node) {
			if (!json_object_is_type(node, json_type_int) ||
			    json_object_get_int64(node) < 0 ||
			    json_object_get_int64(node) > 65535) {
				sub = path_of(c, path, "numa_node");
				err_at(c, sub ? sub : path,
				       "must be a NUMA node number (0, 1, ...)");
				free(sub);
				bad = true;
			} else {
				pp->numa_node = (int)json_object_get_int64(node);
			}
		}
		if (bad) {
			pp->invalid |= PLAN_F_CPUS;
			return;
		}
		pp->cpus_mode = PLAN_CPUS_COUNT;
		return;
	}
	p = err_at(c, path, "must be a cpulist string or an object, not %s", type_name(v));
	problem_hint(p, "write \"2-3\" or {\"count\": 2, \"numa_node\": 0}");
	pp->invalid |= PLAN_F_CPUS;
}

/* An integer number of seconds in [min, max] at key, or a problem (-1) */
static int get_seconds(struct ctx *c, struct json_object *o, const char *path, const char *key,
		       int min, int max, int *out, const char *hint)
{
	struct json_object *v = member(o, key);
	char *sub;

	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= min &&
	    json_object_get_int64(v) <= max) {
		*out = (int)json_object_get_int64(v);
		return 1;
	}
	sub = path_of(c, path, key);
	if (json_object_is_type(v, json_type_int))
		problem_hint(err_at(c, sub ? sub : path, "%s %lld is out of range (%d-%d seconds)",
				    key, (long long)json_object_get_int64(v), min, max),
			     "%s", hint);
	else
		problem_hint(err_at(c, sub ? sub : path, "must be a number of seconds, not %s",
				    type_name(v)),
			     "%s", hint);
	free(sub);
	return -1;
}

/* What partd does about stops that take too long and kernels that hang */
static void parse_policy(struct ctx *c, struct plan_partition *pp, struct json_object *o,
			 const char *path)
{
	const char *s;
	char *sub;
	int r;

	get_seconds(c, o, path, "stop_timeout", 1, PLAN_STOP_TIMEOUT_MAX, &pp->stop_timeout,
		    "seconds partd waits for the partition to power off before killing it "
		    "(leave it out for 60)");
	get_seconds(c, o, path, "hang_timeout", 0, PLAN_HANG_TIMEOUT_MAX, &pp->hang_timeout,
		    "seconds the partition may stay hung before partd acts (leave it out for 30)");
	r = get_string(c, o, path, "on_hang", false, &s);
	if (r != 1)
		return;
	if (!strcmp(s, "none")) {
		pp->on_hang = PLAN_HANG_NONE;
	} else if (!strcmp(s, "kill")) {
		pp->on_hang = PLAN_HANG_KILL;
	} else if (!strcmp(s, "restart")) {
		pp->on_hang = PLAN_HANG_RESTART;
	} else {
		sub = path_of(c, path, "on_hang");
		problem_hint(err_at(c, sub ? sub : path, "on_hang \"%s\" is not an action", s),
			     "write \"none\", \"kill\" or \"restart\"");
		free(sub);
	}
}

const char *plan_on_hang_name(enum plan_on_hang a)
{
	return a == PLAN_HANG_KILL ? "kill" : a == PLAN_HANG_RESTART ? "restart" : "none";
}

static void parse_partition(struct ctx *c, struct plan_partition *pp, struct json_object *o,
			    const char *path)
{
	struct json_object *v;
	const char *s;
	char *sub;
	int r;

	pp->autostart = true;
	pp->hang_timeout = PLAN_HANG_TIMEOUT_DEFAULT;
	pp->numa_node = -1;
	pp->mem_node = -1;
	if (!json_object_is_type(o, json_type_object)) {
		err_at(c, path, "a partition must be an object, not %s", type_name(o));
		pp->invalid = ~0u;
		return;
	}
	check_keys(c, o, path, plan_partition_keys, "a partition");

	r = get_string(c, o, path, "name", true, &s);
	if (r == 1) {
		const char *why = plan_name_problem(s);

		if (why) {
			struct problem *p;

			sub = path_of(c, path, "name");
			p = err_at(c, sub ? sub : path, "name \"%s\" %s", s, why);
			problem_hint(p, "names become directories under /sys/fs/kpart: use 1-31 "
					"characters from A-Z a-z 0-9 _ . -, not starting with '.'");
			free(sub);
			pp->invalid |= PLAN_F_NAME;
		} else {
			strcpy(pp->name, s);
		}
	} else {
		pp->invalid |= PLAN_F_NAME;
	}

	if (get_string(c, o, path, "description", false, &s) == 1)
		pp->description = kp_strdup(s);

	v = member(o, "cpus");
	if (!v) {
		struct problem *p = err_at(c, path, "missing required key \"cpus\"");

		problem_hint(p,
			     "add \"cpus\": \"2-3\" or \"cpus\": {\"count\": 2, \"numa_node\": 0}");
		pp->invalid |= PLAN_F_CPUS;
	} else {
		sub = path_of(c, path, "cpus");
		parse_cpus(c, pp, v, sub ? sub : path);
		free(sub);
	}

	v = member(o, "memory");
	if (!v) {
		struct problem *p = err_at(c, path, "missing required key \"memory\"");

		problem_hint(p, "add \"memory\": \"1G\"");
		pp->invalid |= PLAN_F_MEMORY;
	} else {
		sub = path_of(c, path, "memory");
		if (parse_size_value(c, v, sub ? sub : path, &pp->memory)) {
			pp->invalid |= PLAN_F_MEMORY;
		} else if (digits_only(v)) {
			/* the schema could not check "4097" for 4K: bytes are a number */
			problem_hint(err_at(c, sub ? sub : path,
					    "memory \"%s\" has no unit (K, M, G or T)",
					    json_object_get_string(v)),
				     "write bytes as a number (%s), or a size like \"512M\"",
				     json_object_get_string(v));
			pp->invalid |= PLAN_F_MEMORY;
		} else if (pp->memory == 0) {
			err_at(c, sub ? sub : path, "memory must not be 0");
			pp->invalid |= PLAN_F_MEMORY;
		} else if (pp->memory % 4096) {
			struct problem *p = err_at(c, sub ? sub : path,
						   "memory (%llu bytes) is not a multiple of 4K",
						   (unsigned long long)pp->memory);
			char b[32];

			problem_hint(p, "use %s",
				     plan_format_size((pp->memory + 4095) & ~4095ull, b));
			pp->invalid |= PLAN_F_MEMORY;
		}
		free(sub);
	}

	if (json_object_object_get_ex(o, "numa_node", &v)) { /* null too: not a node */
		sub = path_of(c, path, "numa_node");
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > PLAN_NODE_MAX) {
			struct problem *p =
			    json_object_is_type(v, json_type_int)
				? err_at(c, sub ? sub : path,
					 "numa_node %lld is not a NUMA node number (0-%d)",
					 (long long)json_object_get_int64(v), PLAN_NODE_MAX)
				: err_at(c, sub ? sub : path,
					 "must be a NUMA node number (0-%d), not %s", PLAN_NODE_MAX,
					 type_name(v));

			problem_hint(p, "leave \"numa_node\" out to take the memory from the nodes "
					"of the partition's CPUs");
			pp->invalid |= PLAN_F_NODE;
		} else {
			pp->mem_node = (int)json_object_get_int64(v);
		}
		free(sub);
	}

	r = get_string(c, o, path, "kernel", true, &s);
	sub = path_of(c, path, "kernel");
	if (r == 1 && path_ok(c, sub ? sub : path, "kernel", s))
		pp->kernel = kp_strdup(s);
	else
		pp->invalid |= PLAN_F_KERNEL;
	free(sub);

	r = get_string(c, o, path, "initrd", false, &s);
	sub = path_of(c, path, "initrd");
	if (r == 1 && s[0] && path_ok(c, sub ? sub : path, "initrd", s))
		pp->initrd = kp_strdup(s);
	else if (r == 1 && s[0])
		pp->invalid |= PLAN_F_INITRD;
	else if (r < 0)
		pp->invalid |= PLAN_F_INITRD;
	free(sub);

	r = get_string(c, o, path, "cmdline", false, &s);
	if (r == 1 && strlen(s) > PLAN_CMDLINE_MAX) {
		sub = path_of(c, path, "cmdline");
		err_at(c, sub ? sub : path, "cmdline is %zu bytes, the limit is %d", strlen(s),
		       PLAN_CMDLINE_MAX);
		free(sub);
		pp->invalid |= PLAN_F_CMDLINE;
	} else if (r == 1 && strchr(s, '\n')) {
		sub = path_of(c, path, "cmdline");
		err_at(c, sub ? sub : path, "cmdline must be one line");
		free(sub);
		pp->invalid |= PLAN_F_CMDLINE;
	} else if (r == 1 && s[0]) {
		pp->cmdline = kp_strdup(s);
	} else if (r < 0) {
		pp->invalid |= PLAN_F_CMDLINE;
	}

	r = get_string(c, o, path, "console", false, &s);
	if (r == 1 && !console_ok(s)) {
		struct problem *p;

		sub = path_of(c, path, "console");
		if (!strncmp(s, "ttyS", 4) && s[4] && strspn(s + 4, "0123456789") == strlen(s + 4))
			p = err_at(c, sub ? sub : path,
				   "console %s has no legacy I/O port the kernel knows", s);
		else if (!strncmp(s, "io:0x", 5) && s[5] && strspn(s + 5, "0") == strlen(s + 5))
			p = err_at(c, sub ? sub : path, "console %s is not an I/O port (1-0xffff)",
				   s);
		else
			p = err_at(c, sub ? sub : path, "console \"%s\" is not a UART", s);
		problem_hint(p, "write ttyS0-ttyS3 (the legacy ports), an I/O port like "
				"\"io:0x2f8\", or \"none\"");
		free(sub);
		pp->invalid |= PLAN_F_CONSOLE;
	} else if (r == 1) {
		pp->console = kp_strdup(s);
	} else if (r < 0) {
		pp->invalid |= PLAN_F_CONSOLE;
	}

	v = member(o, "devices");
	if (v) {
		sub = path_of(c, path, "devices");
		if (!json_object_is_type(v, json_type_array)) {
			err_at(c, sub ? sub : path, "must be an array of PCI addresses, not %s",
			       type_name(v));
			pp->invalid |= PLAN_F_DEVICES;
		} else {
			size_t n = json_object_array_length(v), i;

			pp->devices = calloc(n + 1, sizeof(char *));
			if (!pp->devices)
				c->oom = 1;
			pp->device_index = calloc(n + 1, sizeof(size_t));
			if (!pp->device_index)
				c->oom = 1;
			for (i = 0; pp->devices && pp->device_index && i < n; i++) {
				struct json_object *d = json_object_array_get_idx(v, i);
				char *dp = jptr_idx(sub ? sub : path, i), addr[PCI_ADDR_LEN];
				size_t k;

				if (!json_object_is_type(d, json_type_string) ||
				    pci_addr_normalize(json_object_get_string(d), addr)) {
					struct problem *p =
					    json_object_is_type(d, json_type_string)
						? err_at(c, dp ? dp : path,
							 "\"%s\" is not a PCI address",
							 json_object_get_string(d))
						: err_at(c, dp ? dp : path,
							 "must be a PCI address string, not %s",
							 type_name(d));

					problem_hint(p, "write DOMAIN:BUS:DEVICE.FUNCTION in hex, "
							"like \"0000:03:00.0\" (or \"03:00.0\" in "
							"domain 0000); device 00-1f, function 0-7");
					pp->invalid |= PLAN_F_DEVICES;
					free(dp);
					continue;
				}
				for (k = 0; k < pp->ndevices; k++)
					if (!strcmp(pp->devices[k], addr))
						break;
				if (k == pp->ndevices && k == PLAN_DEVICES_MAX) {
					struct problem *p =
					    err_at(c, dp ? dp : path,
						   "more than %d devices: the kpart module gives a "
						   "partition "
						   "at most %d PCI functions",
						   PLAN_DEVICES_MAX, PLAN_DEVICES_MAX);

					problem_hint(p, "split them between partitions");
					pp->invalid |= PLAN_F_DEVICES;
					free(dp);
					break;
				}
				if (k < pp->ndevices) {
					struct problem *p = err_at(
					    c, dp ? dp : path, "device %s is listed twice", addr);

					problem_holder(p, "%s/%zu in this partition",
						       sub ? sub : path, pp->device_index[k]);
					problem_hint(p, "remove one of them");
					pp->invalid |= PLAN_F_DEVICES;
				} else {
					pp->device_index[pp->ndevices] = i;
					pp->devices[pp->ndevices++] = kp_strdup(addr);
				}
				free(dp);
			}
		}
		free(sub);
	}

	v = member(o, "autostart");
	if (v) {
		if (!json_object_is_type(v, json_type_boolean)) {
			sub = path_of(c, path, "autostart");
			err_at(c, sub ? sub : path, "must be true or false, not %s", type_name(v));
			free(sub);
		} else {
			pp->autostart = json_object_get_boolean(v);
		}
	}

	v = member(o, "smt_split");
	if (v) {
		if (!json_object_is_type(v, json_type_boolean)) {
			struct problem *p;

			sub = path_of(c, path, "smt_split");
			p = err_at(c, sub ? sub : path, "must be true or false, not %s",
				   type_name(v));
			problem_hint(p,
				     "leave it out (false) unless the partition must share cores "
				     "with another kernel");
			free(sub);
			pp->invalid |= PLAN_F_CPUS;
		} else {
			pp->smt_split = json_object_get_boolean(v);
		}
	}
	parse_policy(c, pp, o, path);
}

/* A device may go to one partition only: the later ones get the error. */
static void devices_once(struct ctx *c, struct plan *plan)
{
	struct strmap seen = {0};
	size_t total = 0, i, j, *who;

	for (i = 0; i < plan->nparts; i++)
		total += plan->parts[i].ndevices;
	who = calloc(total + 1, sizeof(*who));
	if (!who || strmap_init(&seen, total)) {
		free(who);
		c->oom = 1;
		return;
	}
	total = 0;
	for (i = 0; i < plan->nparts; i++) {
		struct plan_partition *pp = &plan->parts[i];

		for (j = 0; j < pp->ndevices; j++) {
			size_t first;
			int r = strmap_insert(&seen, pp->devices[j], total, &first);

			if (r < 0) {
				c->oom = 1;
				break;
			}
			who[total++] = i;
			if (r == 0) {
				const struct plan_partition *o = &plan->parts[who[first]];
				char *dp = kp_asprintf("/partitions/%zu/devices/%zu", i,
						       pp->device_index[j]);
				char *lbl =
				    o->invalid & PLAN_F_NAME
					? kp_asprintf("/partitions/%zu", o->index)
					: kp_asprintf("/partitions/%zu (%s)", o->index, o->name);
				struct problem *p = err_at(c, dp ? dp : "/partitions",
							   "device %s is also requested by %s",
							   pp->devices[j], lbl ? lbl : "?");

				problem_holder(p, "%s in this plan", lbl ? lbl : "?");
				problem_hint(p, "a device goes to one partition only");
				pp->invalid |= PLAN_F_DEVICES;
				free(dp);
				free(lbl);
			}
		}
	}
	strmap_free(&seen);
	free(who);
}

/*
 * The rules that need the whole plan but not the machine, so that
 * validate --offline finds them too: unique names, no CPU 0 in a cpulist,
 * the partitions' memory within the plan's pool.
 */
static void check_plan_alone(struct ctx *c, struct plan *plan)
{
	struct strmap names = {0};
	size_t i, first;

	if (strmap_init(&names, plan->nparts)) {
		c->oom = 1;
		return;
	}
	for (i = 0; i < plan->nparts; i++) {
		struct plan_partition *pp = &plan->parts[i];
		char *path;

		if (!(pp->invalid & PLAN_F_NAME) &&
		    strmap_insert(&names, pp->name, i, &first) == 0) {
			struct problem *p;

			path = kp_asprintf("/partitions/%zu/name", i);
			p = err_at(c, path ? path : "", "duplicate name \"%s\"", pp->name);
			problem_holder(p, "/partitions/%zu", first);
			problem_hint(p, "every partition needs its own name");
			free(path);
			pp->invalid |= PLAN_F_NAME;
		}
		if (pp->cpus_mode == PLAN_CPUS_LIST && !(pp->invalid & PLAN_F_CPUS) &&
		    cpuset_test(&pp->cpus, 0)) {
			struct problem *p;

			path = kp_asprintf("/partitions/%zu/cpus", i);
			p = err_at(c, path ? path : "", PLAN_CPU0_MESSAGE);
			problem_holder(p, "the boot kernel");
			problem_hint(p, "remove CPU 0 from the list");
			free(path);
		}
	}
	strmap_free(&names);
	if (plan->pool_size)
		plan_check_memory(plan, plan->pool_size, c->ps);
}

static void parse_top(struct ctx *c, struct plan *plan, struct json_object *root)
{
	struct json_object *v;
	const char *s;
	struct problem *p;

	if (!json_object_is_type(root, json_type_object)) {
		p = err_at(c, "", "a plan must be a JSON object, not %s", type_name(root));
		problem_hint(p, "start with {\"version\": 1, ...}; see docs/plans.md");
		return;
	}

	v = member(root, "version");
	if (!v) {
		p = err_at(c, "", "missing required key \"version\"");
		problem_hint(p, "add \"version\": %d", PLAN_VERSION);
	} else if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1) {
		err_at(c, "/version", "must be a positive whole number, not %s",
		       json_object_to_json_string(v));
	} else if (json_object_get_int64(v) > PLAN_VERSION) {
		p = err_at(c, "/version", "plan version %lld is newer than this software (%d)",
			   (long long)json_object_get_int64(v), PLAN_VERSION);
		problem_hint(p, "upgrade kpart, or write the plan for version %d", PLAN_VERSION);
		return; /* later versions may have keys we do not know: spare the noise */
	} else {
		plan->version = (int)json_object_get_int64(v);
	}

	check_keys(c, root, "", plan_top_keys, "the plan");

	if (get_string(c, root, "", "description", false, &s) == 1)
		plan->description = kp_strdup(s);

	if (cpuset_set(&plan->boot_cpus, 0))
		c->oom = 1;
	if (get_string(c, root, "", "boot_cpus", false, &s) == 1) {
		char err[160];

		if (cpuset_parse(&plan->boot_cpus, s, err, sizeof(err))) {
			p = err_at(c, "/boot_cpus", "\"%s\" is not a cpulist: %s", s, err);
			problem_hint(p, "write CPUs like \"0-1\"");
		}
		cpuset_set(&plan->boot_cpus, 0); /* CPU 0 always stays */
	}

	v = member(root, "pool");
	if (!v) {
		p = err_at(c, "", "missing required key \"pool\"");
		problem_hint(p, "add \"pool\": {\"size\": \"4G\"} with the size of the memory pool "
				"reserved at boot (kpart_pool=)");
	} else if (!json_object_is_type(v, json_type_object)) {
		err_at(c, "/pool", "must be an object like {\"size\": \"4G\"}, not %s",
		       type_name(v));
	} else {
		struct json_object *sz = member(v, "size");

		check_keys(c, v, "/pool", plan_pool_keys, "pool");
		if (!sz) {
			p = err_at(c, "/pool", "missing required key \"size\"");
			problem_hint(p, "add \"size\": \"4G\", the pool reserved with kpart_pool=");
		} else if (!parse_size_value(c, sz, "/pool/size", &plan->pool_size) &&
			   !plan->pool_size) {
			err_at(c, "/pool/size", "the pool size must not be 0");
		}
	}

	v = member(root, "partitions");
	if (!v) {
		p = err_at(c, "", "missing required key \"partitions\"");
		problem_hint(p, "add \"partitions\": [] (an empty list removes every partition)");
	} else if (!json_object_is_type(v, json_type_array)) {
		err_at(c, "/partitions", "must be an array of partitions, not %s", type_name(v));
	} else {
		size_t n = json_object_array_length(v), i;

		plan->parts = calloc(n ? n : 1, sizeof(*plan->parts));
		if (!plan->parts) {
			c->oom = 1;
			return;
		}
		plan->nparts = n;
		for (i = 0; i < n; i++) {
			char *path = jptr_idx("/partitions", i);

			plan->parts[i].index = i;
			cpuset_init(&plan->parts[i].cpus);
			parse_partition(c, &plan->parts[i], json_object_array_get_idx(v, i),
					path ? path : "/partitions");
			free(path);
		}
		devices_once(c, plan);
		check_plan_alone(c, plan);
	}
}

struct plan *plan_parse(const char *text, size_t len, struct problems *ps)
{
	struct json_tokener *tok;
	struct json_object *root;
	struct ctx c = {ps, 0};
	struct plan *plan;
	char *buf, err[160];
	size_t i;

	if (plan_check_text(text, len, err, sizeof(err))) {
		problem_add(ps, PROBLEM_ERROR, "", "%s", err);
		return NULL;
	}
	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (scan(text, buf, len, ps)) {
		free(buf);
		return NULL;
	}
	for (i = 0; i < len && isspace((unsigned char)buf[i]); i++)
		;
	if (i == len) {
		struct problem *p = problem_add(ps, PROBLEM_ERROR, "", "the plan is empty");

		problem_hint(p, "a plan is a JSON object; see schemas/examples/");
		free(buf);
		return NULL;
	}

	tok = json_tokener_new();
	if (!tok) {
		free(buf);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		size_t off = json_tokener_get_parse_end(tok);
		unsigned line, col;

		if (e == json_tokener_continue)
			e = json_tokener_error_parse_eof;
		line_col(text, off, &line, &col);
		problem_add(ps, PROBLEM_ERROR, "", "malformed JSON at line %u, column %u: %s", line,
			    col, json_tokener_error_desc(e));
		json_object_put(root);
		json_tokener_free(tok);
		free(buf);
		return NULL;
	}
	json_tokener_free(tok);
	free(buf);

	plan = calloc(1, sizeof(*plan));
	if (!plan) {
		json_object_put(root);
		return NULL;
	}
	cpuset_init(&plan->boot_cpus);
	parse_top(&c, plan, root);
	json_object_put(root);
	if (c.oom) {
		plan_free(plan);
		return NULL;
	}
	return plan;
}

int plan_check_text(const char *text, size_t len, char *err, size_t errlen)
{
	const char *nul;

	if (len > PLAN_TEXT_MAX) {
		snprintf(err, errlen, "plan too large (%zu bytes, limit %u)", len,
			 (unsigned)PLAN_TEXT_MAX);
		return -EFBIG;
	}
	nul = memchr(text, '\0', len);
	if (nul) {
		unsigned line, col;

		line_col(text, (size_t)(nul - text), &line, &col);
		snprintf(err, errlen,
			 "malformed JSON: the text contains a NUL byte (line %u, column %u)", line,
			 col);
		return -EINVAL;
	}
	return 0;
}

char *plan_read_text(const char *path, size_t *lenp, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "re");
	size_t len = 0, cap = 0, total = 0;
	const char *name = is_stdin ? "standard input" : path;
	char *buf = NULL, skip[65536];
	struct stat st;
	int e = 0;

	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is a directory, not a plan", name);
		goto fail;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > PLAN_TEXT_MAX) {
		snprintf(err, errlen, "plan too large (%lld bytes, limit %u)",
			 (long long)st.st_size, (unsigned)PLAN_TEXT_MAX);
		goto fail;
	}
	for (;;) {
		size_t r;

		if (total > PLAN_TEXT_MAX) {
			/* count the rest (a pipe has no size) for the message */
			r = fread(skip, 1, sizeof(skip), f);
			total += r;
			if (r == 0)
				break;
			continue;
		}
		if (len + 1 >= cap) {
			char *nb;

			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "out of memory reading %s", name);
				goto fail;
			}
			buf = nb;
		}
		r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		total += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		e = errno;
		snprintf(err, errlen, "cannot read %s: %s", name, strerror(e ? e : EIO));
		goto fail;
	}
	if (!is_stdin)
		fclose(f);
	f = NULL;
	if (!buf)
		buf = calloc(1, 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory reading %s", name);
		return NULL;
	}
	buf[len] = '\0';
	if (plan_check_text(buf, total, err, errlen)) {
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
fail:
	free(buf);
	if (f && !is_stdin)
		fclose(f);
	return NULL;
}

struct plan *plan_load_file(const char *path, struct problems *ps)
{
	char err[512], *text;
	struct plan *plan;
	size_t len;

	text = plan_read_text(path, &len, err, sizeof(err));
	if (!text) {
		struct problem *p = problem_add(ps, PROBLEM_ERROR, "", "%s", err);

		if (errno == ENOENT && !strcmp(path, PLAN_DEFAULT_PATH))
			problem_hint(p, "write a plan there; see schemas/examples/");
		return NULL;
	}
	plan = plan_parse(text, len, ps);
	free(text);
	return plan;
}

void plan_free(struct plan *plan)
{
	size_t i, j;

	if (!plan)
		return;
	for (i = 0; i < plan->nparts; i++) {
		struct plan_partition *pp = &plan->parts[i];

		cpuset_free(&pp->cpus);
		free(pp->kernel);
		free(pp->initrd);
		free(pp->cmdline);
		free(pp->console);
		free(pp->description);
		for (j = 0; j < pp->ndevices; j++)
			free(pp->devices[j]);
		free(pp->devices);
		free(pp->device_index);
	}
	free(plan->parts);
	free(plan->description);
	cpuset_free(&plan->boot_cpus);
	free(plan);
}

const struct plan_partition *plan_find(const struct plan *plan, const char *name)
{
	size_t i;

	for (i = 0; plan && i < plan->nparts; i++)
		if (!(plan->parts[i].invalid & PLAN_F_NAME) && !strcmp(plan->parts[i].name, name))
			return &plan->parts[i];
	return NULL;
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

struct json_object *plan_to_json(const struct plan *plan)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char *s;
	size_t i, j;

	json_object_object_add(o, "version", json_object_new_int(plan->version));
	if (plan->description)
		add_str(o, "description", plan->description);
	s = cpuset_format(&plan->boot_cpus);
	add_str(o, "boot_cpus", s);
	free(s);
	struct json_object *pool = json_object_new_object();
	json_object_object_add(pool, "size", json_object_new_int64((int64_t)plan->pool_size));
	json_object_object_add(o, "pool", pool);
	for (i = 0; i < plan->nparts; i++) {
		const struct plan_partition *pp = &plan->parts[i];
		struct json_object *p = json_object_new_object(), *d = json_object_new_array();

		add_str(p, "name", pp->name);
		if (pp->description)
			add_str(p, "description", pp->description);
		s = cpuset_format(&pp->cpus);
		add_str(p, "cpus", s);
		free(s);
		if (pp->cpus_mode == PLAN_CPUS_COUNT) {
			json_object_object_add(p, "cpu_count",
					       json_object_new_int((int)pp->cpu_count));
			if (pp->numa_node >= 0)
				json_object_object_add(p, "numa_node",
						       json_object_new_int(pp->numa_node));
		}
		json_object_object_add(p, "memory", json_object_new_int64((int64_t)pp->memory));
		if (pp->mem_node >= 0)
			json_object_object_add(p, "memory_node", json_object_new_int(pp->mem_node));
		add_str(p, "kernel", pp->kernel);
		add_str(p, "initrd", pp->initrd);
		add_str(p, "cmdline", pp->cmdline);
		if (pp->console)
			add_str(p, "console", pp->console);
		for (j = 0; j < pp->ndevices; j++)
			json_object_array_add(d, json_object_new_string(pp->devices[j]));
		json_object_object_add(p, "devices", d);
		json_object_object_add(p, "autostart", json_object_new_boolean(pp->autostart));
		json_object_object_add(p, "smt_split", json_object_new_boolean(pp->smt_split));
		if (pp->stop_timeout)
			json_object_object_add(p, "stop_timeout",
					       json_object_new_int(pp->stop_timeout));
		add_str(p, "on_hang", plan_on_hang_name(pp->on_hang));
		json_object_object_add(p, "hang_timeout", json_object_new_int(pp->hang_timeout));
		json_object_array_add(arr, p);
	}
	json_object_object_add(o, "partitions", arr);
	return o;
}
