/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: PCI devices in plans (issue 12). Addresses are parsed and
 * normalised, repeated and shared devices are refused without looking at
 * the machine (partctl validate --offline), and against a fake machine
 * (a sysfs PCI tree, a mount table, a kpart devices file, built under the
 * fixture's temporary root) the live checks refuse what the kpart module
 * would: unknown devices, bridges, non-endpoints, the devices under the
 * boot kernel's root file system and console, and one function of a
 * multi-function device without ACS. Diffs hand devices over in an order
 * the module accepts at every step.
 *
 * The fake machine: CPUs 0-3, a 1G pool, partition web (running, CPU 2)
 * owning 0000:06:00.0 (gone from sysfs), db (stopped, CPU 3) holding
 * 0000:05:00.0 (claimed), and these devices in sysfs:
 *
 *   0000:00:00.0  host bridge (class 0600)
 *   0000:00:01.0  VGA, boot_vga: the console tty0 draws on it
 *   0000:00:02.0  virtio block: the root file system (vda)
 *   0000:00:1c.0  PCI bridge (header type 1)
 *   0000:00:1e.0  serial card: the console ttyS4
 *   0000:03:00.0  two functions of a NIC, multi-function, no ACS
 *   0000:03:00.1
 *   0000:04:00.0  two functions with ACS each (redirecting peer traffic)
 *   0000:04:00.1
 *   0000:05:00.0  NVMe (driver nvme), claimed by db
 *   0000:08:00.0  header type 2 (CardBus) with a non-bridge class
 *   0000:09:00.0  two functions with ACS that does not redirect (as none)
 *   0000:09:00.1
 *   0000:0a:00.0  an SR-IOV virtual function
 *   0000:0b:00.0  in an IOMMU group
 *   0000:0c:00.0  a disk mounted on /mnt (sdb1)
 *   0000:0d:00.0  a disk with swap (sdc1)
 */
#include "plan_fx.h"

#include <errno.h>

#define HEAD "{\"version\":1,\"pool\":{\"size\":\"1G\"},\"partitions\":["
#define K "\"kernel\":\"/boot/kpart/bzImage\""
#define PART(name, cpus, devs)                                                                     \
	"{\"name\":\"" name "\",\"cpus\":\"" cpus "\",\"memory\":\"64M\"," K ",\"devices\":[" devs \
	"]}"
#define WEB(devs) PART("web", "2", devs)
#define DB(devs)                                                                                   \
	"{\"name\":\"db\",\"cpus\":\"3\",\"memory\":\"64M\"," K ",\"autostart\":false,"            \
	"\"devices\":[" devs "]}"

static void put(const char *root, const char *rel, const void *data, size_t len)
{
	char path[1024], *slash;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	write_bytes(path, data, len);
}

static void puts_at(const char *root, const char *rel, const char *text)
{
	put(root, rel, text, strlen(text));
}

static void mkdirs(const char *root, const char *rel)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s/.keep", root, rel);
	put(root, path + strlen(root) + 1, "", 0);
}

static void link_at(const char *root, const char *rel, const char *target)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

enum { NO_ACS, ACS, ACS_OFF };

/* A device in sys/bus/pci/devices with a config space: header byte, ACS or not. */
static void pci_dev(const char *root, const char *addr, unsigned cls, unsigned char hdr, int acs,
		    const char *driver)
{
	unsigned char cfg[4096];
	char rel[256], txt[32];

	memset(cfg, 0, sizeof(cfg));
	cfg[0x0e] = hdr;
	if (acs) { /* extended capability 0x000d, version 1, last in the list */
		cfg[0x100] = 0x0d;
		cfg[0x102] = 0x01;
		cfg[0x106] = acs == ACS ? 0x0c : 0x00; /* control: request, completion redirect */
	} else {				       /* another one (AER, 0x0001), then the end */
		cfg[0x100] = 0x01;
		cfg[0x102] = 0x01;
	}
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/config", addr);
	put(root, rel, cfg, acs || hdr ? sizeof(cfg) : 256);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/vendor", addr);
	puts_at(root, rel, "0x1af4\n");
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/device", addr);
	puts_at(root, rel, "0x1001\n");
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/class", addr);
	snprintf(txt, sizeof(txt), "0x%06x\n", cls);
	puts_at(root, rel, txt);
	if (driver) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver", addr);
		snprintf(txt, sizeof(txt), "../../../bus/pci/drivers/%s", driver);
		link_at(root, rel, txt);
	}
	/* where the device sits in the tree, for the root and console links */
	snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s", addr);
	mkdirs(root, rel);
}

