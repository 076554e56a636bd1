#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: virtio
# timeout: 900
# expect: 230
#
# Issue 13's benchmark for virtio-pmem, the VM case: the guest's DRAM for the text of 1, 10 and
# 50 sleeping python3 processes placed on a virtio-pmem device, against the same count read from
# the root disk, measured as bench/guest/xip.sh measures it for NVDIMMs (figures, not pass/fail).
# The device's one namespace is used as the kernel offers it (fsdax, struct pages in RAM), ext4
# mounted dax=always, a zone on it, python3 placed with its loader and libraries and started
# through the zone's entry point. A DAX file of a virtio-pmem device maps the host's memory (the
# file backing the device, in the host's page cache): the guest keeps no copy of the text, which
# is what a VM gains.
# The guest is TCG with one vCPU on a shared 2-core host: figures are noisy.
# Lines "TABLE<TAB>figure<TAB>value<TAB>goal<TAB>verdict" in figures.txt are bench/run's summary.
set -euo pipefail
TOOL=/usr/libexec/daxmgr/daxmgr-tool
out=${DAXMGR_TEST_OUT:-/tmp}
fig=$out/figures.txt
work=$PWD
export DAXMGR_STATE_DIR=$work/state
XIP=/mnt/virtio-xip-bench
SLEEP_PY='import time; time.sleep(600)'
pids=()

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
meminfo_kb() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
# page_cache_kb FILE...: page-cache KiB held by the files (fincore). Never on a DAX file:
# fincore's cachestat() there oopses Linux 6.12 (Debian 13), in workingset_test_recent.
command -v fincore >/dev/null ||
    { echo "virtio-xip.sh: fincore is not installed (util-linux, or util-linux-extra since Debian 13): the page-cache figures need it" >&2; exit 1; }
page_cache_kb() { fincore -b -n -o RES "$@" 2>/dev/null | awk '{s += $1} END {printf "%d", s / 1024}'; }

stop_all() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
}
cleanup() {
    local rc=$?
    set +e
    stop_all
    [ -n "${zone:-}" ] && [ -n "${py:-}" ] && "$TOOL" unplace "$zone" "$py" >/dev/null 2>&1
    mountpoint -q "$XIP" && umount "$XIP"
    # the namespace is the one the kernel offered: leave it blank for the next test
    [ -n "${blk:-}" ] && wipefs -qa "/dev/$blk" >/dev/null 2>&1
    exit $rc
}
trap cleanup EXIT

# Wait until every process in pids sleeps in clock_nanosleep (230) or nanosleep (35).
wait_sleeping() {
    local p nr left
    for _ in $(seq 600); do
        left=0
        for p in "${pids[@]}"; do
            nr=$(cut -d' ' -f1 "/proc/$p/syscall" 2>/dev/null) || { echo "process $p died" >&2; return 1; }
            [ "$nr" = 230 ] || [ "$nr" = 35 ] || left=$((left + 1))
        done
        [ $left = 0 ] && return 0
        sleep 0.5
    done
    echo "$left processes still starting after 300 s" >&2
    return 1
}

echo "--- setup: the virtio-pmem namespace as offered, ext4 dax=always, zone, python3 placed"
reg=$(ndctl list -R | jq -r 'if type == "array" then .[0] else . end | .dev')
provider=$(cat "/sys/bus/nd/devices/$reg/../provider")
[ "$provider" = virtio-pmem ] || { echo "bench: $reg is on bus provider '$provider', not virtio-pmem" >&2; exit 1; }
blk=$(ndctl list -N -r "$reg" | jq -r 'if type == "array" then .[0] else . end | .blockdev')
ndctl list -N -r "$reg"
mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 "/dev/$blk"
mkdir -p "$XIP"
mount -o dax=always "/dev/$blk" "$XIP"
zone=$XIP/zone
"$TOOL" zone-create "$zone"
py=$(readlink -f /usr/bin/python3)
"$TOOL" place --with-libs "$zone" "$py"
entry=$("$TOOL" activate "$zone" "$py")
"$TOOL" placements >"$out/placements.json"
mapfile -t host_elf < <(jq -r --arg p "$py" '.[] | select(.program == $p) | .source' "$out/placements.json" |
    xargs -n1 readlink -f | sort -u)
stdlib_dir=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
mapfile -t stdlib < <(find "$stdlib_dir" -type f)
host_sh=$(readlink -f /bin/sh)
echo "python3 ELF files: ${#host_elf[@]}, $(du -cLk "${host_elf[@]}" | tail -n 1 | cut -f1) KiB"

