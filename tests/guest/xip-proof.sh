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

# extent_hint FSTYPE DIR: on xfs, what daxmgr format gives a zone (extszinherit) for the files
# placed in DIR (created): 2 MiB-aligned extents, which this mkfs alone does not give. Nothing on
# other file systems.
extent_hint() {
    [ "$1" = xfs ] || return 0
    mkdir -p "$2"
    xfs_io -c "extsize 2m" "$2"
}

# pmd_proof FSTYPE MNT: 2 MiB (PMD) mappings of a placed copy, three ways. A synthetic ELF with
# 8 MiB of text (one r-x PT_LOAD from offset 0, p_align 2 MiB: 4 PMD-eligible windows) is placed
# in a zone on MNT (on xfs with the extent size hint: all 4 windows must lie aligned); FIEMAP
# says how many of its windows are aligned on the device, and the placement state must have
# recorded the same when the copy was written; python3 maps the copy r-x (the kernel's
# thp_get_unmapped_area gives a 2 MiB-aligned address) and reads one byte of each window; then
# daxmgr-tool verify's PMD-mapped windows (PAGEMAP_SCAN) must equal the PMD faults the fs_dax
# tracepoint saw succeed (NOPAGE), and the aligned windows.
pmd_proof() {
    local fstype=$1 mnt=$2 out=$DAXMGR_TEST_OUT elf=/tmp/daxmgr-bigtext copy pid trace=/sys/kernel/tracing
    local eligible aligned mapped faults=unknown

    step "PMD-eligible windows of a placed 8 MiB text on $fstype, and the 2 MiB mappings made of them"
    make_bigtext "$elf"
    "$TOOL" advise "$elf" | tee "$out/pmd-advise-$fstype.txt"
    grep -q "2 MiB windows 4  PMD-eligible" "$out/pmd-advise-$fstype.txt" || fail "advise does not count 4 PMD-eligible windows"
    mkdir -p "$mnt/zone" "$out/pmd-state"
    DAXMGR_STATE_DIR=$out/pmd-state "$TOOL" zone-create "$mnt/zone"
    extent_hint "$fstype" "$mnt/zone/root${elf%/*}"
    DAXMGR_STATE_DIR=$out/pmd-state "$TOOL" place "$mnt/zone" "$elf" 2>&1 | tee "$out/pmd-place-$fstype.txt"
    copy=$mnt/zone/root$elf
    "$TOOL" layout "$copy" | tee "$out/pmd-layout-$fstype.txt"
    filefrag -v "$copy" | sed 's/^/    /' || true
    eligible=$(sed -n 's/.*: \([0-9]*\) PMD-eligible.*/\1/p' "$out/pmd-layout-$fstype.txt")
    aligned=$(sed -n 's/.*; \([0-9]*\) of them 2 MiB-aligned.*/\1/p' "$out/pmd-layout-$fstype.txt")
    check_eq "PMD-eligible windows of the copy ($fstype)" 4 "$eligible"
    if [ "$fstype" = xfs ]; then
        check_eq "windows of the copy aligned on the device, with the extent size hint" 4 "$aligned"
        ! grep -q "are not 2 MiB-aligned" "$out/pmd-place-$fstype.txt" ||
            fail "place warns of misaligned windows in a copy whose windows are all aligned"
    fi
    # Recorded in the placement state when the copy was written (what the bus shows), the same.
    check_eq "PMD-eligible windows in the placement state ($fstype)" "$eligible" \
        "$(jq -r '.placements[0].layout.pmd_windows' "$out/pmd-state/placements.json")"
    check_eq "aligned windows in the placement state ($fstype)" "$aligned" \
        "$(jq -r '.placements[0].layout.pmd_windows_aligned' "$out/pmd-state/placements.json")"

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
    congruence_proof "$fstype" "$mnt" "$mnt/zone"
}

