#!/usr/bin/env bash
# Install what building and testing kpart needs, from Debian's archive only.
# Quiet and quick when everything is already there.
set -euo pipefail

pkgs=(
	build-essential cmake pkg-config ccache rsync cpio python3-jsonschema
	bc bison flex libelf-dev libssl-dev kmod python3
	linux-source-6.12
	qemu-system-x86 busybox-static clang-format
	libjson-c-dev libnl-3-dev libnl-genl-3-dev libcmocka-dev
	libsystemd-dev libsmartcols-dev libnuma-dev libpci-dev
	systemd man-db groff-base # unit tests of the installed unit and man pages
	dpkg-dev debhelper # make deb (the kernel's bindeb-pkg uses debhelper)
	mmdebstrap e2fsprogs # e2e systemd_boot: a Debian root file system on a disk image
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

# QEMU 8 or later: from 8 on its TCG emulates x2APIC, which the e2e test
# x2apic needs. Debian 12 ships 7.2; its backports suite has a newer one.
old_qemu() {
	local v
	v=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null) || return 1
	dpkg --compare-versions "$v" lt 1:8
}
backports=
if old_qemu && grep -q '^VERSION_CODENAME=bookworm$' /etc/os-release; then
	backports=bookworm-backports
fi
[[ ${#missing[@]} -eq 0 && -z $backports ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "deps: not root; run: sudo apt-get install ${missing[*]}" \
		"${backports:+and qemu-system-x86 from $backports}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [[ -n $backports ]]; then
	# The same Debian mirror this machine already uses, backports suite
	list=/etc/apt/sources.list.d/kpart-backports.sources
	if [[ ! -f $list ]]; then
		uri=$(awk '$1 == "URIs:" {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
		[[ -n $uri ]] || uri=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list)
		[[ -n $uri ]] || { echo "deps: no Debian mirror found in the apt sources" >&2; exit 1; }
		printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$uri" "$backports" >"$list"
	fi
fi
apt-get update -qq
if [[ ${#missing[@]} -ne 0 ]]; then
	echo "deps: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [[ -n $backports ]]; then
	echo "deps: installing qemu-system-x86 from $backports (x2APIC under TCG)"
	apt-get install -y -qq --no-install-recommends -t "$backports" qemu-system-x86 >/dev/null
fi
