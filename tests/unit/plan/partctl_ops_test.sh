#!/bin/bash
# The operator fixes of issue 13, as a new user meets them: partctl and
# partd on a fixture machine with fake-kpart.sh (no VM, no root).
#
#   partctl_ops_test.sh PARTD PARTCTL FIXTURES_DIR
#
# Each check names the fix it proves (the numbers of issue 13).
set -euo pipefail
PARTD=$1 PARTCTL=$2 FIX=$3
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/fixture_lib.sh"
fixture_begin kpart-ops-test

# KEEP_GOING=1: report every failing check, not only the first (to see
# each fix fail against the old code)
failed=0
fail() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
	[ -n "${KEEP_GOING:-}" ] && { skip_pass=1; return 0; }
	echo "--- stdout" >&2
	cat "$T/out" >&2 2>/dev/null || true
	echo "--- stderr" >&2
	cat "$T/err" >&2 2>/dev/null || true
	exit 1
}
skip_pass=
pass() {
	[ -z "$skip_pass" ] && echo "ok: $*"
	skip_pass=
}
# run CMD...: stdout in $T/out, stderr in $T/err, exit status in $rc
run() {
	set +e
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}
# json_error RC: stdout is one JSON object {"ok": false, "exit": RC, "error": "..."}
json_error() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is False and d["exit"] == int(sys.argv[2]) and isinstance(d["error"], str) and d["error"], d
' "$T/out" "$1"
}

fixture_machine "$FIX"

export KPART_FIXTURE=1 KPART_ROOT=$T/m/kpart KPART_SYSFS=$T/m/sys
export KPART_SOCKET=$T/run/partd.sock KPART_FILE_ROOT=$T/files

plan() { # plan WEB_CMDLINE [EXTRA_PARTITION_JSON]
	cat <<-EOF
	{ "version": 1, "pool": { "size": "4G" }, "boot_cpus": "0-1",
	  "partitions": [
	    { "name": "web", "cpus": "2-3", "memory": "1G", "kernel": "/boot/kpart/bzImage",
	      "cmdline": "$1", "console": "ttyS1" }${2:+,$2}
	  ] }
	EOF
}

"$HERE/fake-kpart.sh" "$KPART_ROOT" 0.2 &
fake_pid=$!
plan "quiet" >"$T/plan.json"

# ---- 1: partd not running, stdout a pipe
run sh -c '"$0" start web | cat' "$PARTCTL"
grep -q "partd is not running" "$T/err" || fail "1: start | cat does not say partd is not running"
! grep -q "Inappropriate ioctl" "$T/err" || fail "1: errno of isatty() reported"
pass "1: start | cat without partd says partd is not running"

# ---- 7: --json errors are a JSON object on stdout, exit status non-zero
run "$PARTCTL" --json start web
[ $rc -eq 1 ] && json_error 1 || fail "7: --json start without partd"
grep -q "partd is not running" "$T/out" || fail "7: the JSON error says why"
run "$PARTCTL" --json frobnicate
[ $rc -eq 2 ] && json_error 2 || fail "7: --json unknown command"
run "$PARTCTL" --json --bogus status
[ $rc -eq 2 ] && json_error 2 || fail "7: --json unknown option"
run "$PARTCTL" --json validate "$T/nosuch.json"
[ $rc -eq 2 ] && json_error 2 || fail "7: --json validate of a missing file"
run "$PARTCTL" --json status nosuch
[ $rc -eq 2 ] && json_error 2 || fail "7: --json status of an unknown partition (no partd)"
run "$PARTCTL" --json ping -- -x
[ $rc -eq 2 ] && json_error 2 || fail "7: --json ping of a bad name"
run "$PARTCTL" --json logs nosuch
[ $rc -ne 0 ] && json_error $rc || fail "7: --json logs of an unknown partition"
pass "7: --json errors: {ok: false, exit, error} on stdout, non-zero exit"

# ---- 3: one reader: a NUL byte is refused by validate as by partd
{ plan "quiet"; printf '\0'; } >"$T/nul.json"
run "$PARTCTL" validate "$T/nul.json"
[ $rc -eq 2 ] && grep -q "NUL byte" "$T/err" || fail "3: validate accepts a NUL byte"
run sh -c '"$0" validate - <"$1"' "$PARTCTL" "$T/nul.json"
[ $rc -eq 2 ] && grep -q "NUL byte" "$T/err" || fail "3: validate - accepts a NUL byte"
pass "3: validate refuses a NUL byte (file and stdin)"

