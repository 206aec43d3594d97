#!/bin/sh
# PCI device hand-off refuses what it cannot make safe, on a machine like
# the x2apic test's (QEMU's Intel IOMMU with interrupt remapping, x2APIC,
# APIC IDs 256 and 261 on socket 1) with a virtio NIC behind a root port:
# a function the boot kernel's IOMMU translates (the application kernel
# could not program the IOMMU), and a partition whose CPUs have APIC IDs
# above 255 (MSIs without remapping carry 8 destination bits). Both
# EINVAL with one log line, nothing changed.
# e2e-machine: -machine q35 -m 2560M -device intel-iommu,intremap=on,eim=on -smp 3,maxcpus=260,sockets=2,cores=130,threads=1 -device max-x86_64-cpu,socket-id=1,core-id=0,thread-id=0 -device max-x86_64-cpu,socket-id=1,core-id=5,thread-id=0 -device pcie-root-port,id=rp1,chassis=1 -netdev hubport,id=h0,hubid=0 -device virtio-net-pci,netdev=h0,bus=rp1,romfile=
# e2e-promise: EXPECT-APP=0
. /tests/lib.sh
. /tests/devices_lib.sh

nic=$(fn_of 0x1af4:0x1041)
check "a virtio NIC ($nic)" [ -n "$nic" ]
check "the NIC is in an IOMMU group" test -e /sys/bus/pci/devices/$nic/iommu_group
check_eq "APIC IDs above 255" "$(echo $APICIDS)" "0:0 1:1 2:2 3:256 4:261"
mkdir $K/low $K/high
write_ok $K/low/cpus 1-2
write_ok $K/high/cpus 3-4
expect_error "a function behind the IOMMU" $K/low/devices "$nic" "Invalid argument" \
	"$nic is behind an IOMMU the application kernel cannot program"
check_eq "low: no devices" "$(rd $K/low/devices)" ""
expect_error "a partition on APIC IDs above 255" $K/high/devices "$nic" "Invalid argument" \
	"CPU 3 has APIC ID 256: a partition with PCI functions needs CPUs with APIC IDs up to 255"
check_eq "high: no devices" "$(rd $K/high/devices)" ""
check_eq "no devices claimed" "$(rd $K/devices)" ""
finish
