#!/bin/bash
# partd and partctl end to end on a fixture machine, with fake-kpart.sh in
# the kernel's place (no VM, no root): apply, dry run, progress, stop/start
# holds, SIGHUP reload, adoption after kill -9, restart after an in-guest
# reboot, rollback after a failed start, exit codes and --json keys.
#
#   partd_fixture_test.sh PARTD PARTCTL FIXTURES_DIR
set -euo pipefail
PARTD=$1 PARTCTL=$2 FIX=$3
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/fixture_lib.sh"
fixture_begin kpart-partd-test

fail() {
	echo "FAIL: $*" >&2
	echo "--- partd log" >&2
	cat "$T"/partd*.log >&2 || true
	exit 1
}
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	"$@" || fail "$what"
}

fixture_machine "$FIX"
echo initrd >"$T/files/boot/kpart/initrd.img"

export KPART_FIXTURE=1 KPART_ROOT=$T/m/kpart KPART_SYSFS=$T/m/sys
export KPART_SOCKET=$T/run/partd.sock KPART_FILE_ROOT=$T/files

plan() { # plan WEB_CPUS WEB_CMDLINE [EXTRA_PARTITION_JSON]
	cat <<-EOF
	// test plan
	{ "version": 1, "pool": { "size": "4G" }, "boot_cpus": "0-1",
	  "partitions": [
	    { "name": "web", "cpus": "$1", "memory": "1G", "kernel": "/boot/kpart/bzImage",
	      "initrd": "/boot/kpart/initrd.img", "cmdline": "$2", "console": "ttyS1" },
	    { "name": "db", "cpus": { "count": 2, "numa_node": 1 }, "memory": "1G",
	      "kernel": "/boot/kpart/bzImage" }${3:+,$3}
	  ] }
	EOF
}

start_partd() {
	"$PARTD" --plan "$T/plan.json" --no-netlink --poll-interval 50 --start-timeout 10 \
		--stop-timeout 10 2>>"$T/partd.log" &
	partd_pid=$!
	for _ in $(seq 100); do
		# up, and done with its first apply
		[ -S "$KPART_SOCKET" ] && "$PARTCTL" --json status 2>/dev/null |
			grep -q '"busy": false' && return 0
		sleep 0.1
	done
	fail "partd did not come up"
}