static void build_machine(const char *root)
{
	puts_at(root, "sys/devices/system/cpu/present", "0-3\n");
	puts_at(root, "kpart/version", "1\n");
	puts_at(root, "kpart/pool_size", "1073741824\n");
	puts_at(root, "kpart/pool_free", "1073741824\n");
	puts_at(root, "kpart/cpus_assigned", "2-3\n");
	puts_at(root, "kpart/web/cpus", "2\n");
	puts_at(root, "kpart/web/memory", "67108864\n");
	puts_at(root, "kpart/web/kernel", "/boot/kpart/bzImage\n");
	puts_at(root, "kpart/web/state", "running\n");
	puts_at(root, "kpart/web/devices", "0000:06:00.0\n");
	puts_at(root, "kpart/db/cpus", "3\n");
	puts_at(root, "kpart/db/memory", "67108864\n");
	puts_at(root, "kpart/db/kernel", "/boot/kpart/bzImage\n");
	puts_at(root, "kpart/db/state", "stopped\n");
	puts_at(root, "kpart/db/devices", "0000:05:00.0\n");
	puts_at(root, "kpart/devices", "0000:05:00.0 db claimed\n0000:06:00.0 web owned\n");

	pci_dev(root, "0000:00:00.0", 0x060000, 0, NO_ACS, NULL);
	pci_dev(root, "0000:00:01.0", 0x030000, 0, NO_ACS, "bochs-drm");
	puts_at(root, "sys/bus/pci/devices/0000:00:01.0/boot_vga", "1\n");
	pci_dev(root, "0000:00:02.0", 0x010000, 0, NO_ACS, "virtio-pci");
	pci_dev(root, "0000:00:1c.0", 0x060400, 1, NO_ACS, "pcieport");
	pci_dev(root, "0000:00:1e.0", 0x070002, 0, NO_ACS, "serial");
	pci_dev(root, "0000:03:00.0", 0x020000, 0x80, NO_ACS, "e1000e");
	pci_dev(root, "0000:03:00.1", 0x020000, 0x80, NO_ACS, "e1000e");
	pci_dev(root, "0000:04:00.0", 0x020000, 0x80, ACS, NULL);
	pci_dev(root, "0000:04:00.1", 0x020000, 0x80, ACS, NULL);
	pci_dev(root, "0000:05:00.0", 0x010802, 0, NO_ACS, "nvme");
	pci_dev(root, "0000:08:00.0", 0x078000, 2, NO_ACS, NULL);
	pci_dev(root, "0000:09:00.0", 0x020000, 0x80, ACS_OFF, NULL);
	pci_dev(root, "0000:09:00.1", 0x020000, 0x80, ACS_OFF, NULL);
	pci_dev(root, "0000:0a:00.0", 0x020000, 0, NO_ACS, "ixgbevf");
	link_at(root, "sys/bus/pci/devices/0000:0a:00.0/physfn", "../0000:09:00.0");
	pci_dev(root, "0000:0b:00.0", 0x020000, 0, NO_ACS, NULL);
	link_at(root, "sys/bus/pci/devices/0000:0b:00.0/iommu_group",
		"../../../kernel/iommu_groups/7");
	pci_dev(root, "0000:0c:00.0", 0x010601, 0, NO_ACS, "ahci");
	pci_dev(root, "0000:0d:00.0", 0x010601, 0, NO_ACS, "ahci");

	/* the root file system on vda, behind 0000:00:02.0 */
	puts_at(root, "proc/self/mountinfo",
		"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
		"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
		"28 27 0:25 / /run ro - tmpfs tmpfs ro\n"
		"29 27 8:17 / /mnt rw - ext4 /dev/sdb1 rw\n");
	mkdirs(root,
	       "sys/devices/pci0000:00/0000:0c:00.0/ata1/host0/target0:0:0/0:0:0:0/block/sdb/sdb1");
	mkdirs(root, "sys/dev/block");
	link_at(
	    root, "sys/dev/block/8:17",
	    "../../devices/pci0000:00/0000:0c:00.0/ata1/host0/target0:0:0/0:0:0:0/block/sdb/sdb1");
	/* swap on sdc1, behind 0000:0d:00.0, found by its name */
	puts_at(root, "proc/swaps",
		"Filename Type Size Used Priority\n/dev/sdc1 partition 1024 0 -2\n");
	mkdirs(root, "sys/devices/pci0000:00/0000:0d:00.0/ata2/block/sdc/sdc1");
	mkdirs(root, "sys/class/block");
	link_at(root, "sys/class/block/sdc1",
		"../../devices/pci0000:00/0000:0d:00.0/ata2/block/sdc/sdc1");
	mkdirs(root, "sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
	mkdirs(root, "sys/dev/block");
	link_at(root, "sys/dev/block/254:0",
		"../../devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
	/* consoles: ttyS4 on the serial card, tty0 on the boot VGA device */
	puts_at(root, "sys/class/tty/console/active", "tty0 ttyS4\n");
	mkdirs(root, "sys/class/tty/ttyS4");
	link_at(root, "sys/class/tty/ttyS4/device", "../../../devices/pci0000:00/0000:00:1e.0");
}

static struct inventory *read_machine(const char *root)
{
	char k[600], s[600], err[256] = "";
	struct inventory *inv;

	snprintf(k, sizeof(k), "%s/kpart", root);
	snprintf(s, sizeof(s), "%s/sys", root);
	inv = inventory_read(k, s, err, sizeof(err));
	if (!inv)
		fail_msg("inventory_read(%s): %s", root, err);
	inv->file_root = strdup(root);
	return inv;
}

static struct inventory *pci_machine(const char *file_root)
{
	build_machine(file_root);
	return read_machine(file_root);
}

static int setup(void **state)
{
	*state = fx_new(pci_machine);
	return 0;
}

/* Read the machine again after a test changed its files. */
static void reread(struct fx *f)
{
	inventory_free(f->inv);
	f->inv = read_machine(f->root);
}

/* ------------------------------------------------------------- addresses */

static void test_normalize(void **state)
{
	static const char *const bad[] = {
	    "",		  "3:00.0",	   "0000:03:20.0", "0000:03:00.8",  "g0:00.0",
	    "0000:03:00", "00000:03:00.0", "0000-03:00.0", "0000:03:00.0 ", "0000:03.00:0",
	    "03:00.0.0",  "0x03:00.0",
	};
	char out[PCI_ADDR_LEN];
	size_t i;

	(void)state;
	assert_int_equal(pci_addr_normalize("03:00.0", out), 0);
	assert_string_equal(out, "0000:03:00.0");
	assert_int_equal(pci_addr_normalize("ABCD:0A:1F.7", out), 0);
	assert_string_equal(out, "abcd:0a:1f.7");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pci_addr_normalize(bad[i], out) != -EINVAL)
			fail_msg("\"%s\" was taken as %s", bad[i], out);
		assert_string_equal(out, "");
	}
}

