/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 boot protocol work for kpart partitions: everything that turns a
 * bzImage, an initrd and a command line into a partition ready to enter.
 *
 * Partition memory layout (offsets from the partition base):
 *
 *   0x000000  setup_data header + struct kpart_desc   (KPART_OFF_DESC)
 *   0x002000  boot_params, the "zero page"             (KPART_OFF_BOOT_PARAMS)
 *   0x003000  kernel command line                      (KPART_OFF_CMDLINE)
 *   0x004000  entry GDT and descriptor-table pointers  (KPART_OFF_GDT)
 *   0x005000  per-CPU entry stacks, 256 B each         (KPART_OFF_STACKS)
 *   0x010000  identity page tables                     (KPART_OFF_PGTABLE)
 *   0x100000  channel area for the IPI rings           (KPART_OFF_CHANNEL)
 *   0x200000  kernel (bzImage payload), then free RAM  (KPART_BOOT_AREA)
 *   top       initrd, page aligned, at the end of the partition
 *
 * The first 2 MiB (the boot area) are reserved in the application kernel's
 * e820 map; the rest is RAM.
 */
#ifndef KPART_BOOT_X86_H
#define KPART_BOOT_X86_H

#include <linux/types.h>
#include <asm/bootparam.h>
#include <asm/page.h>
#include <asm/kpart.h>

#define KPART_OFF_DESC		0x000000UL
#define KPART_OFF_BOOT_PARAMS	0x002000UL
#define KPART_OFF_CMDLINE	0x003000UL
#define KPART_CMDLINE_MAX	2048
#define KPART_OFF_GDT		0x004000UL
#define KPART_OFF_STACKS	0x005000UL
#define KPART_STACK_SIZE	256
#define KPART_OFF_PGTABLE	0x010000UL
#define KPART_PGTABLE_END	0x100000UL
#define KPART_OFF_CHANNEL	0x100000UL
#define KPART_CHANNEL_SIZE	0x100000UL
#define KPART_BOOT_AREA		0x200000UL

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
};

/* What to load, where */
struct kpart_boot_spec {
	const char *name;
	phys_addr_t base;		/* partition memory, 2 MiB aligned */
	u64 size;
	const u32 *apic_ids;
	unsigned int nr_cpus;
	const struct kpart_bzimage *image;
	u64 initrd_addr;		/* already placed by the caller, 0 if none */
	u64 initrd_size;
	const char *cmdline;
	u16 console_port;		/* 0: none */
};

int kpart_bzimage_parse(const void *buf, size_t len, struct kpart_bzimage *img,
			const char **why);
u64 kpart_kernel_load_addr(phys_addr_t base, const struct kpart_bzimage *img);
u64 kpart_kernel_end(phys_addr_t base, const struct kpart_bzimage *img);
int kpart_build_boot_area(const struct kpart_boot_spec *spec, const char **why);
u64 kpart_entry_tables(phys_addr_t base);

/* Identity page table with the module's entry code mapped too */
int kpart_build_pgtable(phys_addr_t base, u64 size, u64 *root, const char **why);

/* Entry path, boot-x86/entry.S: never returns */
void kpart_enter(u64 cr3, u64 entry, u64 arg, u64 stack, u64 tables);
extern const char kpart_enter_end[];

static inline struct kpart_desc *kpart_desc_of(phys_addr_t base)
{
	return (struct kpart_desc *)((char *)__va(base + KPART_OFF_DESC) +
				     sizeof(struct setup_data));
}

#endif /* KPART_BOOT_X86_H */
