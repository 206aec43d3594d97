#!/bin/bash
# partctl console, logs and ping without a kernel: a fixture control
# directory (--root) and FIFOs in place of the module's devices (--dev). A
# FIFO opened for reading and writing gives back what is written to it, so
# it stands in for both devices: the console's output is the input typed,
# and every echo request comes back as its own reply. What the devices do
# for real is tested in QEMU (tests/e2e/guest/ipi_partctl.sh).
#
#   channel_test.sh PARTCTL
set -euo pipefail
PARTCTL=$1
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
expect_rc 2 "logs of a bad name" pc logs '../web'
expect_rc 2 "--count does not go with logs" pc logs -c 3 web

# ---- console: typed bytes go to the device; what it gives back is shown
mkfifo "$T/dev/kpart-console/web"
expect_rc 0 "console detaches on Ctrl-]" \
	bash -c "(printf 'hello\n'; sleep 1; printf 'not sent\035after') | '$PARTCTL' -r '$T/root' --dev '$T/dev' console web"
grep -q '^hello$' <<<"$out" || fail "console did not carry the typed line through: $out"
grep -q 'not sent' <<<"$out" && grep -q 'after' <<<"$out" && fail "console sent bytes after Ctrl-]: $out"
grep -q "detach with Ctrl-]" <<<"$out" || fail "console: no attach message naming the detach key: $out"
pass "console: input reaches the device, output comes back, nothing after Ctrl-] is sent"
expect_rc 0 "console detaches on end of input" bash -c "printf '' | '$PARTCTL' -q -r '$T/root' --dev '$T/dev' console web"
[ -z "$out" ] || fail "console -q printed: $out"
expect_rc 2 "console --json is refused" pc --json console web
expect_rc 2 "console of an unknown partition" pc console nosuch

# ---- ping: the FIFO echoes every request
mkfifo "$T/dev/kpart-echo/web"
expect_rc 0 "ping" pc ping -c 300 web
grep -q '^web: 300 round trips of 64 bytes: min [0-9.]* us, p50 [0-9.]* us, p99 [0-9.]* us, max [0-9.]* us, avg [0-9.]* us$' <<<"$out" ||
	fail "ping line: $out"
expect_rc 0 "ping --json 4 KiB" pc --json ping -c 50 --size 4096 web
python3 -c '
import json,sys
d=json.loads(sys.argv[1])
keys={"name","count","size","sent","received","lost","corrupt","min_us","p50_us","p99_us","max_us","avg_us"}
assert set(d)==keys, set(d)^keys
assert (d["count"],d["size"],d["sent"],d["received"],d["lost"],d["corrupt"])==(50,4096,50,50,0,0), d
assert d["min_us"]<=d["p50_us"]<=d["p99_us"]<=d["max_us"], d' "$out" || fail "ping --json: $out"
pass "ping --json: every key, 50 of 50 back, percentiles ordered"
expect_rc 2 "ping --size below 16" pc ping --size 8 web
expect_rc 2 "ping --size above 4096" pc ping --size 4097 web
expect_rc 2 "ping --count 0" pc ping -c 0 web
expect_rc 2 "--follow does not go with ping" pc ping -f web
expect_rc 2 "ping of an unknown partition" pc ping nosuch
rm "$T/dev/kpart-echo/web"
echo stopped > "$T/root/web/state"
expect_rc 1 "ping of a stopped partition" pc ping web
grep -q 'not running' <<<"$out" || fail "ping of a stopped partition: $out"
echo "partctl_channel: passed"
