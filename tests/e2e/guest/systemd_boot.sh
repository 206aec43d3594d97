#!/bin/bash
# A Debian 12 system installed from the kpart packages (make deb), booted
# with systemd as PID 1 (tests/e2e/host/systemd_boot.sh made its disk).
# This script is the system's own kpart-e2e.service, ordered after
# multi-user.target; it runs once per boot, keeping its count and its
# failures in /var/lib/kpart-e2e:
# - boot 1: the module DKMS built was loaded, /sys/fs/kpart mounted by its
#   mount unit, partd.service (Type=notify) is active and applied
#   /etc/kpart/plan.json before multi-user.target: web and db run and
#   answer pings; the journal has partd's structured fields; the plan is
#   edited (db's command line) and `systemctl reload partd` restarts db
#   before it returns and leaves web alone; a plan made invalid is
#   refused by `systemctl reload` and changes nothing; `systemctl stop
#   partd` leaves both running; then the machine reboots (same disk);
# - boot 2: everything comes back on its own, with the edited plan; the
#   machine powers off.
# web (UART 1) boots twice, once per machine boot; db (UART 2) three
# times: the reload restarts it.
# e2e-disk: @OUT@/disk.img
# e2e-kernel: @OUT@/vmlinuz
# e2e-timeout: 900
# e2e-promise: EXPECT-APP-BOOTS=2
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
. /usr/local/lib/kpart-e2e/lib.sh
state=/var/lib/kpart-e2e
plan=/etc/kpart/plan.json

boot=$(( $(cat $state/boots 2>/dev/null || echo 0) + 1 ))
echo $boot >$state/boots
fails=$(cat $state/fails 2>/dev/null || echo 0)
sync
echo "BOOT: running test systemd_boot, machine boot $boot, kernel $(uname -r)"

# done_boot NEXT: keep this boot's failures for the next, then NEXT
# (reboot or poweroff)
done_boot() {
	# partd's journal of this boot, for the record (and the why of a FAIL)
	journalctl -u partd -b --no-pager -o short-monotonic 2>&1 | tail -n 60 |
		sed 's/^/BOOT: journal| /'
	echo $fails >$state/fails
	sync
	systemctl --no-block "$1"
	exit 0
}

# The journal of partd.service since CURSOR (or this boot), one JSON
# object per entry; count_entries FIELD=VALUE...: entries with all of them
journal() {
	if [ -n "${1:-}" ]; then
		journalctl -u partd -o json --no-pager --after-cursor "$1"
	else
		journalctl -u partd -o json --no-pager -b
	fi
}
count_entries() {
	local text=$1 kv
	shift
	for kv in "$@"; do
		text=$(echo "$text" | grep -F "\"${kv%%=*}\":\"${kv#*=}\"")
	done
	[ -n "$text" ] && echo "$text" | wc -l || echo 0
}

# What every boot must find: kpart from DKMS, its units, the plan applied
system_up() {
	check_eq "kpart.ko is DKMS's build for this kernel" "$(modinfo -n kpart 2>&1)" \
		"/lib/modules/$(uname -r)/updates/dkms/kpart.ko"
	check "the module is loaded (modules-load.d)" test -d /sys/module/kpart
	check_eq "sys-fs-kpart.mount" "$(systemctl is-active sys-fs-kpart.mount)" active
	check_eq "partd.service" "$(systemctl is-active partd.service)" active
	check_eq "multi-user.target reached" "$(systemctl is-active multi-user.target)" active
	# Type=notify: multi-user.target waited for partd's first apply, so
	# both partitions ran before this unit (After=multi-user.target) began
	check_eq "web running when multi-user.target was reached" "$(rd $K/web/state)" running
	check_eq "db running when multi-user.target was reached" "$(rd $K/db/state)" running
	check "partctl status web" partctl status web
	check "partctl ping web over the channel" partctl ping -c 20 web
	check "partctl ping db over the channel" partctl ping -c 20 db
	local j
	j=$(journal)
	check_eq "journal: partd started web under PLAN=$plan" \
		"$(count_entries "$j" PLAN=$plan PARTITION=web ACTION=start)" 1
	check_eq "journal: partd started db under PLAN=$plan" \
		"$(count_entries "$j" PLAN=$plan PARTITION=db ACTION=start)" 1
	check_eq "journal: the first apply's summary (ACTION=apply)" \
		"$(count_entries "$j" PLAN=$plan ACTION=apply SYSLOG_IDENTIFIER=partd)" 2
	local level
	level=$(systemd-analyze security --no-pager partd.service 2>/dev/null |
		sed -n 's/.*Overall exposure level for partd.service: \([0-9.]*\).*/\1/p')
	echo "BOOT: systemd-analyze security partd.service, as installed: exposure $level"
	check "partd.service exposure at most 4 ($level)" awk -v l="${level:-99}" 'BEGIN { exit !(l <= 4) }'
}

