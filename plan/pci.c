/* SPDX-License-Identifier: MIT */
/*
 * PCI devices (issue 12): addresses, what the boot kernel's sysfs says
 * about each device (IDs, class, header type, driver, ACS), what of the
 * boot kernel sits on it (its console, its root file system), and who
 * holds it (the kpart file devices, docs/interfaces.md).
 *
 * The sysfs root is a parameter like everywhere in the inventory; the
 * mount table comes from the proc directory next to it (SYSFS/../proc, so
 * /proc for /sys, and FIXTURE/proc for a fixture's FIXTURE/sys).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "internal.h"

int pci_addr_normalize(const char *text, char out[PCI_ADDR_LEN])
{
	unsigned dom = 0, bus, dev, fn;
	const char *bdf = text;
	size_t n = text ? strlen(text) : 0, i;

	out[0] = '\0';
	if (n == 12) {
		if (text[4] != ':')
			return -EINVAL;
		for (i = 0; i < 4; i++)
			if (!isxdigit((unsigned char)text[i]))
				return -EINVAL;
		dom = (unsigned)strtoul((char[]){text[0], text[1], text[2], text[3], 0}, NULL, 16);
		bdf = text + 5;
	} else if (n != 7) {
		return -EINVAL;
	}
	if (!isxdigit((unsigned char)bdf[0]) || !isxdigit((unsigned char)bdf[1]) || bdf[2] != ':' ||
	    !isxdigit((unsigned char)bdf[3]) || !isxdigit((unsigned char)bdf[4]) || bdf[5] != '.' ||
	    bdf[6] < '0' || bdf[6] > '7')
		return -EINVAL;
	bus = (unsigned)strtoul((char[]){bdf[0], bdf[1], 0}, NULL, 16);
	dev = (unsigned)strtoul((char[]){bdf[3], bdf[4], 0}, NULL, 16);
	fn = (unsigned)(bdf[6] - '0');
	if (dev > 0x1f)
		return -EINVAL;
	snprintf(out, PCI_ADDR_LEN, "%04x:%02x:%02x.%u", dom, bus, dev, fn);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *pci_addrs_join(char *const *addrs, size_t n)
{
	char **v = malloc((n + 1) * sizeof(*v)), *out, *p;
	size_t i, len = 1;

	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		v[i] = addrs[i];
		len += strlen(addrs[i]) + 1;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	out = p = malloc(len);
	for (i = 0; out && i < n; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		p += sprintf(p, "%s%s", p == out ? "" : ",", v[i]);
	}
	if (out)
		*p = '\0';
	free(v);
	return out;
}

const char *pci_dev_state_name(enum pci_dev_state s)
{
	return s == PCI_OWNED ? "owned" : s == PCI_CLAIMED ? "claimed" : "free";
}

/* ----------------------------------------------------------- inventory */

struct inv_pci *inventory_add_pci(struct inventory *inv, const char *addr)
{
	struct inv_pci *d;

	if (strlen(addr) >= PCI_ADDR_LEN)
		return NULL;
	d = kp_reserve(inv->pci, inv->npci, &inv->cappci, sizeof(*d), 16);
	if (!d)
		return NULL;
	inv->pci = d;
	d = &inv->pci[inv->npci];
	memset(d, 0, sizeof(*d));
	strcpy(d->addr, addr);
	d->vendor = d->device = -1;
	d->class_code = -1;
	d->header_type = -1;
	d->driver = strdup("");
	if (!d->driver)
		return NULL;
	inv->npci++;
	return d;
}

static int cmp_pci(const void *a, const void *b)
{
	return strcmp(((const struct inv_pci *)a)->addr, ((const struct inv_pci *)b)->addr);
}

void pci_sort(struct inventory *inv)
{
	if (inv->npci > 1)
		qsort(inv->pci, inv->npci, sizeof(*inv->pci), cmp_pci);
}

struct inv_pci *inventory_pci(const struct inventory *inv, const char *addr)
{
	struct inv_pci key;

	if (!inv->npci || strlen(addr) >= PCI_ADDR_LEN)
		return NULL;
	strcpy(key.addr, addr);
	return bsearch(&key, inv->pci, inv->npci, sizeof(*inv->pci), cmp_pci);
}

