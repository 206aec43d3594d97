#!/bin/sh
# One partition on CPUs 2-3 with 256 MiB: the application kernel sees
# exactly those CPUs and that memory, the boot kernel keeps working on
# CPUs 0-1, and everything comes back after stop.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1 EXPECT-APP-SAYS=1
. /tests/lib.sh

check_eq "boot kernel starts with all CPUs" "$(online)" "0-3"
pool=$(rd $K/pool_size)
check_eq "pool is whole before" "$(rd $K/pool_free)" "$pool"

setup p1 2-3 256M ttyS1
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2-3 256M
check_eq "boot kernel CPUs while p1 runs" "$(online)" "0-1"
check_eq "pool_free while p1 runs" "$(rd $K/pool_free)" "$((pool - 256 * 1024 * 1024))"
check_eq "boot kernel still runs commands" "$(echo 6 7 | awk '{print $1 * $2}')" "42"
check_eq "boot count" "$(rd $K/p1/boot_count)" "1"
echo "BOOT: p1 boot_time_us=$(rd $K/p1/boot_time)"
sleep 2
check_eq "p1 still running after 2 s" "$(rd $K/p1/state)" "running"

write_ok $K/p1/control stop
check_eq "p1 stopped" "$(rd $K/p1/state)" "stopped"
check_eq "exit reason" "$(rd $K/p1/exit_reason)" "stop"
check_eq "boot kernel CPUs after stop" "$(online)" "0-3"
check_eq "pool is whole after stop" "$(rd $K/pool_free)" "$pool"
check "rmdir p1" rmdir $K/p1
check_eq "no CPUs assigned" "$(rd $K/cpus_assigned)" ""
echo EXPECT-APP-BOOTS: ttyS1 1
# The default machine has no interrupt remapping: both kernels use xAPIC
echo "EXPECT-APP-SAYS: ttyS1 1 APP: apic xAPIC"
finish
