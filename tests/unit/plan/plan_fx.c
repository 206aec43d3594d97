/* SPDX-License-Identifier: MIT */
/* The fixture shared by the validation and diff tests (plan_fx.h). */
#include "plan_fx.h"

struct fx *fx_new(struct inventory *(*machine)(const char *file_root))
{
	struct fx *f = calloc(1, sizeof(*f));

	f->root = make_file_root();
	f->inv = machine(f->root);
	problems_init(&f->ps);
	plan_actions_init(&f->as);
	return f;
}

static struct inventory *two_node(const char *file_root)
{
	return load_fixture("two-node", file_root);
}

int fx_setup_two_node(void **state)
{
	*state = fx_new(two_node);
	return 0;
}

int fx_teardown(void **state)
{
	struct fx *f = *state;

	plan_actions_free(&f->as);
	plan_free(f->plan);
	problems_free(&f->ps);
	inventory_free(f->inv);
	remove_tree(f->root);
	free(f->root);
	free(f->text);
	free(f);
	return 0;
}

size_t check(struct fx *f, const char *text)
{
	f->plan = parse_str(text, &f->ps);
	if (!f->plan || f->ps.nerrors) {
		dump_problems(&f->ps);
		fail_msg("plan does not parse");
	}
	return plan_validate(f->plan, f->inv, &f->ps);
}

size_t check_all(struct fx *f, const char *text)
{
	f->plan = parse_str(text, &f->ps);
	assert_non_null(f->plan);
	return plan_validate(f->plan, f->inv, &f->ps);
}

const char *fx_diff_text(struct fx *f)
{
	size_t i, len = 0;
	FILE *m;

	assert_int_equal(plan_diff(f->plan, f->inv, &f->as), 0);
	m = open_memstream(&f->text, &len);
	for (i = 0; i < f->as.n; i++) {
		const struct plan_action *a = &f->as.v[i];

		/* phases never go backwards */
		if (i)
			assert_true(a->phase >= f->as.v[i - 1].phase);
		fprintf(m, "%s %s", plan_action_verb(a->type), a->name);
		if (a->type == ACT_SET)
			fprintf(m, " %s %s>%s", a->attr, a->old ? a->old : "NULL", a->value);
		fprintf(m, "\n");
	}
	fclose(m);
	return f->text;
}
