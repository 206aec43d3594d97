#!/bin/sh
# 5-level paging, as QEMU's "max" CPU and a distribution kernel give it:
# the boot kernel runs it, the entry page table has five levels, and the
# application kernel boots in 5-level mode too. A command line that would
# make the application kernel switch to 4-level paging is refused at
# start (the switch needs memory below 1 MiB that no partition has), and
# nothing is held afterwards.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1 EXPECT-APP-SAYS=1
. /tests/lib.sh
pool=$(rd $K/pool_size)

check "the boot kernel runs 5-level paging (la57)" grep -qw la57 /proc/cpuinfo
setup p1 2-3 256M ttyS1 no5lvl
before=$(snapshot)
dmesg -c >/dev/null
check "a start with no5lvl is refused" sh -c "! echo start > $K/p1/control 2>/dev/null"
check "the kernel said why" sh -c "dmesg | grep -q 'p1: no5lvl on the command line, but the boot kernel runs 5-level paging'"
check_eq "nothing held after the refusal" "$(snapshot)" "$before"
write_ok $K/p1/cmdline "console=ttyS1,115200 idle=halt"
start_app p1 2-3 256M
write_ok $K/p1/control stop
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
echo EXPECT-APP-BOOTS: ttyS1 1
echo "EXPECT-APP-SAYS: ttyS1 1 APP: paging 5-level"
finish
