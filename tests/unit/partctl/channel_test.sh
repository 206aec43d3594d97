#!/bin/bash
# partctl console, logs and ping without a kernel: a fixture control
# directory (--root) and stand-ins for the module's devices (--dev). The
# console is a pseudo-terminal run by console_device.py, which records every
# byte written to it and sends it back as console output; the echo device is
# a FIFO opened for reading and writing, which gives back every request as
# its own reply. What the devices do for real is tested in QEMU
# (tests/e2e/guest/ipi_partctl.sh).
#
#   channel_test.sh PARTCTL
set -euo pipefail
PARTCTL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/kpart-partctl-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
pc() { "$PARTCTL" -r "$T/root" --dev "$T/dev" "$@"; }
# expect_rc RC DESCRIPTION COMMAND...: exit status RC, output in $out
expect_rc() {
	local want=$1 what=$2 rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -eq "$want" ] || fail "$what: exit $rc, want $want: $out"
	pass "$what (exit $rc)"
}
# says TEXT: the output of the last expect_rc has TEXT in it (an exit status
# alone is shared by many reasons: a usage error and an unknown name are both 2)
says() { grep -qF -- "$1" <<<"$out" || fail "wanted \"$1\" in: $out"; }

mkdir -p "$T/root/web" "$T/dev/kpart-console" "$T/dev/kpart-echo"
echo running > "$T/root/web/state"
printf 'Linux version x\r\nweb login: \r\n# uname -r\r\n6.12\r\nlone\rcr\r\n' > "$T/root/web/console_log"

# ---- logs
expect_rc 0 "logs" pc logs web
[ "$out" = "$(printf 'Linux version x\nweb login: \n# uname -r\n6.12\nlone\rcr')" ] ||
	fail "logs: CR before LF not dropped exactly: $(printf '%s' "$out" | od -c | head)"
pass "logs drops the CR of each CRLF, keeps a lone CR"
expect_rc 0 "logs --json" pc --json logs web
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["name"]=="web" and d["bytes"]==int(sys.argv[2]) and d["log"]=="Linux version x\nweb login: \n# uname -r\n6.12\nlone\rcr\n", d' \
	"$out" "$(wc -c <"$T/root/web/console_log")" ||
	fail "logs --json keys or values: $out"
pass "logs --json: name, bytes (raw size), log (CRs dropped)"
expect_rc 2 "logs of an unknown partition" pc logs nosuch
says 'no partition named "nosuch"'
expect_rc 2 "logs of a bad name" pc logs '../web'
says '"../web" is not a partition name'
expect_rc 2 "--count does not go with logs" pc logs -c 3 web
says "--count only goes with ping"

# ---- console: typed bytes go to the device up to Ctrl-]; what it gives back is shown
# console_dev RECORD COMMAND...: run COMMAND with the console device up,
# everything written to the device recorded in RECORD
console_dev() {
	local rec=$1
	shift
	python3 "$HERE/console_device.py" "$T/dev/kpart-console/web" "$rec" -- "$@"
}
# typed: a line, then, once partctl has shown the device's echo of it (or
# after 20 s), more text with Ctrl-] in the middle. Waiting for the echo
# instead of sleeping keeps a loaded machine from folding both writes into
# one read, after which partctl detaches before the echo can come back.
typed() {
	local i=0
	printf 'hello\n'
	while ! grep -q '^hello' "$T/console.out" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	printf 'not sent\035after'
}
nothing_typed() { printf ''; }
# console_run RECORD INPUT PARTCTL_ARGS...: partctl with INPUT's output as
# keyboard; its output goes through $T/console.out, which INPUT may watch
console_run() {
	local rec=$1 input=$2 rc=0
	shift 2
	: >"$T/console.out"
	"$input" | console_dev "$rec" "$PARTCTL" -r "$T/root" --dev "$T/dev" "$@" \
		>"$T/console.out" 2>&1 || rc=$?
	cat "$T/console.out"
	return $rc
}
# sent_exactly RECORD WANT: the device received exactly WANT (a printf format)
sent_exactly() {
	printf "$2" >"$T/want"
	cmp -s "$T/want" "$1" && return 0
	echo "device received:$(od -An -c "$1" | tr -s ' ' | tr -d '\n')" >&2
	echo "    want exactly:$(od -An -c "$T/want" | tr -s ' ' | tr -d '\n')" >&2
	return 1
}
# Self-test of the stand-in and the check: a client that forwards
# everything, Ctrl-] and what follows included, must not pass.
echo hello >"$T/console.out"	# typed waits for the echo: there is none here
typed | console_dev "$T/selftest.rec" bash -c 'cat >"$1"' _ "$T/dev/kpart-console/web"
sent_exactly "$T/selftest.rec" 'hello\nnot sent\035after' ||
	fail "self-test: the console stand-in did not record all that was written to it"
