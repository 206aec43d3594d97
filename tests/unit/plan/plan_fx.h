/* SPDX-License-Identifier: MIT */
/*
 * The fixture shared by the validation and diff tests (test_validate.c,
 * test_diff.c, test_smt.c): a temporary file root, a machine read from it,
 * and what a test parses, validates and diffs against that machine.
 */
#ifndef KPART_PLAN_FX_H
#define KPART_PLAN_FX_H

#include "testutil.h"

struct fx {
	char *root;
	struct inventory *inv;
	struct problems ps;
	struct plan *plan;
	struct plan_actions as;
	char *text;
};

/* A fixture whose machine is MACHINE(file root), with /boot/kpart files (make_file_root) */
struct fx *fx_new(struct inventory *(*machine)(const char *file_root));

/* cmocka setup: the two-node fixture machine (fixtures/README.md) */
int fx_setup_two_node(void **state);

/* cmocka teardown of any fixture from fx_new */
int fx_teardown(void **state);

/* Parse (must succeed without parse errors) and validate; returns error count. */
size_t check(struct fx *f, const char *text);
/* Parse (errors allowed: rules of the plan alone are parse errors) and
 * validate; returns the error count of both. */
size_t check_all(struct fx *f, const char *text);

/*
 * Diff the validated f->plan against the machine into f->as and return its
 * compact rendering: one action per line, "op name [attr old>new]". An old
 * value of NULL (an attribute of a partition this apply creates: undo leaves
 * it to the delete) shows as NULL, unlike "" (undo writes "").
 */
const char *fx_diff_text(struct fx *f);

#endif
