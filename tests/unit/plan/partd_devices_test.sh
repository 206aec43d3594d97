#!/bin/bash
# partd and partctl hand PCI devices to partitions (issue 12) on a fixture
# machine with fake-kpart.sh in the kernel's place (no VM, no root): the
# two-node fixture with a sysfs PCI tree and a module with device hand-off.
# A device moves from a running partition to another one in one apply,
# given up before it is claimed (the one giving it up comes later in the
# plan, so plan order alone would get it wrong); status, inventory and
# validate show it.
#
#   partd_devices_test.sh PARTD PARTCTL FIXTURES_DIR
set -euo pipefail
PARTD=$1 PARTCTL=$2 FIX=$3
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/fixture_lib.sh"
fixture_begin kpart-partd-devices

fail() {
	echo "FAIL: $*" >&2
	echo "--- partd log" >&2
	cat "$T"/partd.log >&2 || true
	exit 1
}

fixture_machine "$FIX"
# two endpoints in the boot kernel's sysfs, a module with device hand-off
for a in 0000:03:00.0 0000:04:00.0; do
	d=$T/m/sys/bus/pci/devices/$a
	mkdir -p "$d"
	echo 0x8086 >"$d/vendor"
	echo 0x10d3 >"$d/device"
	echo 0x020000 >"$d/class"
	head -c 64 /dev/zero >"$d/config"
done
: >"$T/m/kpart/devices"

export KPART_FIXTURE=1 KPART_ROOT=$T/m/kpart KPART_SYSFS=$T/m/sys
export KPART_SOCKET=$T/run/partd.sock KPART_FILE_ROOT=$T/files

plan() { # plan WEB_DEVICES DB_DEVICES
	cat <<-EOF
	{ "version": 1, "pool": { "size": "4G" }, "boot_cpus": "0-1",
	  "partitions": [
	    { "name": "web", "cpus": "2-3", "memory": "1G", "kernel": "/boot/kpart/bzImage",
	      "devices": [$1] },
	    { "name": "db", "cpus": "4-5", "memory": "1G", "kernel": "/boot/kpart/bzImage",
	      "devices": [$2] } ] }
	EOF
}
state() { "$PARTCTL" --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitions"][0]["'"${2:-state}"'"])'; }

"$HERE/fake-kpart.sh" "$KPART_ROOT" 0.2 &
fake_pid=$!

plan '' '"03:00.0"' >"$T/plan.json"
"$PARTD" --plan "$T/plan.json" --no-netlink --poll-interval 50 --start-timeout 10 \
	--stop-timeout 10 2>>"$T/partd.log" &
partd_pid=$!
for _ in $(seq 100); do
	[ -S "$KPART_SOCKET" ] && "$PARTCTL" --json status 2>/dev/null | grep -q '"busy": false' && break
	sleep 0.1
done
[ "$(state web)" = running ] && [ "$(state db)" = running ] || fail "partd did not apply the plan"
[ "$(cat "$KPART_ROOT/db/devices")" = 0000:03:00.0 ] || fail "db/devices: $(cat "$KPART_ROOT/db/devices")"
[ "$(state db devices)" = "['0000:03:00.0']" ] || fail "status db devices: $(state db devices)"
echo "ok: partd gives db 0000:03:00.0 (written short in the plan)"
for _ in $(seq 20); do grep -q "0000:03:00.0 db owned" "$KPART_ROOT/devices" && break; sleep 0.1; done
"$PARTCTL" inventory >"$T/inv"
grep "0000:03:00.0" "$T/inv" | grep -q "db (owned)" || fail "inventory owner: $(cat "$T/inv")"
echo "ok: inventory shows db owning it"

# the device moves from running db to running web; db gets the other one
db_boots=$(state db boot_count)
plan '"0000:03:00.0"' '"0000:04:00.0"' >"$T/plan2.json"
"$PARTCTL" apply --dry-run "$T/plan2.json" >"$T/dry"
grep -q "stop   db.*definition changed: devices" "$T/dry" || fail "dry run: $(cat "$T/dry")"
"$PARTCTL" apply "$T/plan2.json" >"$T/out" || fail "apply: $(cat "$T/out")"
give=$(grep -n "set    db/devices" "$T/out" | head -1 | cut -d: -f1)
take=$(grep -n "set    web/devices" "$T/out" | head -1 | cut -d: -f1)
[ -n "$give" ] && [ -n "$take" ] && [ "$give" -lt "$take" ] ||
	fail "db does not give 0000:03:00.0 up before web claims it: $(cat "$T/out")"
[ "$(cat "$KPART_ROOT/web/devices")" = 0000:03:00.0 ] || fail "web/devices after the move"
[ "$(cat "$KPART_ROOT/db/devices")" = 0000:04:00.0 ] || fail "db/devices after the move"
[ "$(state web)" = running ] && [ "$(state db)" = running ] || fail "not running after the move"
[ "$(state db boot_count)" -gt "$db_boots" ] || fail "db was not restarted for its devices"
echo "ok: one apply moves 0000:03:00.0 from db to web, db gives it up first"

# applying the same plan again changes nothing
"$PARTCTL" apply "$T/plan2.json" >"$T/out"
grep -q "nothing to do" "$T/out" || fail "second apply: $(cat "$T/out")"
echo "ok: the same devices again: nothing to do"

# a device in two partitions is refused with nothing applied
plan '"03:00.0"' '"0000:03:00.0"' >"$T/bad.json"
rc=0
"$PARTCTL" apply "$T/bad.json" >"$T/out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "apply of a shared device exits $rc, not 2: $(cat "$T/out")"
grep -q "device 0000:03:00.0 is also requested by /partitions/0 (web)" "$T/out" ||
	fail "shared device message: $(cat "$T/out")"
[ "$(cat "$KPART_ROOT/db/devices")" = 0000:04:00.0 ] || fail "a refused plan changed db"
echo "ok: a shared device is refused, nothing changes"
echo "partd devices fixture test: ok"
