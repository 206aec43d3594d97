#!/bin/sh
# A port nobody reads must not stop a receive worker. 400 echo requests
# whose replies the boot kernel's user space never reads fill the boot
# kernel's echo queue (256 messages); 300 user messages nobody reads in
# the application kernel fill its /dev/kpart queue. Both workers must go
# on draining: heartbeats keep coming (no false "heartbeat lost" in 8 s),
# the overflow is logged once, the 256 queued replies are intact, the
# port works again once read, and stop still goes over the channel (the
# application kernel's worker took the SHUTDOWN behind its full port).
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

setup p1 2-3 256M ttyS1
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2-3 256M
wait_channel p1 up
dmesg -c >/dev/null

exec 4<>/dev/kpart-echo/p1
i=0
while [ $i -lt 400 ]; do echo x >&4; i=$((i + 1)); done
exec 3>/dev/kpart-p1
i=0
while [ $i -lt 300 ]; do echo m >&3; i=$((i + 1)); done
exec 3>&-
echo "BOOT: 400 echo requests and 300 user messages sent, nothing read; waiting 8 s"
sleep 8
check "no false heartbeat loss" sh -c "! dmesg | grep -q 'p1: heartbeat lost'"
check_eq "channel still up" "$(rd $K/p1/channel)" "up"
check_eq "echo overflow logged once" "$(dmesg | grep -c 'p1: echo queue full')" "1"
# Exactly the 256 queued replies of 2 bytes, one per read
check_eq "256 replies queued" "$(timeout 10 dd bs=4096 count=256 <&4 2>/dev/null | wc -c)" "512"
echo y >&4
check_eq "the port works again" "$(timeout 10 dd bs=4096 count=1 <&4 2>/dev/null)" "y"
check "the drop count is logged" sh -c "dmesg | grep -q 'p1: echo queue has room again: 144 messages dropped'"
exec 4>&-
sleep 2	# busybox timeout's watcher keeps the descriptor open for up to 1 s
check "ping after the overflow" kpart-ping ping /dev/kpart-echo/p1 100
write_ok $K/p1/control stop
check_eq "exit reason" "$(rd $K/p1/exit_reason)" "stop"
check "stop went over the channel" sh -c "dmesg | grep -q 'p1: shutdown acknowledged over the channel'"
echo EXPECT-APP-BOOTS: ttyS1 1
finish
