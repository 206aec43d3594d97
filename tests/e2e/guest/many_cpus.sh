#!/bin/sh
# More CPUs than the old descriptor's 64: on a 68-CPU machine, a partition
# of 66 CPUs (1-66) boots with all of them online in the application
# kernel and the right APIC IDs, and gives them all back.
# e2e-machine: -smp 68
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh
pool=$(rd $K/pool_size)

check_eq "68 CPUs online" "$(online)" "0-67"
setup big 1-66 512M ttyS1
check_eq "66 APIC IDs" "$(wc -w < $K/big/apic_ids)" "66"
write_ok $K/big/control start
wait_state big running 300
expect_app big 1-66 512M
wait_channel big up 120
check_eq "boot kernel keeps CPUs 0 and 67" "$(online)" "0,67"
write_ok $K/big/control stop
check_eq "stopped" "$(rd $K/big/state) $(rd $K/big/exit_reason)" "stopped stop"
check_eq "all 68 CPUs back" "$(online)" "0-67"
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
echo EXPECT-APP-BOOTS: ttyS1 1
finish
