#!/bin/sh
# A malformed kpart_pool= (here 16E, which overflows 64 bits and used to
# be read as 0) reserves nothing and says so in one line; the boot kernel
# boots, and the module refuses to load for want of a pool.
# e2e-append: kpart_pool=16E
# e2e-promise: EXPECT-APP=0
. /tests/lib.sh

check_eq "one line about the parameter" \
	"$(dmesg | grep -c 'kpart: kpart_pool=16E: malformed (SIZE or nodeN:SIZE,..., then optionally low:SIZE): no pool reserved')" 1
check_eq "no other pool line" "$(dmesg | grep -c 'kpart: pool')" 0
check "the module says why it is not there" [ "$(dmesg | grep -c 'kpart: no memory pool; boot with kpart_pool=SIZE')" -ge 1 ]
check "no control filesystem without a pool" [ ! -e $K/pool_size ]
check_eq "all 4 CPUs still the boot kernel's" "$(online)" "0-3"
finish
