#!/bin/sh
# partd and partctl against the real module:
# - partd applies a plan with two partitions (web on CPU 1, db on CPU 2);
#   `partctl status --json` shows both running; partd hears the module's
#   netlink events;
# - the plan is edited (web removed, db resized, cache added) and reloaded
#   with SIGHUP: exactly those partitions are touched, in the planned order;
# - a second edit through `partctl apply` changes only cache: db is left
#   alone;
# - partd is killed with -9 and restarted: it adopts both partitions without
#   restarting them, and still hears events (a stop behind its back);
# - SIGTERM leaves the partitions running; `partctl apply` of an empty plan
#   gives every CPU and all the pool back.
# e2e-promise: EXPECT-APP=2 EXPECT-APP-BOOTS=2
. /tests/lib.sh
. /tests/partd_lib.sh

pool=$(rd $K/pool_size)
M=1048576
check_eq "boot kernel starts with all CPUs" "$(online)" "0-3"
check "partd and partctl are installed" test -x /usr/sbin/partd -a -x /usr/bin/partctl

echo "BOOT: --- partd applies two.json"
cp $PLANS/two.json $PLAN
start_partd || { finish; exit 1; }
check "partd listens to kpart netlink events" grep -q "listening to kpart events" $LOG
check_eq "kernel: states" "$(states)" "db=running web=running"
check_eq "kernel: boot counts" "$(boots)" "db=1 web=1"
check_actions "first apply" 0 "+ create web (new)
+ create db (new)
+ set web/cpus 1
+ set web/memory 128M
+ set web/kernel /boot/bzImage
+ set web/initrd /boot/app.cpio.gz
+ set web/cmdline console=ttyS1,115200 idle=halt
+ set web/console ttyS1
+ set db/cpus 2
+ set db/memory 192M
+ set db/kernel /boot/bzImage
+ set db/initrd /boot/app.cpio.gz
+ set db/cmdline console=ttyS2,115200 idle=halt
+ set db/console ttyS2
+ start web (autostart)
+ start db (autostart)"
check "partd logged 'applied 16 actions'" grep -q "^partd: /tmp/plan.json: applied 16 actions" $LOG
check "partd heard web's events" grep -qE "^partd: event: web running" $LOG
check "partd heard db's events" grep -qE "^partd: event: db running" $LOG
expect_app web 1 128M
expect_app db 2 192M
check_eq "boot kernel keeps CPUs 0 and 3" "$(online)" "0,3"
check_eq "pool_free with web and db" "$(rd $K/pool_free)" "$((pool - 320 * M))"
check_eq "cpus_assigned" "$(rd $K/cpus_assigned)" "1-2"

json=$(partctl --json status)
check_eq "status --json: partd answers" "$(echo "$json" | grep -c '"partd": true')" "1"
check_eq "status --json: events by netlink" "$(echo "$json" | grep -c '"events": "netlink"')" "1"
check_eq "status --json: two partitions, both running" \
	"$(echo "$json" | grep -c '"state": "running"')/$(echo "$json" | grep -c '"name": ')" "2/2"
check_eq "status --json web" "$(field web state) $(field web cpus) $(field web memory) $(field web in_plan)" \
	"running 1 $((128 * M)) true"
check_eq "status --json db" "$(field db state) $(field db cpus) $(field db memory) $(field db boot_count)" \
	"running 2 $((192 * M)) 1"
show status "$(partctl status)"

echo "BOOT: --- edited.json by SIGHUP: web removed, db resized, cache added"
m=$(mark)
cp $PLANS/edited.json $PLAN
kill -HUP $PARTD_PID
wait_log "$m" "applied [0-9]+ actions|rejected|rolled back|rollback" 180 ||
	fail "no end of the reload in the log"
wait_idle 60
check_actions "reload" "$m" "- stop web (not in plan)
- stop db (definition changed: cpus memory)
~ set web/memory 128M -> 0
~ set web/cpus 1 -> (none)
- delete web (not in plan)
~ set db/memory 192M -> 0
+ create cache (new)
+ set cache/cpus 1
+ set cache/memory 64M
+ set cache/kernel /boot/bzImage
+ set cache/initrd /boot/app.cpio.gz
+ set cache/cmdline console=ttyS1,115200 idle=halt
+ set cache/console ttyS1
~ set db/cpus 2 -> 2-3
~ set db/memory 0 -> 256M
+ start cache (autostart)
+ start db (was running)"
check "web is gone" test ! -e $K/web
check_eq "kernel: states" "$(states)" "cache=running db=running"
check_eq "kernel: boot counts (db restarted once, cache started once)" "$(boots)" "cache=1 db=2"
check_eq "db resized: cpus" "$(kfile db cpus)" "2-3"
check_eq "db resized: memory" "$(kfile db memory)" "$((256 * M))"
check_eq "cache placed on the CPU web gave up" "$(kfile cache cpus)" "1"
check_eq "boot kernel keeps CPU 0 only" "$(online)" "0"
check_eq "pool_free with cache and db" "$(rd $K/pool_free)" "$((pool - 320 * M))"
check_eq "cpus_assigned" "$(rd $K/cpus_assigned)" "1-3"

