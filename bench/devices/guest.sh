#!/bin/sh
# bench/devices, the boot kernel's side: the same measurements on two
# identical pairs of devices, one pair kept by the boot kernel, the other
# handed to a partition: 4 KiB O_DIRECT random reads on an NVMe drive for
# 10 s (IOPS) and 50 pings of QEMU's gateway from a virtio NIC (round trip
# min/avg/max ms). Lines "BENCH: devices KERNEL nvme|rtt VALUE".
. /tests/lib.sh
. /tests/devices_lib.sh
nics=$(fn_of 0x1af4:0x1041)
nvmes=$(fn_of 0x1b36:0x0010)
nic_boot=$(echo $nics | cut -d' ' -f1) nic_app=$(echo $nics | cut -d' ' -f2)
nvme_boot=$(echo $nvmes | cut -d' ' -f1) nvme_app=$(echo $nvmes | cut -d' ' -f2)
wait_for 20 nic_ready $nic_boot
boot_if=$(iface_of $nic_boot)
ip link set lo up
ip addr add 10.0.2.15/24 dev "$boot_if"
ip link set "$boot_if" up
ping -c 3 -W 5 10.0.2.2 >/dev/null 2>&1
wait_for 20 disk_of $nvme_boot
echo "BENCH: devices boot nvme $(kpart-dev randread $(disk_of $nvme_boot) 10 | sed -n 's/.*: \([0-9]*\) IOPS/\1/p')"
echo "BENCH: devices boot rtt $(ping -c 50 -i 0.1 -W 5 10.0.2.2 | sed -n 's/.*min\/avg\/max = //p')"

setup p1 2-3 256M ttyS1 "kpart.app=devices kpart.ip=10.0.2.16 kpart.peer=10.0.2.15 kpart.bench=10"
write_ok $K/p1/devices "$nic_app $nvme_app"
write_ok $K/p1/control start
wait_state p1 running
wait_for 240 app_done p1
app_says p1 | sed 's/^/app: /'
echo "BENCH: devices app nvme $(app_says p1 | sed -n 's/^bench randread: .*: \([0-9]*\) IOPS/\1/p')"
echo "BENCH: devices app rtt $(app_says p1 | sed -n 's/^bench rtt //p')"
write_ok $K/p1/control stop
echo "BENCH: devices done"
finish
