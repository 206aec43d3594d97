/* SPDX-License-Identifier: MIT */
/*
 * NUMA pools: the kpart files pool_range, pool_nodes and NAME/memory_range
 * (docs/interfaces.md), and the rule by which the kernel splits a
 * partition's memory over the nodes (kmod/pool.c, kpart_pool_shares), which
 * validation and diff must follow exactly: a plan the kernel would refuse
 * per node has to be an error before anything is written.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The pool's granule: shares are rounded down to it (kmod/pool.c GRANULE). */
#define POOL_GRANULE (2ull << 20)

static void line_err(char *err, size_t errlen, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void line_err(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Split line (modified in place) into at most max blank-separated words. */
static size_t words(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			return n;
		if (n == max)
			return max + 1; /* too many */
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* A whole unsigned number (decimal, or hex with 0x where hex is true). */
static bool number(const char *s, bool hex, uint64_t *v)
{
	char *end;

	if (hex ? (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !isxdigit((unsigned char)s[2]))
		: !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*v = strtoull(s, &end, hex ? 16 : 10);
	return !errno && !*end;
}

static bool node_number(const char *s, int *node)
{
	uint64_t v;

	if (!number(s, false, &v) || v > 65535)
		return false;
	*node = (int)v;
	return true;
}

/*
 * Call fn for each non-blank line of text (a modifiable copy), numbered
 * from 1; stops at the first nonzero return.
 */
static int each_line(const char *text, int (*fn)(char *line, unsigned no, void *arg), void *arg)
{
	char *copy = strdup(text ? text : ""), *line, *next;
	unsigned no = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (line = copy; line && !r; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		no++;
		if (line[strspn(line, " \t\r")])
			r = fn(line, no, arg);
	}
	free(copy);
	return r;
}

/* ----------------------------------------------------------------- ranges */

struct ranges_ctx {
	struct mem_range *v;
	size_t n, cap;
	char *err;
	size_t errlen;
};

static int range_line(char *line, unsigned no, void *arg)
{
	struct ranges_ctx *c = arg;
	char *w[5], *dash;
	size_t n = words(line, w, 4);
	struct mem_range r = {.node = -1};

	if (n > 4 || n == 2) {
		line_err(c->err, c->errlen, no,
			 "expected \"0xSTART-0xEND node N\" with an optional \" low\", got %s",
			 n > 4 ? "more words" : "2 words");
		return -EINVAL;
	}
	dash = strchr(w[0], '-');
	if (dash)
		*dash = '\0';
	if (!dash || !number(w[0], true, &r.start) || !number(dash + 1, true, &r.end)) {
		if (dash)
			*dash = '-';
		line_err(c->err, c->errlen, no, "\"%s\" is not a range 0xSTART-0xEND", w[0]);
		return -EINVAL;
	}
	if (r.end < r.start) {
		line_err(c->err, c->errlen, no, "range 0x%llx-0x%llx ends before it starts",
			 (unsigned long long)r.start, (unsigned long long)r.end);
		return -EINVAL;
	}
	if (n >= 3) {
		if (strcmp(w[1], "node") || !node_number(w[2], &r.node)) {
			line_err(c->err, c->errlen, no,
				 "expected \"node N\" after the range, got \"%s %s\"", w[1], w[2]);
			return -EINVAL;
		}
	}
	if (n == 4) {
		if (strcmp(w[3], "low")) {
			line_err(c->err, c->errlen, no, "unknown word \"%s\" after the node", w[3]);
			return -EINVAL;
		}
		r.low = true;
	}
	{
		struct mem_range *v = kp_reserve(c->v, c->n, &c->cap, sizeof(*v), 4);

		if (!v)
			return -ENOMEM;
		c->v = v;
	}
	c->v[c->n++] = r;
	return 0;
}

int mem_ranges_parse(const char *text, struct mem_range **out, size_t *n, char *err, size_t errlen)
{
	struct ranges_ctx c = {.err = err, .errlen = errlen};
	int r = each_line(text, range_line, &c);

	if (r) {
		free(c.v);
		*out = NULL;
		*n = 0;
		if (r == -ENOMEM && err && errlen)
			snprintf(err, errlen, "out of memory");
		return r;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

char *mem_ranges_format(const struct mem_range *r, size_t n)
{
	char *out = strdup(""), *t;
	size_t i;

	for (i = 0; out && i < n; i++) {
		t = kp_asprintf("%s%s0x%llx-0x%llx", out, i ? "," : "",
				(unsigned long long)r[i].start, (unsigned long long)r[i].end);
		free(out);
		out = t;
	}
	return out;
}

/* ------------------------------------------------------------- pool_nodes */

struct nodes_ctx {
	struct pool_node *v;
	size_t n, cap;
	struct pool_node low;
	bool have_low;
	char *err;
	size_t errlen;
};

static int cmp_node(const void *a, const void *b)
{
	const struct pool_node *x = a, *y = b;

	return (x->node > y->node) - (x->node < y->node);
}

static int node_line(char *line, unsigned no, void *arg)
{
	static const char *const keys[] = {"size", "free", "committed", "largest", "ranges"};
	struct nodes_ctx *c = arg;
	char *w[32];
	size_t n = words(line, w, 31), i, k, first;
	struct pool_node pn = {.node = -1};
	unsigned seen = 0, need;
	bool low;

	if (n > 31) {
		line_err(c->err, c->errlen, no, "too many words");
		return -EINVAL;
	}
	low = !strcmp(w[0], "low");
	if (low) {
		first = 1;
		need = 1u << 0 | 1u << 1 | 1u << 4;
	} else if (!strcmp(w[0], "node") && n >= 2 && node_number(w[1], &pn.node)) {
		first = 2;
		need = 0x1f;
	} else {
		line_err(c->err, c->errlen, no,
			 "expected \"node N size ...\" or \"low size ...\", got \"%s%s%s\"", w[0],
			 n >= 2 ? " " : "", n >= 2 ? w[1] : "");
		return -EINVAL;
	}
	if ((n - first) % 2) {
		line_err(c->err, c->errlen, no, "\"%s\" has no value", w[n - 1]);
		return -EINVAL;
	}
	for (i = first; i < n; i += 2) {
		uint64_t v;

		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (!strcmp(w[i], keys[k]))
				break;
		if (k == ARRAY_SIZE(keys))
			continue; /* a figure of a later module */
		if (!number(w[i + 1], false, &v) || (k == 4 && v > 0xffffffffu)) {
			line_err(c->err, c->errlen, no, "%s \"%s\" is not a number", w[i],
				 w[i + 1]);
			return -EINVAL;
		}
		if (seen & (1u << k)) {
			line_err(c->err, c->errlen, no, "%s appears twice", w[i]);
			return -EINVAL;
		}
		seen |= 1u << k;
		switch (k) {
		case 0:
			pn.size = v;
			break;
		case 1:
			pn.free = v;
			break;
		case 2:
			pn.committed = v;
			break;
		case 3:
			pn.largest = v;
			break;
		default:
			pn.ranges = (unsigned)v;
		}
	}
	if ((seen & need) != need) {
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if ((need & ~seen) & (1u << k))
				break;
		line_err(c->err, c->errlen, no, "no %s", keys[k]);
		return -EINVAL;
	}
	if (pn.free > pn.size) {
		line_err(c->err, c->errlen, no, "free %llu is more than size %llu",
			 (unsigned long long)pn.free, (unsigned long long)pn.size);
		return -EINVAL;
	}
	if (low) {
		if (c->have_low) {
			line_err(c->err, c->errlen, no, "a second low reserve line");
			return -EINVAL;
		}
		c->low = pn;
		c->have_low = true;
		return 0;
	}
	for (i = 0; i < c->n; i++)
		if (c->v[i].node == pn.node) {
			line_err(c->err, c->errlen, no, "node %d appears twice", pn.node);
			return -EINVAL;
		}
	{
		struct pool_node *v = kp_reserve(c->v, c->n, &c->cap, sizeof(*v), 4);

		if (!v)
			return -ENOMEM;
		c->v = v;
	}
	c->v[c->n++] = pn;
	return 0;
}

int pool_nodes_parse(const char *text, struct pool_node **nodes, size_t *n, struct pool_node *low,
		     char *err, size_t errlen)
{
	struct nodes_ctx c = {.err = err, .errlen = errlen};
	int r = each_line(text, node_line, &c);

	memset(low, 0, sizeof(*low));
	low->node = -1;
	*nodes = NULL;
	*n = 0;
	if (r) {
		free(c.v);
		if (r == -ENOMEM && err && errlen)
			snprintf(err, errlen, "out of memory");
		return r;
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), cmp_node);
	*nodes = c.v;
	*n = c.n;
	if (c.have_low)
		*low = c.low;
	return 0;
}

/* ------------------------------------------------------------------ rules */

const struct pool_node *inventory_pool_node(const struct inventory *inv, int node)
{
	size_t lo = 0, hi = inv->npool_nodes;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (inv->pool_nodes[mid].node == node)
			return &inv->pool_nodes[mid];
		if (inv->pool_nodes[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint64_t inventory_pool_for_partitions(const struct inventory *inv)
{
	uint64_t sum = 0;
	size_t i;

	if (!inv->numa_pool)
		return inv->pool_size;
	for (i = 0; i < inv->npool_nodes; i++)
		sum += inv->pool_nodes[i].size;
	return sum;
}

int pool_shares(const struct inventory *inv, const struct cpuset *cpus, int node, uint64_t size,
		uint64_t *share)
{
	size_t n = inv->npool_nodes, i, top = 0;
	uint64_t *w, weight = 0, given = 0;
	int c;

	if (!n)
		return -ENOENT;
	memset(share, 0, n * sizeof(*share));
	if (node >= 0) {
		const struct pool_node *pn = inventory_pool_node(inv, node);

		if (!pn)
			return -ENOENT;
		share[pn - inv->pool_nodes] = size;
		return 0;
	}
	if (!size)
		return 0;
	w = calloc(n, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (c = cpus ? cpuset_next(cpus, 0) : -1; c >= 0; c = cpuset_next(cpus, (unsigned)c + 1)) {
		const struct pool_node *pn;

		if ((unsigned)c >= inv->ncpus || inv->cpu_node[c] < 0)
			continue;
		pn = inventory_pool_node(inv, inv->cpu_node[c]);
		if (pn) {
			w[pn - inv->pool_nodes]++;
			weight++;
		}
	}
	if (!weight) /* no CPU on a pool node: by pool size, in granules */
		for (i = 0; i < n; i++) {
			w[i] = inv->pool_nodes[i].size / POOL_GRANULE;
			weight += w[i];
		}
	for (i = 0; i < n && weight; i++) {
		share[i] = (uint64_t)((unsigned __int128)size * w[i] / weight) / POOL_GRANULE *
			   POOL_GRANULE;
		given += share[i];
		if (w[i] > w[top])
			top = i;
	}
	if (weight)
		share[top] += size - given;
	else
		share[0] = size; /* pools of less than a granule: the kernel has none */
	free(w);
	return 0;
}
