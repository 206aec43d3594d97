/* SPDX-License-Identifier: MIT */
/* CPU bitmaps and cpulists ("0-3,8"). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void cpuset_init(struct cpuset *s)
{
	s->w = NULL;
	s->nw = 0;
}

void cpuset_free(struct cpuset *s)
{
	free(s->w);
	cpuset_init(s);
}

static int cpuset_grow(struct cpuset *s, unsigned nw)
{
	uint64_t *w;

	if (nw <= s->nw)
		return 0;
	w = realloc(s->w, nw * sizeof(*w));
	if (!w)
		return -ENOMEM;
	memset(w + s->nw, 0, (nw - s->nw) * sizeof(*w));
	s->w = w;
	s->nw = nw;
	return 0;
}

int cpuset_set(struct cpuset *s, unsigned cpu)
{
	int r;

	if (cpu >= CPUSET_MAX_CPUS)
		return -ERANGE;
	r = cpuset_grow(s, cpu / 64 + 1);
	if (r)
		return r;
	s->w[cpu / 64] |= 1ull << (cpu % 64);
	return 0;
}

void cpuset_clear(struct cpuset *s, unsigned cpu)
{
	if (cpu / 64 < s->nw)
		s->w[cpu / 64] &= ~(1ull << (cpu % 64));
}

void cpuset_zero(struct cpuset *s)
{
	if (s->nw)
		memset(s->w, 0, s->nw * sizeof(*s->w));
}

bool cpuset_test(const struct cpuset *s, unsigned cpu)
{
	return cpu / 64 < s->nw && (s->w[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpuset_count(const struct cpuset *s)
{
	unsigned i, n = 0;

	for (i = 0; i < s->nw; i++)
		n += (unsigned)__builtin_popcountll(s->w[i]);
	return n;
}

bool cpuset_empty(const struct cpuset *s)
{
	unsigned i;

	for (i = 0; i < s->nw; i++)
		if (s->w[i])
			return false;
	return true;
}

bool cpuset_equal(const struct cpuset *a, const struct cpuset *b)
{
	unsigned i, n = a->nw > b->nw ? a->nw : b->nw;

	for (i = 0; i < n; i++) {
		uint64_t x = i < a->nw ? a->w[i] : 0, y = i < b->nw ? b->w[i] : 0;

		if (x != y)
			return false;
	}
	return true;
}

bool cpuset_subset(const struct cpuset *a, const struct cpuset *b)
{
	unsigned i;

	for (i = 0; i < a->nw; i++) {
		uint64_t y = i < b->nw ? b->w[i] : 0;

		if (a->w[i] & ~y)
			return false;
	}
	return true;
}

int cpuset_copy(struct cpuset *dst, const struct cpuset *src)
{
	int r = cpuset_grow(dst, src->nw);

	if (r)
		return r;
	cpuset_zero(dst);
	if (src->nw)
		memcpy(dst->w, src->w, src->nw * sizeof(*src->w));
	return 0;
}

int cpuset_and(struct cpuset *dst, const struct cpuset *a, const struct cpuset *b)
{
	unsigned i;
	int r = cpuset_grow(dst, a->nw);

	if (r)
		return r;
	cpuset_zero(dst);
	for (i = 0; i < a->nw && i < b->nw; i++)
		dst->w[i] = a->w[i] & b->w[i];
	return 0;
}

int cpuset_or(struct cpuset *dst, const struct cpuset *src)
{
	unsigned i;
	int r = cpuset_grow(dst, src->nw);

	if (r)
		return r;
	for (i = 0; i < src->nw; i++)
		dst->w[i] |= src->w[i];
	return 0;
}

void cpuset_andnot(struct cpuset *dst, const struct cpuset *src)
{
	unsigned i;

	for (i = 0; i < dst->nw && i < src->nw; i++)
		dst->w[i] &= ~src->w[i];
}

int cpuset_next(const struct cpuset *s, unsigned from)
{
	unsigned i = from / 64;
	uint64_t w;

	if (i >= s->nw)
		return -1;
	w = s->w[i] & (~0ull << (from % 64));
	for (;;) {
		if (w)
			return (int)(i * 64 + (unsigned)__builtin_ctzll(w));
		if (++i >= s->nw)
			return -1;
		w = s->w[i];
	}
}

static int parse_num(const char **pp, unsigned *out)
{
	const char *p = *pp;
	unsigned long v = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v >= CPUSET_MAX_CPUS) {
			while (isdigit((unsigned char)*p))
				p++;
			*pp = p;
			return -ERANGE;
		}
	}
	*pp = p;
	*out = (unsigned)v;
	return 0;
}

static int cpulist_err(char *err, size_t errlen, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int cpulist_err(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

int cpuset_parse(struct cpuset *s, const char *text, char *err, size_t errlen)
{
	const char *p = text;

	cpuset_zero(s);
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return 0;
	for (;;) {
		unsigned a, b, c;
		const char *start = p;
		int r = parse_num(&p, &a);

		if (r == -ERANGE)
			return cpulist_err(err, errlen, r, "CPU number at \"%.*s\" is too large",
					   (int)(p - start), start);
		if (r)
			return cpulist_err(err, errlen, r, "expected a CPU number at \"%s\"",
					   start);
		b = a;
		if (*p == '-') {
			const char *s2 = ++p;

			r = parse_num(&p, &b);
			if (r == -ERANGE)
				return cpulist_err(err, errlen, r,
						   "CPU number at \"%.*s\" is too large",
						   (int)(p - s2), s2);
			if (r)
				return cpulist_err(err, errlen, r,
						   "expected the end of the range at \"%s\"", s2);
			if (b < a)
				return cpulist_err(err, errlen, -EINVAL,
						   "range %u-%u runs backwards", a, b);
		}
		for (c = a; c <= b; c++) {
			r = cpuset_set(s, c);
			if (r)
				return cpulist_err(err, errlen, r, "out of memory");
		}
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		if (*p != ',')
			return cpulist_err(err, errlen, -EINVAL, "unexpected \"%s\" (expected ',')",
					   p);
		p++;
		while (isspace((unsigned char)*p))
			p++;
	}
}

char *cpuset_format(const struct cpuset *s)
{
	size_t cap = 64, len = 0;
	char *out = malloc(cap);
	int c;

	if (!out)
		return NULL;
	out[0] = '\0';
	for (c = cpuset_next(s, 0); c >= 0;) {
		int e = c, next;
		char tmp[32];
		int n;

		while ((next = cpuset_next(s, (unsigned)e + 1)) == e + 1)
			e = next;
		if (e == c)
			n = snprintf(tmp, sizeof(tmp), "%s%d", len ? "," : "", c);
		else
			n = snprintf(tmp, sizeof(tmp), "%s%d-%d", len ? "," : "", c, e);
		if (len + (size_t)n + 1 > cap) {
			char *no;

			while (len + (size_t)n + 1 > cap)
				cap *= 2;
			no = realloc(out, cap);
			if (!no) {
				free(out);
				return NULL;
			}
			out = no;
		}
		memcpy(out + len, tmp, (size_t)n + 1);
		len += (size_t)n;
		c = next;
	}
	return out;
}
