// SPDX-License-Identifier: GPL-2.0
/*
 * bzImage parsing: decide whether a file is a kernel kpart can start and
 * where its parts are. Only the 64-bit entry is used (boot protocol 2.12+,
 * XLF_KERNEL_64), so the real-mode setup code is never run.
 */
#include <linux/kernel.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include "boot-x86.h"

#define SETUP_HDR_OFFSET	0x1f1
#define BOOT_FLAG		0xaa55
#define HDRS_MAGIC		0x53726448	/* "HdrS" */

int kpart_bzimage_parse(const void *buf, size_t len, struct kpart_bzimage *img,
			const char **why)
{
	const struct setup_header *hdr = buf + SETUP_HDR_OFFSET;
	unsigned int sects;

	if (len < SETUP_HDR_OFFSET + sizeof(*hdr)) {
		*why = "file too small for a bzImage";
		return -ENOEXEC;
	}
	if (hdr->boot_flag != BOOT_FLAG || hdr->header != HDRS_MAGIC) {
		*why = "no bzImage boot header (boot flag or HdrS missing)";
		return -ENOEXEC;
	}
	if (hdr->version < 0x020c) {
		*why = "boot protocol older than 2.12, no 64-bit entry";
		return -ENOEXEC;
	}
	if (!(hdr->xloadflags & XLF_KERNEL_64)) {
		*why = "kernel has no 64-bit entry point (XLF_KERNEL_64)";
		return -ENOEXEC;
	}
	if (!hdr->relocatable_kernel) {
		*why = "kernel is not relocatable";
		return -ENOEXEC;
	}

	sects = hdr->setup_sects ?: 4;
	img->setup = buf;
	img->setup_len = (sects + 1) * 512;
	if (img->setup_len >= len) {
		*why = "bzImage truncated: no protected-mode payload";
		return -ENOEXEC;
	}
	img->payload = buf + img->setup_len;
	img->payload_len = len - img->setup_len;
	img->init_size = hdr->init_size;
	img->alignment = hdr->kernel_alignment;
	img->initrd_addr_max = hdr->initrd_addr_max;
	img->cmdline_size = hdr->cmdline_size;
	img->version = hdr->version;
	img->above_4g = hdr->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G;
	img->la57 = hdr->xloadflags & XLF_5LEVEL_ENABLED;

	if (!img->alignment || !is_power_of_2(img->alignment) ||
	    img->alignment > SZ_1G) {
		*why = "bad kernel_alignment in the bzImage header";
		return -ENOEXEC;
	}
	if (img->init_size < img->payload_len) {
		*why = "init_size smaller than the payload";
		return -ENOEXEC;
	}
	return 0;
}

/* The kernel goes right after the boot area, which grows with the CPUs */
u64 kpart_kernel_load_addr(phys_addr_t base, u32 nr_cpus,
			   const struct kpart_bzimage *img)
{
	return ALIGN(base + kpart_boot_area_size(nr_cpus), img->alignment);
}

u64 kpart_kernel_end(phys_addr_t base, u32 nr_cpus,
		     const struct kpart_bzimage *img)
{
	return kpart_kernel_load_addr(base, nr_cpus, img) + img->init_size;
}
