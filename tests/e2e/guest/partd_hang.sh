#!/bin/sh
# partd and kernels that hang:
# - on_hang "restart": a partition whose kernel wedges (kpart.app=wedge,
#   every CPU spinning with interrupts off 3 s after init) is killed and
#   started again by partd once its channel has read "hung: no heartbeat
#   for N s" with N >= hang_timeout (8 s), each step logged;
# - stop_timeout: a plan that changes the wedged partition stops it with
#   "stop 3 kill": the kernel kills it after 3 s (exit reason "stop
#   timeout"), where the module's plain stop would have blocked partd 60 s,
#   and partd starts it with the new definition.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
# (partd logs warnings and errors with "warning: " and "error: " after
# "partd: " when not under systemd)
. /tests/lib.sh
. /tests/partd_lib.sh

echo "BOOT: --- wedged hangs; partd kills it and starts it again"
cp $PLANS/hang.json $PLAN
start_partd || { finish; exit 1; }
expect_app wedged 2 64M
check "partd saw the hang" wait_log 0 '^partd: (warning: )?wedged: hung \(hung: no heartbeat for [0-9]+ s\); on_hang restart after 8 s without heartbeat' 60
check "partd killed it after hang_timeout" wait_log 0 '^partd: (error: )?wedged: no heartbeat for [0-9]+ s \(hang_timeout 8 s\): killing it and starting it again' 30
check "the kill is logged with its exit reason" wait_log 0 '^partd: wedged: running -> stopped, exit reason killed' 10
i=0
while [ "$(kfile wedged boot_count)" -lt 2 ] && [ $i -lt 240 ]; do
	i=$((i + 1))
	sleep 0.25
done
check_eq "started again" "$(kfile wedged boot_count)" "2"
wait_state wedged running 60
# No third round: partd goes (partitions keep running), the kernel wedges
stop_partd TERM
check_eq "partd exits 0 on SIGTERM" "$RC" "0"
wait_channel wedged hung 30
dump_log

echo "BOOT: --- a plan with stop_timeout 3 replaces the wedged kernel"
cp $PLANS/hang-fixed.json $PLAN
m=$(mark)
t0=$(date +%s)
start_partd
t=$(( $(date +%s) - t0 ))
since "$m" | sed 's/^/LOG: /'
check "partd stopped it with the plan's timeout" wait_log "$m" '^partd: wedged: (running|stopping) -> stopped, exit reason stop timeout' 5
check "apply with the kill took less than 40 s ($t s), not the module's 60 s" test "$t" -lt 40
check "the kernel killed it after 3 s" sh -c "dmesg | grep -q 'wedged: did not stop within 3 s: killing it'"
check_eq "running the new definition" "$(kfile wedged state) $(kfile wedged boot_count)" "running 3"
wait_channel wedged up 30
run_rc partctl stop wedged
check_eq "partctl stop exits 0" "$RC" "0"
check_eq "a cooperative stop" "$(kfile wedged state) $(kfile wedged exit_reason)" "stopped stop"
stop_partd TERM
echo EXPECT-APP-BOOTS: ttyS1 3
finish
