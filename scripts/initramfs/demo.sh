#!/bin/sh
# The demo, run by the boot kernel's /init under `make demo`: the machine
# partitions itself and runs two application kernels next to the boot
# kernel. Lines prefixed "app|" and "db|" come from their UARTs.
K=/sys/fs/kpart
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "# $*"; sh -c "$*"; }
wait_for() {
	while read -r st < $K/$1/state && [ "$st" != "$2" ]; do sleep 0.2; done
}

say "Boot kernel: $(nproc) CPUs online ($(cat /sys/devices/system/cpu/online)), kpart pool $(( $(cat $K/pool_size) >> 20 )) MiB"
run "ls $K"

say "Partition 'app': CPUs 2-3, 256 MiB, console on the second UART"
run "mkdir $K/app"
run "echo 2-3 > $K/app/cpus"
run "echo 256M > $K/app/memory"
run "echo /boot/bzImage > $K/app/kernel"
run "echo /boot/app.cpio.gz > $K/app/initrd"
run "echo ttyS1 > $K/app/console"
run "echo 'console=ttyS1,115200 idle=halt' > $K/app/cmdline"
run "echo start > $K/app/control"
wait_for app running
echo "state: $(cat $K/app/state), init reached $(( $(cat $K/app/boot_time) / 1000 )) ms after start"

say "Partition 'db': CPU 1, 192 MiB, console on the third UART"
run "mkdir $K/db && echo 1 > $K/db/cpus && echo 192M > $K/db/memory"
run "echo /boot/bzImage > $K/db/kernel && echo /boot/app.cpio.gz > $K/db/initrd"
run "echo ttyS2 > $K/db/console && echo 'console=ttyS2,115200 idle=halt' > $K/db/cmdline"
run "echo start > $K/db/control"
wait_for db running
sleep 1

say "Three kernels now share the machine"
for p in app db; do
	echo "$p: $(cat $K/$p/state) on CPUs $(cat $K/$p/cpus) (APIC IDs $(cat $K/$p/apic_ids)), memory $(cat $K/$p/memory_range)"
	echo "    channel $(cat $K/$p/channel), application kernel $(cat $K/$p/app_version)"
done
echo "boot kernel: CPUs $(cat /sys/devices/system/cpu/online) online, pool free $(( $(cat $K/pool_free) >> 20 )) MiB"
run "grep -c ^processor /proc/cpuinfo; uptime"

say "Talking to 'app' over the IPI channel (no UART involved)"
run "partctl ping -c 200 app"
echo "# partctl console app   (a command typed there, then Ctrl-] to detach)"
(sleep 1; echo 'echo "in the application kernel: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, cmdline: $(cat /proc/cmdline)"'
	sleep 3; printf '\035') | partctl console app
echo
run "partctl logs app | tail -n 3"

say "Stopping both (cooperative: each application kernel powers itself off)"
run "echo stop > $K/db/control"
run "echo stop > $K/app/control"
for p in app db; do echo "$p: $(cat $K/$p/state) ($(cat $K/$p/exit_reason))"; done
echo "boot kernel: CPUs $(cat /sys/devices/system/cpu/online) online, pool free $(( $(cat $K/pool_free) >> 20 )) MiB"
run "rmdir $K/app $K/db"
say "Demo done; powering off"
