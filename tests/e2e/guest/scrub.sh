#!/bin/sh
# No partition sees what another left in memory. The pool is zeroed after
# the module loads; memory a partition gives back is zeroed before anyone
# gets it again. Shown with the module's test hooks: with scrubbing
# skipped, a partition started on memory another kernel just ran in finds
# granules that are not zero (so the check can see dirt), and with
# scrubbing on it finds none, after a stop and after a kill.
# e2e-append: kpart.scrub_on_load=1
# e2e-promise: EXPECT-APP=3 EXPECT-APP-BOOTS=1
. /tests/lib.sh
P=/sys/module/kpart/parameters

# scrub_field NAME: a figure of pool_scrub ("dirty D scrubbed B ns N ...")
scrub_field() {
	local v
	v=$(rd $K/pool_scrub) || return 1
	echo "$v" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}

# wait_clean: until nothing is dirty (60 s at most)
wait_clean() {
	local i=0
	while [ "$(scrub_field dirty)" != 0 ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || { fail "pool still dirty after 60 s: $(rd $K/pool_scrub)"; return 1; }
		sleep 0.1
	done
	pass "pool clean: $(rd $K/pool_scrub)"
}

# granules_not_zero NAME: from the test hook's log line at NAME's last start
granules_not_zero() {
	dmesg | sed -n "s/.*kpart: $1: test: \\([0-9]*\\) of [0-9]* granules not zero at start.*/\\1/p" | tail -n 1
}

pool=$(rd $K/pool_size)
wait_clean
check "the whole pool was zeroed after load" [ "$(scrub_field scrubbed)" -ge "$pool" ]
write_ok $P/test_scrub_check 1

# A kernel runs in the memory, then leaves it unscrubbed (hook): the next
# partition on the same memory finds its traces
setup a 1 256M ttyS1
start_app a 1 256M
write_ok $P/test_scrub_skip 1
write_ok $K/a/control stop
wait_clean
write_ok $K/a/control start
wait_state a running 120
n=$(granules_not_zero a)
check "without scrubbing, a's kernel left data behind ($n granules)" [ "${n:-0}" -gt 0 ]
wait_channel a up 120
expect_app a 1 256M
write_ok $P/test_scrub_skip 0

# Stop: given back dirty, zeroed before the next start
write_ok $K/a/control stop
check "memory given back is dirty until zeroed" [ "$(scrub_field dirty)" -gt 0 ]
wait_clean
write_ok $K/a/control start
wait_state a running 120
check_eq "after stop and scrub: granules not zero" "$(granules_not_zero a)" 0
wait_channel a up 120
expect_app a 1 256M

# Kill: the same; start at once, before the worker is done (the start
# zeroes what is still dirty itself)
write_ok $K/a/control kill
write_ok $K/a/control start
wait_state a running 120
check_eq "after kill, started at once: granules not zero" "$(granules_not_zero a)" 0
wait_channel a up 120
write_ok $K/a/control stop
wait_clean
echo "scrub figures: $(rd $K/pool_scrub)"
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
echo EXPECT-APP-BOOTS: ttyS1 4
finish
