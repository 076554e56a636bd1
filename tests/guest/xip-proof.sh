# SPDX-License-Identifier: LGPL-2.1-or-later
# xip_proof FSTYPE REGION: the shared body of the 2x-xip-*.sh guest tests (sourced).

xip_proof() {
    local fstype=$1 region=$2 out=$DAXMGR_TEST_OUT mnt=/mnt/xip-$1 dev name=xip-$1

    step "fsdax namespace in $region"
    # 1 GiB: mkfs.xfs wants a 64 MiB log once the stripe unit is 2 MiB, too much for 512 MiB.
    ndctl create-namespace -r "$region" -m fsdax -M mem -s 1G -n "$name" | tee "$out/namespace.json"
    dev=/dev/$(jq -r .blockdev "$out/namespace.json")
    check_eq "namespace mode" fsdax "$(jq -r .mode "$out/namespace.json")"
    check_eq "queue/dax of $dev" 1 "$(cat "/sys/block/${dev#/dev/}/queue/dax")"

    step "mkfs.$fstype (4 KiB blocks) and mount -o dax=always"
    case "$fstype" in
        ext4) mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "$dev" ;;
        xfs) mkfs.xfs -q -f -b size=4096 -m reflink=0 -d su=2m,sw=1 "$dev" ;;
    esac
    mkdir -p "$mnt"
    mount -t "$fstype" -o dax=always "$dev" "$mnt"
    findmnt -no OPTIONS "$mnt" | grep -q 'dax' || fail "mount options of $mnt lack dax: $(findmnt -no OPTIONS "$mnt")"

    step "probe placed on $mnt"
    install -m 0755 "$PROBE" "$mnt/probe"
    run_probe "$mnt/probe" "$out/placed.txt"
    check_eq "STATX_ATTR_DAX of the placed probe" 1 "$(kv statx_dax "$out/placed.txt")"
    text=$(kv text_pages "$out/placed.txt")
    check_ge "text pages" 2 "$text"
    check_eq "text pages in pmem" "$text" "$(kv text_pmem "$out/placed.txt")"
    check_eq "text pages in DRAM" 0 "$(kv text_dram "$out/placed.txt")"
    check_eq ".data page before the write" pmem "$(kv data_before_write "$out/placed.txt")"
    check_eq ".data page after the write" dram "$(kv data_after_write "$out/placed.txt")"

    step "control: the same probe from the root disk"
    run_probe "$PROBE" "$out/control.txt"
    check_eq "STATX_ATTR_DAX on the root disk" 0 "$(kv statx_dax "$out/control.txt")"
    check_ge "text pages" 2 "$(kv text_pages "$out/control.txt")"
    check_eq "text pages in pmem" 0 "$(kv text_pmem "$out/control.txt")"
    check_eq ".data page after the write" dram "$(kv data_after_write "$out/control.txt")"

    umount "$mnt" # lib.sh's exit trap erases and destroys the namespace
}
