#!/bin/sh
# Two partitions at once on non-adjacent CPUs (1 and 3), each with its own
# UART; both boot, both keep running, stopping one leaves the other alone.
. /tests/lib.sh
pool=$(cat $K/pool_size)
setup left 1 192M ttyS1
setup right 3 192M ttyS2
write_ok $K/left/control start
write_ok $K/right/control start
wait_state left running
wait_state right running
expect_app left
expect_app right
check_eq "boot kernel keeps CPUs 0 and 2" "$(online)" "0,2"
check_eq "CPUs assigned" "$(cat $K/cpus_assigned)" "1,3"
sleep 3
check_eq "left still running" "$(cat $K/left/state)" "running"
check_eq "right still running" "$(cat $K/right/state)" "running"
write_ok $K/left/control stop
check_eq "left stopped" "$(cat $K/left/state)" "stopped"
check_eq "right unaffected by left's stop" "$(cat $K/right/state)" "running"
check_eq "CPU 1 back, 3 still given" "$(online)" "0-2"
sleep 2
check_eq "right still running 2 s later" "$(cat $K/right/state)" "running"
write_ok $K/right/control stop
check_eq "right stopped" "$(cat $K/right/state)" "stopped"
check_eq "all CPUs back" "$(online)" "0-3"
check_eq "pool whole" "$(cat $K/pool_free)" "$pool"
echo EXPECT-APP-BOOTS: ttyS1 1
echo EXPECT-APP-BOOTS: ttyS2 1
finish