static void test_join(void **state)
{
	char *v[] = {"0000:05:00.0", "0000:03:00.1", "0000:05:00.0", "0000:03:00.0"};
	char *j;

	(void)state;
	j = pci_addrs_join(v, 4);
	assert_string_equal(j, "0000:03:00.0,0000:03:00.1,0000:05:00.0");
	free(j);
	j = pci_addrs_join(v, 0);
	assert_string_equal(j, "");
	free(j);
}

/* ------------------------------------------------- offline (parse only) */

static void test_parse_normalises(void **state)
{
	struct problems ps;
	struct plan *p;
	struct json_object *j, *d;

	(void)state;
	problems_init(&ps);
	p = parse_str(HEAD PART("a", "1", "\"03:00.0\",\"0000:0A:1f.7\"") "]}", &ps);
	assert_non_null(p);
	assert_no_errors(&ps);
	assert_int_equal(p->parts[0].ndevices, 2);
	assert_string_equal(p->parts[0].devices[0], "0000:03:00.0");
	assert_string_equal(p->parts[0].devices[1], "0000:0a:1f.7");
	j = plan_to_json(p);
	d = json_object_object_get(
	    json_object_array_get_idx(json_object_object_get(j, "partitions"), 0), "devices");
	assert_string_equal(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN),
			    "[\"0000:03:00.0\",\"0000:0a:1f.7\"]");
	json_object_put(j);
	plan_free(p);
	problems_free(&ps);
}

