#!/bin/sh
# x2APIC at server scale: a two-socket machine with wide core ID fields and
# only some CPUs present, so that APIC IDs have gaps and go above 255
# (0, 1, 2 on socket 0; 256 and 261 on socket 1). The boot kernel runs in
# x2APIC mode with interrupt remapping (QEMU's Intel IOMMU); a partition
# on the two socket-1 CPUs boots in x2APIC mode, sees exactly APIC IDs 256
# and 261, and its channel (doorbell IPIs by 32-bit physical ID both
# ways) answers pings. 2.5 GiB: q35 keeps RAM below 4 GiB up to 2.75 GiB,
# where the 1 GiB pool must fit beside the randomly placed boot kernel.
# e2e-machine: -machine q35 -m 2560M -device intel-iommu,intremap=on,eim=on -smp 3,maxcpus=260,sockets=2,cores=130,threads=1 -device max-x86_64-cpu,socket-id=1,core-id=0,thread-id=0 -device max-x86_64-cpu,socket-id=1,core-id=5,thread-id=0
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1 EXPECT-APP-SAYS=1
. /tests/lib.sh

check "the boot kernel runs in x2APIC mode" sh -c "dmesg | grep -q 'x2apic enabled\|Enabled x2apic\|x2apic: enabled'"
check_eq "five CPUs online" "$(online)" "0-4"
check_eq "APIC IDs with a gap and above 255" "$(echo $APICIDS)" "0:0 1:1 2:2 3:256 4:261"
setup far 3-4 256M ttyS1
check_eq "the partition's APIC IDs" "$(rd $K/far/apic_ids)" "256 261"
write_ok $K/far/control start
wait_state far running
expect_app far 3-4 256M
wait_channel far up
run_ping() { partctl ping -c 200 far >/tmp/ping.out 2>&1; }
check "200 pings over the channel" run_ping
cat /tmp/ping.out
write_ok $K/far/control stop
check_eq "stopped over the channel" "$(rd $K/far/state) $(rd $K/far/exit_reason)" "stopped stop"
check_eq "CPUs back" "$(online)" "0-4"
echo EXPECT-APP-BOOTS: ttyS1 1
echo "EXPECT-APP-SAYS: ttyS1 1 APP: apic x2APIC"
finish
