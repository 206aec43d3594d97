#!/usr/bin/env bash
# After `make check`: how many EXPECT lines each e2e test promised and the
# host checked (build/e2e/NAME/checked, written by check-logs.sh). A test
# that ran but left no such file is listed as unchecked.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${BUILD_DIR:-$top/build}/e2e
[[ -d $dir ]] || exit 0
printf '\n%-16s %-11s %-17s %-18s %-20s %-16s %s\n' "e2e test" "EXPECT-APP" "EXPECT-APP-BOOTS" \
	"EXPECT-APP-PANICS" "EXPECT-APP-DISTINCT" "EXPECT-APP-SAYS" "guest checks"
for d in "$dir"/*/; do
	name=$(basename "$d")
	[[ -f $d/ttyS0.log ]] || continue
	if [[ ! -f $d/checked ]]; then
		printf '%-16s %s\n' "$name" "(no host check ran)"
		continue
	fi
	read -r _ app boots panics distinct says guest <"$d/checked"
	printf '%-16s %-11s %-17s %-18s %-20s %-16s %s\n' "$name" "${app#*=}" "${boots#*=}" "${panics#*=}" \
		"${distinct#*=}" "${says#*=}" "${guest#*=}"
done
