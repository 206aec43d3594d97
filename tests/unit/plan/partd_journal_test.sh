#!/bin/bash
# partd's journal fields without systemd: a private systemd-journald in a
# mount namespace of its own (a tmpfs on /run), partd on a fixture machine
# with fake-kpart.sh, stderr being the stream JOURNAL_STREAM names as
# under systemd. Its entries must carry PLAN=, PARTITION= and ACTION=, and
# nothing must go to the stream; with JOURNAL_STREAM naming another file
# (stderr redirected) partd writes plain lines to stderr instead.
#
#   partd_journal_test.sh PARTD FIXTURES_DIR
# Needs root (mount namespace) and systemd-journald: 77 (skipped) without
# root or mount rights; a missing journald is a failure under CI.
set -uo pipefail
PARTD=$1 FIX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
journald=/lib/systemd/systemd-journald
skip() {
	echo "skipped: $*"
	exit 77
}
missing() {
	echo "missing: $*"
	[[ -n ${CI:-} ]] && exit 1
	exit 77
}
[[ -x $journald ]] || missing "$journald"
command -v journalctl >/dev/null || missing journalctl
if [[ ${1:-} != --inside ]]; then
	[[ $(id -u) -eq 0 ]] || skip "not root"
	exec unshare --mount --fork "$0" --inside "$@"
fi
shift
PARTD=$1 FIX=$2

T=$(mktemp -d /tmp/kpart-journal-test.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "--- stderr"
	cat "$T"/partd*.err
	exit 1
}

mount --make-rprivate / && mount -t tmpfs tmpfs /run || skip "cannot mount a tmpfs on /run"
mkdir -p /run/systemd/journal /run/log/journal
"$journald" >"$T/journald.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	[[ -S /run/systemd/journal/socket ]] && break
	sleep 0.1
done
[[ -S /run/systemd/journal/socket ]] || skip "journald did not start: $(cat "$T/journald.log")"

cp -r "$FIX/two-node" "$T/m"
mkdir -p "$T/files/boot/kpart"
# a file with an x86 boot header and XLF_KERNEL_64: enough for validation
printf 'HdrS\x0f\x02' | dd of="$T/files/boot/kpart/bzImage" bs=1 seek=$((0x202)) 2>/dev/null
printf '\x01' | dd of="$T/files/boot/kpart/bzImage" bs=1 seek=$((0x236)) conv=notrunc 2>/dev/null
truncate -s 1024 "$T/files/boot/kpart/bzImage"
export KPART_FIXTURE=1 KPART_ROOT=$T/m/kpart KPART_SYSFS=$T/m/sys
export KPART_SOCKET=$T/run/partd.sock KPART_FILE_ROOT=$T/files
cat >"$T/plan.json" <<-EOF
	{ "version": 1, "pool": { "size": "4G" }, "boot_cpus": "0-1",
	  "partitions": [ { "name": "web", "cpus": "2-3", "memory": "1G",
	                    "kernel": "/boot/kpart/bzImage" } ] }
EOF
"$HERE/fake-kpart.sh" "$KPART_ROOT" 0.2 &
pids+=($!)

# run_partd ERRFILE STREAM_FILE: partd until its first apply is over
run_partd() {
	: >"$1"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$2") "$PARTD" --plan "$T/plan.json" --no-netlink \
		--poll-interval 50 2>>"$1" &
	local p=$!
	for _ in $(seq 100); do
		grep -q 'applied\|matches the plan' "$1" 2>/dev/null && break
		journalctl -D /run/log/journal -q --no-pager SYSLOG_IDENTIFIER=partd 2>/dev/null |
			grep -q 'matches the plan\|applied' && break
		sleep 0.1
	done
	kill "$p"
	wait "$p"
}
entries() { # FIELD=VALUE...: partd's entries that have them all
	journalctl -D /run/log/journal -o json --no-pager SYSLOG_IDENTIFIER=partd "$@" 2>/dev/null |
		grep -c .
}

# Under journald: stderr is the stream
run_partd "$T/partd.err" "$T/partd.err"
n=$(entries)
[[ $n -gt 5 ]] || fail "only $n journal entries from partd"
[[ ! -s $T/partd.err ]] || fail "partd wrote to the stream although the journal took its lines"
for m in "PLAN=$T/plan.json ACTION=apply" "PLAN=$T/plan.json PARTITION=web ACTION=stop" \
	"PLAN=$T/plan.json PARTITION=old ACTION=delete" "PLAN=$T/plan.json PARTITION=web ACTION=start" \
	"PARTITION=web"; do
	# shellcheck disable=SC2086 # one match per word
	[[ $(entries $m) -gt 0 ]] || fail "no journal entry with $m"
	echo "ok: journal entry with $m"
done
[[ $(entries PRIORITY=6 ACTION=start) -gt 0 ]] || fail "no entry at priority 6 (info)"
echo "ok: $n entries, nothing on the stream"

# stderr redirected elsewhere: plain lines there, nothing new in the journal
before=$(entries)
: >"$T/other"
run_partd "$T/partd2.err" "$T/other"
grep -q '^partd: kpart interface' "$T/partd2.err" || fail "no plain stderr line when stderr is not the stream"
[[ $(entries) -eq $before ]] || fail "partd logged to the journal although stderr is not the stream"
echo "ok: stderr not the stream: plain lines on stderr"
