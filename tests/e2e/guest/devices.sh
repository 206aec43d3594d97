#!/bin/sh
# PCI device hand-off, the happy path: a partition gets one of two virtio
# NICs (modern virtio, MSI-X) and an NVMe drive. While it runs, the boot
# kernel does not see them, not even after a rescan; the application kernel
# sees exactly them, pings the boot kernel's NIC 100 times out of 100, counts
# MSI-X interrupts on its own CPUs, writes a pattern to the drive with
# O_DIRECT and reads it back, and reads its functions' config space (ECAM)
# in a loop while the boot kernel reads every function's (ports) in a loop:
# no mismatch on either side. The boot kernel logs no stray interrupt.
# After the stop both functions are back in the boot kernel, drivers bound:
# the NIC pings, the drive reads the pattern; tests/e2e/host/devices.sh
# checks the pattern in the drive's backing file on the host.
# e2e-machine: -machine q35 -netdev user,id=slirp,restrict=on -netdev hubport,id=hs,hubid=0,netdev=slirp -netdev hubport,id=h0,hubid=0 -netdev hubport,id=h1,hubid=0 -device pcie-root-port,id=rp1,chassis=1 -device pcie-root-port,id=rp2,chassis=2 -device pcie-root-port,id=rp3,chassis=3 -device virtio-net-pci,netdev=h0,bus=rp1,romfile=,mac=52:54:00:00:00:01 -device virtio-net-pci,netdev=h1,bus=rp2,romfile=,mac=52:54:00:00:00:02 -drive file=@OUT@/nvme.img,if=none,id=nv,format=raw -device nvme,drive=nv,serial=kpart1,bus=rp3
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh
. /tests/devices_lib.sh

find_devices
check "NICs bound in the boot kernel" wait_for 20 nic_ready $nic_boot
check "NICs bound in the boot kernel" wait_for 20 nic_ready $nic_app
boot_if=$(iface_of $nic_boot)
ip link set lo up
ip addr add 10.0.2.15/24 dev "$boot_if"
ip link set "$boot_if" up
ping -c 3 -W 5 10.0.2.2 >/dev/null 2>&1
check "the boot kernel's NIC pings QEMU's gateway" \
	sh -c "ping -c 3 -W 5 10.0.2.2 | grep -q ' 3 packets received'"
dmesg -c >/dev/null	# stray interrupts are looked for from here on

setup p1 2-3 256M ttyS1 "kpart.app=devices kpart.ip=10.0.2.16 kpart.peer=10.0.2.15 kpart.seed=4242 kpart.cfgsecs=20"
write_ok $K/p1/devices "$nvme,$nic_app"
want=$(printf '%s\n' $nic_app $nvme | sort | tr '\n' ' ')
check_eq "devices reads back sorted" "$(rd $K/p1/devices | tr '\n' ' ')" "$want"
check_eq "top-level devices: claimed" "$(rd $K/devices | tr '\n' ' ')" \
	"$(printf '%s p1 claimed\n' $nic_app $nvme | sort | tr '\n' ' ')"
check "claimed, not started: $nic_app still the boot kernel's" test -e /sys/bus/pci/devices/$nic_app/driver

write_ok $K/p1/control start
for a in $nic_app $nvme; do
	check "handed off: $a gone from the boot kernel" [ ! -e /sys/bus/pci/devices/$a ]
done
echo 1 > /sys/bus/pci/rescan
for a in $nic_app $nvme; do
	check "after a rescan: $a still gone" [ ! -e /sys/bus/pci/devices/$a ]
done
check_eq "top-level devices: owned" "$(rd $K/devices | tr '\n' ' ')" \
	"$(printf '%s p1 owned\n' $nic_app $nvme | sort | tr '\n' ' ')"
wait_state p1 running
expect_app p1 2-3 256M
wait_channel p1 up

# The boot kernel reads every function's config space (0xCF8/0xCFC) in a
# loop until the application kernel is done with its own loop (ECAM)
cfgs=0 cfgbad=0 cfgreads=0
while ! app_done p1 && [ $cfgs -lt 30 ]; do
	out=$(kpart-dev cfgloop 5 /sys/bus/pci/devices/*/config | tail -n 1)
	set -- $out
	cfgreads=$((cfgreads + $2))
	[ "$7" = 0 ] || { cfgbad=$((cfgbad + 1)); echo "boot cfgloop: $out"; }
	cfgs=$((cfgs + 1))
done
check "the application kernel finished its device checks" app_done p1
app_says p1 | sed 's/^/app: /'
check_eq "the application kernel sees exactly its functions" \
	"$(echo $(app_says p1 | sed -n 's/^pci //p'))" "$(echo $want)"
check_eq "100 of 100 pings from the application kernel" \
	"$(app_says p1 | sed -n 's/^ping //p')" "100/100"
check_eq "NVMe pattern read back with O_DIRECT in the application kernel" \
	"$(app_says p1 | sed -n 's/^nvme check: //p')" \
	"/dev/nvme0n1: 1048576 bytes of pattern 4242, 0 words differ"
irq=$(app_says p1 | sed -n 's/^irq //p')
set -- $irq
check "MSI-X interrupts on the application kernel's CPUs ($irq)" \
	[ "${2:-0}" -gt 0 -a "${4:-0}" -gt 0 -a "${6:-x}" = 0 -a "${8:-0}" = 2 ]
cfg=$(app_says p1 | sed -n 's/^cfgloop: //p')
set -- $cfg
check "application kernel's config loop: no mismatch ($cfg)" \
	[ "${1:-0}" -gt 0 -a "${6:-x}" = 0 ]
check "boot kernel's config loop meanwhile: no mismatch ($cfgreads reads in $cfgs rounds)" \
	[ $cfgreads -gt 0 -a $cfgbad -eq 0 ]
check_no_stray_irq "while handed off"

write_ok $K/p1/control stop
check_eq "stopped" "$(rd $K/p1/state)" "stopped"
back_in_boot "after stop" $nic_app $nvme
check_eq "top-level devices: claimed again" "$(rd $K/devices | tr '\n' ' ')" \
	"$(printf '%s p1 claimed\n' $nic_app $nvme | sort | tr '\n' ' ')"
check "after stop: the drive is back" wait_for 30 disk_of $nvme
disk=$(disk_of $nvme)
check_eq "after stop: the boot kernel reads the pattern" \
	"$(kpart-dev check "$disk" 4242 1M 2>&1)" \
	"check: $disk: 1048576 bytes of pattern 4242, 0 words differ"
nic_pings "after stop" $nic_app
check_no_stray_irq "after stop"
echo EXPECT-APP-BOOTS: ttyS1 1
finish
