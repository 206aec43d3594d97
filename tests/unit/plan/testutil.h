/* SPDX-License-Identifier: MIT */
/* Helpers shared by the libkpartplan unit tests (header only). */
#ifndef KPART_PLAN_TESTUTIL_H
#define KPART_PLAN_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "plan.h"

#ifndef FIXTURES_DIR
#error FIXTURES_DIR must point at tests/unit/plan/fixtures
#endif

static inline struct plan *parse_str(const char *text, struct problems *ps)
{
	return plan_parse(text, strlen(text), ps);
}

/* Find a problem whose path equals path (NULL: any) and whose message contains needle. */
static inline const struct problem *find_problem(const struct problems *ps, const char *path,
						 const char *needle)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if ((!path || !strcmp(ps->v[i].path, path)) &&
		    (!needle || strstr(ps->v[i].message, needle)))
			return &ps->v[i];
	return NULL;
}

static inline void dump_problems(const struct problems *ps)
{
	problems_print(ps, "test", stderr);
}

#define assert_problem(ps, path, needle)                                                           \
	do {                                                                                       \
		if (!find_problem((ps), (path), (needle))) {                                       \
			dump_problems(ps);                                                         \
			fail_msg("no problem at %s containing \"%s\"", (path) ? (path) : "*",      \
				 (needle) ? (needle) : "");                                        \
		}                                                                                  \
	} while (0)

#define assert_no_errors(ps)                                                                       \
	do {                                                                                       \
		if ((ps)->nerrors) {                                                               \
			dump_problems(ps);                                                         \
			fail_msg("%zu unexpected errors", (ps)->nerrors);                          \
		}                                                                                  \
	} while (0)

static inline void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/*
 * A temporary file root with /boot/kpart/{bzImage, initrd.img, db-initrd.img,
 * web-initrd.img, batch-initrd.img} (valid), vmlinux (no boot header),
 * bzImage32 (no 64-bit entry point) and a directory /boot/kpart/dir.
 */
static inline char *make_file_root(void)
{
	char *root = strdup("/tmp/kpart-plan-test.XXXXXX"), path[512];
	unsigned char hdr[0x400];
	static const char *const initrds[] = {"initrd.img", "db-initrd.img", "web-initrd.img",
					      "batch-initrd.img"};
	size_t i;

	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/boot", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/boot/kpart", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/boot/kpart/dir", root);
	assert_int_equal(mkdir(path, 0755), 0);

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr + 0x202, "HdrS", 4);
	hdr[0x206] = 0x0f; /* protocol 2.15 */
	hdr[0x207] = 0x02;
	hdr[0x236] = 0x01; /* XLF_KERNEL_64 */
	snprintf(path, sizeof(path), "%s/boot/kpart/bzImage", root);
	write_bytes(path, hdr, sizeof(hdr));
	hdr[0x236] = 0;
	snprintf(path, sizeof(path), "%s/boot/kpart/bzImage32", root);
	write_bytes(path, hdr, sizeof(hdr));
	snprintf(path, sizeof(path), "%s/boot/kpart/vmlinux", root);
	write_bytes(path, "\177ELF", 4);
	for (i = 0; i < sizeof(initrds) / sizeof(initrds[0]); i++) {
		snprintf(path, sizeof(path), "%s/boot/kpart/%s", root, initrds[i]);
		write_bytes(path, "070701", 6);
	}
	return root;
}

static inline void remove_tree(const char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* Read fixture machine NAME (fixtures/NAME/{kpart,sys}); file_root may be NULL. */
static inline struct inventory *load_fixture(const char *name, const char *file_root)
{
	char k[512], s[512], err[256] = "";
	struct inventory *inv;

	snprintf(k, sizeof(k), "%s/%s/kpart", FIXTURES_DIR, name);
	snprintf(s, sizeof(s), "%s/%s/sys", FIXTURES_DIR, name);
	inv = inventory_read(k, s, err, sizeof(err));
	if (!inv)
		fail_msg("inventory_read(%s): %s", name, err);
	if (file_root)
		inv->file_root = strdup(file_root);
	return inv;
}

static inline char *slurp(const char *path)
{
	char *s = kp_read_file(path);

	if (!s)
		fail_msg("cannot read %s", path);
	return s;
}

#endif
