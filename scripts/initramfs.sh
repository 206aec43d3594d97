#!/usr/bin/env bash
# Build the two initramfs images the QEMU demo and tests use:
#   build/initramfs/app.cpio.gz   application kernel: busybox, app-init,
#                                 kpart.ko (channel end), kpart-ping,
#                                 kpart-dev and app-devices
#   build/initramfs/boot.cpio.gz  boot kernel: busybox, kpart.ko, the kernel
#                                 and app.cpio.gz to start, tests/e2e/guest,
#                                 partd and partctl (with the shared libraries
#                                 they need) and the plans of the e2e tests
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
out=$build/initramfs
busybox=/bin/busybox
bzimage=$build/kernel-obj/arch/x86/boot/bzImage
kmod=$build/kmod/kpart.ko
cmake_dir=$build/cmake

for f in "$bzimage" "$kmod"; do
	[[ -f $f ]] || { echo "initramfs: missing $f (run scripts/kernel.sh)" >&2; exit 1; }
done

# pack DIR OUT: a newc cpio, gzip-compressed, owned by root
pack() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$2"; }

# copy_elf ROOT FILE DEST: install an executable at ROOT/DEST with every
# shared library ldd finds for it (and the dynamic loader) at the same paths
# as on this host, so that it runs in ROOT without a library search setup.
copy_elf() {
	local root=$1 file=$2 dest=$3 lib
	install -D -m 755 "$file" "$root$dest"
	strip --strip-debug "$root$dest" 2>/dev/null || true
	for lib in $(ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		[[ -e $root$lib ]] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

skeleton() {
	local d=$1
	rm -rf "$d"
	mkdir -p "$d"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root}
	cp "$busybox" "$d/bin/busybox"
	# Links made here so that the app kernel needs no --install at boot
	local app
	for app in $("$d/bin/busybox" --list-full); do
		[[ $app == bin/busybox || $app == linuxrc ]] && continue
		mkdir -p "$d/$(dirname "$app")"
		ln -sf /bin/busybox "$d/$app"
	done
}

mkdir -p "$out"
# The channel test tool, static: the images have busybox and nothing else
gcc -static -O2 -Wall -o "$out/kpart-ping" "$top/tests/e2e/tools/kpart-ping.c"
# Less privilege than root for the privilege test (no capsh in busybox)
gcc -static -O2 -Wall -o "$out/kpart-priv" "$top/tests/e2e/tools/kpart-priv.c"
# O_DIRECT patterns, config-space loops (the devices tests; both kernels)
gcc -static -O2 -Wall -o "$out/kpart-dev" "$top/tests/e2e/tools/kpart-dev.c"

skeleton "$out/app-root"
install -m 755 "$top/scripts/initramfs/app-init" "$out/app-root/init"
# The same module is the channel's application-kernel end
mkdir -p "$out/app-root/lib/modules"
cp "$kmod" "$out/app-root/lib/modules/"
install -m 755 "$out/kpart-ping" "$out/app-root/bin/kpart-ping"
install -m 755 "$out/kpart-dev" "$out/app-root/bin/kpart-dev"
install -m 755 "$top/scripts/initramfs/app-devices" "$out/app-root/bin/app-devices"
pack "$out/app-root" "$out/app.cpio.gz"

skeleton "$out/boot-root"
install -m 755 "$top/scripts/initramfs/boot-init" "$out/boot-root/init"
mkdir -p "$out/boot-root/lib/modules" "$out/boot-root/boot" "$out/boot-root/tests"
cp "$kmod" "$out/boot-root/lib/modules/"
# The module for the debug boot kernel, when it was built (make check)
if [[ -f $build/kmod-debug/kpart.ko ]]; then
	mkdir -p "$out/boot-root/lib/modules/debug"
	cp "$build/kmod-debug/kpart.ko" "$out/boot-root/lib/modules/debug/"
fi
install -m 755 "$out/kpart-ping" "$out/boot-root/bin/kpart-ping"
install -m 755 "$out/kpart-priv" "$out/boot-root/bin/kpart-priv"
install -m 755 "$out/kpart-dev" "$out/boot-root/bin/kpart-dev"
cp "$bzimage" "$out/boot-root/boot/bzImage"
cp "$out/app.cpio.gz" "$out/boot-root/boot/app.cpio.gz"
# A file that is not a kernel, for the bad-input tests
head -c 65536 /dev/urandom >"$out/boot-root/boot/not-a-kernel"
cp "$top"/tests/e2e/guest/*.sh "$top/scripts/initramfs/demo.sh" "$out/boot-root/tests/"
cp "$top/bench/spawn/guest.sh" "$out/boot-root/tests/bench_spawn.sh"
cp "$top/bench/cpus/guest.sh" "$out/boot-root/tests/bench_cpus.sh"
cp "$top/bench/memory/guest.sh" "$out/boot-root/tests/bench_memory.sh"
cp "$top/bench/devices/guest.sh" "$out/boot-root/tests/bench_devices.sh"
# partd, partctl and the plans the partd_* tests use (build/cmake first:
# make userspace); without them the partd_* tests fail, the others run.
if [[ -x $cmake_dir/partd/partd && -x $cmake_dir/partctl/partctl ]]; then
	copy_elf "$out/boot-root" "$cmake_dir/partd/partd" /usr/sbin/partd
	copy_elf "$out/boot-root" "$cmake_dir/partctl/partctl" /usr/bin/partctl
	# partctl inventory names PCI devices from libpci's ID database
	ids=$(pkg-config --variable=idsdir libpci 2>/dev/null)/pci.ids
	if [[ -f $ids ]]; then
		mkdir -p "$out/boot-root$(dirname "$ids")"
		cp "$ids" "$out/boot-root$ids"
	fi
else
	echo "initramfs: no partd/partctl in $cmake_dir (make userspace): left out" >&2
fi
mkdir -p "$out/boot-root/tests/plans" "$out/boot-root/etc/kpart"
cp "$top"/tests/e2e/plans/*.json "$out/boot-root/tests/plans/" 2>/dev/null || true
# make demo: partd's plan (scripts/initramfs/demo.sh edits it)
cp "$top/schemas/examples/demo.json" "$out/boot-root/etc/kpart/plan.json"
pack "$out/boot-root" "$out/boot.cpio.gz"
echo "initramfs: $(du -h "$out/boot.cpio.gz" | cut -f1) boot, $(du -h "$out/app.cpio.gz" | cut -f1) app"
