#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 480
#
# lib/dax-mount through daxmgr-tool, checked with findmnt, /proc/self/mountinfo and statx
# (check-path):
#   - xfs and ext4 mounted dax=always: a new file is DAX; mounting again is a no-op; another
#     mode or another mount point for a mounted device is refused; unmount;
#   - unmounting while a process sits inside is refused with its name and pid, and the file
#     system stays mounted;
#   - dax=inode: the mount root does not make new files DAX, a directory with FS_XFLAG_DAX
#     does (check-path says which and why).
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT
mnt=/mnt/daxmgr-dax/a
holder=

cleanup() {
    local rc=$?
    set +e
    [ -n "$holder" ] && kill "$holder" 2>/dev/null
    umount "$mnt" 2>/dev/null
    (exit $rc)
    _testbed_cleanup
}
trap cleanup EXIT

# check_path PATH FIELD: a field of daxmgr-tool check-path's JSON
check_path() { "$TOOL" check-path "$1" | jq -r ".$2"; }

ndctl create-namespace -r region0 -m fsdax -M mem -s 1G -n mnt-a | tee "$out/ns.json"
dev=/dev/$(jq -r .blockdev "$out/ns.json")
devno=$(printf '%d:%d' "0x$(stat -c %t "$dev")" "0x$(stat -c %T "$dev")")

for fs in xfs ext4; do
    step "$fs: format, mount dax=always (the mount point does not exist yet)"
    "$TOOL" format "$dev" --fs "$fs" --force >/dev/null
    rm -rf /mnt/daxmgr-dax
    "$TOOL" mount "$dev" "$mnt" | tee "$out/mount-$fs.json"
    check_eq "result" mounted "$(jq -r .result "$out/mount-$fs.json")"
    check_eq "findmnt SOURCE" "$dev" "$(findmnt -rno SOURCE "$mnt")"
    check_eq "findmnt FSTYPE" "$fs" "$(findmnt -rno FSTYPE "$mnt")"
    findmnt -rno OPTIONS "$mnt" | tee "$out/options-$fs.txt"
    grep -Eq '(^|,)dax(=always)?(,|$)' "$out/options-$fs.txt" || fail "findmnt shows no dax=always for $mnt"
    awk -v d="$devno" -v m="$mnt" '$3 == d && $5 == m' /proc/self/mountinfo | tee "$out/mountinfo-$fs.txt"
    check_eq "mountinfo lines for $devno at $mnt" 1 "$(wc -l <"$out/mountinfo-$fs.txt")"
    check_eq "mount point mode" 755 "$(stat -c %a "$mnt")"

    step "$fs: statx DAX on new files"
    "$TOOL" check-path "$mnt" | tee "$out/check-root-$fs.json"
    check_eq "check-path dax (mount root, probed)" true "$(jq -r .dax "$out/check-root-$fs.json")"
    check_eq "check-path probed" true "$(jq -r .probed "$out/check-root-$fs.json")"
    check_eq "check-path fs" "$fs" "$(jq -r .fs "$out/check-root-$fs.json")"
    check_eq "check-path dax_mode" always "$(jq -r .dax_mode "$out/check-root-$fs.json")"
    check_eq "check-path mountpoint" "$mnt" "$(jq -r .mountpoint "$out/check-root-$fs.json")"
    echo data >"$mnt/file"
    check_eq "check-path dax of a new file" true "$(check_path "$mnt/file" dax)"
    check_eq "check-path why_not of a new file" null "$(check_path "$mnt/file" why_not)"

    step "$fs: mounting again is a no-op"
    "$TOOL" mount "$dev" "$mnt" | tee "$out/again-$fs.json"
    check_eq "result" "already mounted" "$(jq -r .result "$out/again-$fs.json")"
    check_eq "mounts at $mnt" 1 "$(findmnt -rn --mountpoint "$mnt" | wc -l)"

    step "$fs: other mode, other place: refused"
    expect_fail "already mounted at $mnt with dax=always, not dax=inode" "$TOOL" mount "$dev" "$mnt" --dax inode
    expect_fail "it is already mounted at $mnt" "$TOOL" mount "$dev" /mnt/daxmgr-dax/b
    check_eq "no mount at /mnt/daxmgr-dax/b" "" "$(findmnt -rno SOURCE /mnt/daxmgr-dax/b || true)"

    step "$fs: unmount while a process sits inside: refused, still mounted"
    (cd "$mnt" && exec sleep 1000) &
    holder=$!
    sleep 1
    expect_fail "it is busy, in use by sleep (pid $holder, cwd $mnt)" "$TOOL" unmount "$mnt"
    check_eq "still mounted" "$dev" "$(findmnt -rno SOURCE "$mnt")"
    kill "$holder"
    wait "$holder" 2>/dev/null || true
    holder=

    step "$fs: unmount"
    "$TOOL" unmount "$mnt" | tee "$out/unmount-$fs.json"
    check_eq "findmnt after unmount" "" "$(findmnt -rno SOURCE "$mnt" || true)"
    check_eq "mountinfo lines for $devno" 0 "$(awk -v d="$devno" '$3 == d' /proc/self/mountinfo | wc -l)"
    expect_fail "$mnt: it is not a mount point" "$TOOL" unmount "$mnt"

    step "$fs: dax=inode with extra options"
    "$TOOL" mount "$dev" "$mnt" --dax inode --fs "$fs" --options noatime,nodev | tee "$out/mount-inode-$fs.json"
    findmnt -rno OPTIONS "$mnt" | tee "$out/options-inode-$fs.txt"
    grep -q noatime "$out/options-inode-$fs.txt" || fail "noatime missing"
    grep -q nodev "$out/options-inode-$fs.txt" || fail "nodev missing"
    grep -q 'dax=always' "$out/options-inode-$fs.txt" && fail "dax=inode mount shows dax=always"
    "$TOOL" check-path "$mnt" | tee "$out/check-inode-root-$fs.json"
    check_eq "new files in the root are DAX" false "$(jq -r .dax "$out/check-inode-root-$fs.json")"
    check_eq "dax_mode" inode "$(jq -r .dax_mode "$out/check-inode-root-$fs.json")"
    jq -r .why_not "$out/check-inode-root-$fs.json" | grep -q 'does not carry FS_XFLAG_DAX' ||
        fail "why_not does not name FS_XFLAG_DAX: $(jq -r .why_not "$out/check-inode-root-$fs.json")"
    mkdir "$mnt/xip"
    xfs_io -c 'chattr +x' "$mnt/xip"
    "$TOOL" check-path "$mnt/xip" | tee "$out/check-inode-dir-$fs.json"
    check_eq "directory flag" true "$(jq -r .dax_flag "$out/check-inode-dir-$fs.json")"
    check_eq "new files in the flagged directory are DAX" true "$(jq -r .dax "$out/check-inode-dir-$fs.json")"
    echo x >"$mnt/xip/file"
    echo x >"$mnt/plain"
    check_eq "file created in the flagged directory" true "$(check_path "$mnt/xip/file" dax)"
    check_eq "file created in the root" false "$(check_path "$mnt/plain" dax)"
    "$TOOL" unmount "$mnt" >/dev/null
done

step "times"
for fs in xfs ext4; do
    printf '%s: mount dax=always %s s, no-op remount %s s, unmount %s s, mount dax=inode %s s\n' "$fs" \
        "$(jq -r .seconds "$out/mount-$fs.json")" "$(jq -r .seconds "$out/again-$fs.json")" \
        "$(jq -r .seconds "$out/unmount-$fs.json")" "$(jq -r .seconds "$out/mount-inode-$fs.json")"
done | tee "$out/times.txt"
