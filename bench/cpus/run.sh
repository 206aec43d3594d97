#!/usr/bin/env bash
# CPU-count benchmark (make bench): time from start to running for a
# partition of 1, 4 and 7 CPUs on an 8-CPU QEMU machine, measured by the
# boot kernel's module in the same run, and the cost of each CPU beyond
# the first. "running" comes once all the application kernel's CPUs are
# up, so a serial, slow AP bring-up shows as a large per-CPU cost.
# Under TCG the figures are information, not a verdict on real hardware.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
out=$build/bench/cpus
samples=${CPUS_SAMPLES:-5}
mkdir -p "$out"

"$top/scripts/qemu.sh" --test bench_cpus --out "$out" --timeout 1200 \
	--machine "-smp 8" >/dev/null
sed -i 's/\r$//' "$out"/ttyS*.log
log=$out/ttyS0.log
grep -aq '^BENCH: cpus done' "$log" || { echo "bench-cpus: incomplete run, see $log" >&2; exit 1; }

# stats N: "median min max count failed" of that size's boot times in ms
stats() {
	local ok failed
	ok=$(sed -n "s/^BENCH: cpus n=$1 sample=[0-9]* boot_time_us=\\([0-9]*\\)$/\\1/p" "$log")
	failed=$(grep -ac "^BENCH: cpus n=$1 sample=[0-9]* failed" "$log")
	sort -n <<<"$ok" | awk -v f="$failed" 'NF {a[n++] = $1 / 1000}
		END {
			if (!n) { print "- - - 0", f; exit }
			m = (n % 2) ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2
			printf "%.1f %.1f %.1f %d %d\n", m, a[0], a[n - 1], n, f
		}'
}

echo "== start to running by CPU count (QEMU TCG, 8 vCPUs, $samples samples each, sizes interleaved)"
printf '%-10s %12s %20s %8s %8s\n' "CPUs" "median ms" "spread ms" "samples" "failed"
declare -A med
for n in 1 4 7; do
	read -r m lo hi cnt failed <<<"$(stats $n)"
	med[$n]=$m
	printf '%-10s %12s %20s %8s %8s\n' "$n" "$m" "$lo-$hi" "$cnt" "$failed"
done
if [[ ${med[1]} == - || ${med[7]} == - ]]; then
	echo "bench-cpus: no successful start for 1 or 7 CPUs" >&2
	exit 1
fi
per=$(awk -v a="${med[1]}" -v b="${med[7]}" 'BEGIN {printf "%.1f", (b - a) / 6}')
ratio=$(awk -v p="$per" -v a="${med[1]}" 'BEGIN {printf "%.2f", p / a}')
printf '%-44s %8s ms   (%s of a 1-CPU start; baseline: the 1-CPU start, same run)\n' \
	"each CPU beyond the first (7 vs 1, median)" "$per" "$ratio"
