#!/bin/sh
# A CPU that faults on its way into the application kernel, before that
# kernel has an IDT of its own, ends its partition and never the machine:
# the entry IDT records the vector and halts the CPU; the partition ends
# crashed with "entry fault vector 6" (#UD, from the test knob), its CPUs
# and memory come back, the partition next to it keeps running and its
# channel answers, and the same partition then starts normally.
# e2e-promise: EXPECT-APP=2 EXPECT-APP-BOOTS=2
. /tests/lib.sh
pool=$(rd $K/pool_size)
M=1048576

setup other 3 192M ttyS2
start_app other 3 192M

setup p1 1-2 128M ttyS1
write_ok /sys/module/kpart/parameters/test_entry_fault 1
dmesg -c >/dev/null
write_ok $K/p1/control start
wait_state p1 crashed 30
check_eq "exit reason names the vector" "$(rd $K/p1/exit_reason)" "entry fault vector 6"
check "the boot kernel logged the fault" sh -c "dmesg | grep -q 'p1: a CPU faulted in the entry path: vector 6 (#UD) at 0x'"
dmesg | grep 'kpart: p1' | sed 's/^/LOG: /'
check_eq "p1's CPUs are back" "$(online)" "0-2"
check_eq "p1's memory is back" "$(rd $K/pool_free)" "$((pool - 192 * M))"
check_eq "the knob was for one start" "$(rd /sys/module/kpart/parameters/test_entry_fault)" "N"
check_eq "the boot count did not move" "$(rd $K/p1/boot_count)" "0"
check_eq "other still runs" "$(rd $K/other/state)" "running"
run_ping() { partctl ping -c 100 other >/tmp/ping.out 2>&1; }
check "other's channel answers 100 pings" run_ping
check "boot kernel still runs commands" test "$(echo 6 7 | awk '{print $1 * $2}')" = 42

start_app p1 1-2 128M
write_ok $K/p1/control stop
write_ok $K/other/control stop
check_eq "both stopped" "$(rd $K/p1/state) $(rd $K/other/state)" "stopped stopped"
check_eq "all CPUs back" "$(online)" "0-3"
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
echo EXPECT-APP-BOOTS: ttyS1 1
echo EXPECT-APP-BOOTS: ttyS2 1
finish