! sent_exactly "$T/selftest.rec" 'hello\nnot sent' 2>/dev/null ||
	fail "self-test: the check does not notice bytes sent after Ctrl-]"
pass "self-test: the check catches a client that sends bytes after Ctrl-]"

expect_rc 0 "console detaches on Ctrl-]" console_run "$T/console.rec" typed console web
sent_exactly "$T/console.rec" 'hello\nnot sent' ||
	fail "console: the device did not get exactly what was typed before Ctrl-]"
grep -q '^hello$' <<<"$out" || fail "console did not show the device's output: $out"
grep -q "detach with Ctrl-]" <<<"$out" || fail "console: no attach message naming the detach key: $out"
pass "console: what is typed before Ctrl-] reaches the device, nothing after it; output is shown"
expect_rc 0 "console detaches on end of input" console_run "$T/empty.rec" nothing_typed -q console web
[ -z "$out" ] || fail "console -q printed: $out"
sent_exactly "$T/empty.rec" '' || fail "console sent bytes though nothing was typed"
expect_rc 2 "console --json is refused" pc --json console web
says "--json does not go with console"
expect_rc 2 "console of an unknown partition" pc console nosuch
says 'no partition named "nosuch"'

# ---- ping: the FIFO echoes every request
mkfifo "$T/dev/kpart-echo/web"
expect_rc 0 "ping" pc ping -c 300 web
grep -q '^web: 300 round trips of 64 bytes: min [0-9.]* us, p50 [0-9.]* us, p99 [0-9.]* us, max [0-9.]* us, avg [0-9.]* us$' <<<"$out" ||
	fail "ping line: $out"
expect_rc 0 "ping --json 4 KiB" pc --json ping -c 50 --size 4096 web
python3 -c '
import json,sys
d=json.loads(sys.argv[1])
keys={"ok","exit","name","count","size","sent","received","lost","corrupt","min_us","p50_us","p99_us","max_us","avg_us"}
assert set(d)==keys, set(d)^keys
assert (d["count"],d["size"],d["sent"],d["received"],d["lost"],d["corrupt"])==(50,4096,50,50,0,0), d
assert d["min_us"]<=d["p50_us"]<=d["p99_us"]<=d["max_us"], d' "$out" || fail "ping --json: $out"
pass "ping --json: every key, 50 of 50 back, percentiles ordered"
expect_rc 2 "ping --size below 16" pc ping --size 8 web
says "--size wants bytes from 16 to 4096"
expect_rc 2 "ping --size above 4096" pc ping --size 4097 web
says "--size wants bytes from 16 to 4096"
expect_rc 2 "ping --count 0" pc ping -c 0 web
says "--count wants a number from 1 to"
expect_rc 2 "--follow does not go with ping" pc ping -f web
says "--follow only goes with logs"
expect_rc 2 "ping of an unknown partition" pc ping nosuch
says 'no partition named "nosuch"'
rm "$T/dev/kpart-echo/web"
echo stopped > "$T/root/web/state"
expect_rc 1 "ping of a stopped partition" pc ping web
says "web is not running (it is stopped)"
echo "partctl_channel: passed"
