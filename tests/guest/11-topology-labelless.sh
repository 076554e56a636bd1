#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelless
# timeout: 60
#
# A label-less NVDIMM: one region holding exactly one namespace, which starts raw. A raw
# namespace has no struct pages, so it cannot do DAX: the block queue says so and a dax mount
# fails. (daxmgr must handle this shape, it is what virtio-pmem and memmap= look like too.)
. "$(dirname "$0")/lib.sh"

step "one region, one raw namespace"
ndctl_json list -RN -v | tee "$DAXMGR_TEST_OUT/list.json"
check_eq "regions" 1 "$(jq 'length' "$DAXMGR_TEST_OUT/list.json")"
check_eq "namespaces in the region" 1 "$(jq '.[0].namespaces | length' "$DAXMGR_TEST_OUT/list.json")"
mode=$(jq -r '.[0].namespaces[0].mode' "$DAXMGR_TEST_OUT/list.json")
check_eq "namespace mode" raw "$mode"
blockdev=$(jq -r '.[0].namespaces[0].blockdev' "$DAXMGR_TEST_OUT/list.json")
check_eq "raw namespace queue/dax" 0 "$(cat "/sys/block/$blockdev/queue/dax")"

step "a raw namespace refuses a DAX mount"
mkfs.ext4 -q -F -b 4096 "/dev/$blockdev"
mkdir -p /mnt/raw
if mount -o dax=always "/dev/$blockdev" /mnt/raw 2>"$DAXMGR_TEST_OUT/mount.err"; then
    umount /mnt/raw
    fail "mount -o dax=always of raw /dev/$blockdev succeeded"
fi
printf 'ok: mount refused: %s\n' "$(cat "$DAXMGR_TEST_OUT/mount.err")"
wipefs -q -a "/dev/$blockdev" # the next test of this boot expects an empty namespace

step "sub-dividing a label-less region is refused"
if ndctl create-namespace -r "$(jq -r '.[0].dev' "$DAXMGR_TEST_OUT/list.json")" -s 64M \
    >"$DAXMGR_TEST_OUT/create.out" 2>&1; then
    fail "a second namespace was created in a label-less region"
fi
printf 'ok: refused: %s\n' "$(tail -n 1 "$DAXMGR_TEST_OUT/create.out")"
