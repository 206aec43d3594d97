#!/bin/sh
# The boot kernel in 4-level paging (no5lvl) on a CPU with LA57: the entry
# page table has four levels, and the application kernel, built for
# 5-level paging, is told no5lvl so that it does not try to switch modes
# (which needs memory below 1 MiB). It boots in 4-level mode.
# e2e-append: no5lvl
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1 EXPECT-APP-SAYS=1
. /tests/lib.sh

check "the boot kernel runs 4-level paging" sh -c "! grep -qw la57 /proc/cpuinfo"
setup p1 2-3 256M ttyS1
start_app p1 2-3 256M
write_ok $K/p1/control stop
check_eq "stopped" "$(rd $K/p1/state) $(rd $K/p1/exit_reason)" "stopped stop"
echo EXPECT-APP-BOOTS: ttyS1 1
echo "EXPECT-APP-SAYS: ttyS1 1 APP: paging 4-level"
finish
