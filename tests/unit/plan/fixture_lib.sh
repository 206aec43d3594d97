# Sourced by the fixture-machine tests (partd and partctl with
# fake-kpart.sh in the kernel's place): a scratch directory $T removed on
# exit, with partd and fake-kpart.sh stopped first when the test started
# them ($partd_pid, $fake_pid).
#
#   fixture_begin PREFIX     make $T (/tmp/PREFIX.XXXXXX), set the trap
#   fixture_machine FIX      the two-node machine in $T/m and a bzImage
#                            stand-in under $T/files/boot/kpart

fixture_begin() {
	T=$(mktemp -d "/tmp/$1.XXXXXX")
	fake_pid= partd_pid=
	trap fixture_cleanup EXIT
}

fixture_cleanup() {
	[ -n "$partd_pid" ] && kill "$partd_pid" 2>/dev/null || true
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true
	[ -n "$partd_pid" ] && wait "$partd_pid" 2>/dev/null || true
	[ -n "$fake_pid" ] && wait "$fake_pid" 2>/dev/null || true
	rm -rf "$T"
}

fixture_machine() {
	cp -r "$1/two-node" "$T/m"
	mkdir -p "$T/files/boot/kpart"
	# an x86 boot header with XLF_KERNEL_64: enough for validation
	local k=$T/files/boot/kpart/bzImage
	printf 'HdrS\x0f\x02' | dd of="$k" bs=1 seek=$((0x202)) 2>/dev/null
	printf '\x01' | dd of="$k" bs=1 seek=$((0x236)) conv=notrunc 2>/dev/null
	truncate -s 1024 "$k"
}
