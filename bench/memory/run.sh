#!/usr/bin/env bash
# Memory-size benchmark (make bench): time from start to running for a
# 256 MiB and a 4 GiB partition on the same CPU and NUMA node of a
# two-node QEMU machine, the sizes taking turns in the same run, and how
# long the start request itself holds the boot kernel. The goal: a 4 GiB
# start within 1.5x of a 256 MiB one (nothing on the start path may touch
# every page of the partition; zeroing given-back memory is timed apart).
# The application kernel's own work that
# grows with its memory (struct pages, free lists) is part of start to
# running; under TCG the figures are information, not a verdict on real
# hardware.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
out=$build/bench/memory
mkdir -p "$out"

# (qemu.sh reads --machine as one line of words)
machine="-machine q35 -smp 8,sockets=2,cores=4 -m 10G"
machine+=" -object memory-backend-ram,id=m0,size=5G -object memory-backend-ram,id=m1,size=5G"
machine+=" -numa node,nodeid=0,cpus=0-3,memdev=m0 -numa node,nodeid=1,cpus=4-7,memdev=m1"
"$top/scripts/qemu.sh" --test bench_memory --out "$out" --timeout 1800 \
	--append "kpart_pool=node0:1G,node1:4608M kpart.scrub_on_load=1" \
	--machine "$machine" >/dev/null
sed -i 's/\r$//' "$out"/ttyS*.log
log=$out/ttyS0.log
grep -aq '^BENCH: memory done' "$log" || { echo "bench-memory: incomplete run, see $log" >&2; exit 1; }

# stats SIZE FIELD: "median min max count" of that size's FIELD values
stats() {
	sed -n "s/^BENCH: memory size=$1 sample=[0-9]* .*$2=\\([0-9]*\\).*/\\1/p" "$log" |
		sort -n | awk 'NF {a[n++] = $1}
		END {
			if (!n) { print "- - - 0"; exit }
			m = (n % 2) ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2
			printf "%g %g %g %d\n", m, a[0], a[n - 1], n
		}'
}

echo "== partition start by memory size (QEMU TCG, CPU 4 and memory on node 1, sizes interleaved)"
grep -a '^BENCH: memory pool_nodes' "$log" | sed 's/^BENCH: memory /   /'
printf '%-8s %16s %20s %16s %20s %8s %8s\n' "size" "to running ms" "spread ms" \
	"start write ms" "spread ms" "samples" "failed"
declare -A run start
for size in 256M 4G; do
	read -r m lo hi cnt <<<"$(stats $size boot_time_us)"
	read -r sm slo shi _ <<<"$(stats $size start_ms)"
	failed=$(grep -ac "^BENCH: memory size=$size sample=[0-9]* failed" "$log")
	[[ $m == - ]] || m=$(awk -v v="$m" 'BEGIN {printf "%.1f", v / 1000}')
	[[ $lo == - ]] || { lo=$(awk -v v="$lo" 'BEGIN {printf "%.1f", v / 1000}')
		hi=$(awk -v v="$hi" 'BEGIN {printf "%.1f", v / 1000}'); }
	run[$size]=$m start[$size]=$sm
	printf '%-8s %16s %20s %16s %20s %8s %8s\n' "$size" "$m" "$lo-$hi" "$sm" "$slo-$shi" "$cnt" "$failed"
done
if [[ ${run[256M]} == - || ${run[4G]} == - ]]; then
	echo "bench-memory: no successful start of one of the sizes" >&2
	exit 1
fi
ratio=$(awk -v a="${run[256M]}" -v b="${run[4G]}" 'BEGIN {printf "%.2f", b / a}')
verdict=$(awk -v r="$ratio" 'BEGIN {print (r <= 1.5) ? "met" : "NOT met"}')
printf '4 GiB vs 256 MiB, start to running (median): %sx   (goal <= 1.5x: %s; baseline: the 256 MiB start, same run)\n' \
	"$ratio" "$verdict"
printf '4 GiB vs 256 MiB, start request alone (median): %s ms vs %s ms\n' "${start[4G]}" "${start[256M]}"
# Scrubbing, apart from the starts: after each stop, until zeroed
read -r sw slo shi _ <<<"$(stats 4G scrub_wait_ms)"
read -r sw256 _ _ _ <<<"$(stats 256M scrub_wait_ms)"
printf 'zeroing after stop (median): 4 GiB %s ms (%s-%s), 256 MiB %s ms; off the start path\n' \
	"$sw" "$slo" "$shi" "$sw256"
# The worker's own rate, over the whole run: "scrubbed B ns N"
sed -n 's/^BENCH: memory scrub_end //p' "$log" | awk '{
	for (i = 1; i < NF; i++) { if ($i == "scrubbed" && !b) { b = $(i + 1); n = $(i + 3) }
		if ($i == "start_scrubbed") s = $(i + 1) }
	if (n) printf "scrub worker: %.0f MiB in %.0f ms, %.0f MiB/s; zeroed on start paths: %d MiB\n",
		b / 1048576, n / 1e6, (b / 1048576) / (n / 1e9), s / 1048576 }'
