#!/usr/bin/env bash
# Debian packages of kpart, built from this tree (docs/packaging.md):
#
#   linux-image-R, linux-headers-R   the patched kernel, R = 6.12.N-kpart,
#                                    through the kernel's own bindeb-pkg with
#                                    the configuration the tests use
#   kpart-dkms                       the module's source, built by DKMS
#                                    against linux-headers-R
#   kpart                            partd, partctl, libkpartplan (static,
#                                    headers, pkg-config), the systemd units,
#                                    man pages, completion, docs, schema
#
#   scripts/deb.sh [all|kernel|kpart|dkms] [OUT]   (default: all, build/deb)
#
# dpkg-deb only (no debhelper): the packages are few and plain, and this
# runs on any Debian with dpkg-dev. Shared library dependencies come from
# dpkg-shlibdeps.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
what=${1:-all}
out=${2:-$build/deb}
work=$out/work
jobs=${JOBS:-$(nproc)}
version=$(sed -n 's/^project(kpart VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[[ -n $version ]] || { echo "deb: no project version in CMakeLists.txt" >&2; exit 1; }
arch=$(dpkg --print-architecture)
maintainer="kpart developers <kpart@localhost>"
mkdir -p "$out" "$work"

# Control file fields every package shares
common() {
	printf 'Maintainer: %s\nPriority: optional\nHomepage: file:///usr/share/doc/kpart/README.md\n' \
		"$maintainer"
}

# SIZE of a staged tree in KiB, for Installed-Size
installed_size() { du -sk --exclude=DEBIAN "$1" | cut -f1; }

# dpkg-deb with root-owned files and a fixed compression: reproducible
# enough, and the same on every Debian 12.
pack() {
	local root=$1 name=$2
	find "$root" -type d -exec chmod 0755 {} +
	dpkg-deb --root-owner-group -Zxz --build "$root" "$out/$name" >/dev/null
	echo "deb: $(basename "$out/$name") $(stat -c %s "$out/$name") bytes"
}

# shlib_depends FILE...: the Depends dpkg-shlibdeps finds for the ELF FILEs
shlib_depends() {
	mkdir -p "$work/shlibs/debian"
	# dpkg-shlibdeps wants a source package around it
	printf 'Source: kpart\n\nPackage: kpart\nArchitecture: any\n' >"$work/shlibs/debian/control"
	(cd "$work/shlibs" && dpkg-shlibdeps -O "$@" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}

# The headers package as bindeb-pkg makes it depends on nothing, yet its
# build tools (objtool, modpost, fixdep...) are programs linked against
# libelf and libc, and a module build needs a compiler: DKMS failed on a
# minimal Debian with "objtool: libelf.so.1: cannot open shared object
# file". Add what they need, as Debian's own linux-headers packages do.
headers_depends() {
	local deb=$1 tree=$work/headers deps elves
	rm -rf "$tree"
	dpkg-deb -R "$deb" "$tree"
	mapfile -t elves < <(find "$tree/usr/src" -type f -perm -u+x -exec sh -c \
		'head -c 4 "$1" | grep -q "^.ELF" && echo "$1"' elf {} \;)
	[[ ${#elves[@]} -gt 0 ]] || { echo "deb: no programs in $(basename "$deb")" >&2; exit 1; }
	deps=$(shlib_depends "${elves[@]}")
	[[ -n $deps ]] || { echo "deb: dpkg-shlibdeps found no dependencies for the headers" >&2; exit 1; }
	sed -i "/^Depends:/d; /^Description:/i Depends: $deps, gcc, make" "$tree/DEBIAN/control"
	dpkg-deb -Zgzip --build "$tree" "$deb" >/dev/null
	rm -rf "$tree"
}

copyright() {
	mkdir -p "$1"
	cat >"$1/copyright" <<-EOF
	kpart: a multikernel partitioning runtime for Linux on x86-64.

	The kernel module (kmod/, boot-x86/, ipi/ring.*) is GPL-2.0; the user
	space (partd, partctl, libkpartplan) is MIT. Each source file names its
	license in its SPDX-License-Identifier line; on Debian systems the GPL
	is in /usr/share/common-licenses/GPL-2.
	EOF
}

kernel_debs() {
	local obj=$build/kernel-obj src=${KPART_KERNEL_SRC:-$build/linux} krel kver
	"$top/scripts/kernel.sh" kernel
	krel=$(cat "$obj/include/config/kernel.release")
	kver=${krel%%-*}
	# Packages of this very build already made: nothing to do
	local img=$out/linux-image-${krel}_$kver-kpart${version}_$arch.deb
	local hdr=$out/linux-headers-${krel}_$kver-kpart${version}_$arch.deb
	if [[ $img -nt $obj/arch/x86/boot/bzImage && $hdr -nt $obj/Module.symvers &&
		$img -nt $obj/.config ]]; then
		echo "deb: $(basename "$img") and $(basename "$hdr") up to date"
		return
	fi
	# bindeb-pkg writes into the object tree's parent; start from nothing
	# there so that only this build's packages are picked up.
	rm -f "$obj"/../linux-*.deb "$obj"/../linux-upstream_*.{buildinfo,changes}
	echo "deb: kernel $krel through bindeb-pkg"
	# The same make variables as scripts/kernel.sh (CC, build identity), so
	# that bindeb-pkg's make finds the tree built and rebuilds nothing.
	# gzip: xz takes minutes over the headers' 50 MB.
	export CCACHE_DIR=${CCACHE_DIR:-$build/ccache}
	export KBUILD_BUILD_TIMESTAMP='2026-01-01' KBUILD_BUILD_USER=kpart KBUILD_BUILD_HOST=build
	make -s -C "$src" O="$obj" CC="ccache gcc" -j"$jobs" \
		KDEB_PKGVERSION="$kver-kpart$version" KDEB_CHANGELOG_DIST=bookworm \
		KDEB_COMPRESS=gzip DEB_BUILD_OPTIONS="parallel=$jobs terse" bindeb-pkg >"$work/bindeb-pkg.log" 2>&1 ||
		{ tail -30 "$work/bindeb-pkg.log" >&2; echo "deb: bindeb-pkg failed (log: $work/bindeb-pkg.log)" >&2; exit 1; }
	rm -f "$out"/linux-image-*.deb "$out"/linux-headers-*.deb
	local p
	for p in linux-image-"$krel" linux-headers-"$krel"; do
		mv "$obj/../${p}_$kver-kpart${version}_$arch.deb" "$out/"
		[[ $p != linux-headers-* ]] || headers_depends "$out/${p}_$kver-kpart${version}_$arch.deb"
		echo "deb: ${p}_$kver-kpart${version}_$arch.deb $(stat -c %s "$out/${p}_$kver-kpart${version}_$arch.deb") bytes"
	done
	# linux-libc-dev would replace Debian's own: not a kpart package
	rm -f "$obj"/../linux-libc-dev_*.deb "$obj"/../linux-upstream_*.{buildinfo,changes}
}

dkms_deb() {
	local root=$work/kpart-dkms src
	rm -rf "$root"
	src=$root/usr/src/kpart-$version
	mkdir -p "$src/boot-x86" "$src/ipi" "$src/include" "$root/DEBIAN"
	# What scripts/kernel.sh puts in build/kmod/src, laid out the same way
	cp "$top"/kmod/Kbuild "$top"/kmod/*.[ch] "$src/"
	cp "$top"/boot-x86/*.[chS] "$src/boot-x86/"
	cp "$top"/ipi/ring.c "$top"/ipi/ring.h "$top"/ipi/ring_compat.h "$src/ipi/"
	cp -r "$top"/include/kpart "$src/include/"
	# Only kernels with the kpart patches (release ...-kpart) have what
	# the module needs: DKMS leaves every other kernel alone.
	cat >"$src/dkms.conf" <<-EOF
	PACKAGE_NAME="kpart"
	PACKAGE_VERSION="$version"
	BUILT_MODULE_NAME[0]="kpart"
	DEST_MODULE_LOCATION[0]="/updates/dkms"
	MAKE[0]="make -C \${kernel_source_dir} M=\${dkms_tree}/kpart/$version/build modules"
	CLEAN="make -C \${kernel_source_dir} M=\${dkms_tree}/kpart/$version/build clean"
	BUILD_EXCLUSIVE_KERNEL="-kpart\$"
	AUTOINSTALL="yes"
	EOF
	copyright "$root/usr/share/doc/kpart-dkms"
	cat >"$root/DEBIAN/control" <<-EOF
	Package: kpart-dkms
	Version: $version
	Architecture: all
	Section: kernel
	$(common)
	Depends: dkms (>= 3)
	Recommends: kpart (= $version)
	Installed-Size: $(installed_size "$root")
	Description: kpart module source, built by DKMS
	 The kpart boot-kernel module: the control filesystem /sys/fs/kpart,
	 the memory pool, partitions and their channels (kpart(7)). DKMS builds
	 it for every installed kernel whose release ends in -kpart (the
	 linux-image and linux-headers packages built from the kpart tree), at
	 installation and whenever such a kernel's headers are installed.
	EOF
	# Add, then build and install for each kpart kernel with headers. A
	# failed build is reported and leaves the package installed (dkms
	# keeps the log), as Debian's DKMS packages do.
	cat >"$root/DEBIAN/postinst" <<-EOF
	#!/bin/sh
	set -e
	[ "\$1" = configure ] || exit 0
	[ -d /var/lib/dkms/kpart/$version ] || dkms add -m kpart -v $version
	for b in /lib/modules/*-kpart/build; do
	 	[ -d "\$b" ] || continue
	 	k=\${b#/lib/modules/}
	 	k=\${k%/build}
	 	dkms install -m kpart -v $version -k "\$k" ||
	 		echo "kpart-dkms: building kpart for \$k failed; see /var/lib/dkms/kpart/$version/build/make.log" >&2
	done
	EOF
	cat >"$root/DEBIAN/prerm" <<-EOF
	#!/bin/sh
	set -e
	case "\$1" in remove|upgrade|deconfigure)
	 	if [ -d /var/lib/dkms/kpart/$version ]; then
	 		dkms remove -m kpart -v $version --all || true
	 	fi
	esac
	EOF
	sed -i 's/^ //' "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"
	chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"
	pack "$root" "kpart-dkms_${version}_all.deb"
}

kpart_deb() {
	local cm=$work/cmake root=$work/kpart deps
	rm -rf "$root"
	# Its own CMake tree: the paths written into the unit and the .pc file
	# are configure-time paths (/usr here, /usr/local in build/cmake).
	cmake -S "$top" -B "$cm" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
		-DCMAKE_INSTALL_SYSCONFDIR=/etc >/dev/null
	cmake --build "$cm" -j"$jobs" --target partd partctl kpartplan man completion >/dev/null
	DESTDIR=$root cmake --install "$cm" --strip >/dev/null
	copyright "$root/usr/share/doc/kpart"
	gzip -9n "$root"/usr/share/man/man*/*.[0-9]
	mkdir -p "$root/DEBIAN"
	deps=$(shlib_depends "$root/usr/sbin/partd" "$root/usr/sbin/partctl")
	[[ -n $deps ]] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
	cat >"$root/DEBIAN/control" <<-EOF
	Package: kpart
	Version: $version
	Architecture: $arch
	Section: admin
	$(common)
	Depends: $deps
	Recommends: kpart-dkms (= $version)
	Suggests: libjson-c-dev
	Installed-Size: $(installed_size "$root")
	Description: multikernel partitions: the daemon partd and the tool partctl
	 kpart runs several Linux kernels side by side on one x86-64 machine:
	 the boot kernel sets CPUs and memory aside, and each partition boots
	 its own application kernel on them, natively.
	 .
	 partd (a systemd service) makes the machine run the partitions the plan
	 /etc/kpart/plan.json describes; partctl shows and steers them. Also
	 the static library libkpartplan with its headers and pkg-config file,
	 the plan schema, man pages, bash completion and documentation.
	EOF
	# partd is enabled at installation; it is started only where kpart
	# runs (/sys/fs/kpart), and restarted on upgrade: partitions keep
	# running across a partd restart or stop (KillMode=process).
	cat >"$root/DEBIAN/postinst" <<-'EOF'
	#!/bin/sh
	set -e
	[ "$1" = configure ] || exit 0
	if [ -x /usr/bin/deb-systemd-helper ]; then
	 	deb-systemd-helper unmask partd.service sys-fs-kpart.mount >/dev/null || true
	 	if [ -z "$2" ] || deb-systemd-helper --quiet was-enabled partd.service; then
	 		deb-systemd-helper enable partd.service sys-fs-kpart.mount >/dev/null || true
	 	fi
	fi
	if [ -d /run/systemd/system ]; then
	 	systemctl --system daemon-reload >/dev/null || true
	 	if [ -d /sys/fs/kpart ]; then
	 		deb-systemd-invoke restart partd.service >/dev/null || true
	 	fi
	fi
	EOF
	cat >"$root/DEBIAN/prerm" <<-'EOF'
	#!/bin/sh
	set -e
	if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	 	deb-systemd-invoke stop partd.service >/dev/null || true
	fi
	EOF
	cat >"$root/DEBIAN/postrm" <<-'EOF'
	#!/bin/sh
	set -e
	if [ -d /run/systemd/system ]; then
	 	systemctl --system daemon-reload >/dev/null || true
	fi
	if [ "$1" = purge ] && [ -x /usr/bin/deb-systemd-helper ]; then
	 	deb-systemd-helper purge partd.service sys-fs-kpart.mount >/dev/null || true
	fi
	EOF
	sed -i 's/^ //' "$root"/DEBIAN/{postinst,prerm,postrm}
	chmod 0755 "$root"/DEBIAN/{postinst,prerm,postrm}
	pack "$root" "kpart_${version}_$arch.deb"
}

case $what in
all) kernel_debs; dkms_deb; kpart_deb ;;
kernel) kernel_debs ;;
kpart) kpart_deb ;;
dkms) dkms_deb ;;
*) echo "usage: $0 [all|kernel|kpart|dkms] [OUT]" >&2; exit 2 ;;
esac
