#!/bin/sh
# User messages over the channel: the application kernel runs an echo on
# /dev/kpart; from /dev/kpart-p1 we time 1,000 round trips and stream
# 10,000 messages of 8-4096 bytes, checked in order and byte for byte.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

setup p1 2-3 256M ttyS1 kpart.app=echo
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2-3 256M
wait_channel p1 up
sleep 1
out=$(kpart-ping ping /dev/kpart-p1 1000 16 2>&1)
echo "$out"
check "1,000 round trips of 16 bytes" sh -c "echo '$out' | grep -q '^PING: n=1000 size=16 ok'"
out=$(kpart-ping ping /dev/kpart-p1 1000 1024 2>&1)
echo "$out"
check "1,000 round trips of 1 KiB" sh -c "echo '$out' | grep -q '^PING: n=1000 size=1024 ok'"
out=$(kpart-ping stream /dev/kpart-p1 10000 32 2>&1)
echo "$out"
check "10,000 messages echoed in order and intact" sh -c "echo '$out' | grep -q '^STREAM: n=10000 ok'"
check_eq "channel still up" "$(rd $K/p1/channel)" "up"
check "no heartbeat lost" sh -c "! dmesg | grep -q 'p1: heartbeat lost'"

write_ok $K/p1/control stop
check_eq "p1 stopped" "$(rd $K/p1/state)" "stopped"
check_eq "exit reason" "$(rd $K/p1/exit_reason)" "stop"
check "rmdir p1" rmdir $K/p1
echo EXPECT-APP-BOOTS: ttyS1 1
finish
