#!/bin/sh
# The channel as operators use it, through partctl, with partd running:
# - `partctl ping` completes 1,000 round trips (answered by the
#   application kernel's module) and reports p50/p99;
# - a command typed into `partctl console` runs in the application kernel
#   (its own /proc/cmdline comes back) and Ctrl-] detaches;
# - kernel messages of the application kernel reach the console too;
# - `partctl logs` shows that output, also after the partition stopped;
# - `partctl stop` is a clean shutdown through the control channel;
# - deleting a partition hangs up a console attached to it;
# - the channel's state changes reach partd as netlink events: ready,
#   heartbeat lost and back (quiet pauses its heartbeat), shutdown.
# e2e-promise: EXPECT-APP=2 EXPECT-APP-BOOTS=2
. /tests/lib.sh
. /tests/partd_lib.sh

# wait_file FILE TEXT [SECONDS]: until FILE contains TEXT
wait_file() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge $(( ${3:-60} * 10 )) ] && return 1
		sleep 0.1
	done
}

cp $PLANS/console.json $PLAN
start_partd || { finish; exit 1; }
wait_state app running
wait_channel app up
check "partd got the ready event" wait_log 0 "event: app ready" 10
wait_state quiet running
expect_app app 2-3 256M
expect_app quiet 1 64M
check "partd got quiet's heartbeat-lost event" wait_log 0 "event: quiet heartbeat-lost" 30
check "partd got quiet's heartbeat-back event" wait_log 0 "event: quiet heartbeat\$" 30
check "console device" test -c /dev/kpart-console/app
check "echo device" test -c /dev/kpart-echo/app

echo "BOOT: --- partctl ping"
run_rc partctl ping app
show ping "$OUT"
check_eq "partctl ping exit status" "$RC" 0
check "1,000 round trips, none lost" sh -c "echo '$OUT' | grep -q '1000 round trips of 64 bytes'"
check "p50 and p99 reported" sh -c "echo '$OUT' | grep -q 'p50 .* us, p99 .* us'"
run_rc partctl --json ping -c 200 --size 4096 app
show ping-json "$OUT"
check_eq "partctl --json ping 4 KiB exit status" "$RC" 0
check "json: 200 received, 0 lost" sh -c "echo '$OUT' | tr -d ' \n' | grep -q '\"received\":200,\"lost\":0'"
check "a second pinger is refused while one runs" sh -c '
	partctl ping -c 100000 app >/dev/null 2>&1 & p=$!; sleep 1
	out=$(partctl ping -c 1 app 2>&1); rc=$?; kill $p; wait $p
	[ $rc -eq 1 ] && echo "$out" | grep -q "another ping"'

echo "BOOT: --- partctl console"
rm -f /tmp/cin /tmp/cout
mkfifo /tmp/cin
partctl console app </tmp/cin >/tmp/cout 2>/tmp/cerr &
cpid=$!
exec 3>/tmp/cin
sleep 1
# Single quotes: expanded by the application kernel's shell, not ours
printf '%s\n' 'echo "RESULT-$((6*7)) $(cat /proc/cmdline)"' >&3
if wait_file /tmp/cout 'RESULT-42 console=ttyS1' 60; then
	pass "typed command ran in the application kernel: $(grep -a 'RESULT-42' /tmp/cout | tr -d '\r' | tail -n 1)"
else
	fail "no command output on the console (got: $(tr -d '\r' < /tmp/cout | tail -n 3))"
fi
# The typed line comes back as the tty's echo: built from a variable, so
# that only the kernel's own message can match the text looked for.
printf '%s\n' 'm=kernel; echo "<2>kpart-console-test: $m message" > /dev/kmsg' >&3
if wait_file /tmp/cout 'kpart-console-test: kernel message' 30; then
	pass "application kernel messages reach the console"
else
	fail "no kernel message on the console"
fi
printf '\035' >&3
i=0
while kill -0 $cpid 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
exec 3>&-
if kill -0 $cpid 2>/dev/null; then
	fail "Ctrl-] did not detach partctl console"
	kill $cpid
else
	wait $cpid
	check_eq "partctl console detached with Ctrl-], status" "$?" 0
fi
show console-stderr "$(cat /tmp/cerr)"
check "attach message names the detach key" grep -q 'Ctrl-]' /tmp/cerr

echo "BOOT: --- partctl logs"
run_rc partctl logs app
check_eq "partctl logs exit status" "$RC" 0
check "logs keep the command's output" sh -c "echo '$OUT' | grep -q 'RESULT-42 console=ttyS1'"
check "logs keep the kernel message" sh -c "echo '$OUT' | grep -q 'kpart-console-test: kernel message'"
check "logs drop the CR of CRLF" sh -c "! echo '$OUT' | grep -q \"\$(printf '\r')\""
check "console_log in kernfs has it" grep -q 'RESULT-42' $K/app/console_log

echo "BOOT: --- partctl stop over the control channel"
dmesg -c >/dev/null
m=$(mark)
run_rc partctl stop app
show stop "$OUT"
check_eq "partctl stop exit status" "$RC" 0
check_eq "app stopped, exit reason" "$(kfile app state) $(kfile app exit_reason)" "stopped stop"
check "stop went over the channel" sh -c "dmesg | grep -q 'app: shutdown requested over the channel'"
check "shutdown acknowledged over the channel" sh -c "dmesg | grep -q 'app: shutdown acknowledged over the channel'"
check "no descriptor fallback" sh -c "! dmesg | grep -q 'asking through the descriptor'"
check "partd saw the shutdown event" wait_log "$m" "event: app shutdown" 10
run_rc partctl logs app
check "logs still there after the stop" sh -c "echo '$OUT' | grep -q 'RESULT-42'"
check "console input refused while stopped" sh -c "! echo x > /dev/kpart-console/app"
run_rc partctl ping -c 1 app
check "ping of a stopped partition fails (status $RC)" sh -c "[ $RC -eq 1 ] && echo '$OUT' | grep -q 'not running'"
run_rc partctl ping -c 1 nosuch
check_eq "ping of an unknown partition, status" "$RC" 2

echo "BOOT: --- an attached console does not keep a partition from being deleted"
rm -f /tmp/cin
mkfifo /tmp/cin
partctl console app </tmp/cin >/tmp/cout 2>/tmp/cerr &
cpid=$!
exec 3>/tmp/cin
sleep 1
cp $PLANS/empty.json $PLAN
kill -HUP "$PARTD_PID"
sleep 1
wait_idle 60
check "partd deleted app with its console attached" test ! -e $K/app
check "and quiet" test ! -e $K/quiet
i=0
while kill -0 $cpid 2>/dev/null && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
if kill -0 $cpid 2>/dev/null; then
	fail "partctl console still attached to a deleted partition"
	kill $cpid
else
	wait $cpid
	rc=$?
	show console-stderr "$(cat /tmp/cerr)"
	check "partctl console saw the hang-up (status $rc)" sh -c "[ $rc -eq 1 ] && grep -q 'closed' /tmp/cerr"
fi
exec 3>&-

stop_partd TERM
echo EXPECT-APP-BOOTS: ttyS1 1
echo EXPECT-APP-BOOTS: ttyS2 1
finish
