/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Environment shim for the kpart inter-kernel ring.
 *
 * ring.c and ring.h are compiled unchanged into the boot kernel's module,
 * into application kernels and into user-space tests and benchmarks.  This
 * header is the only place that differs: in the kernel it pulls in the
 * kernel's own definitions, in user space it includes user/compat.h, which
 * provides the same names (u8..u64, bool, READ_ONCE/WRITE_ONCE,
 * smp_load_acquire/smp_store_release, smp_mb, prefetch, memcpy/memset,
 * errno values,
 * static_assert) on top of C11 and GCC builtins.
 */
#ifndef KPART_IPI_RING_COMPAT_H
#define KPART_IPI_RING_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/compiler.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/prefetch.h>
#include <asm/barrier.h>
#else
#include "user/compat.h"
#endif

#endif /* KPART_IPI_RING_COMPAT_H */
