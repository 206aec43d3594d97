#!/usr/bin/env bash
# Build the kpart kernel from Debian's linux-source-6.12 with kernel-patches/
# applied, then the boot-kernel module against it.
#
#   scripts/kernel.sh            build bzImage and kmod (default)
#   scripts/kernel.sh kernel     only the bzImage
#   scripts/kernel.sh kmod       only the module
#   scripts/kernel.sh debug      the debug boot kernel (kernel-patches/
#                                debug.config on top) and the module for it
#
# Layout under build/:
#   linux/        extracted and patched source (re-extracted when patches change)
#   kernel-obj/   object tree (O=), holds arch/x86/boot/bzImage
#   kmod/         copy of kmod/ + boot-x86/ sources, and kpart.ko
#   kernel-debug-obj/, kmod-debug/   the same for the debug build
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
# KPART_KERNEL_SRC: a kernel tree with kernel-patches/ already applied (a
# developer's git tree the patches are generated from); used as it is.
src=${KPART_KERNEL_SRC:-$build/linux}
obj=$build/kernel-obj
kmod_out=$build/kmod
# The config fragments merged on top of tinyconfig, in order: the normal
# kernel also boots a Debian system under systemd (the debug one does not)
frags=("$top/kernel-patches/kpart.config" "$top/kernel-patches/systemd.config")
tarball=${KPART_LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
jobs=${JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$build/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Reproducible build identity so that ccache hits across rebuilds.
export KBUILD_BUILD_TIMESTAMP='2026-01-01'
export KBUILD_BUILD_USER=kpart KBUILD_BUILD_HOST=build
kmake() { make -s -C "$src" O="$obj" CC="ccache gcc" -j"$jobs" "$@"; }


prepare_source() {
	[[ -z ${KPART_KERNEL_SRC:-} ]] || return 0
	local want
	want=$( (ls -l --time-style=+%s "$tarball"; cat "$top"/kernel-patches/*.patch) |
		sha256sum | cut -d' ' -f1)
	if [[ -f $src/.kpart-stamp && $(cat "$src/.kpart-stamp") == "$want" ]]; then
		return
	fi
	echo "kernel: extracting $(basename "$tarball") and applying kernel-patches/"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	local p
	for p in "$top"/kernel-patches/*.patch; do
		[[ -e $p ]] || continue
		patch -d "$src.tmp" -p1 -s --no-backup-if-mismatch <"$p" ||
			{ echo "kernel: $(basename "$p") does not apply" >&2; exit 1; }
	done
	echo "$want" >"$src.tmp/.kpart-stamp"
	mv "$src.tmp" "$src"
}

configure() {
	local sum
	sum=$(cat "${frags[@]}" | sha256sum)
	if [[ -f $obj/.config && -f $obj/.kpart-config && $(cat "$obj/.kpart-config") == "$sum" ]] &&
		[[ -n ${KPART_KERNEL_SRC:-} || $obj/.config -nt $src/.kpart-stamp ]]; then
		return
	fi
	echo "kernel: configuring $(basename "$obj") (tinyconfig + ${frags[*]##*/})"
	mkdir -p "$obj"
	kmake tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}" >/dev/null
	kmake olddefconfig >/dev/null
	# Every line of the fragments must have survived Kconfig's dependency
	# checks; where fragments set one symbol twice, the last one counts.
	local line sym missing=0
	declare -A want=()
	local order=()
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Z0-9_]+)= || $line =~ ^#\ (CONFIG_[A-Z0-9_]+)\ is\ not\ set ]]; then
			sym=${BASH_REMATCH[1]}
			[[ -n ${want[$sym]+x} ]] || order+=("$sym")
			want[$sym]=$line
		fi
	done < <(cat "${frags[@]}")
	for sym in "${order[@]}"; do
		line=${want[$sym]}
		if [[ $line == \#* ]]; then
			! grep -q "^$sym=" "$obj/.config" || { echo "kernel: $line did not stick" >&2; missing=1; }
		else
			grep -qxF "$line" "$obj/.config" || { echo "kernel: $line did not stick" >&2; missing=1; }
		fi
	done
	[[ $missing == 0 ]] || exit 1
	echo "$sum" >"$obj/.kpart-config"
}

build_kernel() {
	prepare_source
	configure
	echo "kernel: building bzImage (ccache in $CCACHE_DIR)"
	kmake bzImage modules
	ls -l "$obj/arch/x86/boot/bzImage" | awk '{print "kernel: " $NF " " $5 " bytes"}'
}

build_kmod() {
	local out=$kmod_out
	mkdir -p "$out"
	rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude=/boot-x86 --exclude=/ipi --exclude=/include \
		"$top/kmod/" "$out/src/"
	local dir
	for dir in boot-x86 ipi include; do
		rsync -a --delete "$top/$dir/" "$out/src/$dir/"
	done
	echo "kmod: building kpart.ko against $(basename "$obj")"
	make -s -C "$obj" M="$out/src" CC="ccache gcc" -j"$jobs" modules
	cp "$out/src/kpart.ko" "$out/kpart.ko"
}

case ${1:-all} in
kernel) build_kernel ;;
kmod) build_kmod ;;
all) build_kernel; build_kmod ;;
debug)
	obj=$build/kernel-debug-obj
	kmod_out=$build/kmod-debug
	frags=("$top/kernel-patches/kpart.config" "$top/kernel-patches/debug.config")
	build_kernel
	build_kmod
	;;
*) echo "usage: $0 [kernel|kmod|all|debug]" >&2; exit 2 ;;
esac
