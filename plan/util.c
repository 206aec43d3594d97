/* SPDX-License-Identifier: MIT */
/* Small helpers: strings, sizes, names, a string map, files. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

char *kp_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *kp_vasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

void *kp_reserve(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t want;

	if (n < *cap)
		return v;
	want = *cap ? *cap * 2 : first;
	if (want < *cap || want > SIZE_MAX / size)
		return NULL;
	v = realloc(v, want * size);
	if (v)
		*cap = want;
	return v;
}

char *kp_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = kp_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

int plan_parse_size(const char *text, uint64_t *bytes)
{
	const char *p = text;
	uint64_t v = 0;
	unsigned shift = 0;

	if (!text || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		p++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		p++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		p++;
		break;
	case 't':
	case 'T':
		shift = 40;
		p++;
		break;
	default:
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = v << shift;
	return 0;
}

const char *plan_format_size(uint64_t bytes, char buf[32])
{
	static const char sfx[] = "KMGT";
	int i;

	for (i = 3; i >= 0; i--) {
		unsigned shift = 10u * (unsigned)(i + 1);
		uint64_t unit = (uint64_t)1 << shift;

		if (bytes && bytes % unit == 0) {
			snprintf(buf, 32, "%" PRIu64 "%c", bytes >> shift, sfx[i]);
			return buf;
		}
	}
	snprintf(buf, 32, "%" PRIu64, bytes);
	return buf;
}

/* Top-level kernfs files: a partition of the same name could not be created. */
static const char *const kernfs_top_files[] = {
    "version",	  "pool_size",	   "pool_free", "pool_available",   "pool_range",
    "pool_nodes", "cpus_assigned", "cpu_cores", "pool_quarantined", NULL};

const char *plan_name_problem(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0)
		return "is empty";
	if (n >= KPART_NAME_MAX)
		return "is longer than 31 characters";
	if (name[0] == '.')
		return "starts with '.'";
	/* The module's rule: an option to partctl, or a directory under /dev */
	if (name[0] == '-')
		return "starts with '-'";
	if (!strcmp(name, "console") || !strcmp(name, "echo") || !strcmp(name, "control"))
		return "is reserved (console, echo, control)";
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!(isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-'))
			return "has a character outside [A-Za-z0-9_.-]";
	}
	for (i = 0; kernfs_top_files[i]; i++)
		if (!strcmp(name, kernfs_top_files[i]))
			return "is the name of a top-level kpart file";
	return NULL;
}

/* ---------------------------------------------------------------- strmap */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int strmap_init(struct strmap *m, size_t expected)
{
	size_t cap = 16;

	while (cap < expected * 2 + 1)
		cap <<= 1;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->vals = calloc(cap, sizeof(*m->vals));
	m->cap = cap;
	m->n = 0;
	if (!m->keys || !m->vals) {
		strmap_free(m);
		return -ENOMEM;
	}
	return 0;
}

void strmap_free(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}

static int strmap_grow(struct strmap *m)
{
	struct strmap n;
	size_t i;

	if (strmap_init(&n, m->cap))
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->keys[i])
			strmap_insert(&n, m->keys[i], m->vals[i], NULL);
	strmap_free(m);
	*m = n;
	return 0;
}

int strmap_insert(struct strmap *m, const char *key, size_t val, size_t *old)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && strmap_grow(m))
		return -ENOMEM;
	for (i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i]) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return 1;
		}
		if (!strcmp(m->keys[i], key)) {
			if (old)
				*old = m->vals[i];
			return 0;
		}
	}
}

int strmap_get(const struct strmap *m, const char *key, size_t *val)
{
	size_t i;

	if (!m->cap)
		return 0;
	for (i = hash_str(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
		if (!strcmp(m->keys[i], key)) {
			*val = m->vals[i];
			return 1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------- JSON pointer */

char *jptr_idx(const char *base, size_t idx)
{
	return kp_asprintf("%s/%zu", base, idx);
}

char *jptr_key(const char *base, const char *key)
{
	size_t bl = strlen(base), i, o = 0;
	char *s = malloc(bl + 2 + 2 * strlen(key));

	if (!s)
		return NULL;
	memcpy(s, base, bl);
	o = bl;
	s[o++] = '/';
	for (i = 0; key[i]; i++) {
		if (key[i] == '~') {
			s[o++] = '~';
			s[o++] = '0';
		} else if (key[i] == '/') {
			s[o++] = '~';
			s[o++] = '1';
		} else {
			s[o++] = key[i];
		}
	}
	s[o] = '\0';
	return s;
}

/* ------------------------------------------------------------ suggestions */

static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost =
			    tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = prev + cost;

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

const char *kp_nearest(const char *word, const char *const *cands)
{
	const char *best = NULL;
	size_t bestd = 3, i;

	for (i = 0; cands[i]; i++) {
		size_t d = levenshtein(word, cands[i]);

		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return best;
}

/* ------------------------------------------------------------------ files */

char *kp_read_all(const char *path, size_t *lenp)
{
	size_t cap = 256, len = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	if (!buf)
		goto fail;
	for (;;) {
		ssize_t r;

		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail : {
	int e = errno ? errno : ENOMEM;

	free(buf);
	close(fd);
	errno = e;
	return NULL;
}
}

char *kp_read_file(const char *path)
{
	size_t len;
	char *buf = kp_read_all(path, &len);

	while (buf && len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return buf;
}

int kp_write_file(const char *path, const char *value)
{
	/* Like echo: value plus a newline, in one write(2) so the kernel sees it whole
	 * (an empty value still reaches the store handler). */
	size_t len = strlen(value);
	char *buf = malloc(len + 2);
	ssize_t w;
	int fd, e;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, value, len);
	buf[len++] = '\n';
	buf[len] = '\0';
	fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		free(buf);
		return -e;
	}
	do {
		w = write(fd, buf, len);
	} while (w < 0 && errno == EINTR);
	e = w < 0 ? errno : (size_t)w != len ? EIO : 0;
	if (close(fd) && !e)
		e = errno;
	free(buf);
	return -e;
}