static void test_parse_repeated_and_shared(void **state)
{
	const struct problem *pr;
	struct problems ps;
	struct plan *p;

	(void)state;
	problems_init(&ps);
	/* the same device twice in a, once written short; 05:00.0 in a and b */
	p = parse_str(HEAD PART("a", "1", "\"03:00.0\",\"05:00.0\",\"0000:03:00.0\"") "," PART(
			  "b", "2", "\"0000:05:00.0\",\"nonsense\",7") "]}",
		      &ps);
	assert_non_null(p);
	pr = find_problem(&ps, "/partitions/0/devices/2", "device 0000:03:00.0 is listed twice");
	assert_non_null(pr);
	assert_string_equal(pr->holder, "/partitions/0/devices/0 in this partition");
	pr = find_problem(&ps, "/partitions/1/devices/0",
			  "device 0000:05:00.0 is also requested by /partitions/0 (a)");
	assert_non_null(pr);
	assert_problem(&ps, "/partitions/1/devices/1", "\"nonsense\" is not a PCI address");
	assert_problem(&ps, "/partitions/1/devices/2",
		       "must be a PCI address string, not a number");
	assert_int_equal(ps.nerrors, 4);
	assert_int_equal(p->parts[0].ndevices, 2); /* the repeat is dropped */
	assert_true(p->parts[0].invalid & PLAN_F_DEVICES);
	assert_true(p->parts[1].invalid & PLAN_F_DEVICES);
	plan_free(p);
	problems_free(&ps);
}

/* ------------------------------------------------------------- inventory */

static const struct inv_pci *dev(struct fx *f, const char *addr)
{
	const struct inv_pci *d = inventory_pci(f->inv, addr);

	if (!d)
		fail_msg("no device %s in the inventory", addr);
	return d;
}

static void test_inventory(void **state)
{
	struct fx *f = *state;
	const struct inv_pci *d;
	struct json_object *j, *pci, *devs, *o;

	assert_true(f->inv->pci_known);
	assert_true(f->inv->pci_handoff);
	assert_int_equal(f->inv->npci, 18); /* 17 in sysfs, 1 owned */
	d = dev(f, "0000:05:00.0");
	assert_true(d->in_sysfs);
	assert_string_equal(d->driver, "nvme");
	assert_int_equal(d->class_code, 0x010802);
	assert_int_equal(d->header_type, 0);
	assert_string_equal(d->owner, "db");
	assert_int_equal(d->state, PCI_CLAIMED);
	d = dev(f, "0000:06:00.0");
	assert_false(d->in_sysfs);
	assert_int_equal(d->vendor, -1);
	assert_string_equal(d->owner, "web");
	assert_int_equal(d->state, PCI_OWNED);
	assert_string_equal(dev(f, "0000:00:02.0")->boot_use, "root file system (vda)");
	assert_string_equal(dev(f, "0000:00:1e.0")->boot_use, "console ttyS4");
	assert_string_equal(dev(f, "0000:00:01.0")->boot_use, "console tty0");
	assert_true(dev(f, "0000:00:01.0")->display);
	assert_false(dev(f, "0000:00:1e.0")->display);
	assert_string_equal(dev(f, "0000:0c:00.0")->boot_use, "file system on /mnt (sdb1)");
	assert_string_equal(dev(f, "0000:0d:00.0")->boot_use, "swap (sdc1)");
	assert_true(dev(f, "0000:0a:00.0")->virtfn);
	assert_true(dev(f, "0000:0b:00.0")->iommu);
	assert_false(dev(f, "0000:0b:00.0")->virtfn);
	assert_null(dev(f, "0000:03:00.0")->boot_use);
	assert_true(dev(f, "0000:03:00.0")->multifunction);
	assert_false(dev(f, "0000:03:00.0")->acs);
	assert_true(dev(f, "0000:04:00.1")->acs);
	assert_int_equal(dev(f, "0000:00:1c.0")->header_type, 1);
	assert_string_equal(inventory_find(f->inv, "web")->devices, "0000:06:00.0");
	assert_string_equal(inventory_find(f->inv, "db")->devices, "0000:05:00.0");
	assert_true(pci_must_go_whole(f->inv, dev(f, "0000:03:00.1")));
	assert_false(pci_must_go_whole(f->inv, dev(f, "0000:04:00.1")));
	assert_false(dev(f, "0000:09:00.0")->acs); /* there, but redirects nothing */
	assert_true(pci_must_go_whole(f->inv, dev(f, "0000:09:00.0")));
	assert_false(pci_must_go_whole(f->inv, dev(f, "0000:05:00.0")));

	j = inventory_to_json(f->inv);
	assert_true(json_object_object_get_ex(j, "pci", &pci));
	assert_true(json_object_get_boolean(json_object_object_get(pci, "handoff")));
	devs = json_object_object_get(pci, "devices");
	o = json_object_array_get_idx(devs, 9); /* sorted: 0000:05:00.0 */
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"address\":\"0000:05:00.0\",\"vendor_id\":\"1af4\",\"device_id\":"
			    "\"1001\",\"class\":\"010802\",\"header_type\":0,\"multifunction\":"
			    "false,\"acs\":false,\"virtfn\":false,\"iommu\":false,\"driver\":"
			    "\"nvme\",\"in_boot_kernel\":true,"
			    "\"boot_use\":null,\"owner\":\"db\",\"state\":\"claimed\"}");
	o = json_object_array_get_idx(json_object_object_get(j, "partitions"), 1); /* web */
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(o, "devices"),
							   JSON_C_TO_STRING_PLAIN),
			    "[\"0000:06:00.0\"]");
	json_object_put(j);
}

