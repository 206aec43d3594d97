#!/usr/bin/env bash
# Device benchmark (make bench): 4 KiB random read IOPS on an NVMe drive
# and a virtio NIC's round trip to QEMU's gateway, measured by the boot
# kernel on devices it keeps and by an application kernel on an identical
# pair handed to it, in the same run, printed side by side. Under TCG the
# figures compare the two kernels' paths on one emulator, not hardware.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
out=$build/bench/devices
mkdir -p "$out"
rm -f "$out"/nvme[ab].img
truncate -s 256M "$out/nvmea.img" "$out/nvmeb.img"

machine="-machine q35 -netdev user,id=slirp,restrict=on -netdev hubport,id=hs,hubid=0,netdev=slirp"
machine+=" -netdev hubport,id=h0,hubid=0 -netdev hubport,id=h1,hubid=0"
for i in 1 2 3 4; do machine+=" -device pcie-root-port,id=rp$i,chassis=$i"; done
machine+=" -device virtio-net-pci,netdev=h0,bus=rp1,romfile= -device virtio-net-pci,netdev=h1,bus=rp2,romfile="
machine+=" -drive file=$out/nvmea.img,if=none,id=nva,format=raw -device nvme,drive=nva,serial=kparta,bus=rp3"
machine+=" -drive file=$out/nvmeb.img,if=none,id=nvb,format=raw -device nvme,drive=nvb,serial=kpartb,bus=rp4"
"$top/scripts/qemu.sh" --test bench_devices --out "$out" --timeout 900 \
	--machine "$machine" >/dev/null
sed -i 's/\r$//' "$out"/ttyS*.log
log=$out/ttyS0.log
grep -aq '^BENCH: devices done' "$log" || { echo "bench-devices: incomplete run, see $log" >&2; exit 1; }
val() { sed -n "s/^BENCH: devices $1 $2 //p" "$log" | head -n 1; }
echo "== devices: boot kernel (devices it keeps) and application kernel (an identical pair handed to it), same run, QEMU TCG"
printf '%-34s %18s %18s\n' "" "boot kernel" "application kernel"
printf '%-34s %18s %18s\n' "NVMe 4 KiB random read, IOPS" "$(val boot nvme)" "$(val app nvme)"
printf '%-34s %18s %18s\n' "NIC round trip min/avg/max ms" "$(val boot rtt)" "$(val app rtt)"
[[ -n $(val boot nvme) && -n $(val app nvme) && -n $(val boot rtt) && -n $(val app rtt) ]] ||
	{ echo "bench-devices: a figure is missing, see $log" >&2; exit 1; }
