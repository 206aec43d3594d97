#!/bin/sh
# Hardware threads of a core stay with one kernel: on a machine with two
# threads per core (CPUs 0-1 and 2-3 are siblings), a partition that would
# split a core is refused with the sibling named, at configuration time;
# the whole core is accepted; smt_split=1 lets an operator split one
# anyway, and it boots.
# e2e-machine: -smp 4,sockets=1,cores=2,threads=2
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

check_eq "two threads per core" "$(rd /sys/devices/system/cpu/cpu2/topology/thread_siblings_list)" "2-3"
check_eq "cpu_cores lists the cores" "$(rd $K/cpu_cores | tr '\n' ' ')" "0-1 2-3 "
mkdir $K/p1
check_eq "smt_split defaults to 0" "$(rd $K/p1/smt_split)" "0"
expect_error "half a core" $K/p1/cpus "2" "Invalid argument" \
	"CPU 2 shares a core with CPU 3, which the partition does not get"
expect_error "the boot CPU's sibling" $K/p1/cpus "1" "Invalid argument" \
	"CPU 1 shares a core with CPU 0, which the partition does not get"
expect_error "smt_split garbage" $K/p1/smt_split "maybe" "Invalid argument" "invalid smt_split"
configure p1 2-3 128M ttyS1 "console=ttyS1,115200 idle=halt"
start_app p1 2-3 128M
write_ok $K/p1/control stop

echo "BOOT: --- the override"
write_ok $K/p1/smt_split 1
write_ok $K/p1/cpus 3
expect_error "smt_split back to 0 with a split core" $K/p1/smt_split "0" "Invalid argument" \
	"smt_split 0 refused: CPU 3 shares a core with CPU 2"
write_ok $K/p1/console none
write_ok $K/p1/cmdline "idle=halt"
write_ok $K/p1/control start
wait_state p1 running
check_eq "split partition runs, its sibling stays with the boot kernel" "$(online)" "0-2"
check_eq "it got CPU 3's APIC ID" "$(rd $K/p1/apic_ids)" "$(echo "$APICIDS" | tr ' ' '\n' | sed -n 's/^3://p')"
write_ok $K/p1/control stop
write_ok $K/p1/cpus 2-3
write_ok $K/p1/smt_split 0
check "rmdir p1" rmdir $K/p1
check_eq "all CPUs back" "$(online)" "0-3"
echo EXPECT-APP-BOOTS: ttyS1 1
finish