/* A root file system on device mapper: the devices under its slaves. */
static void test_root_on_dm(void **state)
{
	struct fx *f = *state;

	puts_at(f->root, "proc/self/mountinfo", "27 1 253:0 / / rw - ext4 /dev/mapper/root rw\n");
	mkdirs(f->root, "sys/devices/virtual/block/dm-0/slaves");
	mkdirs(f->root, "sys/devices/pci0000:00/0000:05:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
	link_at(f->root, "sys/dev/block/253:0", "../../devices/virtual/block/dm-0");
	link_at(f->root, "sys/devices/virtual/block/dm-0/slaves/nvme0n1p2",
		"../../../../pci0000:00/0000:05:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
	reread(f);
	assert_string_equal(dev(f, "0000:05:00.0")->boot_use, "root file system (dm-0)");
	assert_null(dev(f, "0000:00:02.0")->boot_use);
}

/* ------------------------------------------------------------ validation */

static void test_valid(void **state)
{
	struct fx *f = *state;

	/* web keeps what it owns; db gets whole multi-function 03:00, one ACS function */
	assert_int_equal(check(f, HEAD WEB("\"06:00.0\"") "," DB(
				      "\"05:00.0\",\"0000:04:00.1\",\"03:00.1\",\"03:00.0\"") "]}"),
			 0);
	assert_int_equal(f->ps.n, 0);
}

static void test_problems(void **state)
{
	static const struct {
		const char *dev, *needle, *holder;
	} cases[] = {
	    {"07:00.0", "PCI device 0000:07:00.0 does not exist on this machine", NULL},
	    {"00:00.0", "0000:00:00.0 is a bridge (class 060000)", NULL},
	    {"00:1c.0", "0000:00:1c.0 is a bridge (class 060400)", NULL},
	    {"08:00.0", "0000:08:00.0 is not an endpoint (PCI header type 2)", NULL},
	    {"00:02.0", "0000:00:02.0 carries the boot kernel's root file system (vda)",
	     "the boot kernel (root file system (vda))"},
	    {"00:1e.0", "0000:00:1e.0 carries the boot kernel's console ttyS4",
	     "the boot kernel (console ttyS4)"},
	    {"0c:00.0", "0000:0c:00.0 carries the boot kernel's file system on /mnt (sdb1)", NULL},
	    {"0d:00.0", "0000:0d:00.0 carries the boot kernel's swap (sdc1)", NULL},
	    {"0a:00.0", "0000:0a:00.0 is an SR-IOV virtual function", NULL},
	    {"0b:00.0", "0000:0b:00.0 is behind an IOMMU the application kernel cannot program",
	     NULL},
	    {"09:00.0",
	     "0000:09:00.0 is one function of multi-function device 0000:09:00, whose functions "
	     "go to one partition together (not every function has ACS): 0000:09:00.1 missing",
	     NULL},
	    {"03:00.1",
	     "0000:03:00.1 is one function of multi-function device 0000:03:00, whose functions "
	     "go to one partition together (not every function has ACS): 0000:03:00.0 missing",
	     "0000:03:00.0: the boot kernel (no partition of this plan gets it)"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = *state;
		char text[1024];
		const struct problem *p;

		snprintf(text, sizeof(text), HEAD WEB("\"06:00.0\"") "," DB("\"%s\"") "]}",
			 cases[i].dev);
		if (check(f, text) != 1) {
			dump_problems(&f->ps);
			fail_msg("case %s: not exactly one error", cases[i].dev);
		}
		p = find_problem(&f->ps, "/partitions/1/devices/0", cases[i].needle);
		if (!p) {
			dump_problems(&f->ps);
			fail_msg("case %s: no problem \"%s\"", cases[i].dev, cases[i].needle);
		}
		if (cases[i].holder)
			assert_string_equal(p->holder ? p->holder : "(none)", cases[i].holder);
		assert_true(f->plan->parts[1].invalid & PLAN_F_DEVICES);
		plan_free(f->plan);
		f->plan = NULL;
		problems_free(&f->ps);
		problems_init(&f->ps);
	}
}

/* Only the functions the boot kernel has must come along, as in the module:
 * not one a running partition owns (it is not in the boot kernel's tree). */
static void test_multifunction_owned_function(void **state)
{
	struct fx *f = *state;
	char path[600];
	FILE *fp;

	pci_dev(f->root, "0000:0e:00.0", 0x020000, 0x80, NO_ACS, NULL);
	pci_dev(f->root, "0000:0e:00.1", 0x020000, 0x80, NO_ACS, NULL);
	snprintf(path, sizeof(path), "%s/kpart/devices", f->root);
	fp = fopen(path, "a");
	assert_non_null(fp);
	fputs("0000:0e:00.2 web owned\n", fp);
	fclose(fp);
	puts_at(f->root, "kpart/web/devices", "0000:06:00.0\n0000:0e:00.2\n");
	reread(f);
	assert_int_equal(check(f, HEAD WEB("\"06:00.0\",\"0e:00.2\"") "," DB("\"0e:00.0\"") "]}"),
			 1);
	assert_problem(&f->ps, "/partitions/1/devices/0", "0000:0e:00.1 missing");
	assert_null(find_problem(&f->ps, NULL, "0000:0e:00.2 missing"));
	assert_null(find_problem(&f->ps, "/partitions/0/devices/1", NULL));
}

/* The boot VGA device under the console tty0: the module takes it, a warning. */
static void test_display_console_warns(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, HEAD WEB("\"06:00.0\"") "," DB("\"00:01.0\"") "]}"), 0);
	p = find_problem(&f->ps, "/partitions/1/devices/0",
			 "0000:00:01.0 shows the boot kernel's console tty0");
	assert_non_null(p);
	assert_int_equal(p->severity, PROBLEM_WARNING);
}

/* More functions than the module gives a partition: refused offline. */
static void test_parse_too_many(void **state)
{
	struct problems ps;
	struct plan *p;

	(void)state;
	problems_init(&ps);
	p = parse_str(HEAD PART("a", "1",
				"\"01:00.0\",\"01:00.1\",\"01:00.2\",\"01:00.3\",\"01:00.4\","
				"\"01:00.5\",\"01:00.6\",\"01:00.7\",\"02:00.0\",\"02:00.1\","
				"\"02:00.2\",\"02:00.3\",\"02:00.4\",\"02:00.5\"") "]}",
		      &ps);
	assert_non_null(p);
	assert_problem(&ps, "/partitions/0/devices/12", "more than 12 devices");
	assert_int_equal(ps.nerrors, 1);
	assert_int_equal(p->parts[0].ndevices, 12);
	plan_free(p);
	problems_free(&ps);
}

/* The functions of 03:00 split between two partitions: both are told. */
static void test_multifunction_split(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, HEAD WEB("\"03:00.0\"") "," DB("\"03:00.1\"") "]}"), 2);
	p = find_problem(&f->ps, "/partitions/0/devices/0", "0000:03:00.1 missing");
	assert_non_null(p);
	assert_string_equal(p->holder, "0000:03:00.1: /partitions/1 (db)");
	p = find_problem(&f->ps, "/partitions/1/devices/0", "0000:03:00.0 missing");
	assert_non_null(p);
	assert_string_equal(p->holder, "0000:03:00.0: /partitions/0 (web)");
}

