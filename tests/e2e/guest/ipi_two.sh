#!/bin/sh
# Two partitions with a channel each. Doorbells from both land in one
# handler on the boot kernel's CPU 0; each partition's messages must reach
# its own device only: both echo at the same time, one stopping leaves the
# other's channel up, and both stop over their channels.
# e2e-promise: EXPECT-APP=2 EXPECT-APP-BOOTS=2
. /tests/lib.sh

setup left 1 192M ttyS1 kpart.app=echo
setup right 3 192M ttyS2 kpart.app=echo
write_ok $K/left/control start
write_ok $K/right/control start
wait_state left running
wait_state right running
expect_app left 1 192M
expect_app right 3 192M
wait_channel left up
wait_channel right up
sleep 1
kpart-ping stream /dev/kpart-left 3000 16 >/tmp/left.out 2>&1 &
l=$!
kpart-ping stream /dev/kpart-right 3000 16 >/tmp/right.out 2>&1 &
r=$!
wait $l
wait $r
cat /tmp/left.out /tmp/right.out
check "left: 3,000 messages echoed while right streams" grep -q '^STREAM: n=3000 ok' /tmp/left.out
check "right: 3,000 messages echoed while left streams" grep -q '^STREAM: n=3000 ok' /tmp/right.out
out=$(kpart-ping ping /dev/kpart-left 500 16 2>&1)
echo "$out"
check "left: 500 round trips" sh -c "echo '$out' | grep -q '^PING: n=500 size=16 ok'"
check_eq "left channel up" "$(rd $K/left/channel)" "up"
check_eq "right channel up" "$(rd $K/right/channel)" "up"

dmesg -c >/dev/null
write_ok $K/left/control stop
check_eq "left stopped" "$(rd $K/left/state)" "stopped"
check_eq "right channel unaffected by left's stop" "$(rd $K/right/channel)" "up"
out=$(kpart-ping ping /dev/kpart-right 200 16 2>&1)
echo "$out"
check "right: 200 round trips after left stopped" sh -c "echo '$out' | grep -q '^PING: n=200 size=16 ok'"
write_ok $K/right/control stop
check_eq "right stopped" "$(rd $K/right/state)" "stopped"
check "both stops went over the channel" sh -c \
	"[ \$(dmesg | grep -c 'shutdown acknowledged over the channel') -eq 2 ]"
check_eq "all CPUs back" "$(online)" "0-3"
echo EXPECT-APP-BOOTS: ttyS1 1
echo EXPECT-APP-BOOTS: ttyS2 1
finish
