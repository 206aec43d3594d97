#!/bin/sh
# One partition on CPUs 2-3 with 256 MiB: the application kernel sees
# exactly those CPUs and that memory, the boot kernel keeps working on
# CPUs 0-1, and everything comes back after stop.
. /tests/lib.sh

check_eq "boot kernel starts with all CPUs" "$(online)" "0-3"
pool=$(cat $K/pool_size)
check_eq "pool is whole before" "$(cat $K/pool_free)" "$pool"

setup p1 2-3 256M ttyS1
write_ok $K/p1/control start
wait_state p1 running
expect_app p1
check_eq "boot kernel CPUs while p1 runs" "$(online)" "0-1"
check_eq "pool_free while p1 runs" "$(cat $K/pool_free)" "$((pool - 256 * 1024 * 1024))"
check_eq "boot kernel still runs commands" "$(echo 6 7 | awk '{print $1 * $2}')" "42"
check_eq "boot count" "$(cat $K/p1/boot_count)" "1"
echo "BOOT: p1 boot_time_us=$(cat $K/p1/boot_time)"
sleep 2
check_eq "p1 still running after 2 s" "$(cat $K/p1/state)" "running"

write_ok $K/p1/control stop
check_eq "p1 stopped" "$(cat $K/p1/state)" "stopped"
check_eq "exit reason" "$(cat $K/p1/exit_reason)" "stop"
check_eq "boot kernel CPUs after stop" "$(online)" "0-3"
check_eq "pool is whole after stop" "$(cat $K/pool_free)" "$pool"
check "rmdir p1" rmdir $K/p1
check_eq "no CPUs assigned" "$(cat $K/cpus_assigned)" ""
echo EXPECT-APP-BOOTS: ttyS1 1
finish
