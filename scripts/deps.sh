#!/usr/bin/env bash
# Install what building and testing kpart needs, from Debian's archive only.
# Quiet and quick when everything is already there.
set -euo pipefail

pkgs=(
	build-essential cmake pkg-config ccache rsync cpio
	bc bison flex libelf-dev libssl-dev kmod python3
	linux-source-6.12
	qemu-system-x86 busybox-static clang-format
	libjson-c-dev libnl-3-dev libnl-genl-3-dev libcmocka-dev
	libsystemd-dev libsmartcols-dev libnuma-dev
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "deps: not root; run: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
