#!/usr/bin/env bash
# Run one end-to-end test: boot the QEMU machine with kpart.test=NAME, which
# runs tests/e2e/guest/NAME.sh in the boot kernel, then check on the host
# what both kernels printed:
# - the guest script passed (KPART-TEST-RESULT rc=0, no FAIL: line);
# - the boot kernel never oopsed;
# - every "EXPECT-APP: UART cpus=N apicids=A ram=R" line the guest printed
#   is matched by the application kernel's own report on that UART, with
#   MemTotal within the partition's RAM;
# - every "EXPECT-APP-BOOTS: UART N" saw init reached N times there.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
name=$1
out=${BUILD_DIR:-$top/build}/e2e/$name
failures=0
ok() { echo "ok:   $*"; }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$top/scripts/qemu.sh" --test "$name" --out "$out" --timeout "${E2E_TIMEOUT:-900}"
boot=$out/ttyS0.log
sed -i 's/\r$//' "$out"/ttyS*.log	# the UARTs' CRLF line ends

echo "---- guest checks (boot kernel, $boot)"
grep -E '^(PASS|FAIL|SUMMARY|BOOT):' "$boot" || true
echo "---- host checks"
if grep -q "KPART-TEST-RESULT: $name rc=0" "$boot"; then
	ok "guest script passed"
else
	bad "guest script did not pass: $(grep -a 'KPART-TEST-RESULT' "$boot" || echo 'no result line')"
fi
if grep -qE 'Kernel panic|BUG:|Oops|WARNING: CPU|general protection' "$boot"; then
	bad "boot kernel reported a problem:"
	grep -E -A5 'Kernel panic|BUG:|Oops|WARNING: CPU|general protection' "$boot" | head -30
else
	ok "boot kernel log clean"
fi

while read -r _ uart cpus apicids ram; do
	log=$out/$uart.log
	want="APP: $cpus $apicids memtotal_kb="
	line=$(grep -a "^APP: $cpus $apicids " "$log" | head -n 1)
	if [[ -z $line ]]; then
		bad "$uart: no application kernel report '$want...' (got: $(grep -a '^APP: cpus' "$log" | head -n 1))"
		continue
	fi
	app_ram=$(sed -n 's/.* ram=\([^ ]*\) *$/\1/p' <<<"$line")
	if [[ ${ram#ram=} != "$app_ram" ]]; then
		bad "$uart: application kernel RAM '$app_ram', partition gave '${ram#ram=}'"
		continue
	fi
	range=${ram#ram=}
	size_kb=$(( ($(printf '%d' "${range#*-}") - $(printf '%d' "${range%-*}") + 1) / 1024 ))
	mem=$(sed -n 's/.*memtotal_kb=\([0-9]*\).*/\1/p' <<<"$line")
	if (( mem > size_kb || mem < size_kb * 3 / 4 )); then
		bad "$uart: MemTotal $mem kB outside 75-100% of the partition's $size_kb kB RAM"
	else
		ok "$uart: application kernel sees $cpus $apicids, RAM $app_ram, MemTotal $mem of $size_kb kB"
	fi
done < <(grep -a '^EXPECT-APP:' "$boot")

while read -r _ uart n; do
	got=$(grep -ac '^APP: init reached' "$out/$uart.log")
	if [[ $got -eq $n ]]; then ok "$uart: init reached $n time(s)"; else bad "$uart: init reached $got time(s), want $n"; fi
done < <(grep -a '^EXPECT-APP-BOOTS:' "$boot")

if [[ $failures -ne 0 ]]; then
	echo "e2e $name: $failures host check(s) failed; logs in $out"
	exit 1
fi
echo "e2e $name: passed"