# pmd_windows_of PID FILE: the PMD-mapped windows of FILE in PID (verify, PAGEMAP_SCAN), "null"
# where the kernel cannot tell (before Linux 6.7).
pmd_windows_of() {
    "$TOOL" verify --json "$1" | jq --arg c "$2" '[.mappings[] | select(.path == $c) | .pmd_mapped_windows] | add'
}

# map_misaligned FILE: maps FILE at an address 4 KiB past a 2 MiB boundary (incongruent with every
# file offset modulo 2 MiB) and reads one byte at each 2 MiB of file offset, as a program mapped
# misaligned would: where FILE's DAX index has no entry yet, that leaves 4 KiB ones.
map_misaligned() {
    python3 - "$1" <<'PY'
import ctypes, mmap, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
M2, MAP_FIXED = 2 << 20, 0x10
size = os.path.getsize(sys.argv[1])
fd = os.open(sys.argv[1], os.O_RDONLY)
area = libc.mmap(None, size + 2 * M2, 0, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
base = ((area + M2 - 1) & ~(M2 - 1)) + 4096
assert libc.mmap(base, size, mmap.PROT_READ, mmap.MAP_PRIVATE | MAP_FIXED, fd, 0) == base
print("mapped at %#x, read %d bytes" % (base, sum(1 for off in range(0, size, M2) if ctypes.string_at(base + off, 1) is not None)))
PY
}

# congruence_proof FSTYPE MNT ZONE: the two halves of "every process maps a placed copy with 2 MiB
# entries" (docs/XIP.md, 2 MiB mappings). A PIE with 4 KiB p_align (make_bigpie: 4 PMD-eligible
# windows, data not congruent modulo 2 MiB) is placed; its copy gets p_align 2 MiB on the text
# PT_LOAD only (recorded in the state), and is primed before it has a name. Then it is mapped
# misaligned first (as a program loaded at a random base would), and started three times through
# its entry point (the kernel loads it: a random, now 2 MiB-aligned base): every run must have as
# many windows PMD-mapped as lie aligned on the device. Controls: the same bytes copied by cp (not
# primed), mapped misaligned first, then run: no window PMD-mapped; the source's bytes (p_align
# 4 KiB) run from the zone: a base that is not 2 MiB-aligned, no window PMD-mapped.
congruence_proof() {
    local fstype=$1 mnt=$2 zone=$3 out=$DAXMGR_TEST_OUT src=/tmp/daxmgr-bigpie copy ctl aligned caligned
    local pid run base mapped state=$out/pmd-state

    step "every activation maps the copy congruently, and priming keeps 2 MiB entries ($fstype)"
    make_bigpie "$src"
    extent_hint "$fstype" "$zone/root${src%/*}"
    DAXMGR_STATE_DIR=$state "$TOOL" place "$zone" "$src" 2>&1 | tee "$out/pie-place-$fstype.txt"
    copy=$zone/root$src
    check_eq "p_align raised in the copy (state)" '[{"phdr":3,"was":4096}]' \
        "$(jq -c --arg s "$src" '.placements[] | select(.source == $s) | .p_align_raised' "$state/placements.json")"
    # The copy differs from its source in the p_align of that one header: put back what the state
    # records, and the bytes are the source's (whose SHA-256 the state keeps).
    check_eq "p_align of the three PT_LOADs: source; copy" "4096 4096 4096; 4096 2097152 4096" \
        "$(python3 - "$src" "$copy" <<'PY'
import struct, sys
print("; ".join(" ".join(str(struct.unpack_from("<Q", open(f, "rb").read(400), 64 + 56 * i + 48)[0])
                          for i in (2, 3, 4)) for f in sys.argv[1:]))
PY
)"
    check_eq "the copy with the recorded p_align put back = the source (sha256)" "$(sha256sum <"$src")" \
        "$(python3 - "$copy" <<'PY' | sha256sum
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<Q", d, 64 + 56 * 3 + 48, 4096)
sys.stdout.buffer.write(d)
PY
)"
    "$TOOL" layout "$copy" | tee "$out/pie-layout-$fstype.txt"
    aligned=$(sed -n 's/.*; \([0-9]*\) of them 2 MiB-aligned.*/\1/p' "$out/pie-layout-$fstype.txt")
    grep -q ": 4 PMD-eligible" "$out/pie-layout-$fstype.txt" || fail "the copy does not have 4 PMD-eligible windows"
    [ "$fstype" != xfs ] || check_eq "windows aligned on the device, with the extent size hint" 4 "$aligned"

    map_misaligned "$copy"
    DAXMGR_STATE_DIR=$state "$TOOL" activate "$zone" "$src" >/dev/null
    for run in 1 2 3; do
        "$zone/bin/${src##*/}" &
        pid=$!
        wait_asleep "$pid"
        base=$(awk -v c="$copy" '$6 == c && $3 == "00000000" {print $1; exit}' "/proc/$pid/maps")
        mapped=$(pmd_windows_of "$pid" "$copy")
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        printf 'figures %s: run %d through the entry point, base %s: PMD-mapped %s of 4 eligible, %s aligned on the device\n' \
            "$fstype" "$run" "${base%%-*}" "$mapped" "$aligned"
        [ "$((0x${base%%-*} % (2 << 20)))" = 0 ] || fail "run $run: base ${base%%-*} is not 2 MiB-aligned"
        [ "$mapped" = null ] || check_eq "run $run: PMD-mapped windows = aligned on the device ($fstype)" "$aligned" "$mapped"
    done

    ctl=$zone/root${src%/*}/unprimed
    cp "$copy" "$ctl"
    "$TOOL" layout "$ctl" | tee "$out/pie-layout-ctl-$fstype.txt"
    caligned=$(sed -n 's/.*; \([0-9]*\) of them 2 MiB-aligned.*/\1/p' "$out/pie-layout-ctl-$fstype.txt")
    [ "$fstype" != xfs ] || check_ge "windows of the control aligned on the device" 1 "$caligned"
    map_misaligned "$ctl"
    "$ctl" &
    pid=$!
    wait_asleep "$pid"
    mapped=$(pmd_windows_of "$pid" "$ctl")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    printf 'figures %s: control (cp, not primed, mapped misaligned first): PMD-mapped %s of 4 eligible, %s aligned on the device\n' \
        "$fstype" "$mapped" "$caligned"
    [ "$mapped" = null ] || check_eq "control: PMD-mapped windows after a misaligned first mapping ($fstype)" 0 "$mapped"
    rm -f "$ctl"

    # The other control: the source's bytes (p_align 4 KiB) in the same directory, never mapped
    # before: the kernel picks a base with only 4 KiB alignment, and the windows fall back to
    # 4 KiB entries unless the base happens to be congruent (1 run in 512).
    cp "$src" "$ctl"
    "$ctl" &
    pid=$!
    wait_asleep "$pid"
    base=$(awk -v c="$ctl" '$6 == c && $3 == "00000000" {print $1; exit}' "/proc/$pid/maps")
    mapped=$(pmd_windows_of "$pid" "$ctl")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    printf 'figures %s: control (the source, p_align 4 KiB), base %s: PMD-mapped %s of 4 eligible\n' \
        "$fstype" "${base%%-*}" "$mapped"
    if [ "$mapped" != null ] && [ "$((0x${base%%-*} % (2 << 20)))" != 0 ]; then
        check_eq "control: PMD-mapped windows at a base that is not 2 MiB-aligned ($fstype)" 0 "$mapped"
    fi
    rm -f "$ctl"
    DAXMGR_STATE_DIR=$state "$TOOL" unplace "$zone" "$src" >/dev/null
    rm -f "$zone/bin/${src##*/}"
    rm -f "$src"
}
