#!/bin/sh
# Races on the control interface cannot hurt the boot kernel, on a debug
# boot kernel (kernel-patches/debug.config: lockdep, sleep-in-atomic
# checks, KASAN, kmemleak) so that a bad lock order, a sleep under a
# spinlock, a memory-safety error or a leak is reported even when the race
# it needs is not hit exactly:
# - four writers on one partition's files and control at once;
# - rmdir racing start, on a fresh partition each round;
# - a CPU's online file toggled while its partition starts and stops;
# - partctl steering a partition while partd applies plans.
# Afterwards the pool is whole, every CPU is back, no kpart object leaked
# (kmemleak), and lockdep is still on (it switches itself off after its
# first report); check-logs fails the test on any report in the log.
# e2e-kernel: debug
# e2e-timeout: 1500
# e2e-promise: EXPECT-APP=0
. /tests/lib.sh
. /tests/partd_lib.sh

pool=$(rd $K/pool_size)
D=/sys/kernel/debug
mount -t debugfs none $D 2>/dev/null
check "the boot kernel is the debug build ($(uname -r))" sh -c "uname -r | grep -q -- -debug"
check "lockdep is on" grep -q "debug_locks: *1" /proc/lockdep_stats
check "kmemleak is on" test -w $D/kmemleak
# What leaked before the races (boot-time noise) is not ours to judge
echo scan > $D/kmemleak 2>/dev/null
echo clear > $D/kmemleak 2>/dev/null

# until SECONDS CMD...: run CMD in a loop for SECONDS, errors ignored
until_t() {
	local end=$(( $(cut -d. -f1 /proc/uptime) + $1 ))
	shift
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		"$@" >/dev/null 2>&1
	done
}

echo "BOOT: --- four writers on p1 at once"
mkdir $K/p1
configure p1 2-3 128M none "idle=halt"
# mostly start and kill: a cooperative stop holds the partition in
# "stopping" for seconds, where every configuration write is refused
w_control() { for c in start kill start kill start "stop 1 kill"; do echo "$c" > $K/p1/control; done; }
w_config() {
	echo 2-3 > $K/p1/cpus; echo 3 > $K/p1/cpus; echo 64M > $K/p1/memory
	echo 128M > $K/p1/memory; echo "idle=halt x=$$" > $K/p1/cmdline; echo 2-3 > $K/p1/cpus
}
w_read() {
	for f in state cpus memory memory_range channel boot_count exit_reason console_log; do
		cat $K/p1/$f
	done
	cat $K/pool_free $K/pool_nodes $K/cpus_assigned
}
w_numa() { echo 0 > $K/p1/numa_node; echo auto > $K/p1/numa_node; echo 1 > $K/p1/smt_split; }
until_t 25 w_control & a=$!
until_t 25 w_config & b=$!
until_t 25 w_read & c=$!
until_t 25 w_numa & d=$!
wait $a $b $c $d
echo stop > $K/p1/control 2>/dev/null || echo kill > $K/p1/control
st=$(rd $K/p1/state)
check "p1 ends stopped or crashed ($st)" sh -c "[ $st = stopped ] || [ $st = crashed ]"
check "rmdir p1" rmdir $K/p1

echo "BOOT: --- rmdir racing start"
raced=0
i=1
while [ $i -le 8 ]; do
	mkdir $K/r$i && configure r$i 2 64M none "idle=halt" >/dev/null
	echo start > $K/r$i/control 2>/dev/null &
	s=$!
	# from at once to well into the start (reading the images, taking CPUs)
	[ $i -gt 1 ] && sleep 0.$((i - 1))
	rmdir $K/r$i 2>/dev/null && raced=$((raced + 1))
	wait $s
	if [ -d $K/r$i ]; then
		echo kill > $K/r$i/control 2>/dev/null
		rmdir $K/r$i 2>/dev/null || fail "r$i: cannot rmdir after kill ($(cat $K/r$i/state))"
	fi
	i=$((i + 1))
done
echo "BOOT: rmdir won the race $raced of 8 times"
check "no partition left" sh -c "! ls -d $K/r* 2>/dev/null"

echo "BOOT: --- CPU 2's online file toggled while its partition starts and stops"
mkdir $K/t1
configure t1 2-3 64M none "idle=halt"
C=/sys/devices/system/cpu/cpu2/online
until_t 30 sh -c "echo 0 > $C; echo 1 > $C" & tog=$!
until_t 30 sh -c "echo start > $K/t1/control; sleep 1; echo stop > $K/t1/control || echo kill > $K/t1/control"
wait $tog
echo kill > $K/t1/control 2>/dev/null
echo 1 > $C 2>/dev/null
check "rmdir t1" rmdir $K/t1

echo "BOOT: --- partctl while partd applies plans"
# two.json without its consoles: this test promises no application output
sed -e 's/"console": "ttyS[12]"/"console": "none"/' -e 's/console=ttyS[12],115200 //' \
	$PLANS/two.json > $PLAN
start_partd || { finish; exit 1; }
until_t 20 sh -c "kill -HUP $PARTD_PID; sleep 0.5" & h=$!
until_t 20 sh -c "partctl stop web; partctl start web; partctl --json status; partctl inventory" & p=$!
wait $h $p
wait_idle 120
cp $PLANS/empty.json $PLAN
kill -HUP "$PARTD_PID"
wait_idle 120
i=0
while [ -n "$(ls $K | grep -E '^(web|db)$')" ] && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
check_eq "the empty plan removed web and db" "$(ls $K | grep -cE '^(web|db)$')" "0"
stop_partd TERM

echo "BOOT: --- nothing leaked"
for c in 1 2 3; do echo 1 > /sys/devices/system/cpu/cpu$c/online 2>/dev/null; done
check_eq "every CPU online" "$(online)" "0-3"
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
check_eq "no CPU assigned" "$(rd $K/cpus_assigned)" ""
# kmemleak reports an object only after it went unreferenced through two
# scans; the module's objects are what counts (its backtraces name kpart)
echo scan > $D/kmemleak; sleep 6; echo scan > $D/kmemleak
leaks=$(grep -c "kpart" $D/kmemleak)
[ "$leaks" = 0 ] || sed -n '1,60p' $D/kmemleak | sed 's/^/BOOT: kmemleak| /'
check_eq "kmemleak: no object of the module unreferenced" "$leaks" "0"
check "lockdep still on (no report switched it off)" grep -q "debug_locks: *1" /proc/lockdep_stats
finish
