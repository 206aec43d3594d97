#!/bin/sh
# A two-node q35 machine (8 CPUs, 10 GiB, most of each node above 4 GiB)
# with a 6 GiB pool split over both nodes: the pool is reserved where
# neither this kernel nor a kexec'd one sees RAM; a partition on node-1
# CPUs gets node-1 memory above 4 GiB (and 2 MiB of the low reserve for
# its AP trampoline); one spanning both nodes sees two nodes with their
# CPUs and memory; one of 3 GiB works; a node's pool torn into pieces
# still starts a partition larger than any piece; the whole pool comes
# back after each stop.
# e2e-machine: -machine q35 -smp 8,sockets=2,cores=4 -m 10G -object memory-backend-ram,id=m0,size=5G -object memory-backend-ram,id=m1,size=5G -numa node,nodeid=0,cpus=0-3,memdev=m0 -numa node,nodeid=1,cpus=4-7,memdev=m1
# e2e-append: kpart_pool=node0:3G,node1:3G
# e2e-promise: EXPECT-APP=4 EXPECT-APP-BOOTS=2 EXPECT-APP-SAYS=4
. /tests/lib.sh
G=1073741824
M2=2097152

# overlaps FIRST LAST TYPE: a TYPE line of /proc/iomem ("START-END : TYPE",
# hex without 0x) overlaps the bytes FIRST-LAST
overlaps() {
	local r _c t
	while read -r r _c t; do
		[ "$t" = "$3" ] || continue
		[ $((0x${r%-*})) -le $2 ] && [ $((0x${r#*-})) -ge $1 ] && return 0
	done </proc/iomem
	return 1
}

# fw_ram_overlaps FIRST LAST: a "System RAM" entry of the firmware map
# (/sys/firmware/memmap, what kexec-tools reads) overlaps FIRST-LAST
fw_ram_overlaps() {
	local d
	for d in /sys/firmware/memmap/*; do
		[ "$(cat $d/type)" = "System RAM" ] || continue
		[ $(($(cat $d/start))) -le $2 ] && [ $(($(cat $d/end))) -ge $1 ] && return 0
	done
	return 1
}

# node_bytes NAME NODE: bytes of NAME's memory on NODE (memory_range)
node_bytes() {
	local r _n nid sum
	sum=0
	while read -r r _n nid; do
		[ "$nid" = "$2" ] && sum=$((sum + ${r#*-} - ${r%-*} + 1))
	done <<EOF
$(rd $K/$1/memory_range)
EOF
	echo $sum
}

# ---- the pool as the boot kernel set it aside
check_eq "CPUs 0-3 on node 0" "$(rd /sys/devices/system/node/node0/cpulist)" "0-3"
check_eq "CPUs 4-7 on node 1" "$(rd /sys/devices/system/node/node1/cpulist)" "4-7"
check_eq "pool per node" "$(rd $K/pool_nodes | sed 's/ free.*//' | xargs)" \
	"node 0 size $((3 * G)) node 1 size $((3 * G)) low size $((16 * M2))"
pool=$(rd $K/pool_size)
check_eq "pool size: both nodes and the low reserve" "$pool" $((6 * G + 16 * M2))
check "the firmware memory map is there to check" [ -d /sys/firmware/memmap/0 ]
# Below 4 GiB only what did not fit above: all of node 1 (7-12 GiB) and
# all but a few MiB of node 0 (0-2 and 4-7 GiB, with the boot kernel
# somewhere in it) lie above
bad=0 n=0 below=0
while read -r r _n nid low; do
	a=$(( ${r%-*} )) b=$(( ${r#*-} ))
	n=$((n + 1))
	if [ -z "$low" ] && [ $a -lt $((4 * G)) ]; then
		[ "$nid" = 0 ] || { fail "pool range $r on node $nid lies below 4 GiB"; bad=1; }
		below=$((below + b - a + 1))
	fi
	grep -q "$(printf '%08x-%08x' $a $b) : kpart pool" /proc/iomem ||
		{ fail "pool range $r is not 'kpart pool' in /proc/iomem"; bad=1; }
	overlaps $a $b "System RAM" &&
		{ fail "pool range $r is System RAM in /proc/iomem"; bad=1; }
	fw_ram_overlaps $a $b &&
		{ fail "pool range $r is System RAM in /sys/firmware/memmap"; bad=1; }
done <<EOF
$(rd $K/pool_range)
EOF
[ $below -le $((128 * M2)) ] || { fail "$below bytes of node 0's pool below 4 GiB"; bad=1; }
[ $bad -eq 0 ] && [ $n -ge 3 ] &&
	pass "$n pool ranges: reserved everywhere, named; $below bytes below 4 GiB besides the low reserve"

# ---- a partition on node-1 CPUs gets node-1 memory above 4 GiB
setup n1 4-5 1G ttyS1
write_ok $K/n1/control start
wait_state n1 running 120
wait_channel n1 up 120
expect_app n1 4-5 1G
check_eq "n1: 1 GiB from node 1, 2 MiB from node 0 (the low reserve)" \
	"$(node_bytes n1 1) $(node_bytes n1 0)" "$G $M2"
above=1
while read -r r _n nid; do
	[ "$nid" = 1 ] && [ $(( ${r%-*} )) -lt $((4 * G)) ] && above=0
done <<EOF
$(rd $K/n1/memory_range)
EOF
check_eq "n1: its node-1 memory lies above 4 GiB" "$above" 1
echo "EXPECT-APP-SAYS: ttyS1 2 APP: numa nodes=1 node0=cpus:0-1,mem_gib:1"
# (n1 boots with 1 GiB again below, and says the same then)
check_eq "node 1: 1 GiB committed" \
	"$(sed -n 's/^node 1 .*committed \([0-9]*\) .*/\1/p' $K/pool_nodes)" $G

# ---- a partition spanning both nodes sees two
setup both 2-3,6-7 2G ttyS2
write_ok $K/both/control start
wait_state both running 120
wait_channel both up 120
expect_app both 2-3,6-7 2G
check_eq "both: 1 GiB from each node (and 2 MiB low on node 0)" \
	"$(node_bytes both 0) $(node_bytes both 1)" "$((G + M2)) $G"
echo "EXPECT-APP-SAYS: ttyS2 1 APP: numa nodes=2 node0=cpus:0-1,mem_gib:1 node1=cpus:2-3,mem_gib:1"
for p in n1 both; do write_ok $K/$p/control stop; done
check_eq "pool whole after stop" "$(rd $K/pool_free)" "$pool"

# ---- a 3 GiB partition: all of node 1, which then refuses more
write_ok $K/both/memory 0
write_ok $K/n1/memory 3G
write_ok $K/n1/control start
wait_state n1 running 180
wait_channel n1 up 120
expect_app n1 4-5 3G
echo "EXPECT-APP-SAYS: ttyS1 1 APP: numa nodes=1 node0=cpus:0-1,mem_gib:3"
expect_error "no room left on node 1" $K/both/memory 2G "Cannot allocate memory" \
	"node 1: 1024 MiB asked there, 0 MiB of the node's 3072 MiB pool not claimed"
write_ok $K/n1/control stop
check_eq "pool whole after the 3 GiB partition" "$(rd $K/pool_free)" "$pool"

# ---- fragmentation: node 1 as 1 GiB held, 512 MiB free, 1 GiB held,
# 512 MiB free; a 1 GiB partition there gets both free pieces (the pool
# hands out a node's first free piece first, best fit after that)
write_ok $K/n1/memory 1G
write_ok $K/both/cpus 6
write_ok $K/both/memory 512M
setup z 7 1G none
write_ok $K/n1/control start
wait_state n1 running 120
wait_channel n1 up 120
write_ok $K/both/control start
wait_state both running 120
wait_channel both up 120
write_ok $K/z/control start
wait_state z running 120
wait_channel z up 120
echo "pool_range: $(rd $K/pool_range | tr '\n' ';')"
for p in n1 both z; do echo "$p memory_range: $(rd $K/$p/memory_range | tr '\n' ';')"; done
write_ok $K/both/control stop
check_eq "node 1: 1 GiB free, in pieces of at most 512 MiB" \
	"$(sed -n 's/^node 1 .* free \([0-9]*\) .* largest \([0-9]*\) .*/\1 \2/p' $K/pool_nodes)" \
	"$G $((G / 2))"
write_ok $K/both/memory 1G
write_ok $K/both/control start
wait_state both running 120
wait_channel both up 120
expect_app both 6 1G
echo "both memory_range: $(rd $K/both/memory_range | tr '\n' ';')"
echo "EXPECT-APP-SAYS: ttyS2 1 APP: numa nodes=1 node0=cpus:0,mem_gib:1"
# (two pieces, or three when KASLR put the boot kernel inside node 1 and
# its pool is two ranges there)
ranges=$(while read -r r _n nid; do echo "$nid"; done <$K/both/memory_range | xargs)
case $ranges in
"1 1 0" | "1 1 1 0") pass "the 1 GiB partition: node-1 pieces and a low one ($ranges)" ;;
*) fail "the 1 GiB partition: ranges on nodes '$ranges', want two or three on node 1, then one low" ;;
esac
check_eq "the 1 GiB partition: 1 GiB from node 1" "$(node_bytes both 1)" $G
for p in n1 both z; do write_ok $K/$p/control stop; done
check_eq "pool whole at the end" "$(rd $K/pool_free)" "$pool"
echo EXPECT-APP-BOOTS: ttyS1 3
echo EXPECT-APP-BOOTS: ttyS2 3
finish
