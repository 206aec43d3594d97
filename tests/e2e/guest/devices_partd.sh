#!/bin/sh
# partd and partctl hand a PCI function to a partition (issue 12), on the
# real module (the module's own checks are the devices* tests):
# - partctl inventory shows the virtio NIC with its driver, free; validate
#   refuses the PCIe root port it sits behind (a bridge) and an address the
#   machine does not have, and accepts the NIC written short (BB:DD.F);
# - partd applies a plan that gives the NIC to p1: while p1 runs the NIC is
#   gone from the boot kernel's sysfs, the module lists it as p1's, owned,
#   and partctl inventory still shows it (owner p1, owned, not in the boot
#   kernel); status p1 lists it;
# - partctl apply of the plan without it stops p1, empties its devices and
#   starts it again: the NIC is back in the boot kernel with its driver, and
#   nobody's;
# - an empty plan ends p1.
# e2e-machine: -machine q35 -netdev user,id=n0,restrict=on -device pcie-root-port,id=rp1,chassis=1 -device virtio-net-pci,netdev=n0,bus=rp1,romfile=
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh
. /tests/partd_lib.sh
. /tests/devices_lib.sh	# wait_for (fn_of is redefined below)

# fn_of VENDOR:DEVICE|CLASS: the first PCI function with those IDs or class
fn_of() {
	local d
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor"):$(cat "$d/device")" = "$1" ] ||
			[ "$(cat "$d/class")" = "$1" ]; then
			echo "${d##*/}"
			return
		fi
	done
}

# inv ADDR KEY: KEY of PCI device ADDR in partctl --json inventory
inv() {
	partctl --json inventory | awk -v a="\"address\": \"$1\"" -v k="\"$2\": " '
		index($0, a) { f = 1 }
		f && index($0, k) { sub(/^[^:]*: /, ""); sub(/,$/, ""); gsub(/"/, ""); print; exit }'
}

# plan FILE DEVICES: p1 on CPU 1 with those devices (JSON strings)
plan() {
	printf '%s\n' '{"version": 1, "pool": {"size": "1G"}, "partitions": [' \
		'  {"name": "p1", "cpus": "1", "memory": "128M", "kernel": "/boot/bzImage",' \
		'   "initrd": "/boot/app.cpio.gz", "cmdline": "console=ttyS1,115200 idle=halt",' \
		"   \"console\": \"ttyS1\", \"devices\": [$2]}]}" >"$1"
}

nic=$(fn_of 0x1af4:0x1041)
port=$(fn_of 0x060400)
check "a virtio NIC ($nic) behind a PCIe root port ($port)" [ -n "$nic" -a -n "$port" ]
check "the module can hand devices over" test -f $K/devices
short=${nic#0000:}

echo "BOOT: --- inventory and validate"
check_eq "inventory: the NIC's driver" "$(inv $nic driver)" "virtio-pci"
check_eq "inventory: the NIC is nobody's, in the boot kernel" \
	"$(inv $nic owner) $(inv $nic state) $(inv $nic in_boot_kernel)" "null free true"
check_eq "inventory: the root port is a bridge" "$(inv $port class)" "060400"
show inventory "$(partctl inventory | sed -n '/^PCI:/,$p')"
plan /tmp/port.json "\"$port\""
rc=0
out=$(partctl validate /tmp/port.json 2>&1) || rc=$?
check_eq "validate of the root port exits 2" "$rc" "2"
check "validate says it is a bridge" sh -c 'echo "$1" | grep -qF "$2 is a bridge (class 060400)"' - "$out" "$port"
plan /tmp/none.json '"0000:7f:1f.7"'
out=$(partctl validate /tmp/none.json 2>&1)
check "validate: no such device" sh -c 'echo "$1" | grep -qF "PCI device 0000:7f:1f.7 does not exist on this machine"' - "$out"
plan $PLAN "\"$short\""
check "validate of the NIC, written short" partctl validate $PLAN

echo "BOOT: --- partd gives the NIC to p1"
start_partd || {
	finish
	exit 1
}
check_eq "p1 runs" "$(rd $K/p1/state)" "running"
expect_app p1 1 128M
check_eq "p1/devices" "$(rd $K/p1/devices)" "$nic"
check_eq "the module's devices file: p1 owns it" "$(rd $K/devices)" "$nic p1 owned"
check "the NIC is gone from the boot kernel's sysfs" test ! -e /sys/bus/pci/devices/$nic
check_eq "inventory: owner, state, not in the boot kernel" \
	"$(inv $nic owner) $(inv $nic state) $(inv $nic in_boot_kernel)" "p1 owned false"
check "status p1 lists it" sh -c 'partctl status p1 | grep -q "^devices: *$1\$"' - "$nic"

echo "BOOT: --- the NIC comes back"
plan /tmp/back.json ''
check "partctl apply without the NIC" partctl apply /tmp/back.json
check_eq "p1 runs again" "$(rd $K/p1/state) $(rd $K/p1/boot_count)" "running 2"
check_eq "p1/devices empty" "$(rd $K/p1/devices)" ""
check_eq "the module's devices file empty" "$(rd $K/devices)" ""
check "the NIC is back in the boot kernel, driver bound" \
	wait_for 30 test -e /sys/bus/pci/devices/$nic/driver
check_eq "inventory: nobody's again" "$(inv $nic owner) $(inv $nic state)" "null free"
check "partd stopped p1 for its devices" grep -qE "stop +p1 +\(definition changed: devices\)" $LOG

echo '{"version": 1, "pool": {"size": "1G"}, "partitions": []}' >/tmp/empty.json
check "an empty plan ends p1" partctl apply /tmp/empty.json
check "no partition left" test ! -d $K/p1
# p1 booted with the NIC, then again without it
echo "EXPECT-APP-BOOTS: ttyS1 2"
finish
