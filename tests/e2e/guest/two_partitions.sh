#!/bin/sh
# Two partitions at once on non-adjacent CPUs (1 and 3), each with its own
# UART; both boot, both keep running, stopping one leaves the other alone.
# e2e-promise: EXPECT-APP=2 EXPECT-APP-BOOTS=2
. /tests/lib.sh
pool=$(rd $K/pool_size)
setup left 1 192M ttyS1
setup right 3 192M ttyS2
write_ok $K/left/control start
write_ok $K/right/control start
wait_state left running
wait_state right running
expect_app left 1 192M
expect_app right 3 192M
check_eq "boot kernel keeps CPUs 0 and 2" "$(online)" "0,2"
check_eq "CPUs assigned" "$(rd $K/cpus_assigned)" "1,3"
sleep 3
check_eq "left still running" "$(rd $K/left/state)" "running"
check_eq "right still running" "$(rd $K/right/state)" "running"
write_ok $K/left/control stop
check_eq "left stopped" "$(rd $K/left/state)" "stopped"
check_eq "right unaffected by left's stop" "$(rd $K/right/state)" "running"
check_eq "CPU 1 back, 3 still given" "$(online)" "0-2"
sleep 2
check_eq "right still running 2 s later" "$(rd $K/right/state)" "running"
write_ok $K/right/control stop
check_eq "right stopped" "$(rd $K/right/state)" "stopped"
check_eq "all CPUs back" "$(online)" "0-3"
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
echo EXPECT-APP-BOOTS: ttyS1 1
echo EXPECT-APP-BOOTS: ttyS2 1
finish
