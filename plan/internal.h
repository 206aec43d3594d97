/* SPDX-License-Identifier: MIT */
/* Private helpers of libkpartplan. */
#ifndef KPART_PLAN_INTERNAL_H
#define KPART_PLAN_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "plan.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

char *kp_strdup(const char *s);						       /* NULL-safe */
char *kp_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* NULL on OOM */
char *kp_vasprintf(const char *fmt, va_list ap);
/* Room for element @n in array @v of @size-byte elements and capacity *@cap
 * (doubling, @first at first): the array, moved or not, or NULL on OOM with
 * @v and *@cap untouched. */
void *kp_reserve(void *v, size_t n, size_t *cap, size_t size, size_t first);

/* Open-addressing map from string to index, for linear-time lookups. */
struct strmap {
	const char **keys; /* borrowed */
	size_t *vals;
	size_t cap, n;
};
int strmap_init(struct strmap *m, size_t expected);
void strmap_free(struct strmap *m);
/* Insert; returns 1 if inserted, 0 if already present (*old = its value), -ENOMEM. */
int strmap_insert(struct strmap *m, const char *key, size_t val, size_t *old);
/* Returns 1 and *val when found. */
int strmap_get(const struct strmap *m, const char *key, size_t *val);

/* JSON Pointer building: "/partitions/3/cpus". Result malloc'd. */
char *jptr_idx(const char *base, size_t idx);
char *jptr_key(const char *base, const char *key);

/* The problem of a cpulist with CPU 0 (plan_parse; plan_validate adds a hint). */
#define PLAN_CPU0_MESSAGE "CPU 0 always stays with the boot kernel"
/*
 * The partitions' memory against a pool of limit bytes: each partition's
 * and their total (validate.c). plan_parse checks the plan's own
 * pool.size, plan_validate the machine's pool when it is smaller.
 */
void plan_check_memory(struct plan *plan, uint64_t limit, struct problems *ps);

/* Nearest of the candidate words (Levenshtein <= 2), or NULL. */
const char *kp_nearest(const char *word, const char *const *cands);

/* pci.c: the inventory's PCI devices */
struct json_object;
int pci_read(struct inventory *inv, const char *sysfs, const char *kernfs, char *err,
	     size_t errlen);
void pci_sort(struct inventory *inv);
void pci_free(struct inventory *inv);
struct json_object *pci_to_json(const struct inv_pci *d);

#endif