state() { "$PARTCTL" --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitions"][0]["'"${2:-state}"'"])'; }

"$HERE/fake-kpart.sh" "$KPART_ROOT" 0.3 &
fake_pid=$!

# --- validate and dry run without partd
plan 2-3 "console=ttyS1 quiet" >"$T/plan.json"
check "validate" "$PARTCTL" validate "$T/plan.json" >/dev/null
plan 0-3 "x" >"$T/bad.json"
set +e
"$PARTCTL" validate "$T/bad.json" >"$T/out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "validate of a bad plan exits $rc, not 2"
grep -q "CPU 0 always stays with the boot kernel" "$T/out" || fail "validate message"
"$PARTCTL" apply --dry-run "$T/plan.json" >"$T/out"
grep -q "delete old" "$T/out" || fail "dry run lists the deletion"
grep -q "create db" "$T/out" || fail "dry run lists the creation"
[ -d "$KPART_ROOT/old" ] || fail "dry run changed something"
set +e
"$PARTCTL" start web >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "start without partd exits $rc, not 1"

# --- partd applies the plan at start
start_partd
[ "$(state web)" = running ] || fail "web not running"
[ "$(state db)" = running ] || fail "db not running"
[ "$(state db cpus)" = 4-5 ] || fail "db placed on $(state db cpus), not 4-5"
[ ! -d "$KPART_ROOT/old" ] || fail "old not deleted"
web_boots=$(state web boot_count)

# --- one partd per machine: a second one is refused whatever its socket,
# also through another path to the same kpart root, and touches nothing
ln -s "$KPART_ROOT" "$T/root-link"
for root in "$KPART_ROOT" "$T/root-link"; do
	rc=0
	KPART_ROOT=$root KPART_SOCKET=$T/run2/partd.sock timeout 10 "$PARTD" --plan "$T/plan.json" \
		--no-netlink 2>"$T/second.err" || rc=$?
	[ $rc -eq 1 ] || fail "a second partd on $root exits $rc, not 1"
	grep -q "another partd already manages $root" "$T/second.err" ||
		fail "a second partd on $root says: $(cat "$T/second.err")"
	[ ! -e "$T/run2/partd.sock" ] || fail "the second partd created its socket"
done
[ "$(state web boot_count)" = "$web_boots" ] || fail "the second partd touched web"
"$PARTCTL" status >/dev/null || fail "the first partd stopped serving"

# --- apply a change: progress and result
plan 2-3,7 "console=ttyS1 loglevel=3" >"$T/plan2.json"
"$PARTCTL" apply "$T/plan2.json" >"$T/out"
grep -q '\[1/4\] - stop   web' "$T/out" || fail "apply progress"
grep -q 'web: running' "$T/out" || fail "apply shows the boot"
[ "$(state web cpus)" = 2-3,7 ] || fail "web cpus not changed"
[ "$(state web boot_count)" = $((web_boots + 1)) ] || fail "apply did not restart web"
[ "$(state db boot_count)" = 1 ] || fail "db was touched though unchanged"

# --- stop holds a partition stopped, also across restarts and reloads
check "stop" "$PARTCTL" stop db >/dev/null
[ "$(state db)" = stopped ] || fail "db not stopped"
[ "$(state db held)" = True ] || fail "db not held"
cp "$T/plan2.json" "$T/plan.json"
kill -9 "$partd_pid"
wait "$partd_pid" 2>/dev/null || true
log_lines=$(wc -l <"$T/partd.log")
start_partd
[ "$(state web boot_count)" = $((web_boots + 1)) ] || fail "web restarted after kill -9"
[ "$(state db)" = stopped ] || fail "held db was started by a new partd"
# what the new partd logged, not the first one
tail -n +$((log_lines + 1)) "$T/partd.log" >"$T/second-partd-run.txt"
grep -q "the machine matches the plan" "$T/second-partd-run.txt" || fail "adoption"

# --- SIGHUP reload adds a partition, leaves the rest alone
plan 2-3,7 "console=ttyS1 loglevel=3" \
	'{"name":"batch","cpus":{"count":1},"memory":"256M","kernel":"/boot/kpart/bzImage","autostart":false}' \
	>"$T/plan.json"
kill -HUP "$partd_pid"
for i in $(seq 50); do
	# the reload is done once batch exists and partd is idle
	"$PARTCTL" --json status | python3 -c '
import json, sys
r = json.load(sys.stdin)
sys.exit(0 if not r["busy"] and any(p["name"] == "batch" for p in r["partitions"]) else 1)' && break
	[ "$i" -lt 50 ] || fail "partd did not finish reloading within 5 s of SIGHUP"
	sleep 0.1
done
[ "$(state batch)" = stopped ] || fail "batch not created stopped"
[ "$(state web boot_count)" = $((web_boots + 1)) ] || fail "reload restarted web"

# --- partctl reload (partd.service's ExecReload): partd reads its plan
# file again and the caller waits for the outcome. A changed command line
# restarts web only; an invalid file is refused with exit 2, changes
# nothing, and the partitions keep following the last good plan.
plan 2-3,7 "console=ttyS1 loglevel=4" \
	'{"name":"batch","cpus":{"count":1},"memory":"256M","kernel":"/boot/kpart/bzImage","autostart":false}' \
	>"$T/plan.json"
check "partctl reload" "$PARTCTL" reload >"$T/out" 2>&1
grep -q "^applied $T/plan.json: 3 actions$" "$T/out" || fail "reload output: $(cat "$T/out")"
# no waiting: the change is made when partctl reload returns
[ "$(state web cmdline)" = "console=ttyS1 loglevel=4" ] || fail "reload did not set web's cmdline"
[ "$(state web boot_count)" = $((web_boots + 2)) ] || fail "reload did not restart web once"
[ "$(state batch)" = stopped ] || fail "reload touched batch"
"$PARTCTL" --json reload >"$T/out.json"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] and r["exit"] == 0 and r["actions"] == [] and r["plan"] == sys.argv[2], r' \
	"$T/out.json" "$T/plan.json" || fail "reload --json of an unchanged plan"
