// SPDX-License-Identifier: GPL-2.0
/*
 * The boot area layout (boot-x86/layout.h) for every partition size from
 * one CPU to 8192 and a few beyond: no two pieces overlap, each CPU's
 * mailbox and entry stack lie inside the boot area, stacks are aligned,
 * and the area is a whole number of 2 MiB steps that only grows with the
 * CPUs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

typedef uint32_t u32;
typedef uint64_t u64;
#include "layout.h"

struct range {
	const char *what;
	u64 start, end; /* [start, end) */
};

static void assert_disjoint(const struct range *r, size_t n, u32 nr_cpus)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (r[i].start < r[j].end && r[j].start < r[i].end)
				fail_msg("%u CPUs: %s [%#llx, %#llx) overlaps %s [%#llx, %#llx)",
					 nr_cpus, r[i].what, (unsigned long long)r[i].start,
					 (unsigned long long)r[i].end, r[j].what,
					 (unsigned long long)r[j].start,
					 (unsigned long long)r[j].end);
		}
	}
}

static void check_layout(u32 nr)
{
	u64 area = kpart_boot_area_size(nr);
	u64 mb = kpart_mailboxes_off(nr);
	u64 stacks = mb + (u64)nr * KPART_MAILBOX_SIZE;
	u64 stacks_end = kpart_stack_top_off(nr, nr - 1);
	struct range r[] = {
	    {"descriptor", KPART_OFF_DESC, KPART_OFF_DEVICES},
	    {"PCI functions", KPART_OFF_DEVICES, KPART_OFF_MEMMAP},
	    {"memory map", KPART_OFF_MEMMAP, KPART_OFF_NODES},
	    {"node table", KPART_OFF_NODES, KPART_OFF_BOOT_PARAMS},
	    {"zero page", KPART_OFF_BOOT_PARAMS, KPART_OFF_CMDLINE},
	    {"command line", KPART_OFF_CMDLINE, KPART_OFF_CMDLINE + KPART_CMDLINE_MAX},
	    {"GDT", KPART_OFF_GDT, KPART_OFF_IDT},
	    {"IDT", KPART_OFF_IDT, KPART_OFF_IDT + KPART_IDT_VECTORS * 16},
	    {"mailboxes", mb, stacks},
	    {"stacks", stacks, stacks_end},
	    {"page tables", KPART_OFF_PGTABLE, KPART_PGTABLE_END},
	    {"channel", KPART_OFF_CHANNEL, KPART_OFF_CHANNEL + KPART_CHANNEL_SIZE},
	};

	assert_disjoint(r, sizeof(r) / sizeof(r[0]), nr);
	if (area < KPART_BOOT_AREA_STEP || area % KPART_BOOT_AREA_STEP)
		fail_msg("%u CPUs: boot area %#llx is not a positive multiple of 2 MiB", nr,
			 (unsigned long long)area);
	if (stacks_end > area || KPART_OFF_CHANNEL + KPART_CHANNEL_SIZE > area)
		fail_msg("%u CPUs: something ends past the boot area %#llx", nr,
			 (unsigned long long)area);
	for (u32 i = 0; i < nr; i++) {
		u64 top = kpart_stack_top_off(nr, i);

		if (top % 16 || top - KPART_STACK_SIZE < stacks || top > stacks_end)
			fail_msg("%u CPUs: stack %u top %#llx misplaced", nr, i,
				 (unsigned long long)top);
	}
	if (mb % KPART_MAILBOX_SIZE)
		fail_msg("%u CPUs: mailboxes at %#llx not aligned", nr, (unsigned long long)mb);
}

static void every_size_up_to_8192(void **state)
{
	(void)state;
	for (u32 nr = 1; nr <= 8192; nr++)
		check_layout(nr);
	check_layout(65536);
	check_layout(1u << 20);
}

static void grows_only(void **state)
{
	(void)state;
	for (u32 nr = 2; nr <= 8192; nr++)
		assert_true(kpart_boot_area_size(nr) >= kpart_boot_area_size(nr - 1));
}

/* Small partitions keep the 2 MiB boot area they always had */
static void small_and_large(void **state)
{
	(void)state;
	assert_true(KPART_CPUS_SMALL_MAX >= 200);
	assert_int_equal(kpart_boot_area_size(1), 0x200000);
	assert_int_equal(kpart_boot_area_size(64), 0x200000);
	assert_int_equal(kpart_boot_area_size(KPART_CPUS_SMALL_MAX), 0x200000);
	assert_int_equal(kpart_mailboxes_off(KPART_CPUS_SMALL_MAX), KPART_OFF_CPUS_SMALL);
	assert_int_equal(kpart_mailboxes_off(KPART_CPUS_SMALL_MAX + 1), KPART_OFF_CPUS_LARGE);
	/* 4096 CPUs: 4096 * (64 + 128) bytes after 2 MiB: 4 MiB in all */
	assert_int_equal(kpart_mailboxes_off(4096), 0x200000);
	assert_int_equal(kpart_stack_top_off(4096, 0), 0x200000 + 4096 * 64 + 128);
	assert_int_equal(kpart_stack_top_off(4096, 4095), 0x200000 + 4096 * 192);
	assert_int_equal(kpart_boot_area_size(4096), 0x400000);
	assert_int_equal(kpart_boot_area_size(8192), 0x400000);
	assert_int_equal(kpart_boot_area_size(16384), 0x600000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_size_up_to_8192),
	    cmocka_unit_test(grows_only),
	    cmocka_unit_test(small_and_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
