#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 240
#
# The demo, run inside the emulated-pmem guest by ./demo: the pmem this guest has, an fsdax
# namespace made DAX-mounted storage, and the proof that a program placed there executes in
# place: its text pages are pmem frames, not copies in DRAM.
set -euo pipefail

PROBE=/usr/libexec/daxmgr/daxmgr-xip-probe
out=${DAXMGR_TEST_OUT:-/tmp}
say() { printf '\n== %s\n' "$*"; }
kv() { sed -n "s/^$1=//p" "$2" | head -n 1; }

say "The persistent memory this guest has (ndctl list -R -u)"
ndctl list -R -u

say "Physical ranges of pmem (what \"in pmem\" means below)"
grep 'Persistent Memory' /proc/iomem | grep -v '^ '

say "Make storage: an fsdax namespace, ext4 with 4 KiB blocks, mounted with dax=always"
ndctl create-namespace -r region0 -m fsdax -M mem -s 512M -n demo -u
dev=/dev/$(ndctl list -n demo | sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p')
mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "$dev"
mkdir -p /mnt/pmem
mount -o dax=always "$dev" /mnt/pmem
findmnt -o TARGET,SOURCE,FSTYPE,OPTIONS /mnt/pmem

say "Place a program on it and run it; run the same program from the root disk"
install -m 0755 "$PROBE" /mnt/pmem/xip-probe
/mnt/pmem/xip-probe >"$out/placed.txt"
"$PROBE" >"$out/control.txt"
echo "placed:  /mnt/pmem/xip-probe"
echo "control: $PROBE (virtio disk, page cache)"

say "Where do the pages of each copy live? (from /proc/self/pagemap)"
printf '%-10s %-9s %-11s %-13s %-13s %-19s %s\n' "run" "DAX file" "text pages" "text in pmem" "text in DRAM" \
    ".data before write" ".data after write"
for run in placed control; do
    f=$out/$run.txt
    printf '%-10s %-9s %-11s %-13s %-13s %-19s %s\n' "$run" "$(kv statx_dax "$f")" "$(kv text_pages "$f")" \
        "$(kv text_pmem "$f")" "$(kv text_dram "$f")" "$(kv data_before_write "$f")" "$(kv data_after_write "$f")"
done

placed_text=$(kv text_pages "$out/placed.txt")
placed_pmem=$(kv text_pmem "$out/placed.txt")
control_pmem=$(kv text_pmem "$out/control.txt")
libs=$(kv libs_text_pages "$out/placed.txt")
echo
echo "The placed copy: $placed_pmem of $placed_text text pages are pmem frames: it executes in place."
echo "Its .data page was mapped from pmem until the program wrote to it; the write copied it to DRAM."
echo "The control copy: $control_pmem text pages in pmem: the kernel loaded it into the page cache."
echo "Its $libs pages of shared-library text (libc, ld.so) still came from the root disk: placing them"
echo "too is what daxmgr's XIP zones are for."
umount /mnt/pmem
[ "$placed_pmem" = "$placed_text" ] && [ "$placed_text" -gt 0 ] && [ "$control_pmem" = 0 ]
