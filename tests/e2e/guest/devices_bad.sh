#!/bin/sh
# PCI device hand-off, bad input: each refused write to NAME/devices gets
# its errno and one log line, and changes nothing (lib.sh's expect_error,
# plus the devices files read the same afterwards): malformed addresses,
# an unknown function, bridges, one function of a multi-function device
# without ACS, a function of another partition, a drive the boot kernel
# has open, and any change while the partition runs.
# e2e-machine: -machine q35 -netdev user,id=slirp,restrict=on -netdev hubport,id=hs,hubid=0,netdev=slirp -netdev hubport,id=h0,hubid=0 -netdev hubport,id=h1,hubid=0 -device pcie-root-port,id=rp1,chassis=1 -device pcie-root-port,id=rp2,chassis=2 -device pcie-root-port,id=rp3,chassis=3 -device virtio-net-pci,netdev=h0,bus=rp1,romfile=,mac=52:54:00:00:00:01 -device virtio-net-pci,netdev=h1,bus=rp2,romfile=,mac=52:54:00:00:00:02 -drive file=@OUT@/nvme.img,if=none,id=nv,format=raw -device nvme,drive=nv,serial=kpart1,bus=rp3
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh
. /tests/devices_lib.sh

nics=$(fn_of 0x1af4:0x1041)
nvme=$(fn_of 0x1b36:0x0010)
nic_app=$(echo $nics | cut -d' ' -f2)
port=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/class)" = 0x060400 ] && echo ${d##*/}; done | head -n 1)
check "a NIC ($nic_app), a drive ($nvme), a root port ($port)" \
	[ -n "$nic_app" -a -n "$nvme" -a -n "$port" ]
mkdir $K/p1 $K/p2
configure p1 2-3 128M ttyS1 "console=ttyS1,115200 idle=halt"
write_ok $K/p1/devices "$nic_app"

# expect_bad DESC VALUE ERRNO LOG: refused, devices of both unchanged
expect_bad() {
	local before after
	before="$(rd $K/p1/devices | tr '\n' ' ')|$(rd $K/p2/devices | tr '\n' ' ')|$(rd $K/devices | tr '\n' ' ')"
	expect_error "$1" $K/p1/devices "$2" "$3" "$4"
	after="$(rd $K/p1/devices | tr '\n' ' ')|$(rd $K/p2/devices | tr '\n' ' ')|$(rd $K/devices | tr '\n' ' ')"
	check_eq "$1: devices unchanged" "$after" "$before"
}

for v in 0000:01:00 01:00.0 0000:01:00.8 0000:01:20.0 0000:1:00.0 zzzz:01:00.0 \
	"0000:01:00.0x" "$nvme;$nic_app"; do
	expect_bad "malformed '$v'" "$v" "Invalid argument" "is not a PCI address"
done
expect_bad "listed twice" "$nvme $nvme" "Invalid argument" "is listed twice"
expect_bad "unknown function" "0000:42:00.0" "No such device" "no PCI function 0000:42:00.0"
expect_bad "a valid one with an unknown one: nothing applied" "$nvme 0000:42:00.0" \
	"No such device" "no PCI function 0000:42:00.0"
expect_bad "a PCIe root port (bridge)" "$port" "Invalid argument" "is a bridge or not an endpoint"
expect_bad "the host bridge" "0000:00:00.0" "Invalid argument" "is a bridge or not an endpoint"
expect_bad "one function of a multi-function device without ACS" "0000:00:1f.2" \
	"Invalid argument" "multi-function device without ACS: 0000:00:1f.0 must go with it"
write_ok $K/p2/devices "$nvme"
expect_bad "a function of another partition" "$nvme" "Device or resource busy" \
	"$nvme belongs to partition p2"
write_ok $K/p2/devices ""
check_eq "p2: empty write, no devices" "$(rd $K/p2/devices)" ""
check "the boot kernel's NVMe drive" wait_for 20 disk_of $nvme
disk=$(disk_of $nvme)
exec 3<"$disk"
expect_bad "a drive the boot kernel has open (as it has its root)" "$nvme" \
	"Device or resource busy" "in use by the boot kernel: $disk is mounted or open"
exec 3<&-
write_ok $K/p1/devices "$nic_app,$nvme"
write_ok $K/p1/devices "$nic_app"

start_app p1 2-3 128M
expect_bad "changing devices while running" "$nic_app $nvme" "Device or resource busy" \
	"cannot change devices while running"
expect_bad "dropping devices while running" "" "Device or resource busy" \
	"cannot change devices while running"
write_ok $K/p1/control stop
back_in_boot "after stop" $nic_app
rmdir $K/p1 $K/p2
check_eq "no partition: no devices" "$(rd $K/devices)" ""
echo EXPECT-APP-BOOTS: ttyS1 1
finish
