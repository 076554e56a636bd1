#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelless
# timeout: 180
#
# A label-less region holds one namespace: lib/ refuses to create or destroy there, with the
# reason, and changes the mode of that namespace instead (raw -> fsdax -> devdax -> raw).
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT

"$TOOL" topology >"$out/topology.json"
check_eq "labelled" false "$(jq -r '.regions[0].labelled' "$out/topology.json")"
ns=$(jq -r '.regions[0].namespaces[0].dev' "$out/topology.json")
check_eq "mode" raw "$(jq -r '.regions[0].namespaces[0].mode' "$out/topology.json")"

step "create and destroy are refused, with the reason"
expect_fail "has no label area" "$TOOL" create-namespace --region region0 --size 256M
expect_fail "cannot be destroyed; change its mode" "$TOOL" destroy-namespace "$ns"

step "raw -> fsdax"
"$TOOL" reconfigure-namespace --mode fsdax --map mem "$ns"
check_eq "mode" fsdax "$(ndctl_json list -N | jq -r '.[0].mode')"
blk=$(ndctl_json list -N | jq -r '.[0].blockdev')
check_eq "queue/dax" 1 "$(cat "/sys/block/$blk/queue/dax")"
mkfs.ext4 -q -F -b 4096 "/dev/$blk"
expect_fail "holds a ext4 signature" "$TOOL" reconfigure-namespace --mode devdax "$ns"
step "fsdax -> devdax (forced: the filesystem is given up)"
"$TOOL" reconfigure-namespace --force --mode devdax "$ns"
check_eq "mode" devdax "$(ndctl_json list -N | jq -r '.[0].mode')"
step "devdax -> raw"
"$TOOL" reconfigure-namespace --mode raw "$ns"
check_eq "mode" raw "$(ndctl_json list -N | jq -r '.[0].mode')"
