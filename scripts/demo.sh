#!/usr/bin/env bash
# make demo: boot the QEMU machine; its boot kernel partitions itself and
# runs two application kernels (scripts/initramfs/demo.sh shows each step).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
exec "$top/scripts/qemu.sh" --demo "$@"
