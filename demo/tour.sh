#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 300
#
# The demo, run inside the emulated-pmem guest by demo/run: the pmem this guest has, an fsdax
# namespace made DAX-mounted storage through daxmgr's library, the page-by-page proof that a
# program placed there executes in place, and python3 placed with its loader and libraries in
# an XIP zone next to an unplaced control.
set -euo pipefail

TOOL=/usr/libexec/daxmgr/daxmgr-tool
PROBE=/usr/libexec/daxmgr/daxmgr-xip-probe
out=${DAXMGR_TEST_OUT:-/tmp}
say() { printf '\n== %s\n' "$*"; }
kv() { sed -n "s/^$1=//p" "$2" | head -n 1; }

say "The persistent memory this guest has (daxmgr-tool topology)"
"$TOOL" topology >"$out/topology.json"
jq -r '.regions[] | "\(.dev): \(.size / 1048576 | floor) MiB at \(.resource / 1073741824) GiB, labels: \(.labelled), free: \(.available_size / 1048576 | floor) MiB, DIMMs: \(.dimms | join(","))"' \
    "$out/topology.json"
grep 'Persistent Memory' /proc/iomem | grep -v '^ ' | sed 's/^/\/proc\/iomem: /'

say "Make storage: a 1 GiB fsdax namespace, ext4 tuned for pmem, mounted with DAX proven"
"$TOOL" create-namespace --region region0 --mode fsdax --map mem --size 1G --name demo
blk=$("$TOOL" topology | jq -r '.regions[].namespaces[] | select(.name == "demo") | .blockdev')
"$TOOL" format "/dev/$blk" --fs ext4 >/dev/null
"$TOOL" mount "/dev/$blk" /mnt/pmem >/dev/null
"$TOOL" check-path /mnt/pmem | jq -c '{path, dax, fs, source, dax_mode}'

say "Place a program on it, run it, and run the same program from the root disk"
install -m 0755 "$PROBE" /mnt/pmem/xip-probe
/mnt/pmem/xip-probe >"$out/placed.txt"
"$PROBE" >"$out/control.txt"
printf '%-9s %-9s %-11s %-13s %-13s %-19s %s\n' "run" "DAX file" "text pages" "text in pmem" "text in DRAM" \
    ".data before write" ".data after write"
for run in placed control; do
    f=$out/$run.txt
    printf '%-9s %-9s %-11s %-13s %-13s %-19s %s\n' "$run" "$(kv statx_dax "$f")" "$(kv text_pages "$f")" \
        "$(kv text_pmem "$f")" "$(kv text_dram "$f")" "$(kv data_before_write "$f")" "$(kv data_after_write "$f")"
done
echo "placed: its own text pages are pmem frames; its .data page was pmem until written, then copied to DRAM."
echo "control: read into the page cache. Either way libc and ld.so ($(kv libs_text_pages "$out/placed.txt") text pages) came from the root disk."

say "An XIP zone: python3 placed with its loader and libraries (read from the ELF, never run)"
"$TOOL" zone-create /mnt/pmem/zone
"$TOOL" place --with-libs /mnt/pmem/zone /usr/bin/python3
"$TOOL" placements | jq -r '.[] | "  \(.role): \(.source)"'
entry=$("$TOOL" activate /mnt/pmem/zone "$(readlink -f /usr/bin/python3)")
"$entry" -c 'import time; time.sleep(60)' &
placed=$!
/usr/bin/python3 -c 'import time; time.sleep(60)' &
plain=$!
sleep 2

say "Verify both processes: where are their executable pages?"
for p in $placed $plain; do
    "$TOOL" verify "$p" | head -n 1
done
"$TOOL" verify --json $placed >"$out/python-placed.json"
"$TOOL" verify --json $plain >"$out/python-plain.json"
kill $placed $plain
wait 2>/dev/null || true
a=$(jq '.summary.exec_pmem_percent | floor' "$out/python-placed.json")
b=$(jq '.summary.exec_pmem_percent | floor' "$out/python-plain.json")
echo
echo "python3 from the zone: $a% of its resident executable pages in pmem; from the root disk: $b%."

# Leave the guest as found (the test suite runs the tour too, sharing a boot with other tests).
"$TOOL" unplace /mnt/pmem/zone "$(readlink -f /usr/bin/python3)" >/dev/null
"$TOOL" unmount /mnt/pmem >/dev/null
"$TOOL" destroy-namespace --force demo
[ "$a" = 100 ] && [ "$b" = 0 ] && [ "$(kv text_pmem "$out/placed.txt")" = "$(kv text_pages "$out/placed.txt")" ]
