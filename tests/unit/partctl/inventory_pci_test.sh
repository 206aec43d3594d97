#!/bin/bash
# partctl inventory and status with PCI devices (issue 12), without a
# kernel: a fake machine (sysfs PCI tree, mount table, kpart control
# directory with the devices file). Names come from libpci's pci.ids; the
# JSON keys are the ones docs/partctl.md promises.
#
#   inventory_pci_test.sh PARTCTL
set -euo pipefail
PARTCTL=$1
T=$(mktemp -d /tmp/kpart-partctl-pci.XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
pc() { "$PARTCTL" -r "$T/kpart" -s "$T/sys" -S "$T/no-partd.sock" "$@"; }
expect_rc() {
	local want=$1 what=$2 rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -eq "$want" ] || fail "$what: exit $rc, want $want: $out"
	pass "$what (exit $rc)"
}
says() { grep -qF -- "$1" <<<"$out" || fail "wanted \"$1\" in: $out"; }

# pcidev ADDR VENDOR DEVICE CLASS HEADER-BYTE [DRIVER]
pcidev() {
	local d=$T/sys/devices/pci0000:00/$1
	mkdir -p "$d" "$T/sys/bus/pci/devices"
	ln -s "../../../devices/pci0000:00/$1" "$T/sys/bus/pci/devices/$1"
	echo "$2" >"$d/vendor"
	echo "$3" >"$d/device"
	echo "$4" >"$d/class"
	head -c 14 /dev/zero >"$d/config"
	printf "\\x$5" >>"$d/config"
	head -c 49 /dev/zero >>"$d/config"
	[ -z "${6:-}" ] || ln -s "../../../bus/pci/drivers/$6" "$d/driver"
}

mkdir -p "$T/sys/devices/system/cpu" "$T/kpart/web" "$T/kpart/db" "$T/proc/self"
echo 0-3 >"$T/sys/devices/system/cpu/present"
echo 1 >"$T/kpart/version"
echo 1073741824 >"$T/kpart/pool_size"
printf '0000:00:03.0 db claimed\n0000:06:00.0 web owned\n' >"$T/kpart/devices"
echo running >"$T/kpart/web/state"
echo 2 >"$T/kpart/web/cpus"
echo 0000:06:00.0 >"$T/kpart/web/devices"
echo stopped >"$T/kpart/db/state"
echo 0000:00:03.0 >"$T/kpart/db/devices"
pcidev 0000:00:02.0 0x1af4 0x1001 0x010000 00 virtio-pci
pcidev 0000:00:03.0 0x1af4 0x1000 0x020000 00 virtio-pci
pcidev 0000:00:1c.0 0x8086 0x7000 0x060400 01 pcieport
mkdir -p "$T/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda" "$T/sys/dev/block"
ln -s ../../devices/pci0000:00/0000:00:02.0/virtio1/block/vda "$T/sys/dev/block/254:0"
echo '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw' >"$T/proc/self/mountinfo"

# ---- inventory --json: stable keys, names from pci.ids, owners
expect_rc 0 "inventory --json" pc --json inventory
python3 - "$out" <<'PY' || fail "inventory --json: $out"
import json, sys
j = json.loads(sys.argv[1])
pci = j["pci"]
assert pci["sysfs"] is True and pci["handoff"] is True, pci
devs = {d["address"]: d for d in pci["devices"]}
assert list(devs) == ["0000:00:02.0", "0000:00:03.0", "0000:00:1c.0", "0000:06:00.0"], list(devs)
keys = {"address", "vendor_id", "device_id", "class", "header_type", "multifunction", "acs",
        "virtfn", "iommu", "driver", "in_boot_kernel", "boot_use", "owner", "state",
        "vendor_name", "device_name", "class_name"}
for d in devs.values():
    assert set(d) == keys, sorted(set(d) ^ keys)
blk = devs["0000:00:02.0"]
assert blk["vendor_id"] == "1af4" and blk["device_id"] == "1001" and blk["class"] == "010000", blk
assert blk["vendor_name"] == "Red Hat, Inc." and blk["device_name"] == "Virtio block device", blk
assert blk["class_name"] == "SCSI storage controller", blk
assert blk["driver"] == "virtio-pci" and blk["boot_use"] == "root file system (vda)", blk
assert blk["owner"] is None and blk["state"] == "free" and blk["in_boot_kernel"] is True, blk
net = devs["0000:00:03.0"]
assert net["owner"] == "db" and net["state"] == "claimed" and net["in_boot_kernel"], net
assert devs["0000:00:1c.0"]["header_type"] == 1, devs["0000:00:1c.0"]
own = devs["0000:06:00.0"]
assert own["owner"] == "web" and own["state"] == "owned" and own["in_boot_kernel"] is False, own
assert own["vendor_id"] is None and own["vendor_name"] is None and own["driver"] is None, own
parts = {p["name"]: p for p in j["partitions"]}
assert parts["web"]["devices"] == ["0000:06:00.0"] and parts["db"]["devices"] == ["0000:00:03.0"]
PY
pass "inventory --json: pci keys, names, owners, boot use, partitions' devices"

# ---- inventory for people
expect_rc 0 "inventory" pc inventory
says "PCI:        4 devices, 2 held by partitions"
line() { grep -F -- "$1" <<<"$out" || fail "no line with $1 in: $out"; }
l=$(line 0000:00:02.0)
for w in "SCSI storage controller" "Red Hat, Inc. Virtio block device" virtio-pci \
	"boot kernel's root file system (vda)"; do
	grep -qF -- "$w" <<<"$l" || fail "0000:00:02.0 line lacks \"$w\": $l"
done
grep -qF "db (claimed)" <<<"$(line 0000:00:03.0)" || fail "claimed owner: $out"
l=$(line 0000:06:00.0)
grep -qF "web (owned)" <<<"$l" && grep -qF "not in the boot kernel while web runs" <<<"$l" ||
	fail "owned device line: $l"
grep -qF "bridge" <<<"$(line 0000:00:1c.0)" || fail "bridge note: $out"
pass "inventory table: names, driver, owner and state, boot use, owned devices"

# ---- status (partd not running: the kernel's view) shows a partition's devices
expect_rc 0 "status web" pc status web
says "devices:      0000:06:00.0"

# ---- validate: offline catches a shared device, online the boot kernel's root disk
cat >"$T/plan.json" <<'PLAN'
{"version": 1, "pool": {"size": "1G"}, "partitions": [
  {"name": "web", "cpus": "2", "memory": "64M", "kernel": "/k", "devices": ["00:02.0"]},
  {"name": "db", "cpus": "3", "memory": "64M", "kernel": "/k", "devices": ["0000:00:02.0"]}]}
PLAN
expect_rc 2 "validate --offline, a device in two partitions" pc validate --offline "$T/plan.json"
says "/partitions/1/devices/0: error: device 0000:00:02.0 is also requested by /partitions/0 (web)"
sed -i 's/"devices": \["0000:00:02.0"\]/"devices": []/' "$T/plan.json"
expect_rc 2 "validate against the machine, the root disk" pc validate "$T/plan.json"
says "/partitions/0/devices/0: error: 0000:00:02.0 carries the boot kernel's root file system (vda)"
echo "all partctl PCI checks passed"