case $boot in
1)
	system_up
	check_eq "web's first boot" "$(rd $K/web/boot_count)" 1
	check_eq "db's first boot" "$(rd $K/db/boot_count)" 1

	echo "BOOT: --- the plan edited (db's command line), systemctl reload partd"
	cursor=$(journalctl -u partd -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')
	sed -i 's|"console=ttyS2,115200 idle=halt"|"console=ttyS2,115200 idle=halt loglevel=5"|' $plan
	check "plan edited" grep -q loglevel=5 $plan
	# ExecReload is partctl reload: systemctl returns once the plan is
	# applied, so the change is there to read at once
	check "systemctl reload partd" systemctl reload partd
	check "db's command line edited when systemctl reload returned" grep -q loglevel=5 $K/db/cmdline
	check_eq "db restarted by the reload" "$(rd $K/db/state) $(rd $K/db/boot_count)" "running 2"
	check_eq "web untouched by the reload (one boot)" "$(rd $K/web/boot_count)" 1
	check_eq "web still running" "$(rd $K/web/state)" running
	j=$(journal "$cursor")
	check_eq "journal after the reload: db stopped" "$(count_entries "$j" PARTITION=db ACTION=stop)" 1
	check_eq "journal after the reload: db's cmdline set" "$(count_entries "$j" PARTITION=db ACTION=set)" 1
	check_eq "journal after the reload: db started" "$(count_entries "$j" PARTITION=db ACTION=start)" 1
	check_eq "journal after the reload: no action on web" \
		"$(echo "$j" | grep -F '"PARTITION":"web"' | grep -c '"ACTION"')" 0

	echo "BOOT: --- an invalid plan: systemctl reload fails, nothing changes"
	cp $plan $state/plan.good
	echo '{ "version": 1, "partitions": [' >$plan
	check "systemctl reload partd fails on an invalid plan" sh -c '! systemctl reload partd'
	check_eq "partd.service still active" "$(systemctl is-active partd.service)" active
	check_eq "nothing restarted: boots" "$(rd $K/web/boot_count) $(rd $K/db/boot_count)" "1 2"
	cp $state/plan.good $plan
	check "systemctl reload partd of the good plan again" systemctl reload partd

	echo "BOOT: --- systemctl stop partd: the partitions keep running"
	check "systemctl stop partd" systemctl stop partd
	check_eq "partd.service inactive" "$(systemctl is-active partd.service)" inactive
	sleep 3
	check_eq "web still running without partd" "$(rd $K/web/state)" running
	check_eq "db still running without partd" "$(rd $K/db/state)" running
	check "partctl ping web without partd" partctl ping -c 20 web
	check_eq "no restart behind it: web's boots" "$(rd $K/web/boot_count)" 1
	check_eq "no restart behind it: db's boots" "$(rd $K/db/boot_count)" 2

	echo "BOOT: --- reboot (same disk): the plan must come back by itself"
	done_boot reboot
	;;
2)
	system_up
	check "the edited plan is what runs" grep -q loglevel=5 $K/db/cmdline
	check_eq "web's first boot on this machine boot" "$(rd $K/web/boot_count)" 1
	check_eq "db's first boot on this machine boot" "$(rd $K/db/boot_count)" 1
	# Each partition's UART: web booted once per machine boot, db once
	# more for the reload
	echo "EXPECT-APP-BOOTS: ttyS1 2"
	echo "EXPECT-APP-BOOTS: ttyS2 3"
	finish
	echo "KPART-TEST-RESULT: systemd_boot rc=$?"
	done_boot poweroff
	;;
*)
	fail "machine boot $boot: the test reboots once only (a crash and reboot?)"
	done_boot poweroff
	;;
esac
