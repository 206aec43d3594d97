#!/bin/sh
# Start, stop and start again, three times in a row; then once more with a
# stop the moment the partition runs, before its init is under way.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh
pool=$(rd $K/pool_size)
setup p1 2-3 256M ttyS1
for round in 1 2 3; do
	echo "BOOT: round $round"
	write_ok $K/p1/control start
	wait_state p1 running || break
	[ $round = 1 ] && expect_app p1 2-3 256M
	check_eq "round $round: boot kernel CPUs" "$(online)" "0-1"
	# Channel up: init printed its lines, so a kernel message about the
	# stop cannot cut one of them on the shared UART
	wait_channel p1 up
	write_ok $K/p1/control stop
	check_eq "round $round: stopped" "$(rd $K/p1/state)" "stopped"
	check_eq "round $round: CPUs back" "$(online)" "0-3"
	check_eq "round $round: pool whole" "$(rd $K/pool_free)" "$pool"
done

# An immediate stop races the application kernel's init (the stop arrives
# through the descriptor, as the channel is not up yet). Without a console,
# so that its UART log keeps only the three boots counted below.
echo "BOOT: round 4: stop at once"
write_ok $K/p1/console none
write_ok $K/p1/cmdline "idle=halt"
write_ok $K/p1/control start
wait_state p1 running
write_ok $K/p1/control stop
check_eq "round 4: stopped, exit reason" "$(rd $K/p1/state) $(rd $K/p1/exit_reason)" "stopped stop"
check_eq "round 4: CPUs back" "$(online)" "0-3"
check_eq "round 4: pool whole" "$(rd $K/pool_free)" "$pool"
check_eq "boot count" "$(rd $K/p1/boot_count)" "4"
echo EXPECT-APP-BOOTS: ttyS1 3
finish