void pci_free(struct inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->npci; i++) {
		free(inv->pci[i].driver);
		free(inv->pci[i].boot_use);
	}
	free(inv->pci);
	inv->pci = NULL;
	inv->npci = inv->cappci = 0;
}

/* Same slot: "dddd:bb:dd" equal. */
static bool same_slot(const char *a, const char *b)
{
	return !strncmp(a, b, 10);
}

/*
 * The module's rule (kmod/pci.c, check_fn): a function whose header says
 * multi-function goes with the other functions of its slot the boot
 * kernel has, unless every one of them (itself too) has ACS redirecting
 * peer requests and completions.
 */
bool pci_must_go_whole(const struct inventory *inv, const struct inv_pci *d)
{
	size_t i, others = 0;
	bool all_acs = d->acs;

	if (!d->multifunction)
		return false;
	for (i = 0; i < inv->npci; i++) {
		const struct inv_pci *o = &inv->pci[i];

		if (o == d || !o->in_sysfs || !same_slot(o->addr, d->addr))
			continue;
		others++;
		all_acs &= o->acs;
	}
	return others && !all_acs;
}

/* ------------------------------------------------------------ reading */

static char *read_in(const char *dir, const char *name)
{
	char *path = kp_asprintf("%s/%s", dir, name), *s;

	if (!path)
		return NULL;
	s = kp_read_file(path);
	free(path);
	return s;
}

static long read_hex(const char *dir, const char *name)
{
	char *s = read_in(dir, name), *end;
	long v;

	if (!s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 16);
	if (errno || end == s || *end || v < 0)
		v = -1;
	free(s);
	return v;
}

/* Access Control Services (PCIe spec): the extended capability's ID, and in
 * its control register (offset 6) P2P Request and Completion Redirect. */
#define PCI_EXT_CAP_ID_ACS 0x0d
#define PCI_ACS_CTRL 0x06
#define PCI_ACS_RR_CR 0x000c

