#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 420
#
# lib/format through daxmgr-tool, checked with blkid, xfs_db, xfs_info and dumpe2fs:
#   - xfs gets 4 KiB blocks, no reflink, a 2 MiB stripe unit and a 2 MiB extent-size hint on
#     the root directory (inherited by new files); ext4 gets 4 KiB blocks, stride 512 and
#     stripe width 512 (2 MiB); labels and UUIDs are applied;
#   - a device holding a file system is refused (and left intact) without force, formatted
#     with it; a mounted device is refused even with force; a non-block device is refused;
#   - a 512 MiB device gets an xfs too (four allocation groups, so that the log fits).
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT
mnt=/mnt/daxmgr-format

cleanup() {
    local rc=$?
    set +e
    umount "$mnt" 2>/dev/null
    (exit $rc)
    _testbed_cleanup
}
trap cleanup EXIT

# blkid_tag DEV TAG: a tag as libblkid reads it now (no cache)
blkid_tag() { blkid -c /dev/null -p -o value -s "$2" "$1" || true; }

step "an fsdax namespace (1 GiB) in region0"
ndctl create-namespace -r region0 -m fsdax -M mem -s 1G -n fmt-a | tee "$out/ns-a.json"
dev=/dev/$(jq -r .blockdev "$out/ns-a.json")
check_eq "blkid on the new namespace finds" "" "$(blkid_tag "$dev" TYPE)"

step "format xfs with a label"
"$TOOL" format "$dev" --fs xfs --label daxmgr-x | tee "$out/format-xfs.json"
check_eq "blkid TYPE" xfs "$(blkid_tag "$dev" TYPE)"
check_eq "blkid LABEL" daxmgr-x "$(blkid_tag "$dev" LABEL)"
check_eq "UUID reported = blkid UUID" "$(blkid_tag "$dev" UUID)" "$(jq -r .uuid "$out/format-xfs.json")"
xfs_info "$dev" | tee "$out/xfs_info.txt"
grep -q 'reflink=0' "$out/xfs_info.txt" || fail "xfs_info does not show reflink=0"
grep -Eq 'data +=.*bsize=4096' "$out/xfs_info.txt" || fail "xfs_info does not show 4 KiB data blocks"
grep -Eq 'sunit=512 +swidth=512 blks' "$out/xfs_info.txt" || fail "xfs_info does not show a 2 MiB stripe (512 blocks)"
rootino=$(xfs_db -r -c 'sb 0' -c 'p rootino' "$dev" | sed 's/.*= //')
xfs_db -r -c "inode $rootino" -c 'p core.extsize core.extszinherit' "$dev" | tee "$out/root-inode.txt"
check_eq "root directory extent-size hint (blocks)" 512 "$(sed -n 's/^core.extsize = //p' "$out/root-inode.txt")"
check_eq "root directory passes the hint on" 1 "$(sed -n 's/^core.extszinherit = //p' "$out/root-inode.txt")"
mkdir -p "$mnt"
mount -t xfs "$dev" "$mnt"
touch "$mnt/new-file"
check_eq "xfs_io extsize of the root" "[2097152] $mnt" "$(xfs_io -c extsize "$mnt")"
check_eq "xfs_io extsize of a new file" "[2097152] $mnt/new-file" "$(xfs_io -c extsize "$mnt/new-file")"
umount "$mnt"

step "refused without force: the xfs stays as it was"
uuid=$(blkid_tag "$dev" UUID)
expect_fail "holds an xfs file system (label \"daxmgr-x\", UUID $uuid). Pass force to overwrite it, which destroys it" \
    "$TOOL" format "$dev" --fs ext4
check_eq "blkid TYPE after the refusal" xfs "$(blkid_tag "$dev" TYPE)"
check_eq "blkid UUID after the refusal" "$uuid" "$(blkid_tag "$dev" UUID)"

step "with force: ext4 with a label and a chosen UUID"
want_uuid=6d1c3b0e-2f4a-4d5e-9a8b-0c1d2e3f4a5b
"$TOOL" format "$dev" --fs ext4 --force --label daxmgr-ext4 --uuid "$want_uuid" | tee "$out/format-ext4.json"
check_eq "blkid TYPE" ext4 "$(blkid_tag "$dev" TYPE)"
check_eq "blkid UUID" "$want_uuid" "$(blkid_tag "$dev" UUID)"
check_eq "blkid LABEL" daxmgr-ext4 "$(blkid_tag "$dev" LABEL)"
dumpe2fs -h "$dev" 2>/dev/null | tee "$out/dumpe2fs.txt" | grep -E 'Block size|RAID|volume name'
check_eq "ext4 block size" 4096 "$(sed -n 's/^Block size: *//p' "$out/dumpe2fs.txt")"
check_eq "ext4 RAID stride" 512 "$(sed -n 's/^RAID stride: *//p' "$out/dumpe2fs.txt")"
check_eq "ext4 RAID stripe width" 512 "$(sed -n 's/^RAID stripe width: *//p' "$out/dumpe2fs.txt")"

step "a mounted device is refused, even with force"
mount -t ext4 "$dev" "$mnt"
expect_fail "it is mounted at $mnt" "$TOOL" format "$dev" --fs xfs --force
check_eq "still ext4" ext4 "$(blkid_tag "$dev" TYPE)"
check_eq "still mounted" "$dev" "$(findmnt -rno SOURCE "$mnt")"
umount "$mnt"

step "refusals that need no device"
truncate -s 64M /tmp/daxmgr-format.img
expect_fail "/tmp/daxmgr-format.img: it is not a block device" "$TOOL" format /tmp/daxmgr-format.img --fs xfs --force
rm -f /tmp/daxmgr-format.img
expect_fail "keeps at most 12" "$TOOL" format "$dev" --fs xfs --force --label thirteen-char
rc=0
"$TOOL" format "$dev" --fs btrfs 2>/dev/null || rc=$?
check_eq "exit status for an unknown file system (usage)" 2 "$rc"
check_eq "still ext4 after the refusals" ext4 "$(blkid_tag "$dev" TYPE)"

step "a 512 MiB namespace takes an xfs (4 allocation groups)"
ndctl create-namespace -r region0 -m fsdax -M mem -s 512M -n fmt-b | tee "$out/ns-b.json"
small=/dev/$(jq -r .blockdev "$out/ns-b.json")
"$TOOL" format "$small" --fs xfs | tee "$out/format-small.json"
check_eq "blkid TYPE" xfs "$(blkid_tag "$small" TYPE)"
check_eq "allocation groups" 4 "$(xfs_db -r -c 'sb 0' -c 'p agcount' "$small" | sed 's/.*= //')"

step "times"
printf 'format xfs 1 GiB: %s s\nformat ext4 1 GiB (forced): %s s\nformat xfs 512 MiB: %s s\n' \
    "$(jq -r .seconds "$out/format-xfs.json")" "$(jq -r .seconds "$out/format-ext4.json")" \
    "$(jq -r .seconds "$out/format-small.json")" | tee "$out/times.txt"
