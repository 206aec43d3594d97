/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space stand-ins for the kernel facilities used by ipi/ring.c.
 *
 * Semantics follow the Linux kernel memory model as implemented on the
 * architectures kpart runs on:
 *  - READ_ONCE/WRITE_ONCE: a single, non-torn, non-elided access (volatile).
 *  - smp_load_acquire/smp_store_release: C11 acquire/release atomics.
 *  - smp_mb: full barrier ordering earlier loads and stores against later
 *    ones (on x86-64 the same locked instruction the kernel uses).
 * Only naturally aligned 1, 2, 4 and 8 byte scalars may be passed to them.
 */
#ifndef KPART_IPI_USER_COMPAT_H
#define KPART_IPI_USER_COMPAT_H

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#ifndef __aligned
#define __aligned(x) __attribute__((__aligned__(x)))
#endif

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)                                                                         \
	do {                                                                                       \
		*(volatile __typeof__(x) *)&(x) = (val);                                           \
	} while (0)

#define prefetch(x) __builtin_prefetch(x)

#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

#if defined(__x86_64__)
/* What the kernel uses on x86-64: cheaper than mfence, same ordering. */
#define smp_mb() __asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::: "memory", "cc")
#else
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

#endif /* KPART_IPI_USER_COMPAT_H */
