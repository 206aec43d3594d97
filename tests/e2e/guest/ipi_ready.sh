#!/bin/sh
# The channel comes up: the application kernel's module says hello with its
# release (the same bzImage, so the boot kernel's), heartbeats flow, and a
# stop goes over the channel (shutdown, acknowledged) instead of the
# descriptor's stop_request, and ends cleanly.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

setup p1 2-3 256M ttyS1
check_eq "channel before start" "$(rd $K/p1/channel)" "none"
check "device /dev/kpart-p1 exists" test -c /dev/kpart-p1
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2-3 256M
wait_channel p1 up
check_eq "application kernel version over the channel" "$(rd $K/p1/app_version)" "$(uname -r)"
check "boot kernel logged the hello" sh -c "dmesg | grep -q 'p1: channel up, application kernel $(uname -r)'"
sleep 7
check "no heartbeat lost after 7 s" sh -c "! dmesg | grep -q 'p1: heartbeat lost'"
check_eq "channel still up" "$(rd $K/p1/channel)" "up"

dmesg -c >/dev/null
write_ok $K/p1/control stop
check_eq "p1 stopped" "$(rd $K/p1/state)" "stopped"
check_eq "exit reason" "$(rd $K/p1/exit_reason)" "stop"
check "stop went over the channel" sh -c "dmesg | grep -q 'p1: shutdown requested over the channel'"
check "shutdown acknowledged over the channel" sh -c "dmesg | grep -q 'p1: shutdown acknowledged over the channel'"
check "no descriptor fallback" sh -c "! dmesg | grep -q 'asking through the descriptor'"
check_eq "channel after stop" "$(rd $K/p1/channel)" "closed: shutdown acknowledged"
check_eq "boot kernel CPUs after stop" "$(online)" "0-3"
dmesg | grep 'kpart: p1' | sed 's/^/LOG: /'
check "rmdir p1" rmdir $K/p1
check "device gone with the partition" test ! -e /dev/kpart-p1
echo EXPECT-APP-BOOTS: ttyS1 1
finish