/* A module without the devices file cannot take any. */
static void test_no_handoff(void **state)
{
	struct fx *f = *state;
	char path[600];

	snprintf(path, sizeof(path), "%s/kpart/devices", f->root);
	assert_int_equal(unlink(path), 0);
	reread(f);
	assert_false(f->inv->pci_handoff);
	assert_int_equal(check(f, HEAD WEB("") "," DB("\"05:00.0\"") "]}"), 1);
	assert_problem(&f->ps, "/partitions/1/devices",
		       "this kpart module cannot hand PCI devices to partitions");
}

/* Without a sysfs PCI tree a device cannot be checked: an error, not a pass. */
static void test_no_pci_tree(void **state)
{
	struct fx *f = *state;
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys/bus'", f->root);
	assert_int_equal(system(cmd), 0);
	reread(f);
	assert_false(f->inv->pci_known);
	/* what the kpart devices file lists is known still */
	assert_non_null(inventory_pci(f->inv, "0000:05:00.0"));
	assert_int_equal(check(f, HEAD WEB("\"06:00.0\"") "," DB("\"03:00.0\"") "]}"), 1);
	assert_problem(&f->ps, "/partitions/1/devices/0", "cannot check PCI device 0000:03:00.0");
}

/* ------------------------------------------------------------------ diff */

