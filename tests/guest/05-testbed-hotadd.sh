#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Test-bed self-check: a guest test can hot-add an NVDIMM through the host's QEMU monitor
# (testbed-hotadd-nvdimm), and the new region shows up in `ndctl list -R`.  Also checks that
# QEMU's refusal comes back as an error.
#
# topology: labelled
# boot: own
# timeout: 120
set -euo pipefail

regions() { ndctl list -R | grep -o '"dev":"region[0-9]*"' | sed 's/.*"\(region[0-9]*\)"/\1/' | sort; }

wait_for_region_count() { # count seconds
    local i
    for ((i = 0; i < $2 * 5; i++)); do
        [ "$(regions | wc -l)" -ge "$1" ] && return 0
        sleep 0.2
    done
    return 1
}

before=$(regions)
n_before=$(grep -c . <<<"$before")
# shellcheck disable=SC2086,SC2116 # unquoted on purpose: the regions on one line
echo "regions before: $(echo $before)"
[ "$n_before" -eq 2 ] || { echo "FAIL: the labelled topology should start with 2 regions, found $n_before"; exit 1; }

id=$(testbed-hotadd-nvdimm --size 1G --label-size 128K)
echo "hot-added $id"

if ! wait_for_region_count $((n_before + 1)) 30; then
    echo "FAIL: no new region within 30 s after hot-adding $id"
    ndctl list -RD || true
    dmesg | tail -n 20
    exit 1
fi
new=$(comm -13 <(echo "$before") <(regions))
echo "new region: $new"
ndctl list -R -r "$new"
size=$(ndctl list -R -r "$new" | sed -n 's/.*"size":\([0-9]*\).*/\1/p' | head -n 1)
# 1 GiB minus the label area (QEMU keeps it at the end, rounded to the 2 MiB alignment).
if [ -z "$size" ] || [ "$size" -lt $((1024 * 1024 * 1024 - 4 * 1024 * 1024)) ]; then
    echo "FAIL: region $new has size '${size}', expected about 1 GiB"
    exit 1
fi
printf '%s\t%s\t%s\n' "$id" "$new" "$size" >"$DAXMGR_TEST_OUT/hotadded.tsv"

# QEMU's refusal must come back as a failure with its reason: an NVDIMM label area must be
# at least 128 KiB.
if err=$(testbed-hotadd-nvdimm --size 1G --label-size 64K 2>&1); then
    echo "FAIL: hot-adding an NVDIMM with a 64 KiB label area should have been refused, got: $err"
    exit 1
fi
case "$err" in
    *"QEMU refused"*) ;;
    *) echo "FAIL: expected QEMU's refusal, got: $err"; exit 1 ;;
esac
echo "refused as expected: $err"
echo "PASS"
