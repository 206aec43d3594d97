#!/bin/sh
# The application kernel sends 2000 bogus control messages (unknown types
# and repeated hellos, a test knob in its module). The boot kernel must not
# let them flood its log: at most the rate limit's burst of lines, the
# channel said up once, how many lines were left out reported, the channel
# still works and stop goes over it.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

setup p1 2-3 256M ttyS1 kpart.app=ctlflood
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2-3 256M
wait_channel p1 up
# The flood starts 2 s after the module is loaded; wait for its first line
i=0
while ! dmesg | grep -q 'p1: \(unknown control message\|repeated hello\)'; do
	i=$((i + 1))
	[ $i -ge 300 ] && break
	sleep 0.1
done
sleep 6
n=$(dmesg | grep -c 'p1: \(unknown control message\|repeated hello\)')
echo "BOOT: $n log lines about bogus control messages"
check "the flood was seen" [ "$n" -ge 1 ]
check "at most the rate limit's burst logged ($n <= 10)" [ "$n" -le 10 ]
check_eq "channel up logged once" "$(dmesg | grep -c 'p1: channel up')" "1"
check "no false heartbeat loss" sh -c "! dmesg | grep -q 'p1: heartbeat lost'"
check_eq "channel still up" "$(rd $K/p1/channel)" "up"
check "ping after the flood" kpart-ping ping /dev/kpart-echo/p1 100
write_ok $K/p1/control stop
check "stop went over the channel" sh -c "dmesg | grep -q 'p1: shutdown acknowledged over the channel'"
# The rest is counted, with the next allowed line or at the close
check "the $((2000 - n)) lines left out are reported" sh -c \
	"dmesg | grep -q 'p1: $((2000 - n)) log lines caused by the peer suppressed'"
echo EXPECT-APP-BOOTS: ttyS1 1
finish
