#!/bin/sh
# Helpers of the devices e2e tests (sourced after lib.sh). The machine
# (DEVICES_MACHINE in the tests' headers): q35, two virtio-net NICs and an
# NVMe drive, each behind a PCIe root port; both NICs and QEMU's user
# network (its gateway 10.0.2.2 answers pings) on one hub.

# fn_of VENDOR:DEVICE: the PCI addresses of those functions, sorted
fn_of() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor" 2>/dev/null):$(cat "$d/device" 2>/dev/null)" = "$1" ] &&
			echo "${d##*/}"
	done | sort
}

# find_devices: the machine's two virtio NICs and NVMe drive into nics,
# nvme, nic_boot (the one the boot kernel keeps) and nic_app
find_devices() {
	nics=$(fn_of 0x1af4:0x1041)
	nvme=$(fn_of 0x1b36:0x0010)
	nic_boot=$(echo $nics | cut -d' ' -f1)
	nic_app=$(echo $nics | cut -d' ' -f2)
	check "two virtio NICs ($nics) and an NVMe drive ($nvme)" \
		[ -n "$nic_boot" -a -n "$nic_app" -a "$nic_boot" != "$nic_app" -a -n "$nvme" ]
}

# iface_of ADDR: the network interface of the virtio NIC at ADDR, if bound
iface_of() { ls /sys/bus/pci/devices/$1/virtio*/net 2>/dev/null | head -n 1; }

# disk_of ADDR: /dev/NAME of the NVMe namespace of the function at ADDR
disk_of() {
	local d
	d=$(ls -d /sys/bus/pci/devices/$1/nvme/nvme*/nvme*n1 2>/dev/null | head -n 1)
	[ -n "$d" ] && [ -b /dev/${d##*/} ] && echo /dev/${d##*/}
}

nic_ready() { [ -n "$(iface_of $1)" ]; }

# wait_for SECONDS COMMAND...: until COMMAND succeeds (then 0), else 1
wait_for() {
	local i=0 lim=$(( $1 * 10 ))
	shift
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge $lim ] && return 1
		sleep 0.1
	done
}

# app_says NAME: the application kernel's "kpart-devtest: " results so far
app_says() { rd $K/$1/console_log | tr -d '\r' | sed -n 's/.*kpart-devtest: //p'; }
app_done() { app_says "$1" | grep -qx done; }

# The boot kernel saw no stray interrupt: nothing in its log, ERR 0
check_no_stray_irq() {
	local bad err
	bad=$(dmesg | grep -i 'spurious\|unhandled\|No irq handler\|nobody cared\|unexpected IRQ' | head -n 3)
	check_eq "$1: no spurious or unhandled interrupt logged" "$bad" ""
	err=$(awk '$1 == "ERR:" {print $2}' /proc/interrupts)
	check_eq "$1: interrupt errors (ERR in /proc/interrupts)" "$err" "0"
}

# back_in_boot WHAT ADDR...: each function is back in the boot kernel with
# a driver bound
back_in_boot() {
	local what=$1 a
	shift
	for a in "$@"; do
		check "$what: $a back in the boot kernel, driver bound" \
			wait_for 30 test -e /sys/bus/pci/devices/$a/driver
	done
}

# nic_pings WHAT ADDR: the NIC at ADDR, alone on the hub side of this
# kernel (the others down), reaches QEMU's gateway
nic_pings() {
	local ifc other
	ifc=$(iface_of $2)
	check "$1: $2 has an interface ($ifc)" [ -n "$ifc" ]
	[ -n "$ifc" ] || return
	for other in $(ls /sys/class/net); do
		[ "$other" = lo ] || [ "$other" = "$ifc" ] || ip link set "$other" down
	done
	ip addr flush dev "$ifc"
	ip addr add 10.0.2.16/24 dev "$ifc"
	ip link set "$ifc" up
	ping -c 3 -W 5 10.0.2.2 >/dev/null 2>&1
	check "$1: $2 ($ifc) pings 10.0.2.2 from the boot kernel" \
		sh -c "ping -c 5 -W 5 10.0.2.2 | grep -q ' 5 packets received'"
	ip link set "$ifc" down
}
