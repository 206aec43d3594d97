/* SPDX-License-Identifier: MIT */
/*
 * Names of PCI vendors, devices and classes for partctl inventory, from
 * libpci's ID database (pci.ids). Only the name lookup of libpci is used:
 * the devices themselves come from libkpartplan's inventory, which also
 * knows the ones partitions own (gone from the boot kernel's PCI tree).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <pci/pci.h>

#include "partctl.h"

static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

static void __attribute__((noreturn)) pci_die(char *msg, ...)
{
	va_list ap;

	fputs("partctl: libpci: ", stderr);
	va_start(ap, msg);
	vfprintf(stderr, msg, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILED);
}

/* A hex field of the device ("1af4"), or -1 when absent or null. */
static long hex_field(struct json_object *d, const char *key)
{
	const char *s = jstr(d, key);
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 16);
	return *end ? -1 : v;
}

static struct json_object *name_or_null(const char *n)
{
	return n ? json_object_new_string(n) : NULL;
}

void pci_add_names(struct json_object *devices)
{
	struct pci_access *a;
	size_t i, n = devices ? json_object_array_length(devices) : 0;

	if (!n)
		return;
	a = pci_alloc();
	a->error = pci_die;
	a->warning = pci_quiet;
	a->debug = pci_quiet;
	for (i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(devices, i);
		long ven = hex_field(d, "vendor_id"), dev = hex_field(d, "device_id");
		long cls = hex_field(d, "class");
		char b1[256], b2[256], b3[256];
		const char *vn = NULL, *dn = NULL, *cn = NULL;
		int f = PCI_LOOKUP_NO_NUMBERS;

		if (ven >= 0)
			vn = pci_lookup_name(a, b1, sizeof(b1), PCI_LOOKUP_VENDOR | f, (int)ven);
		if (ven >= 0 && dev >= 0)
			dn = pci_lookup_name(a, b2, sizeof(b2), PCI_LOOKUP_DEVICE | f, (int)ven,
					     (int)dev);
		if (cls >= 0)
			cn = pci_lookup_name(a, b3, sizeof(b3), PCI_LOOKUP_CLASS | f,
					     (int)(cls >> 8));
		json_object_object_add(d, "vendor_name", name_or_null(vn));
		json_object_object_add(d, "device_name", name_or_null(dn));
		json_object_object_add(d, "class_name", name_or_null(cn));
	}
	pci_cleanup(a);
}
