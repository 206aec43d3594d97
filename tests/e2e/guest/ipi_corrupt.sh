#!/bin/sh
# A misbehaving application kernel writes a garbage producer index into
# the ring it sends on. The boot kernel must notice, report the channel
# broken with the reason, keep running, and still stop the partition
# through the descriptor.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

setup p1 2-3 256M ttyS1 kpart.app=corrupt
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2-3 256M
wait_channel p1 broken
st=$(rd $K/p1/channel)
echo "channel: $st"
check "reason names the producer index" sh -c "echo '$st' | grep -q 'broken: producer index'"
check "boot kernel logged it" sh -c "dmesg | grep -q 'kpart: p1: channel broken'"
check_eq "p1 still running" "$(rd $K/p1/state)" "running"
check_eq "boot kernel still runs commands" "$(echo 6 7 | awk '{print $1 * $2}')" "42"
check "writes on the broken channel fail" sh -c "! echo hi > /dev/kpart-p1"
check_eq "channel stays broken" "$(rd $K/p1/channel)" "$st"

dmesg -c >/dev/null
write_ok $K/p1/control stop
check_eq "p1 stopped" "$(rd $K/p1/state)" "stopped"
check_eq "exit reason" "$(rd $K/p1/exit_reason)" "stop"
check "stop used the descriptor" sh -c "! dmesg | grep -q 'shutdown requested over the channel'"
check_eq "boot kernel CPUs after stop" "$(online)" "0-3"

# The next start formats the area again: the channel works
dmesg -c >/dev/null
write_ok $K/p1/cmdline "console=ttyS1,115200 idle=halt"
write_ok $K/p1/control start
wait_state p1 running
wait_channel p1 up
write_ok $K/p1/control stop
check_eq "exit reason after restart" "$(rd $K/p1/exit_reason)" "stop"
check "second stop went over the channel" sh -c "dmesg | grep -q 'p1: shutdown acknowledged over the channel'"
check "rmdir p1" rmdir $K/p1
echo EXPECT-APP-BOOTS: ttyS1 2
finish
