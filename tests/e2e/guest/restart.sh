#!/bin/sh
# Start, stop and start again, three times in a row.
. /tests/lib.sh
pool=$(cat $K/pool_size)
setup p1 2-3 256M ttyS1
for round in 1 2 3; do
	echo "BOOT: round $round"
	write_ok $K/p1/control start
	wait_state p1 running || break
	[ $round = 1 ] && expect_app p1
	check_eq "round $round: boot kernel CPUs" "$(online)" "0-1"
	write_ok $K/p1/control stop
	check_eq "round $round: stopped" "$(cat $K/p1/state)" "stopped"
	check_eq "round $round: CPUs back" "$(online)" "0-3"
	check_eq "round $round: pool whole" "$(cat $K/pool_free)" "$pool"
done
check_eq "boot count" "$(cat $K/p1/boot_count)" "3"
echo EXPECT-APP-BOOTS: ttyS1 3
finish