/*
 * Replay f->as from the machine's state and fail at the first step the
 * module would refuse: a devices write while the partition runs, a device
 * claimed while another partition holds it, a partition deleted with
 * devices. Returns the diff text (fx_diff_text).
 */
static const char *diff_checked(struct fx *f, const char *plan_text)
{
	char owner[64][KPART_NAME_MAX], addr[64][PCI_ADDR_LEN];
	char running[16][KPART_NAME_MAX];
	size_t nd = 0, nr = 0, i, k;
	const char *text;

	if (check(f, plan_text)) {
		dump_problems(&f->ps);
		fail_msg("plan does not validate");
	}
	text = fx_diff_text(f);
	for (i = 0; i < f->inv->npci; i++)
		if (f->inv->pci[i].owner[0]) {
			strcpy(addr[nd], f->inv->pci[i].addr);
			strcpy(owner[nd++], f->inv->pci[i].owner);
		}
	for (i = 0; i < f->inv->nparts; i++)
		if (f->inv->parts[i].state == PART_RUNNING)
			strcpy(running[nr++], f->inv->parts[i].name);
	for (i = 0; i < f->as.n; i++) {
		const struct plan_action *a = &f->as.v[i];
		bool runs = false;

		for (k = 0; k < nr; k++)
			runs |= !strcmp(running[k], a->name);
		if (a->type == ACT_STOP) {
			for (k = 0; k < nr; k++)
				if (!strcmp(running[k], a->name))
					running[k][0] = '\0';
		} else if (a->type == ACT_START) {
			strcpy(running[nr++], a->name);
		} else if (a->type == ACT_DELETE) {
			for (k = 0; k < nd; k++)
				if (!strcmp(owner[k], a->name))
					fail_msg("step %zu: %s deleted holding %s", i, a->name,
						 addr[k]);
		} else if (a->type == ACT_SET && !strcmp(a->attr, "devices")) {
			const char *p = a->value;

			if (runs)
				fail_msg("step %zu: devices of %s written while it runs", i,
					 a->name);
			for (k = 0; k < nd; k++) /* it gives up what it had */
				if (!strcmp(owner[k], a->name))
					owner[k][0] = '\0';
			while (*p) {
				size_t len = strcspn(p, ",");

				for (k = 0; k < nd; k++)
					if (!strncmp(addr[k], p, len) && owner[k][0])
						fail_msg("step %zu: %s claims %.*s, which %s holds",
							 i, a->name, (int)len, p, owner[k]);
				assert_true(nd < 64);
				snprintf(addr[nd], PCI_ADDR_LEN, "%.*s", (int)len, p);
				strcpy(owner[nd++], a->name);
				p += len + (p[len] == ',');
			}
		}
	}
	return text;
}

