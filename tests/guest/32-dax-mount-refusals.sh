#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 360
#
# What lib/dax-mount refuses, and that it leaves nothing mounted behind:
#   - a raw-mode namespace (no struct pages, queue/dax 0): ext4 fails to mount, xfs mounts with
#     "Turning off DAX" and is unmounted again; both errors quote the kernel and queue/dax;
#   - a loop device on a file (a block device without DAX): the same;
#   - tmpfs, ramfs, a directory: not block devices, "dax" means nothing there;
#   - a device without a file system; unmounting what is not a mount point.
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT
mnt=/mnt/daxmgr-refusals
loop=

cleanup() {
    local rc=$?
    set +e
    umount "$mnt" 2>/dev/null
    [ -n "$loop" ] && losetup -d "$loop"
    rm -f /tmp/daxmgr-loop.img
    (exit $rc)
    _testbed_cleanup
}
trap cleanup EXIT

# nothing_mounted DEV: no mount of DEV anywhere, and none at $mnt
nothing_mounted() {
    check_eq "mounts of $1" "" "$(findmnt -rno TARGET --source "$1" || true)"
    check_eq "mounts at $mnt" "" "$(findmnt -rno SOURCE --mountpoint "$mnt" || true)"
    [ ! -e "$mnt" ] || fail "$mnt was left behind"
    printf 'ok: nothing mounted, %s removed again\n' "$mnt"
}

step "a raw namespace: no DAX"
ndctl create-namespace -r region1 -m raw -s 512M -n mnt-raw | tee "$out/ns-raw.json"
raw=/dev/$(jq -r .blockdev "$out/ns-raw.json")
rawname=${raw#/dev/}
check_eq "queue/dax of $raw" 0 "$(cat "/sys/block/$rawname/queue/dax")"

"$TOOL" format "$raw" --fs ext4 >/dev/null
expect_fail "/sys/block/$rawname/queue/dax is 0" "$TOOL" mount "$raw" "$mnt"
expect_fail "EXT4-fs ($rawname): DAX unsupported by block device" "$TOOL" mount "$raw" "$mnt"
nothing_mounted "$raw"

"$TOOL" format "$raw" --fs xfs --force >/dev/null
expect_fail "but DAX is not in effect" "$TOOL" mount "$raw" "$mnt"
expect_fail "XFS ($rawname): DAX unsupported by block device. Turning off DAX" "$TOOL" mount "$raw" "$mnt"
nothing_mounted "$raw"
expect_fail "unmounted it again" "$TOOL" mount "$raw" "$mnt" --dax inode
nothing_mounted "$raw"

step "a loop device on a file in /tmp: no DAX"
truncate -s 1G /tmp/daxmgr-loop.img
loop=$(losetup -f --show /tmp/daxmgr-loop.img)
"$TOOL" format "$loop" --fs ext4 >/dev/null
expect_fail "/sys/block/${loop#/dev/}/queue/dax is 0" "$TOOL" mount "$loop" "$mnt"
nothing_mounted "$loop"
"$TOOL" format "$loop" --fs xfs --force >/dev/null
expect_fail "Turning off DAX" "$TOOL" mount "$loop" "$mnt"
nothing_mounted "$loop"

step "tmpfs, ramfs, a directory: not block devices"
expect_fail "tmpfs and ramfs keep files in ordinary RAM, where \"dax\" means nothing" "$TOOL" mount tmpfs "$mnt"
expect_fail "\"dax\" means nothing" "$TOOL" mount none "$mnt" --fs ramfs
expect_fail "/tmp: it is not a block device" "$TOOL" mount /tmp "$mnt"
[ ! -e "$mnt" ] || fail "$mnt was created for a refused mount"

step "a blank fsdax namespace: no file system yet"
ndctl create-namespace -r region1 -m fsdax -M mem -s 512M -n mnt-blank | tee "$out/ns-blank.json"
blank=/dev/$(jq -r .blockdev "$out/ns-blank.json")
expect_fail "holds no file system that libblkid recognises; format it first" "$TOOL" mount "$blank" "$mnt"
"$TOOL" format "$blank" --fs ext4 >/dev/null
expect_fail "Cannot mount $blank as xfs: it holds ext4" "$TOOL" mount "$blank" "$mnt" --fs xfs
expect_fail "\"dax=never\" is not allowed" "$TOOL" mount "$blank" "$mnt" --options dax=never
expect_fail "setting the option \"no-such-option\"" "$TOOL" mount "$blank" "$mnt" --options no-such-option
nothing_mounted "$blank"

step "unmount: not a mount point"
mkdir -p /tmp/daxmgr-not-mounted
expect_fail "/tmp/daxmgr-not-mounted: it is not a mount point" "$TOOL" unmount /tmp/daxmgr-not-mounted
rmdir /tmp/daxmgr-not-mounted

step "check-path off pmem says why"
"$TOOL" check-path / | tee "$out/check-root.json"
check_eq "dax on /" false "$(jq -r .dax "$out/check-root.json")"
[ "$(jq -r .why_not "$out/check-root.json")" != null ] || fail "check-path / gives no reason"