echo "BOOT: --- edited-cmdline.json by partctl apply: only cache changes"
m=$(mark)
run_rc partctl apply $PLANS/edited-cmdline.json
show apply "$OUT"
check_eq "partctl apply exits 0" "$RC" "0"
check_eq "partctl apply warns about 63M" \
	"$(echo "$OUT" | grep -c '/partitions/0/memory: warning: the kernel rounds 63M up to 64M')" "1"
check_actions "apply" "$m" "- stop cache (definition changed: cmdline)
~ set cache/cmdline console=ttyS1,115200 idle=halt -> console=ttyS1,115200 idle=halt loglevel=5
+ start cache (was running)"
check_eq "kernel: boot counts (db untouched)" "$(boots)" "cache=2 db=2"
check_eq "cache cmdline, without the blanks" "$(kfile cache cmdline)" \
	"console=ttyS1,115200 idle=halt loglevel=5"
# Kernel events about db (e.g. its channel's late "ready") may arrive
# meanwhile; partd itself must have done and said nothing about db.
check_eq "partd said nothing about db" "$(since "$m" | grep -v ': event: ' | grep -c 'db')" "0"

echo "BOOT: --- kill -9 and a new partd: adopts both, restarts nothing"
before=$(machine)
stop_partd 9
check_eq "partd killed" "$RC" "137"
check_eq "partitions still run without partd" "$(states)" "cache=running db=running"
cp $PLANS/edited-cmdline.json $PLAN
m=$(mark)
start_partd
check "new partd: the machine matches the plan" wait_log "$m" "plan.json: the machine matches the plan" 5
check_no_actions "new partd" "$m"
check_eq "machine unchanged by the new partd" "$(machine)" "$before"
check_eq "status --json after adoption" "$(field cache state) $(field db state) $(field cache boot_count) $(field db boot_count)" \
	"running running 2 2"

echo "BOOT: --- a stop behind partd's back reaches it as an event"
m=$(mark)
echo stop > $K/cache/control
check "partd logged cache stopping" wait_log "$m" "^partd: cache: running -> stop" 5
check "partd heard cache's stop event" wait_log "$m" "^partd: event: cache stopped" 5
sleep 1
check_eq "partd left it stopped (exit reason stop)" "$(kfile cache state)" "stopped"
run_rc partctl start cache
check_eq "partctl start cache exits 0" "$RC" "0"
check_eq "kernel: boot counts" "$(boots)" "cache=3 db=2"
check_eq "status: cache running" "$(field cache state)" "running"

echo "BOOT: --- SIGTERM: partd exits, partitions keep running"
before=$(machine)
stop_partd TERM
check_eq "partd exits 0 on SIGTERM" "$RC" "0"
check "partd said so" grep -q "exiting; partitions keep running" $LOG
sleep 1
check_eq "machine unchanged after partd exited" "$(machine)" "$before"
run_rc partctl --json status
check_eq "status without partd: the kernel's view" \
	"$(echo "$OUT" | grep -c '"partd": false') $(echo "$OUT" | grep -c '"state": "running"')" "1 2"

echo "BOOT: --- partctl apply empty.json: everything given back"
start_partd
m=$(mark)
run_rc partctl apply $PLANS/empty.json
show apply "$OUT"
check_eq "partctl apply exits 0" "$RC" "0"
check_eq "stops and deletes" "$(actions "$m" | grep -c '^- ')" "4"
check_eq "no partitions left" "$(states)" ""
check_eq "all CPUs back online" "$(online)" "0-3"
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
check_eq "pool not promised" "$(rd $K/pool_available)" "$pool"
check_eq "no CPUs assigned" "$(rd $K/cpus_assigned)" ""
stop_partd TERM
check_eq "partd exits 0" "$RC" "0"
check "no partd errors in the log" sh -c "! grep -q '^partd: error' $LOG"

# web then cache on ttyS1 (1 + 3 boots), db on ttyS2 (2 boots)
echo "EXPECT-APP-BOOTS: ttyS1 4"
echo "EXPECT-APP-BOOTS: ttyS2 2"
dump_log
finish