static bool config_read(int fd, unsigned off, void *buf, size_t len)
{
	return pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

/*
 * Header type and ACS from the config file, a few bytes at a time: each
 * read is a config space access on real hardware, and partd reads the
 * inventory every resync (beyond 256 bytes only root may read).
 */
static void read_config(struct inv_pci *d, const char *dir)
{
	char *path = kp_asprintf("%s/config", dir);
	unsigned char b[4];
	unsigned off = 0x100, n;
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;

	free(path);
	if (fd < 0)
		return;
	if (config_read(fd, 0x0e, b, 1)) {
		d->header_type = b[0] & 0x7f;
		d->multifunction = b[0] & 0x80;
	}
	/* the extended capabilities: 32-bit headers, ID in bits 0-15, next in 20-31 */
	for (n = 0; n < 512 && off >= 0x100 && config_read(fd, off, b, 4); n++) {
		unsigned h = (unsigned)b[0] | (unsigned)b[1] << 8 | (unsigned)b[2] << 16 |
			     (unsigned)b[3] << 24;

		if (!h || h == 0xffffffffu)
			break;
		/* like the module: ACS counts when it redirects peer requests and
		 * completions upstream (to the IOMMU), not merely when it is there */
		if ((h & 0xffff) == PCI_EXT_CAP_ID_ACS) {
			unsigned ctrl = config_read(fd, off + PCI_ACS_CTRL, b, 2)
					    ? (unsigned)b[0] | (unsigned)b[1] << 8
					    : 0;

			d->acs = (ctrl & PCI_ACS_RR_CR) == PCI_ACS_RR_CR;
			break;
		}
		off = (h >> 20) & 0xffc;
	}
	close(fd);
}

static bool exists_in(const char *dir, const char *name)
{
	char *path = kp_asprintf("%s/%s", dir, name);
	struct stat st;
	bool r = path && lstat(path, &st) == 0;

	free(path);
	return r;
}

static int read_sysfs_device(struct inventory *inv, const char *base, const char *name)
{
	char addr[PCI_ADDR_LEN], *dir, *link, *s;
	struct inv_pci *d;
	char target[PATH_MAX];
	ssize_t n;

	if (pci_addr_normalize(name, addr) || strlen(name) != 12)
		return 0;
	dir = kp_asprintf("%s/%s", base, name);
	d = dir ? inventory_add_pci(inv, addr) : NULL;
	if (!d) {
		free(dir);
		return -ENOMEM;
	}
	d->in_sysfs = true;
	d->vendor = (int)read_hex(dir, "vendor");
	d->device = (int)read_hex(dir, "device");
	d->class_code = read_hex(dir, "class");
	s = read_in(dir, "boot_vga");
	d->boot_vga = s && !strcmp(s, "1");
	free(s);
	read_config(d, dir);
	d->virtfn = exists_in(dir, "physfn");
	d->iommu = exists_in(dir, "iommu_group");
	link = kp_asprintf("%s/driver", dir);
	n = link ? readlink(link, target, sizeof(target) - 1) : -1;
	free(link);
	if (n > 0) {
		char *slash, *drv;

		target[n] = '\0';
		slash = strrchr(target, '/');
		drv = strdup(slash ? slash + 1 : target);
		if (!drv) {
			free(dir);
			return -ENOMEM;
		}
		free(d->driver);
		d->driver = drv;
	}
	free(dir);
	return 0;
}

/* The last PCI address among the components of a sysfs device path. */
static bool last_pci_in_path(const char *path, char out[PCI_ADDR_LEN])
{
	const char *p = path;
	bool found = false;

	while (p && *p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char comp[16];

		if (len == 12) {
			memcpy(comp, p, len);
			comp[len] = '\0';
			if (!pci_addr_normalize(comp, out))
				found = true;
		}
		p = e ? e + 1 : NULL;
	}
	if (!found)
		out[0] = '\0';
	return found;
}

/* Record that use of the boot kernel sits on the device at the end of path. */
static int mark_use(struct inventory *inv, const char *path, const char *use)
{
	char addr[PCI_ADDR_LEN];
	struct inv_pci *d;

	if (!last_pci_in_path(path, addr) || !(d = inventory_pci(inv, addr)) || d->boot_use)
		return 0;
	d->boot_use = strdup(use);
	return d->boot_use ? 0 : -ENOMEM;
}

/* A virtual terminal's display: what it shows on (boot VGA, fb0's device). */
static int mark_display(struct inventory *inv, const char *path, const char *use)
{
	char addr[PCI_ADDR_LEN];
	struct inv_pci *d;

	if (!last_pci_in_path(path, addr) || !(d = inventory_pci(inv, addr)) || d->boot_use)
		return 0;
	d->display = true;
	d->boot_use = strdup(use);
	return d->boot_use ? 0 : -ENOMEM;
}

/* A block device directory, and the devices under it (dm, md: slaves/). */
static int mark_block(struct inventory *inv, const char *dir, const char *use, int depth)
{
	char real[PATH_MAX], *sl;
	DIR *dd;
	struct dirent *de;
	int r;

	if (depth > 8 || !realpath(dir, real))
		return 0;
	r = mark_use(inv, real, use);
	sl = kp_asprintf("%s/slaves", real);
	dd = sl ? opendir(sl) : NULL;
	while (!r && dd && (de = readdir(dd))) {
		char *sub;

		if (de->d_name[0] == '.')
			continue;
		sub = kp_asprintf("%s/%s", sl, de->d_name);
		r = sub ? mark_block(inv, sub, use, depth + 1) : -ENOMEM;
		free(sub);
	}
	if (dd)
		closedir(dd);
	free(sl);
	return r;
}

/* The directory that holds SYSFS (its parent), with a trailing part appended. */
static char *beside(const char *sysfs, const char *what)
{
	const char *slash = strrchr(sysfs, '/');
	size_t len = slash ? (size_t)(slash - sysfs) : 0;

	if (slash && !slash[1]) { /* "DIR/sys/" */
		while (len && sysfs[len - 1] != '/')
			len--;
		if (len)
			len--;
	}
	if (!slash)
		return kp_asprintf("./%s", what);
	return kp_asprintf("%.*s/%s", (int)len, sysfs, what);
}

/* The block device of a mount or swap: SYSFS/dev/block/MAJ:MIN, else by
 * the name of its source ("/dev/sdb1") in SYSFS/class/block. */
static int mark_blockdev(struct inventory *inv, const char *sysfs, const char *majmin,
			 const char *source, const char *what)
{
	char real[PATH_MAX], *path = NULL, *use;
	const char *dev = strrchr(source, '/'), *name;
	int r = 0;

	if (majmin && strncmp(majmin, "0:", 2))
		path = kp_asprintf("%s/dev/block/%s", sysfs, majmin);
	if ((!path || !realpath(path, real)) && !strncmp(source, "/dev/", 5) && dev) {
		free(path);
		path = kp_asprintf("%s/class/block/%s", sysfs, dev + 1);
	}
	if (path && realpath(path, real)) {
		name = strrchr(real, '/');
		use = kp_asprintf(what, name ? name + 1 : real);
		r = use ? mark_block(inv, path, use, 0) : -ENOMEM;
		free(use);
	}
	free(path);
	return r;
}

/*
 * Block devices with a file system mounted (PROC/self/mountinfo, the root
 * file system first) or used for swap (PROC/swaps): the module refuses
 * the devices under them. Open but unmounted disks it refuses too; those
 * are not seen here.
 */
static int mark_mounts(struct inventory *inv, const char *sysfs)
{
	char *path = beside(sysfs, "proc/self/mountinfo"), *text, *line, *save = NULL;
	size_t len;
	int r = 0, pass;

	text = path ? kp_read_all(path, &len) : NULL;
	free(path);
	if (!text && errno == ENOMEM)
		return -ENOMEM;
	/* "/" first, so that its device says "root file system" */
	for (pass = 0; text && !r && pass < 2; pass++) {
		char *copy = strdup(text);

		if (!copy) {
			r = -ENOMEM;
			break;
		}
		save = NULL;
		for (line = strtok_r(copy, "\n", &save); !r && line;
		     line = strtok_r(NULL, "\n", &save)) {
			char mm[32], mnt[256], src[256] = "", *dash = strstr(line, " - ");
			char *what;

			/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - FSTYPE SOURCE OPTIONS */
			if (sscanf(line, "%*s %*s %31s %*s %255s", mm, mnt) != 2 ||
			    (pass == 0) != !strcmp(mnt, "/"))
				continue;
			if (dash)
				sscanf(dash + 3, "%*s %255s", src);
			what = pass ? kp_asprintf("file system on %s (%%s)", mnt)
				    : strdup("root file system (%s)");
			r = what ? mark_blockdev(inv, sysfs, mm, src, what) : -ENOMEM;
			free(what);
		}
		free(copy);
	}
	free(text);
	path = beside(sysfs, "proc/swaps");
	text = path && !r ? kp_read_all(path, &len) : NULL;
	free(path);
	save = NULL;
	for (line = text ? strtok_r(text, "\n", &save) : NULL; !r && line;
	     line = strtok_r(NULL, "\n", &save)) {
		char src[256];

		if (sscanf(line, "%255s", src) == 1 && src[0] == '/')
			r = mark_blockdev(inv, sysfs, NULL, src, "swap (%s)");
	}
	free(text);
	return r;
}

/*
 * The boot kernel's consoles (SYSFS/class/tty/console/active): the device
 * of each (a PCI serial card), and for a virtual terminal (tty0, tty1, ...)
 * the boot VGA device and the first frame buffer's device.
 */
static int mark_console(struct inventory *inv, const char *sysfs)
{
	char *path = kp_asprintf("%s/class/tty/console/active", sysfs), *text, *tok, *save = NULL;
	int r = 0;

	text = path ? kp_read_file(path) : NULL;
	free(path);
	if (!text)
		return errno == ENOMEM ? -ENOMEM : 0;
	for (tok = strtok_r(text, " \t\n", &save); !r && tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char real[PATH_MAX], *use = kp_asprintf("console %s", tok);
		const char *p = tok + 3;

		if (!use) {
			r = -ENOMEM;
			break;
		}
		path = kp_asprintf("%s/class/tty/%s/device", sysfs, tok);
		if (path && realpath(path, real))
			r = mark_use(inv, real, use);
		free(path);
		while (isdigit((unsigned char)*p))
			p++;
		if (!r && !strncmp(tok, "tty", 3) && isdigit((unsigned char)tok[3]) && !*p) {
			size_t i;

			/* the module does not refuse these: a warning (display) */
			for (i = 0; !r && i < inv->npci; i++)
				if (inv->pci[i].boot_vga && !inv->pci[i].boot_use) {
					inv->pci[i].display = true;
					if (!(inv->pci[i].boot_use = strdup(use)))
						r = -ENOMEM;
				}
			path = kp_asprintf("%s/class/graphics/fb0/device", sysfs);
			if (!r && path && realpath(path, real))
				r = mark_display(inv, real, use);
			free(path);
		}
		free(use);
	}
	free(text);
	return r;
}

/* KERNFS/devices: "ADDRESS PARTITION STATE" per line. */
static int read_holders(struct inventory *inv, const char *kernfs, char *err, size_t errlen)
{
	char *path = kp_asprintf("%s/devices", kernfs), *text, *line, *save = NULL;
	size_t len;
	unsigned ln = 0;
	int r = 0;

	if (!path)
		return -ENOMEM;
	text = kp_read_all(path, &len);
	if (!text) {
		r = errno == ENOMEM ? -ENOMEM : 0;
		free(path);
		return r; /* a module without device hand-off */
	}
	inv->pci_handoff = true;
	for (line = strtok_r(text, "\n", &save); !r && line; line = strtok_r(NULL, "\n", &save)) {
		char a[32], part[64], st[32], addr[PCI_ADDR_LEN];
		struct inv_pci *d;

		ln++;
		if (sscanf(line, "%31s %63s %31s", a, part, st) != 3 ||
		    pci_addr_normalize(a, addr) || strlen(part) >= KPART_NAME_MAX ||
		    (strcmp(st, "claimed") && strcmp(st, "owned"))) {
			if (err && errlen)
				snprintf(err, errlen,
					 "%s line %u: \"%s\" is not \"ADDRESS PARTITION "
					 "claimed|owned\" (is this kpart module newer than "
					 "partctl?)",
					 path, ln, line);
			r = -EINVAL;
			break;
		}
		d = inventory_pci(inv, addr);
		if (!d) {
			d = inventory_add_pci(inv, addr);
			if (!d) {
				r = -ENOMEM;
				break;
			}
			pci_sort(inv);
			d = inventory_pci(inv, addr);
		}
		strcpy(d->owner, part);
		d->state = strcmp(st, "owned") ? PCI_CLAIMED : PCI_OWNED;
	}
	free(text);
	free(path);
	return r;
}

int pci_read(struct inventory *inv, const char *sysfs, const char *kernfs, char *err, size_t errlen)
{
	char *base = kp_asprintf("%s/bus/pci/devices", sysfs);
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (!base)
		return -ENOMEM;
	d = opendir(base);
	inv->pci_known = d != NULL;
	while (!r && d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			r = read_sysfs_device(inv, base, de->d_name);
	if (d)
		closedir(d);
	free(base);
	pci_sort(inv);
	if (!r)
		r = mark_mounts(inv, sysfs);
	if (!r)
		r = mark_console(inv, sysfs);
	if (!r)
		r = read_holders(inv, kernfs, err, errlen);
	if (r == -ENOMEM && err && errlen)
		snprintf(err, errlen, "out of memory reading the PCI devices");
	return r;
}

/* ---------------------------------------------------------------- JSON */

static struct json_object *hex_or_null(long v, int digits)
{
	char buf[24];

	if (v < 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%0*lx", digits, v);
	return json_object_new_string(buf);
}

struct json_object *pci_to_json(const struct inv_pci *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "address", json_object_new_string(d->addr));
	json_object_object_add(o, "vendor_id", hex_or_null(d->vendor, 4));
	json_object_object_add(o, "device_id", hex_or_null(d->device, 4));
	json_object_object_add(o, "class", hex_or_null(d->class_code, 6));
	json_object_object_add(o, "header_type",
			       d->header_type >= 0 ? json_object_new_int(d->header_type) : NULL);
	json_object_object_add(o, "multifunction", json_object_new_boolean(d->multifunction));
	json_object_object_add(o, "acs", json_object_new_boolean(d->acs));
	json_object_object_add(o, "virtfn", json_object_new_boolean(d->virtfn));
	json_object_object_add(o, "iommu", json_object_new_boolean(d->iommu));
	json_object_object_add(
	    o, "driver", d->driver && d->driver[0] ? json_object_new_string(d->driver) : NULL);
	json_object_object_add(o, "in_boot_kernel", json_object_new_boolean(d->in_sysfs));
	json_object_object_add(o, "boot_use",
			       d->boot_use ? json_object_new_string(d->boot_use) : NULL);
	json_object_object_add(o, "owner", d->owner[0] ? json_object_new_string(d->owner) : NULL);
	json_object_object_add(o, "state", json_object_new_string(pci_dev_state_name(d->state)));
	return o;
}
