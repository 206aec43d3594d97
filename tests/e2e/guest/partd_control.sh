#!/bin/sh
# partd keeps partitions running, and partctl steers them, on the real module:
# - an application kernel that reboots itself is started again by partd;
# - `partctl stop` holds it stopped across a reload and a partd restart;
#   `partctl start` releases it;
# - a partition whose kernel panics is left crashed (CPU and memory back);
#   a plan that changes it restarts it without a stop (nothing runs).
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh
. /tests/partd_lib.sh

pool=$(rd $K/pool_size)
M=1048576

# looper_boots: looper's boot count
looper_boots() { kfile looper boot_count; }

# partctl_retry CMD...: partctl, again while partd is busy (restarting looper)
partctl_retry() {
	i=0
	while :; do
		run_rc partctl "$@"
		[ "$RC" -eq 1 ] && echo "$OUT" | grep -q "busy" && [ $i -lt 40 ] || break
		i=$((i + 1))
		sleep 0.25
	done
}

echo "BOOT: --- looper reboots itself; partd starts it again"
cp $PLANS/control.json $PLAN
start_partd || { finish; exit 1; }
i=0
while [ "$(looper_boots)" -lt 3 ] && [ $i -lt 240 ]; do
	i=$((i + 1))
	sleep 0.25
done
check "looper booted 3 times within 60 s (boot_count $(looper_boots))" test "$(looper_boots)" -ge 3
check "partd restarted it after its reboots" \
	test "$(grep -c '^partd: looper: rebooted itself; starting it again' $LOG)" -ge 2
check_eq "steady untouched" "$(kfile steady boot_count) $(kfile steady state)" "1 running"
expect_app steady 1 64M

echo "BOOT: --- partctl stop holds looper stopped"
partctl_retry stop looper
show stop "$OUT"
check_eq "partctl stop looper exits 0" "$RC" "0"
wait_idle 30
n=$(looper_boots)
sleep 4
check_eq "looper stays stopped" "$(kfile looper state) $(looper_boots)" "stopped $n"
check_eq "status --json: held" "$(field looper held)" "true"
check "status shows it held" sh -c "partctl status | grep -q '^looper .* held'"

m=$(mark)
kill -HUP $PARTD_PID
check "reload: the machine matches the plan" wait_log "$m" "plan.json: the machine matches the plan" 30
wait_idle 30
check_eq "reload leaves looper stopped" "$(kfile looper state) $(looper_boots)" "stopped $n"

stop_partd 9
m=$(mark)
start_partd
check "new partd knows the hold" grep -q "^partd: looper: held stopped by an operator" $LOG
check_no_actions "new partd" "$m"
check_eq "new partd leaves looper stopped" "$(kfile looper state) $(looper_boots)" "stopped $n"

echo "BOOT: --- a plan that calms looper (still held) and adds flaky (manual)"
m=$(mark)
run_rc partctl apply $PLANS/control-crash.json
show apply "$OUT"
check_eq "apply exits 0" "$RC" "0"
check_actions "apply" "$m" "+ create flaky (new)
~ set looper/cmdline console=ttyS2,115200 idle=halt kpart.app=reboot -> console=ttyS2,115200 idle=halt
+ set flaky/cpus 3
+ set flaky/memory 64M
+ set flaky/kernel /boot/bzImage
+ set flaky/initrd /boot/app.cpio.gz
+ set flaky/cmdline idle=halt kpart.app=panic
+ set flaky/console none"
check_eq "held looper not started, flaky not started" "$(states)" \
	"flaky=stopped looper=stopped steady=running"

run_rc partctl start looper
check_eq "partctl start looper exits 0" "$RC" "0"
check_eq "looper runs (and idles now)" "$(kfile looper state) $(looper_boots)" "running $((n + 1))"
check_eq "hold released" "$(field looper held)" "false"
sleep 2
check_eq "looper still runs 2 s later" "$(kfile looper state) $(looper_boots)" "running $((n + 1))"

echo "BOOT: --- flaky panics in init: partd sees it crash and leaves it crashed"
# The module calls a partition running once its kernel is up (late
# initcall), before init: the start succeeds, the crash comes after.
m=$(mark)
run_rc partctl start flaky
show start "$OUT"
check_eq "partctl start flaky exits 0 (the kernel came up)" "$RC" "0"
wait_state flaky crashed 30
check "partd logged the crash" wait_log "$m" "^partd: flaky: running -> crashed, exit reason panic" 5
check_eq "flaky crashed" "$(kfile flaky state) $(kfile flaky exit_reason)" "crashed panic"
check_eq "its CPU is back with the boot kernel" "$(online)" "0,3"
check_eq "its memory is back in the pool" "$(rd $K/pool_free)" "$((pool - 128 * M))"
check_eq "status --json: crashed, panic" "$(field flaky state) $(field flaky exit_reason)" "crashed panic"
check "status shows it" sh -c "partctl status | grep -q '^flaky .*crashed.* panic'"
sleep 2
check_eq "partd left it crashed" "$(kfile flaky state)" "crashed"
check_eq "partd did nothing more" "$(actions "$m")" "+ start flaky (requested)"

echo "BOOT: --- a plan that mends flaky: restarted without a stop"
m=$(mark)
dmesg -c > /dev/null
run_rc partctl apply $PLANS/control-fixed.json
show apply "$OUT"
check_eq "apply exits 0" "$RC" "0"
check_actions "apply" "$m" "- stop flaky (definition changed: cmdline)
~ set flaky/cmdline idle=halt kpart.app=panic -> idle=halt
+ start flaky (autostart)"
check_eq "the kernel was not asked to stop it" "$(dmesg | grep -c 'flaky: stop refused')" "0"
check_eq "all three run" "$(states)" "flaky=running looper=running steady=running"
check_eq "flaky's boots (the crashed one counts)" "$(kfile flaky boot_count)" "2"
check_eq "boot kernel keeps CPU 0" "$(online)" "0"
check_eq "pool_free" "$(rd $K/pool_free)" "$((pool - 192 * M))"

echo "BOOT: --- everything given back"
run_rc partctl apply $PLANS/empty.json
check_eq "apply empty.json exits 0" "$RC" "0"
check_eq "no partitions" "$(states)" ""
check_eq "all CPUs online" "$(online)" "0-3"
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
stop_partd TERM
check_eq "partd exits 0" "$RC" "0"
check_eq "partd logged no errors" "$(grep -c '^partd: error' $LOG)" "0"
echo "EXPECT-APP-BOOTS: ttyS1 1"
dump_log
finish