# ---- 4: too large: the same clear message from every reader
{
	printf '{"version": 1, "pool": {"size": "4G"}, "partitions": [], "description": "'
	head -c $((20 << 20)) /dev/zero | tr '\0' x
	printf '"}\n'
} >"$T/big.json"
size=$(stat -c %s "$T/big.json")
run "$PARTCTL" validate "$T/big.json"
[ $rc -eq 2 ] && grep -q "plan too large ($size bytes, limit 4194304)" "$T/err" ||
	fail "4: validate of a 20 MB plan"
run sh -c '"$0" validate - <"$1"' "$PARTCTL" "$T/big.json"
[ $rc -eq 2 ] && grep -q "plan too large ($size bytes, limit 4194304)" "$T/err" ||
	fail "4: validate - of a 20 MB plan"
run "$PARTCTL" apply "$T/big.json"
[ $rc -eq 2 ] && grep -q "plan too large ($size bytes, limit 4194304)" "$T/err" ||
	fail "4: apply of a 20 MB plan"
! grep -qi "broken pipe" "$T/err" || fail "4: broken pipe"
pass "4: a 20 MB plan: plan too large ($size bytes, limit 4194304) in partctl"

# ---- 8: plan problems on stderr, nothing on stdout
plan "quiet" '{"name": "web", "cpus": "0,4", "memory": "1G", "kernel": "/boot/kpart/bzImage"}' >"$T/bad.json"
run "$PARTCTL" validate "$T/bad.json"
[ $rc -eq 2 ] || fail "8: bad plan exit $rc"
[ ! -s "$T/out" ] || fail "8: validate printed problems on stdout"
grep -q "duplicate name" "$T/err" || fail "8: problems not on stderr"
pass "8: validate: problems on stderr, stdout empty"

# ---- 6: validate --offline finds what needs the plan alone
plan "quiet" '{"name": "web", "cpus": "0,4", "memory": "4G", "kernel": "/boot/kpart/bzImage"}' >"$T/bad.json"
run "$PARTCTL" validate --offline "$T/bad.json"
[ $rc -eq 2 ] || fail "6: --offline exit $rc"
grep -q '/partitions/1/name: error: duplicate name "web"' "$T/err" || fail "6: duplicate name"
grep -q "/partitions/1/cpus: error: CPU 0 always stays with the boot kernel" "$T/err" ||
	fail "6: CPU 0"
grep -q "/partitions/1/memory: error: the partitions need 5G of memory in total but the pool has 4G" "$T/err" ||
	fail "6: memory beyond the pool"
pass "6: validate --offline: duplicate names, CPU 0, memory beyond the plan's pool"

# ---- 10: wording
cat >"$T/words.json" <<-EOF
{ "version": 1, "pool": { "size": "4G" }, "boot_cpus": "0-1",
  "partitions": [
    { "name": "a", "cpus": "4-7", "memory": "1G", "kernel": "/boot/kpart/bzImage" },
    { "name": "b", "cpus": { "count": 1, "numa_node": 1 }, "memory": "1G",
      "kernel": "/boot/kpart/bzImage", "smt_split": true },
    { "name": "c", "cpus": { "count": 1, "numa_node": 7 }, "memory": "1G",
      "kernel": "/boot/kpart/bzImage" } ] }
EOF
# node 1 has 4 CPUs, none of them held: too few, but by no one
cat >"$T/nothing.json" <<-EOF
{ "version": 1, "pool": { "size": "4G" },
  "partitions": [
    { "name": "a", "cpus": { "count": 5, "numa_node": 1 }, "memory": "1G",
      "kernel": "/boot/kpart/bzImage", "smt_split": true } ] }
EOF
run "$PARTCTL" --root "$FIX/flat/kpart" --sysfs "$FIX/flat/sys" validate "$T/words.json"
grep -q "this machine has node 0 only" "$T/err" || fail "10: node 0 hint"
! grep -q "node 00" "$T/err" || fail "10: node 00"
run "$PARTCTL" validate "$T/words.json"
grep -q "needs 1 CPU on NUMA node 1 but only 0 of its CPUs (4-7) are free" "$T/err" ||
	fail "10: 1 CPU"
! grep -q " 1 CPUs" "$T/err" || fail "10: 1 CPUs"
run "$PARTCTL" validate "$T/nothing.json"
cat "$T/out" "$T/err" >"$T/both" # (the old partctl printed problems on stdout)
grep -q "needs 5 CPUs on NUMA node 1 but only 4 of its CPUs (4-7) are free" "$T/both" ||
	fail "10: too few CPUs on node 1"
