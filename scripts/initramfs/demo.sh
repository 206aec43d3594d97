#!/bin/sh
# The demo, run by the boot kernel's /init under `make demo`: the operator's
# path. partd applies a plan (schemas/examples/demo.json), partctl shows
# and steers the partitions, the plan is edited and reloaded, and an empty
# plan gives everything back. The application kernels' consoles go to
# files on the host (build/demo/ttyS1.log, ttyS2.log), not here.
PLAN=/etc/kpart/plan.json
LOG=/tmp/partd.log
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "# $*"; sh -c "$*"; }
# partd's log lines since line $1 (what it did), indented
log_since() { tail -n +$(($1 + 1)) $LOG | sed 's/^/    partd| /'; }
idle() { # until partd answers and runs no job
	i=0
	while [ $i -lt 600 ]; do
		partctl --json status 2>/dev/null | grep -q '"busy": false' && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "demo: partd did not settle; its log:" && cat $LOG
	return 1
}

say "The machine: $(nproc) CPUs online, a kpart pool reserved at boot (kpart_pool=1G)"
run "partctl inventory"

say "A plan: schemas/examples/demo.json, installed as $PLAN"
run "cat $PLAN"
run "partctl validate $PLAN"

say "partd makes the machine match the plan (log: $LOG)"
echo "# partd &"
partd 2>>$LOG &
partd_pid=$!
idle || exit 1
log_since 0
run "partctl status"
run "partctl status web"

say "Edit the plan: add a partition 'db' (CPU 3, 192M, the third UART)"
cp $PLAN /tmp/plan.before
sed -i 's|^    }$|    },\n    { "name": "db", "cpus": "3", "memory": "192M", "kernel": "/boot/bzImage",\n      "initrd": "/boot/app.cpio.gz", "cmdline": "console=ttyS2,115200 idle=halt",\n      "console": "ttyS2" }|' $PLAN
run "diff -u /tmp/plan.before $PLAN | tail -n +3"
run "partctl apply --dry-run $PLAN"
echo "# kill -HUP \$(pidof partd)        (what systemctl reload partd does)"
m=$(wc -l < $LOG)
kill -HUP $partd_pid
sleep 1
idle || exit 1
log_since "$m"
run "partctl status"

say "Talk to 'web' over the IPI channel (no UART involved)"
run "partctl ping -c 200 web"
echo "# partctl console web   (a command typed there, then Ctrl-] to detach)"
(sleep 1; echo 'echo "in the application kernel: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $(awk "/MemTotal/ {print \$2 / 1024}" /proc/meminfo) MiB"'
	sleep 3; printf '\035') | partctl console web
echo
run "partctl logs web | tail -n 3"

say "An empty plan: partd stops and deletes every partition, CPUs and memory go back"
run "echo '{\"version\": 1, \"pool\": {\"size\": \"1G\"}, \"partitions\": []}' > /tmp/empty.json"
run "partctl apply /tmp/empty.json"
run "partctl status"
run "partctl inventory | head -n 6"
# partd leaves running partitions alone when it exits; there are none now.
# Waiting for it keeps its exit (SIGCHLD) from interrupting the next write.
kill $partd_pid
wait $partd_pid
say "Demo done; powering off"
