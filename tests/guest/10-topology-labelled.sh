#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 60
#
# The test bed gives what the tests below assume: two labelled NVDIMMs, two pmem regions with
# initialised labels (room for several namespaces), and pmem physical ranges that lib/ reads
# from sysfs exactly as the kernel publishes them in /proc/iomem.
. "$(dirname "$0")/lib.sh"

step "regions (ndctl list -R)"
ndctl_json list -R -v | tee "$DAXMGR_TEST_OUT/regions.json"
regions=$(jq length "$DAXMGR_TEST_OUT/regions.json")
check_eq "pmem regions" 2 "$regions"
for i in 0 1; do
    type=$(jq -r ".[$i].type" "$DAXMGR_TEST_OUT/regions.json")
    size=$(jq -r ".[$i].size" "$DAXMGR_TEST_OUT/regions.json")
    avail=$(jq -r ".[$i].available_size" "$DAXMGR_TEST_OUT/regions.json")
    check_eq "region $i type" pmem "$type"
    check_ge "region $i size" $((1900 * 1024 * 1024)) "$size"
    # Labels initialised and nothing allocated yet: the whole region is free, in one extent
    # (available_size is rounded down to the region's alignment).
    align=$(jq -r ".[$i].align" "$DAXMGR_TEST_OUT/regions.json")
    check_ge "region $i available_size" $((size - align)) "$avail"
    check_eq "region $i max_available_extent" "$avail" "$(jq -r ".[$i].max_available_extent" "$DAXMGR_TEST_OUT/regions.json")"
done

step "DIMMs carry a label area"
ndctl_json list -D | tee "$DAXMGR_TEST_OUT/dimms.json"
check_eq "nmems" 2 "$(jq length "$DAXMGR_TEST_OUT/dimms.json")"
for d in $(jq -r '.[].dev' "$DAXMGR_TEST_OUT/dimms.json"); do
    ndctl_json read-labels -j "$d" >"$DAXMGR_TEST_OUT/labels-$d.json" ||
        fail "ndctl read-labels $d failed: the label area is not readable"
    nsindex=$(jq '.[0].index | length' "$DAXMGR_TEST_OUT/labels-$d.json")
    check_eq "$d label index blocks" 2 "$nsindex"
done

step "pmem ranges: lib/ (sysfs) against /proc/iomem"
grep 'Persistent Memory' /proc/iomem | grep -v '^ ' | tee "$DAXMGR_TEST_OUT/iomem.txt"
want=$(while read -r range _; do
    printf '0x%x-0x%x\n' $((16#${range%-*})) $((16#${range#*-} + 1))
done <"$DAXMGR_TEST_OUT/iomem.txt" | sort)
run_probe "$PROBE" "$DAXMGR_TEST_OUT/probe.txt"
got=$(sed -n 's/^pmem_range=region[0-9]* //p' "$DAXMGR_TEST_OUT/probe.txt" | sort)
check_eq "pmem ranges seen by lib/" "$want" "$got"