! grep -q "held by: nothing" "$T/both" || fail "10: held by: nothing"
pass "10: wording: node 0 only, 1 CPU, no \"held by: nothing\""

# ---- partd
mkdir -p "$T/run"
"$PARTD" --plan "$T/plan.json" --no-netlink --poll-interval 50 --start-timeout 10 \
	--stop-timeout 10 2>>"$T/partd.log" &
partd_pid=$!
for _ in $(seq 100); do
	[ -S "$KPART_SOCKET" ] && "$PARTCTL" --json status 2>/dev/null | grep -q '"busy": false' && break
	sleep 0.1
done
"$PARTCTL" --json status | grep -q '"busy": false' || fail "partd did not come up"

# ---- 4 and 3, partd's side: the same limits on its socket
python3 - "$KPART_SOCKET" >"$T/out" <<-'EOF'
import json, socket, sys
def ask(text):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(json.dumps({"cmd": "apply", "plan": text, "dry_run": True}).encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        buf += s.recv(65536)
    return json.loads(buf)
big = ask('{"description": "' + "x" * (5 << 20) + '"}')
nul = ask('{"version": 1, "pool": {"size": "4G"}, "partitions": []}\0 junk')
print(json.dumps({"big": big, "nul": nul}))
EOF
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["big"]["exit"] == 2 and d["big"]["error"].startswith("plan too large (5242899 bytes, limit 4194304)"), d["big"]
assert d["nul"]["exit"] == 2 and "NUL byte" in d["nul"]["error"], d["nul"]
' "$T/out" || fail "3/4: partd accepts a plan that is too large or has a NUL byte"
pass "3/4: partd refuses a plan too large (same message) and one with a NUL byte"

# ---- 7 with partd
run "$PARTCTL" --json start nosuch
[ $rc -eq 2 ] && json_error 2 || fail "7: --json start nosuch through partd"
run "$PARTCTL" --json apply "$T/bad.json"
[ $rc -eq 2 ] && json_error 2 || fail "7: --json apply of a bad plan"
pass "7: --json errors through partd: the same shape"

# ---- 8 with partd
run "$PARTCTL" apply "$T/bad.json"
[ $rc -eq 2 ] && [ ! -s "$T/out" ] && grep -q "duplicate name" "$T/err" ||
	fail "8: apply of a bad plan: problems not on stderr alone"
pass "8: apply: problems on stderr, stdout empty"

# ---- 5: human status says partd rejected the plan it was given
cp "$T/bad.json" "$T/plan.json"
kill -HUP "$partd_pid"
for _ in $(seq 50); do
	grep -q "rejected" "$T/partd.log" && break
	sleep 0.1
done
run "$PARTCTL" status
[ $rc -eq 0 ] || fail "5: status exit $rc"
grep -q "plan:.*$T/plan.json was REJECTED by partd (3 errors)" "$T/out" ||
	fail "5: status does not say the plan was rejected"
grep -q "follow the last good plan" "$T/out" || fail "5: which plan the partitions follow"
pass "5: status shows that partd rejected the current plan"
plan "quiet" >"$T/plan.json"
kill -HUP "$partd_pid"

# ---- 9: undo lines print the change that undoes
plan "crashme" >"$T/crash.json"
run "$PARTCTL" apply "$T/crash.json"
[ $rc -eq 1 ] || fail "9: crashing apply exit $rc"
grep -q '^\[1/[0-9]*\] - stop   web' "$T/out" || fail "9: forward stop line"
grep -q '^undo \[1\] + start *web *(undo)' "$T/out" || fail "9: the undo of the stop starts web"
grep -q '^undo \[2\] ~ set *web/cmdline *crashme -> quiet' "$T/out" ||
	fail "9: the undo of the cmdline sets it back"
grep -q '^undo \[3\] - stop *web *(undo)' "$T/out" || fail "9: the undo of the start stops web"
pass "9: undo lines print the opposite change"

# ---- on a terminal the waiting line updates in place, and keeps the
# state it reached when the next step begins (it used to be erased)
if command -v script >/dev/null; then
	plan "loglevel=3" >"$T/tty.json"
	run script -qec "$PARTCTL apply $T/tty.json" /dev/null
	python3 -c '
import re, sys
out = open(sys.argv[1], "rb").read().decode()
assert re.search(r"web: stopped \([0-9]+ s\)\r?\n\[2/", out), repr(out)
' "$T/out" || fail "progress on a terminal erases the state a step reached"
	pass "progress on a terminal: each step's last state stays"
fi

[ $failed -eq 0 ] || exit 1
echo "partctl operator test: ok"
