#!/bin/sh
# A partition of ten CPUs on a twelve-CPU machine boots with all of them
# online in the application kernel and the right APIC IDs, and gives them
# all back. (More than 64, the old descriptor's limit, is what this is
# about; under TCG on two host cores a machine of 68 vCPUs took minutes to
# boot and stalled RCU, so the sizes beyond are checked by the unit test
# boot_layout, up to 8192 CPUs.)
# e2e-machine: -smp 12
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh
pool=$(rd $K/pool_size)

check_eq "12 CPUs online" "$(online)" "0-11"
setup big 1-10 512M ttyS1
check_eq "10 APIC IDs" "$(wc -w < $K/big/apic_ids)" "10"
write_ok $K/big/control start
wait_state big running 300
expect_app big 1-10 512M
wait_channel big up 120
check_eq "boot kernel keeps CPUs 0 and 11" "$(online)" "0,11"
write_ok $K/big/control stop
check_eq "stopped" "$(rd $K/big/state) $(rd $K/big/exit_reason)" "stopped stop"
check_eq "all 12 CPUs back" "$(online)" "0-11"
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
echo EXPECT-APP-BOOTS: ttyS1 1
finish
