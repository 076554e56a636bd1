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

    pmd_proof "$fstype" "$mnt"

    umount "$mnt" # lib.sh's exit trap erases and destroys the namespace
}

# pmd_proof FSTYPE MNT: 2 MiB (PMD) mappings of a placed copy, three ways. A synthetic ELF with
# 8 MiB of text (one r-x PT_LOAD from offset 0, p_align 2 MiB: 4 PMD-eligible windows) is placed
# in a zone on MNT; FIEMAP says how many of its windows are aligned on the device; python3 maps
# the copy r-x (the kernel's thp_get_unmapped_area gives a 2 MiB-aligned address) and reads one
# byte of each window; then daxmgr-tool verify's PMD-mapped windows (PAGEMAP_SCAN) must equal
# the PMD faults the fs_dax tracepoint saw succeed (NOPAGE), and the aligned windows.
pmd_proof() {
    local fstype=$1 mnt=$2 out=$DAXMGR_TEST_OUT elf=/tmp/daxmgr-bigtext copy pid trace=/sys/kernel/tracing
    local eligible aligned mapped faults=unknown

    step "PMD-eligible windows of a placed 8 MiB text on $fstype, and the 2 MiB mappings made of them"
    python3 - "$elf" <<'PY'
import struct, sys
size = 8 << 20
eh = struct.pack("<4s5B7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, bytes(7), 3, 62, 1, 0x1000, 64, 0, 0,
                 64, 56, 1, 64, 0, 0)
ph = struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, size, size, 2 << 20)
data = bytearray(b"\xc3" * size)
data[0:len(eh) + len(ph)] = eh + ph
open(sys.argv[1], "wb").write(data)
PY
    chmod 755 "$elf"
    "$TOOL" advise "$elf" | tee "$out/pmd-advise-$fstype.txt"
    grep -q "2 MiB windows 4  PMD-eligible" "$out/pmd-advise-$fstype.txt" || fail "advise does not count 4 PMD-eligible windows"
    mkdir -p "$mnt/zone" "$out/pmd-state"
    DAXMGR_STATE_DIR=$out/pmd-state "$TOOL" zone-create "$mnt/zone"
    DAXMGR_STATE_DIR=$out/pmd-state "$TOOL" place "$mnt/zone" "$elf" 2>&1 | tee "$out/pmd-place-$fstype.txt"
    copy=$mnt/zone/root$elf
    "$TOOL" layout "$copy" | tee "$out/pmd-layout-$fstype.txt"
    filefrag -v "$copy" | sed 's/^/    /' || true
    eligible=$(sed -n 's/.*: \([0-9]*\) PMD-eligible.*/\1/p' "$out/pmd-layout-$fstype.txt")
    aligned=$(sed -n 's/.*; \([0-9]*\) of them 2 MiB-aligned.*/\1/p' "$out/pmd-layout-$fstype.txt")
    check_eq "PMD-eligible windows of the copy ($fstype)" 4 "$eligible"

    [ -d "$trace/events" ] || mount -t tracefs nodev "$trace" 2>/dev/null || true
    if [ -e "$trace/events/fs_dax/dax_pmd_fault_done/enable" ]; then
        echo 0 >"$trace/tracing_on"
        echo >"$trace/trace"
        echo 1 >"$trace/events/fs_dax/dax_pmd_fault_done/enable"
        echo 1 >"$trace/tracing_on"
    fi
    python3 -c '
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
m = mmap.mmap(fd, 8 << 20, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)
s = sum(m[i] for i in range(0, 8 << 20, 2 << 20))
time.sleep(300)
' "$copy" &
    pid=$!
    wait_asleep "$pid"
    if [ -e "$trace/events/fs_dax/dax_pmd_fault_done/enable" ]; then
        echo 0 >"$trace/tracing_on"
        echo 0 >"$trace/events/fs_dax/dax_pmd_fault_done/enable"
        grep dax_pmd_fault_done "$trace/trace" | sed 's/^ */    /' | tee "$out/pmd-trace-$fstype.txt" || true
        faults=$(grep -c 'NOPAGE' "$out/pmd-trace-$fstype.txt" || true)
    fi
    "$TOOL" verify "$pid" | head -2
    "$TOOL" verify --json "$pid" >"$out/pmd-verify-$fstype.json"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    jq -c --arg c "$copy" '.mappings[] | select(.path == $c) | {range, perms, pmem, "not-resident", pmd_eligible_windows, pmd_mapped_windows}' \
        "$out/pmd-verify-$fstype.json"
    mapped=$(jq --arg c "$copy" '[.mappings[] | select(.path == $c) | .pmd_mapped_windows] | add' "$out/pmd-verify-$fstype.json")
    check_eq "PMD-eligible windows of the mapping (verify, $fstype)" 4 \
        "$(jq --arg c "$copy" '[.mappings[] | select(.path == $c) | .pmd_eligible_windows] | add' "$out/pmd-verify-$fstype.json")"
    printf 'figures %s: eligible=%s aligned-on-device=%s pmd-mapped(verify)=%s pmd-faults(tracepoint NOPAGE)=%s\n' \
        "$fstype" "$eligible" "$aligned" "$mapped" "$faults"
    if [ "$mapped" = null ]; then
        # verify measures PMD mappings with PAGEMAP_SCAN (Linux 6.7): "not measured" before.
        echo "note: PMD mappings not measured by verify on $(uname -r) (PAGEMAP_SCAN needs Linux 6.7)"
        if [ "$faults" != unknown ]; then
            check_eq "PMD faults (fs_dax tracepoint) = windows aligned on the device (FIEMAP), $fstype" "$aligned" "$faults"
        fi
    else
        if [ "$faults" != unknown ]; then
            check_eq "PMD-mapped windows (verify) = PMD faults (fs_dax tracepoint), $fstype" "$faults" "$mapped"
        fi
        check_eq "PMD-mapped windows = windows aligned on the device (FIEMAP), $fstype" "$aligned" "$mapped"
    fi
    DAXMGR_STATE_DIR=$out/pmd-state "$TOOL" unplace "$mnt/zone" "$elf" >/dev/null 2>&1 || true
    rm -f "$elf"
}
