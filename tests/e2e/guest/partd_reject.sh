#!/bin/sh
# Rejected input leaves the machine as it is. partd runs two.json (web and
# db running); then every rejected case must exit 2, list all its problems,
# and change nothing (CPUs, pool, partitions, their settings and boot
# counts): partctl validate, apply, apply --dry-run and --json of a plan
# with 15 problems, a SIGHUP reload of it, partd started on it, malformed
# JSON, an unknown format version, a pool larger than the machine's,
# unknown partition names, bad usage. Then a plan that is valid but that the
# kernel refuses: it fails with exit 1 and is rolled back.
# e2e-promise: EXPECT-APP=2 EXPECT-APP-BOOTS=2
. /tests/lib.sh
. /tests/partd_lib.sh

pool=$(rd $K/pool_size)
M=1048576

cp $PLANS/two.json $PLAN
start_partd || { finish; exit 1; }
check_eq "web and db run" "$(states)" "db=running web=running"
expect_app web 1 128M
expect_app db 2 192M
before=$(machine)
show machine "$before"

# unchanged DESC: the machine is as it was at the start
unchanged() {
	now=$(machine)
	if [ "$now" = "$before" ]; then
		pass "$1: machine unchanged"
	else
		fail "$1: machine changed"
		echo "$before" | sed 's/^/WAS: /'
		echo "$now" | sed 's/^/NOW: /'
	fi
}

# rejected DESC WANT_RC CMD...: exits WANT_RC and changes nothing
rejected() {
	desc=$1 want=$2
	shift 2
	run_rc "$@"
	[ -n "$QUIET" ] || show "$desc" "$OUT"
	check_eq "$desc: exit status" "$RC" "$want"
	unchanged "$desc"
}

# lists DESC PROBLEM...: each "PATH: error: TEXT" (a regex) is in $OUT
lists() {
	desc=$1
	shift
	missing=
	for p in "$@"; do
		echo "$OUT" | grep -qE -- "$p" || missing="$missing [$p]"
	done
	if [ -z "$missing" ]; then pass "$desc: all $# problems listed"; else fail "$desc: not listed:$missing"; fi
}

# The 15 errors of bad-many.json, by JSON path
many="/partitions/1/cpus: error: CPU 0 always stays with the boot kernel
/partitions/1/memory: error: 8M is below the 16M
/partitions/1/console: error: console ttyS5 has no legacy I/O port
/partitions/2/cpus: error: CPU 3 is left to the boot kernel
/partitions/2/cpus: error: CPUs 4-5 are not present
/partitions/2/memory: error: the partitions need .* in total but the pool has 1G
/partitions/2/kernel: error: kernel /boot/not-a-kernel is not a bzImage
/partitions/3/name: error: duplicate name \"web\"
/partitions/3/cpus: error: CPU 2 is also requested by /partitions/1 \(db\)
/partitions/3/kernel: error: kernel /boot/missing does not exist
/partitions/3/initrd: error: initrd /boot/missing.img does not exist
/partitions/3/devices/0: error: PCI device 0000:03:00.0 does not exist on this machine
/partitions/4/name: error: name \".hidden\" starts with '.'
/partitions/4/memroy: error: unknown key \"memroy\"
/partitions/4/cpus: error: needs 2 CPUs but only 0 are free"
nmany=$(echo "$many" | grep -c .)
# list_many DESC [log]: every problem of bad-many.json is in $OUT (partd's
# log has "PATH: MESSAGE", partctl "PATH: error: MESSAGE")
list_many() {
	missing=
	while read -r p; do
		[ "$2" = log ] && p=$(echo "$p" | sed 's/: error: /: /')
		echo "$OUT" | grep -qE -- "$p" || missing="$missing [$p]"
	done <<EOF
$many
EOF
	if [ -z "$missing" ]; then pass "$1: all $nmany problems listed"; else fail "$1: not listed:$missing"; fi
}

echo "BOOT: --- a plan with many problems"
rejected "validate" 2 partctl validate $PLANS/bad-many.json
list_many "validate"
check_eq "validate: counts them" "$(echo "$OUT" | grep -c "invalid: $nmany errors")" "1"

m=$(mark)
rejected "apply" 2 partctl apply $PLANS/bad-many.json
list_many "apply"
check_no_actions "apply: partd" "$m"
check "apply: partd logged the rejection" \
	grep -q "bad-many.json rejected ($nmany errors): nothing was changed" $LOG
OUT=$(since "$m")
list_many "apply: partd's log" log

QUIET=1
rejected "apply --dry-run" 2 partctl apply --dry-run $PLANS/bad-many.json
list_many "apply --dry-run"

