#!/usr/bin/env bash
# Host side of the devices e2e tests (tests/e2e/run.sh runs it):
#   pre OUTDIR   a fresh 64 MiB backing file for the NVMe drive
#   post OUTDIR  for the test devices: the pattern the application kernel
#                wrote through the drive (seed 4242, the first MiB) is in
#                that file
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
tool=${BUILD_DIR:-$top/build}/initramfs/kpart-dev
case $1 in
pre) rm -f "$2/nvme.img"; truncate -s 64M "$2/nvme.img" ;;
post) [[ $(basename "$0") != devices.sh ]] || "$tool" check "$2/nvme.img" 4242 1M ;;
*) exit 2 ;;
esac
