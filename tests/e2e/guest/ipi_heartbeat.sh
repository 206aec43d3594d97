#!/bin/sh
# The application kernel stops sending heartbeats for 8 s (a test knob in
# its module): the boot kernel reports the heartbeat lost after 5 s, then
# back, and the partition keeps running with its channel up.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

setup p1 2-3 256M ttyS1 kpart.app=hbpause
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2-3 256M
wait_channel p1 up
# wait_log TEXT SECONDS
wait_log() {
	i=0
	while ! dmesg | grep -q "$1"; do
		i=$((i + 1))
		[ $i -ge $(($2 * 10)) ] && { fail "no '$1' in the log within $2 s"; return 1; }
		sleep 0.1
	done
	pass "logged: $(dmesg | grep "$1" | tail -n 1 | sed 's/^\[[^]]*\] //')"
}
wait_log 'p1: heartbeat lost' 20
check_eq "still running while silent" "$(rd $K/p1/state)" "running"
wait_log 'p1: heartbeat back' 20
check_eq "channel up" "$(rd $K/p1/channel)" "up"
write_ok $K/p1/control stop
check_eq "exit reason" "$(rd $K/p1/exit_reason)" "stop"
check "stop went over the channel" sh -c "dmesg | grep -q 'p1: shutdown acknowledged over the channel'"
echo EXPECT-APP-BOOTS: ttyS1 1
finish