echo '{ "version": 1, "partitions": [ ' >"$T/plan.json"
set +e
"$PARTCTL" reload >"$T/out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "reload of an invalid plan exits $rc, not 2: $(cat "$T/out")"
[ "$(state web boot_count)" = $((web_boots + 2)) ] || fail "an invalid reload touched web"
[ "$(state web cmdline)" = "console=ttyS1 loglevel=4" ] || fail "an invalid reload changed web"
web_boots=$((web_boots + 1))
# the plan file as the machine is again, for what follows
plan 2-3,7 "console=ttyS1 loglevel=4" \
	'{"name":"batch","cpus":{"count":1},"memory":"256M","kernel":"/boot/kpart/bzImage","autostart":false}' \
	>"$T/plan.json"

# --- start releases the hold
check "start" "$PARTCTL" start db >/dev/null
[ "$(state db)" = running ] && [ "$(state db held)" = False ] || fail "db not started"

# --- the guest reboots itself: partd starts it again (a new boot, not just
# the state it had before)
[ "$(state web)" = running ] || fail "web not running before its reboot"
echo reboot-me >"$KPART_ROOT/web/state"
for _ in $(seq 50); do
	[ "$(state web boot_count)" = $((web_boots + 2)) ] && [ "$(state web)" = running ] && break
	sleep 0.1
done
boots=$(state web boot_count)
[ "$boots" = $((web_boots + 2)) ] ||
	fail "web not booted again after its reboot: boot_count $boots, want $((web_boots + 2))"
[ "$(state web)" = running ] || fail "web not running after its reboot"
grep -q "web: rebooted itself; starting it again" "$T/partd.log" ||
	fail "partd did not log the restart after the reboot"

# --- a failed start rolls back
plan 2-3,7 "console=ttyS1 crashme" \
	'{"name":"batch","cpus":{"count":1},"memory":"256M","kernel":"/boot/kpart/bzImage","autostart":false}' \
	>"$T/plan3.json"
set +e
"$PARTCTL" apply "$T/plan3.json" >"$T/out" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "failed apply exits $rc, not 1"
grep -q "rolled back" "$T/out" || fail "no rollback reported"
[ "$(state web)" = running ] || fail "web not running after rollback"
# the crashed start did not count (fake-kpart.sh); the rollback's start did
boots=$(state web boot_count)
[ "$boots" = $((web_boots + 3)) ] ||
	fail "web not started again by the rollback: boot_count $boots, want $((web_boots + 3))"
grep -q "loglevel=4" "$KPART_ROOT/web/cmdline" || fail "cmdline not restored"

# --- invalid input and --json keys
set +e
"$PARTCTL" apply "$T/bad.json" >/dev/null 2>&1
rc1=$?
"$PARTCTL" status nosuch >/dev/null 2>&1
rc2=$?
"$PARTCTL" frobnicate >/dev/null 2>&1
rc3=$?
set -e
[ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && [ $rc3 -eq 2 ] || fail "exit codes $rc1 $rc2 $rc3, want 2 2 2"
"$PARTCTL" --json status | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["ok"] is True and r["exit"] == 0 and r["partd"] is True, r
assert sorted(p["name"] for p in r["partitions"]) == ["batch", "db", "web"], r
for p in r["partitions"]:
    for k in ("name", "state", "cpus", "memory", "boot_count", "in_plan", "autostart", "held"):
        assert k in p, k
' || fail "status --json keys"
"$PARTCTL" --json apply --dry-run "$T/plan.json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["ok"] and r["actions"] == [] and r["via"] == "partd", r
' || fail "apply --dry-run --json"
"$PARTCTL" --json inventory | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["cpus"]["present"] == "0-7" and len(r["numa_nodes"]) == 2, r
' || fail "inventory --json"

echo "partd/partctl fixture test: ok"