static void test_diff_unchanged(void **state)
{
	struct fx *f = *state;

	/* written short: still the same set */
	assert_string_equal(diff_checked(f, HEAD WEB("\"06:00.0\"") "," DB("\"05:00.0\"") "]}"),
			    "");
}

/* A device moves from a stopped partition to a running one: that one stops for it. */
static void test_diff_move_to_running(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff_checked(f, HEAD WEB("\"06:00.0\",\"05:00.0\"") "," DB("") "]}"),
			    "stop web\n"
			    "set db devices 0000:05:00.0>\n"
			    "set web devices 0000:06:00.0>0000:05:00.0,0000:06:00.0\n"
			    "start web\n");
	assert_string_equal(f->as.v[0].why, "definition changed: devices");
	assert_string_equal(f->as.v[3].why, "was running");
}

/* A device a running partition owns moves: it stops and gives it up first. */
static void test_diff_move_from_running(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff_checked(f, HEAD WEB("") "," DB("\"05:00.0\",\"06:00.0\"") "]}"),
			    "stop web\n"
			    "set web devices 0000:06:00.0>\n"
			    "set db devices 0000:05:00.0>0000:05:00.0,0000:06:00.0\n"
			    "start web\n");
}

/* Two partitions swap devices: both give up in release, both claim in configure. */
static void test_diff_swap(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff_checked(f, HEAD WEB("\"05:00.0\"") "," DB("\"06:00.0\"") "]}"),
			    "stop web\n"
			    "set web devices 0000:06:00.0>\n"
			    "set db devices 0000:05:00.0>\n"
			    "set web devices >0000:05:00.0\n"
			    "set db devices >0000:06:00.0\n"
			    "start web\n");
}

/* A removed partition empties its devices before rmdir; a new one takes them. */
static void test_diff_remove_and_create(void **state)
{
	struct fx *f = *state;

	assert_string_equal(
	    diff_checked(f, HEAD DB("\"05:00.0\"") "," PART("new", "1", "\"06:00.0\"") "]}"),
	    "stop web\n"
	    "set web cpus 2>\n"
	    "set web memory 67108864>0\n"
	    "set web devices 0000:06:00.0>\n"
	    "delete web\n"
	    "create new\n"
	    "set new cpus NULL>1\n"
	    "set new memory NULL>67108864\n"
	    "set new kernel NULL>/boot/kpart/bzImage\n"
	    "set new devices >0000:06:00.0\n"
	    "start new\n");
}

/* Keeping some and adding others: only the new ones are written, once. */
static void test_diff_keep_and_add(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff_checked(f, HEAD WEB("\"06:00.0\"") "," DB(
						"\"05:00.0\",\"03:00.1\",\"03:00.0\"") "]}"),
			    "set db devices 0000:05:00.0>0000:03:00.0,0000:03:00.1,0000:05:00.0\n");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_join),
	    cmocka_unit_test(test_parse_normalises),
	    cmocka_unit_test(test_parse_repeated_and_shared),
	    cmocka_unit_test(test_parse_too_many),
	    T(test_inventory),
	    T(test_root_on_dm),
	    T(test_valid),
	    T(test_problems),
	    T(test_display_console_warns),
	    T(test_multifunction_owned_function),
	    T(test_multifunction_split),
	    T(test_no_handoff),
	    T(test_no_pci_tree),
	    T(test_diff_unchanged),
	    T(test_diff_move_to_running),
	    T(test_diff_move_from_running),
	    T(test_diff_swap),
	    T(test_diff_remove_and_create),
	    T(test_diff_keep_and_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
