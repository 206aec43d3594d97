/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 boot protocol work for kpart partitions: everything that turns a
 * bzImage, an initrd and a command line into a partition ready to enter.
 * Where each piece goes in the partition's boot area: layout.h.
 */
#ifndef KPART_BOOT_X86_H
#define KPART_BOOT_X86_H

#ifndef __ASSEMBLY__
#include <linux/types.h>
#endif
#include "layout.h"

/*
 * For the entry path's fault handler (entry.S), which finds the descriptor
 * behind the setup_data header; checked against the C layout in
 * bootparams.c.
 */
#define KPART_SETUP_DATA_SIZE		16
#define KPART_DESC_ENTRY_FAULT		200
#define KPART_DESC_ENTRY_FAULT_RIP	208
#define KPART_DESC_ENTRY_FAULT_ERROR	216

#ifndef __ASSEMBLY__
#include <asm/bootparam.h>
#include <asm/page.h>
#include <asm/kpart.h>

/* Smallest partition worth trying: boot area plus a tiny kernel */
#define KPART_MIN_MEMORY	(16UL << 20)

/* What a bzImage tells about itself, checked by kpart_bzimage_parse() */
struct kpart_bzimage {
	const void *setup;		/* start of the file */
	size_t setup_len;		/* real-mode part: (setup_sects + 1) * 512 */
	const void *payload;		/* protected-mode kernel */
	size_t payload_len;
	u32 init_size;			/* memory the kernel needs from its load address */
	u32 alignment;
	u32 initrd_addr_max;
	u32 cmdline_size;
	u16 version;
	bool above_4g;			/* initrd and cmdline may sit above 4 GiB */
	bool la57;			/* built with 5-level paging (XLF_5LEVEL_ENABLED) */
};

/* A range of the partition's memory and the boot kernel's node of it */
struct kpart_boot_range {
	phys_addr_t base;		/* 2 MiB aligned */
	u64 size;
	int nid;
};

/* What to load, where */
struct kpart_boot_spec {
	const char *name;
	phys_addr_t base;		/* the boot range: boot area, kernel */
	u64 size;
	const struct kpart_boot_range *ranges;	/* all, the boot range first */
	unsigned int nr_ranges;
	const u32 *apic_ids;
	const int *cpu_nids;		/* the boot kernel's node of each CPU */
	unsigned int nr_cpus;
	const struct kpart_bzimage *image;
	u64 initrd_addr;		/* already placed by the caller, 0 if none */
	u64 initrd_size;
	const char *cmdline;
	u16 console_port;		/* 0: none */
};

int kpart_bzimage_parse(const void *buf, size_t len, struct kpart_bzimage *img,
			const char **why);
u64 kpart_kernel_load_addr(phys_addr_t base, u32 nr_cpus,
			   const struct kpart_bzimage *img);
u64 kpart_kernel_end(phys_addr_t base, u32 nr_cpus,
		     const struct kpart_bzimage *img);
int kpart_build_boot_area(const struct kpart_boot_spec *spec, const char **why);
u64 kpart_entry_tables(phys_addr_t base);

/* Identity page table with the module's entry code mapped too */
int kpart_build_pgtable(const struct kpart_boot_spec *spec, u64 *root,
			const char **why);

/* Entry path, boot-x86/entry.S: never returns */
void kpart_enter(u64 cr3, u64 entry, u64 arg, u64 stack, u64 tables);
extern const char kpart_enter_end[];
extern const char kpart_entry_vectors[];	/* 16-byte stub per vector */
extern const char kpart_entry_test_fault[];	/* ud2, for the fault test */

static inline struct kpart_desc *kpart_desc_of(phys_addr_t base)
{
	return (struct kpart_desc *)((char *)__va(base + KPART_OFF_DESC) +
				     sizeof(struct setup_data));
}

/* The partition's CPU mailboxes, nr_cpus of them */
static inline struct kpart_cpu_mailbox *kpart_mailboxes_of(phys_addr_t base,
							   u32 nr_cpus)
{
	return __va(base + kpart_mailboxes_off(nr_cpus));
}

#endif /* !__ASSEMBLY__ */
#endif /* KPART_BOOT_X86_H */
