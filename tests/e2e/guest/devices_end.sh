#!/bin/sh
# PCI device hand-off when a partition does not stop by itself: its kernel
# panics while its NIC and NVMe drive are live (the NIC keeps receiving
# from the hub), and it is killed in the middle of pinging. Each time the
# functions are quiesced before its CPUs come back, reset, and scanned back
# into the boot kernel with their drivers bound: the NIC pings from there
# and the drive reads.
# e2e-machine: -machine q35 -netdev user,id=slirp,restrict=on -netdev hubport,id=hs,hubid=0,netdev=slirp -netdev hubport,id=h0,hubid=0 -netdev hubport,id=h1,hubid=0 -device pcie-root-port,id=rp1,chassis=1 -device pcie-root-port,id=rp2,chassis=2 -device pcie-root-port,id=rp3,chassis=3 -device virtio-net-pci,netdev=h0,bus=rp1,romfile=,mac=52:54:00:00:00:01 -device virtio-net-pci,netdev=h1,bus=rp2,romfile=,mac=52:54:00:00:00:02 -drive file=@OUT@/nvme.img,if=none,id=nv,format=raw -device nvme,drive=nv,serial=kpart1,bus=rp3
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1 EXPECT-APP-PANICS=1
. /tests/lib.sh
. /tests/devices_lib.sh

find_devices
check "NIC bound in the boot kernel" wait_for 20 nic_ready $nic_boot
boot_if=$(iface_of $nic_boot)
ip link set lo up
ip addr add 10.0.2.15/24 dev "$boot_if"
ip link set "$boot_if" up

dmesg -c >/dev/null	# stray interrupts are looked for from here on
setup p1 2-3 256M ttyS1 "kpart.app=panic"
write_ok $K/p1/devices "$nic_app $nvme"
# The crash: init exits, the kernel panics with the devices live
write_ok $K/p1/control start
wait_state p1 crashed
check_eq "crash: exit reason" "$(rd $K/p1/exit_reason)" "panic"
back_in_boot "after a crash" $nic_app $nvme
drive_reads() { dd if=$(disk_of $nvme) of=/dev/null bs=4096 count=256 2>&1 | grep -q '256+0 records in'; }
check "after a crash: the drive reads" wait_for 30 drive_reads
nic_pings "after a crash" $nic_app
check_no_stray_irq "after a crash"
ip link set "$boot_if" up
ip addr flush dev "$(iface_of $nic_app)"

# The kill: while the application kernel pings and writes
write_ok $K/p1/cmdline "console=ttyS1,115200 idle=halt kpart.app=devices kpart.ip=10.0.2.16 kpart.peer=10.0.2.15 kpart.seed=77"
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2-3 256M
app_has_nic() { app_says p1 | grep -q '^nic '; }
check "killed while busy: the application kernel found its devices" wait_for 120 app_has_nic
sleep 1
write_ok $K/p1/control kill
check_eq "killed" "$(rd $K/p1/exit_reason)" "killed"
back_in_boot "after a kill" $nic_app $nvme
check "after a kill: the drive reads" wait_for 30 drive_reads
nic_pings "after a kill" $nic_app
check_no_stray_irq "after a kill"
echo EXPECT-APP-BOOTS: ttyS1 2
echo EXPECT-APP-PANICS: ttyS1 1
finish