rejected "apply --json" 2 partctl --json apply $PLANS/bad-many.json
check_eq "apply --json: exit 2 in the result" "$(echo "$OUT" | grep -c '"exit": 2')" "1"
check_eq "apply --json: all errors" "$(echo "$OUT" | grep -c '"severity": "error"')" "$nmany"

rejected "validate --json" 2 partctl --json validate $PLANS/bad-many.json
check_eq "validate --json: all errors" "$(echo "$OUT" | grep -c '"severity": "error"')" "$nmany"
QUIET=

echo "BOOT: --- SIGHUP with the bad plan as partd's plan file"
m=$(mark)
cp $PLANS/bad-many.json $PLAN
kill -HUP $PARTD_PID
wait_log "$m" "rejected|applied|matches" 60 || fail "no end of the reload in the log"
wait_idle 30
OUT=$(since "$m")
list_many "SIGHUP: partd's log" log
check "SIGHUP: rejected" grep -q "plan.json rejected ($nmany errors): nothing was changed" $LOG
check_no_actions "SIGHUP: partd" "$m"
unchanged "SIGHUP"
check_eq "status --json shows the rejection" \
	"$(partctl --json status | grep -c "\"rejected_errors\": $nmany")" "1"
check_eq "partd keeps the old plan" "$(field web in_plan) $(field db autostart)" "true true"

echo "BOOT: --- partd started on the bad plan"
stop_partd 9
m=$(mark)
start_partd
OUT=$(since "$m")
list_many "partd start: log" log
check_no_actions "partd start on a bad plan" "$m"
unchanged "partd start on a bad plan"
check "partd start: serves partctl anyway" partctl status

echo "BOOT: --- more rejected plans"
rejected "malformed JSON" 2 partctl apply $PLANS/bad-json.json
lists "malformed JSON" "error: malformed JSON at line 6, column 1"
rejected "format version 2" 2 partctl apply $PLANS/bad-version.json
lists "format version 2" "/version: error: plan version 2 is newer than this software"
rejected "pool of 2G" 2 partctl apply $PLANS/bad-pool.json
lists "pool of 2G" "/pool/size: error: the plan expects a pool of 2G but the machine reserved 1G"
rejected "validate pool of 2G" 2 partctl validate $PLANS/bad-pool.json
rejected "no such plan file" 2 partctl apply /tests/plans/nope.json
rejected "empty plan text" 2 sh -c 'echo | partctl apply -'

echo "BOOT: --- rejected names and usage"
rejected "start nosuch" 2 partctl start nosuch
rejected "stop nosuch" 2 partctl stop nosuch
rejected "status nosuch" 2 partctl status nosuch
rejected "stop a/b" 2 partctl stop a/b
rejected "start .x" 2 partctl start .x
rejected "unknown command" 2 partctl frobnicate
rejected "apply without a plan" 2 partctl apply
rejected "partd with a bad option" 2 partd --poll-interval 1

echo "BOOT: --- a good plan again: nothing to do"
cp $PLANS/two.json $PLAN
m=$(mark)
kill -HUP $PARTD_PID
check "reload of two.json: the machine matches" wait_log "$m" "plan.json: the machine matches the plan" 30
wait_idle 30
unchanged "reload of two.json"
check_eq "rejection cleared" "$(partctl --json status | grep -c '"rejected_errors": 0')" "1"

echo "BOOT: --- valid, but the kernel refuses it: exit 1, rolled back"
head -c 8192 /boot/bzImage > /tmp/truncated.bzImage
run_rc partctl validate $PLANS/refused.json
check_eq "refused.json passes validation" "$RC" "0"
m=$(mark)
run_rc partctl apply $PLANS/refused.json
show refused "$OUT"
check_eq "apply fails with exit 1" "$RC" "1"
lists "apply reports" "failed: writing .* to /sys/fs/kpart/extra/kernel: Exec format error" \
	"rolled back"
check "partd rolled back" wait_log "$m" "step [0-9]+ \(set extra\) failed: .*; rolled back" 1
check_eq "no undo failed" "$(since "$m" | grep -c 'undo .* failed')" "0"
check "extra is gone" test ! -e $K/extra
check_eq "db's command line restored" "$(kfile db cmdline)" "console=ttyS2,115200 idle=halt"
check_eq "states" "$(states)" "db=running web=running"
check_eq "db started again once, web untouched" "$(boots)" "db=2 web=1"
# everything else as before: compare without the boot counts
after=$(machine | grep -v '^boots:')
check_eq "machine otherwise unchanged" "$after" "$(echo "$before" | grep -v '^boots:')"
check "the kernel said why" sh -c "dmesg | grep -q 'kpart: extra: kernel .*truncated'"

stop_partd TERM
check_eq "partd exits 0" "$RC" "0"
echo "EXPECT-APP-BOOTS: ttyS1 1"
echo "EXPECT-APP-BOOTS: ttyS2 2"
dump_log
finish
