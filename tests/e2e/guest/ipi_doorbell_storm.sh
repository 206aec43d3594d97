#!/bin/sh
# The application kernel rings the boot kernel's doorbell 300000 times
# with nothing in the ring (a test knob in its module). The boot kernel
# must bound the work: a doorbell with nothing behind it runs no worker
# (the module's stop line counts doorbells and worker runs), the channel
# keeps working and the boot kernel's shell stays responsive.
# A storm needs both kernels' CPUs running at the same time: with one TCG
# thread taking the vCPUs in turn, the boot kernel's APIC merges a time
# slice's doorbells into one interrupt (333 for 300000 rings, measured),
# so this test runs on multi-threaded TCG.
# e2e-accel: tcg
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

setup p1 2-3 256M ttyS1 kpart.app=dbstorm
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2-3 256M
wait_channel p1 up
# The storm starts 2 s after the module is loaded and takes a few seconds
sleep 3
check_eq "boot kernel still runs commands" "$(echo 6 7 | awk '{print $1 * $2}')" "42"
sleep 9
check "no false heartbeat loss" sh -c "! dmesg | grep -q 'p1: heartbeat lost'"
check_eq "channel still up" "$(rd $K/p1/channel)" "up"
check "ping after the storm" kpart-ping ping /dev/kpart-echo/p1 100
write_ok $K/p1/control stop
check "stop went over the channel" sh -c "dmesg | grep -q 'p1: shutdown acknowledged over the channel'"
line=$(dmesg | grep 'kpart: p1: channel: .* doorbells' | tail -n 1)
echo "BOOT: ${line#*] }"
re='.* \([0-9]*\) doorbells to this kernel .* \([0-9]*\) worker runs (\([0-9]*\) empty).*'
doorbells=$(echo "$line" | sed -n "s/$re/\1/p")
runs=$(echo "$line" | sed -n "s/$re/\2/p")
if [ -n "$doorbells" ] && [ -n "$runs" ] && [ "$doorbells" -ge 1000 ] &&
	[ $((runs * 4)) -le "$doorbells" ]; then
	pass "storm bounded: $runs worker runs for $doorbells doorbells"
else
	fail "storm not bounded or not reported: '$line'"
fi
echo EXPECT-APP-BOOTS: ttyS1 1
finish