: >"$out/dram.tsv"
measure() {
    local n=$1 how=$2 c0 m0 c1 m1 a0 a1 priv cow dram pmem elf0 sh0 lib0 elf1 sh1 lib1
    stop_all
    drop_caches
    elf0=$(page_cache_kb "${host_elf[@]}"); sh0=$(page_cache_kb "$host_sh"); lib0=$(page_cache_kb "${stdlib[@]}")
    sleep 1
    c0=$(meminfo_kb Cached); m0=$(meminfo_kb Mapped); a0=$(meminfo_kb AnonPages)
    for _ in $(seq "$n"); do
        if [ "$how" = placed ]; then
            "$entry" -c "$SLEEP_PY" </dev/null >/dev/null 2>&1 &
        else
            /usr/bin/python3 -c "$SLEEP_PY" </dev/null >/dev/null 2>&1 &
        fi
        pids+=($!)
    done
    wait_sleeping
    sleep 1
    c1=$(meminfo_kb Cached); m1=$(meminfo_kb Mapped); a1=$(meminfo_kb AnonPages)
    priv=$(for p in "${pids[@]}"; do
        awk '$1 == "Private_Clean:" || $1 == "Private_Dirty:" {s += $2} END {print s}' "/proc/$p/smaps_rollup"
    done | median)
    "$TOOL" verify --json "${pids[0]}" >"$out/verify-$how-$n.json"
    dram=$(jq .summary.exec_dram "$out/verify-$how-$n.json")
    pmem=$(jq .summary.exec_pmem "$out/verify-$how-$n.json")
    cow=$(jq .summary.cow_pages "$out/verify-$how-$n.json")
    elf1=$(page_cache_kb "${host_elf[@]}"); sh1=$(page_cache_kb "$host_sh"); lib1=$(page_cache_kb "${stdlib[@]}")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$how" $((c1 - c0)) $((m1 - m0)) \
        $((a1 - a0)) "$priv" "$dram" "$pmem" "$cow" $((elf1 - elf0)) $((sh1 - sh0)) $((lib1 - lib0)) \
        >>"$out/dram.tsv"
    echo "$n $how: Cached +$((c1 - c0)) KiB, Mapped +$((m1 - m0)) KiB, AnonPages +$((a1 - a0)) KiB," \
        "private/proc $priv KiB, exec_dram $dram, exec_pmem $pmem, cow $cow; page cache growth:" \
        "python3 ELF files +$((elf1 - elf0)) KiB, sh +$((sh1 - sh0)) KiB, stdlib +$((lib1 - lib0)) KiB"
    stop_all
}
echo "--- 1. DRAM for text, 1/10/50 processes"
for n in 1 10 50; do
    measure "$n" placed
    measure "$n" plain
done
{
    echo "virtio-pmem: DRAM used for text by N sleeping python3 (python3 -c 'time.sleep'), TCG guest"
    echo "   placed = zone entry point (loader + libs on the virtio-pmem device's fsdax namespace as the"
    echo "   kernel offers it, map=mem, ext4 dax=always); not placed = root disk (virtio-blk);"
    echo "   caches dropped before each; growth from before start to all sleeping; private = median"
    echo "   over the processes of Private_Clean+Private_Dirty (smaps_rollup; DAX pages are not in Rss)"
    printf '   %-5s %-10s %8s %8s %8s %6s %6s %7s %9s %6s %6s\n' procs how "Cached+" "(ELF" "sh" \
        "stdlib)" "Mapped+" "Anon+" "priv/proc" "cow" "exDRAM"
    while IFS=$'\t' read -r n how dc dm da priv dram pmem cow elf sh lib; do
        printf '   %-5s %-10s %8s %8s %8s %6s %6s %7s %9s %6s %6s\n' "$n" \
            "$([ "$how" = placed ] && echo placed || echo 'not placed')" "$(mib "$dc")" "$(mib "$elf")" \
            "$(mib "$sh")" "$(mib "$lib")" "$(mib "$dm")" "$(mib "$da")" "$(mib "$priv")" \
            "$(mib "$((cow * 4))")" "$dram"
    done <"$out/dram.tsv"
    echo "   (MiB, but exDRAM: pages. Cached+ = growth of Cached in /proc/meminfo (system-wide, about"
    echo "    +-0.1 MiB of other activity), of which page cache of python3's ELF files on the host"
    echo "    (python3, ld.so, libc, libm, libz, libexpat), of /bin/sh (used only by the shell-script"
    echo "    fallback entry point) and of the standard library $stdlib_dir (fincore);"
    echo "    cow = copy-on-write pages of one process and exDRAM = its executable pages in DRAM"
    echo "    (daxmgr-tool verify; goal 0 when placed). Private pages of a single unplaced process"
    echo "    include the text it alone maps (Private_Clean); with 10 or more it is shared.)"
    echo "   (fincore is never run on the zone's copies: its cachestat() on a DAX file oopses Linux 6.12,"
    echo "    in workingset_test_recent, which takes DAX entries for shadow entries)"
    echo "   goal: placed text adds 0 bytes of DRAM; only copy-on-write pages grow with N"
    # bench/run's summary: the executable pages in DRAM of one placed process, at 1, 10 and 50
    awk -F'\t' '$2 == "placed" {v = v (v == "" ? "" : " / ") $7; if ($7 != 0) bad = 1}
        END {printf "TABLE\tvirtio-pmem: text pages in DRAM, placed python3 x 1 / 10 / 50\t%s\t0\t%s\n", v, bad ? "missed" : "met"}' \
        "$out/dram.tsv"
} | tee "$fig"

