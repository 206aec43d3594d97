#!/usr/bin/env bash
# Host side of the e2e test systemd_boot (tests/e2e/run.sh runs it):
#
#   pre OUTDIR   a Debian 12 system on OUTDIR/disk.img, installed from the
#                packages `make deb` built (build/deb), and the kernel
#                image its linux-image package installed (OUTDIR/vmlinuz),
#                which QEMU boots
#   post OUTDIR  nothing (the guest reports on its console)
#
# The root file system comes from Debian's archive through mmdebstrap:
# minbase, systemd as init, and what the kpart packages depend on (read
# from the packages themselves). It is cached under build/rootfs/, keyed
# on the suite, the mirror and that package list, so that only the first
# run, or a changed list, downloads anything. The kpart packages are
# installed with dpkg in a chroot of it at every run; kpart-dkms's
# postinst builds the module there, against the linux-headers package,
# exactly as on an administrator's machine. The test then boots that
# system (tests/e2e/guest/systemd_boot.sh says what it checks).
#
# KPART_DEBIAN_MIRROR overrides the mirror (default deb.debian.org).
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${BUILD_DIR:-$top/build}
debs=$build/deb
suite=bookworm
mirror=${KPART_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The system itself: systemd as PID 1 with udev, modprobe for the module
base_pkgs=(systemd-sysv udev kmod)

die() { echo "systemd_boot: $*" >&2; exit 1; }

# One package file of each kind, or a clear word on what to run
deb_of() {
	local f
	f=$(ls "$debs"/$1_*.deb 2>/dev/null | head -n 1)
	[[ -n $f ]] || die "no $1 package in $debs: run make deb"
	echo "$f"
}

# The packages our packages depend on, from their Depends: the first of
# each set of alternatives, without version constraints, leaving out each
# other (they are installed from build/deb)
depends_of() {
	local f
	for f in "$@"; do dpkg-deb -f "$f" Depends; done | tr ',' '\n' |
		sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' -e '/^$/d' |
		grep -vE '^(linux-image|linux-headers|kpart)' | sort -u
}

# rootfs_tar PKG...: the cached base system with PKG... installed
rootfs_tar() {
	local key tar
	key=$(printf '%s\n' "$suite" "$mirror" "$@" | sha256sum | cut -c1-16)
	tar=$build/rootfs/$suite-$key.tar
	if [[ -f $tar ]]; then
		echo "systemd_boot: base system from the cache ($tar)" >&2
	else
		mkdir -p "$build/rootfs"
		echo "systemd_boot: making the base system with mmdebstrap ($suite, $mirror): $*" >&2
		local t0=$SECONDS
		mmdebstrap --quiet --format=tar --variant=minbase --include="$(IFS=,; echo "$*")" \
			"$suite" "$tar.tmp" "$mirror" >&2 ||
			{ rm -f "$tar.tmp"; die "mmdebstrap failed (mirror $mirror; KPART_DEBIAN_MIRROR sets another)"; }
		mv "$tar.tmp" "$tar"
		# one base system kept: those of older package lists go
		find "$build/rootfs" -maxdepth 1 -name "$suite-*.tar" ! -path "$tar" -delete
		echo "systemd_boot: base system made in $((SECONDS - t0)) s, $(du -m "$tar" | cut -f1) MiB" >&2
	fi
	echo "$tar"
}

# in_root ROOT CMD...: CMD in a chroot of ROOT with /proc, /sys and /dev,
# in a mount namespace of its own: the mounts go with it, whatever happens
in_root() {
	local root=$1
	shift
	unshare --mount --propagation private sh -ec '
		root=$1; shift
		mount -t proc proc "$root/proc"
		mount -t sysfs sys "$root/sys"
		mount --rbind /dev "$root/dev"
		mount -t tmpfs tmp "$root/run"
		exec chroot "$root" "$@"' in_root "$root" "$@"
}

pre() {
	local out=$1 root img hdr dkms kpart tar krel
	mkdir -p "$out"
	root=$out/root
	img=$(deb_of linux-image-*-kpart)
	hdr=$(deb_of linux-headers-*-kpart)
	dkms=$(deb_of kpart-dkms)
	kpart=$(deb_of kpart)
	krel=$(dpkg-deb -f "$img" Package)
	krel=${krel#linux-image-}
	[[ -f $build/initramfs/app.cpio.gz ]] || die "no $build/initramfs/app.cpio.gz: run make initramfs"

	# What the packages hold, kernel packages included, before installing
	"$top/tests/unit/dist/deb_test.sh" "$debs" >"$out/deb-test.log" 2>&1 ||
		{ cat "$out/deb-test.log" >&2; die "the packages in $debs fail deb_test.sh"; }

	# shellcheck disable=SC2046
	tar=$(rootfs_tar "${base_pkgs[@]}" $(depends_of "$img" "$hdr" "$dkms" "$kpart"))
	# --one-file-system: never into a mount, should one have been left
	rm -rf --one-file-system "$root" "$out/disk.img" "$out/vmlinuz"
	mkdir -p "$root"
	tar -xf "$tar" -C "$root"

	# The packages, as an administrator installs them (docs/packaging.md)
	mkdir -p "$root/tmp/debs"
	cp "$img" "$hdr" "$dkms" "$kpart" "$root/tmp/debs/"
	local t0=$SECONDS
	if ! in_root "$root" sh -ec '
		cd /tmp/debs
		dpkg -i linux-image-*.deb linux-headers-*.deb
		dpkg -i kpart-dkms_*.deb
		dpkg -i kpart_*.deb' >"$out/install.log" 2>&1; then
		tail -n 30 "$out/install.log" >&2
		die "installing the packages failed (log: $out/install.log)"
	fi
	rm -rf "$root/tmp/debs"
	echo "systemd_boot: packages installed, module built by DKMS, in $((SECONDS - t0)) s" >&2
	[[ -f $root/lib/modules/$krel/updates/dkms/kpart.ko ]] ||
		die "DKMS did not install kpart.ko for $krel (log: $out/install.log)"
	grep -q "^kpart/.*$krel.*installed" < <(in_root "$root" dkms status 2>&1) ||
		die "dkms status does not say kpart is installed for $krel"

	# The machine's own configuration: its disk, its plan, the test
	echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$root/etc/fstab"
	echo kpart-e2e >"$root/etc/hostname"
	mkdir -p "$root/etc/kpart" "$root/var/lib/kpart-e2e" "$root/usr/local/lib/kpart-e2e"
	cp "$build/initramfs/app.cpio.gz" "$root/var/lib/kpart-e2e/app.cpio.gz"
	sed "s|@KERNEL@|/boot/vmlinuz-$krel|" "$top/tests/e2e/plans/systemd_boot.json" \
		>"$root/etc/kpart/plan.json"
	cp "$top/tests/e2e/guest/lib.sh" "$top/tests/e2e/guest/systemd_boot.sh" \
		"$root/usr/local/lib/kpart-e2e/"
	cat >"$root/etc/systemd/system/kpart-e2e.service" <<-'UNIT'
	[Unit]
	Description=kpart e2e test systemd_boot (tests/e2e/guest/systemd_boot.sh)
	After=multi-user.target partd.service
	[Service]
	Type=oneshot
	ExecStart=/bin/bash /usr/local/lib/kpart-e2e/systemd_boot.sh
	StandardOutput=tty
	StandardError=tty
	TTYPath=/dev/ttyS0
	TTYReset=no
	TTYVHangup=no
	[Install]
	WantedBy=multi-user.target
	UNIT
	in_root "$root" systemctl enable kpart-e2e.service >/dev/null 2>&1
	# The console is the test's: no login prompt on it (a getty would
	# hang up the terminal the test writes to), and no timers that would
	# start work under emulation while the test runs
	local u
	for u in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer \
		apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$u"
	done

	cp "$root/boot/vmlinuz-$krel" "$out/vmlinuz"
	# ext4 made from the tree, owners and modes as they are (root here)
	truncate -s 3G "$out/disk.img"
	mke2fs -q -F -t ext4 -L kpart-root -d "$root" "$out/disk.img" ||
		die "mke2fs -d failed"
	rm -rf --one-file-system "$root"
	echo "systemd_boot: $out/disk.img ready (kernel $krel)" >&2
}

case $1 in
pre) pre "$2" ;;
post) ;;
*) exit 2 ;;
esac
