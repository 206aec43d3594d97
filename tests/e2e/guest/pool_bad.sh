#!/bin/sh
# A kpart_pool= the machine cannot honour costs a smaller pool and one log
# line per problem, never the boot: on a two-node machine with 5 GiB per
# node, node 1's 9 GiB share and node 5 (no such node) are refused, node
# 0's 3 GiB and the low reserve are kept, and partitions still run on it.
# e2e-machine: -machine q35 -smp 4,sockets=2,cores=2 -m 10G -object memory-backend-ram,id=m0,size=5G -object memory-backend-ram,id=m1,size=5G -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1
# e2e-append: kpart_pool=node0:3G,node1:9G,node5:1G
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1 EXPECT-APP-SAYS=1
. /tests/lib.sh
G=1073741824

kl() { dmesg | grep -c "kpart: kpart_pool=node0:3G,node1:9G,node5:1G: $1"; }
check_eq "one line for node 1's share" \
	"$(kl 'node 1: 9216 MiB asked, but the node has 5120 MiB and keeps at least 256 MiB: nothing reserved there')" 1
check_eq "one line for node 5" "$(kl 'node 5 has no memory: nothing reserved there')" 1
check_eq "no other complaint" "$(kl '')" 2
check_eq "the pool: node 0 and the low reserve" \
	"$(rd $K/pool_nodes | sed 's/ free.*//' | xargs)" "node 0 size $((3 * G)) low size 33554432"
# A partition on node-1 CPUs takes node-0 memory, the only pool there is,
# and its kernel sees one node (a CPU on a node where it has no memory
# is reported on its memory's node)
setup p 2 256M ttyS1
expect_error "numa_node 1 refused" $K/p/numa_node 1 "Invalid argument" \
	"p: numa_node 1 refused: the pool has no memory on node 1"
write_ok $K/p/control start
wait_state p running 120
wait_channel p up 120
echo "memory_range of p: $(rd $K/p/memory_range | xargs)"
expect_app p 2 256M
echo "EXPECT-APP-SAYS: ttyS1 1 APP: numa nodes=1 node0=cpus:0,mem_gib:0"
write_ok $K/p/control stop
check_eq "pool whole" "$(rd $K/pool_free)" "$(rd $K/pool_size)"
echo EXPECT-APP-BOOTS: ttyS1 1
finish
