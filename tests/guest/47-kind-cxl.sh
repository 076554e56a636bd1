#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: cxl
# timeout: 1500
# expect: 230
#
# CXL persistent memory from a bare device to a placed program, by the daemon alone: a
# [CXLRegion] makes a pmem region from the free capacity of the type-3 device, a [Namespace] with
# Region=cxl:NAME goes into the nd region it produced, then format, DAX mount, zone and placement
# as on an NVDIMM. `cxl list` and `ndctl list` are kept at each step (DAXMGR_TEST_OUT/NN-STEP.*),
# with daxmgr's own view (daxmgr-tool topology). The verifier's pmem ranges cover the region.
#
# Executing from it: QEMU 7.2 emulates CXL memory as MMIO, which TCG executes one instruction
# at a time, without its translation cache. A placed program does run, slowly: the small XIP
# probe finishes, python3's start-up is given TIME budget and is measured wherever it is by then
# (its resident text pages are in CXL pmem or not, whether or not it reached its first line).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
PY_BUDGET=${PY_BUDGET:-600} # seconds python3 gets to reach its first line from CXL pmem

n=0
snap() { # STEP: cxl list, ndctl list and daxmgr's topology, kept and shown
    n=$((n + 1))
    local base
    base=$out/$(printf '%02d' "$n")-$1
    cxl list -vvv 2>/dev/null >"$base.cxl.json" || true
    ndctl list -vvv 2>/dev/null >"$base.ndctl.json" || true
    $TOOL topology >"$base.daxmgr.json" 2>/dev/null || true
    echo "--- $1: cxl list (memdevs, regions), ndctl list -R"
    cxl list -M -R -u 2>/dev/null || true
    ndctl list -R -N -u 2>/dev/null || true
}
cxl_json() { # ARGS: cxl list ARGS as an array
    local o
    o=$(cxl list "$@" 2>/dev/null) || fail "cxl list $* failed"
    [ -n "$o" ] || o='[]'
    jq 'if type == "array" then . else [.] end' <<<"$o"
}

step "a bare CXL type-3 device: a memdev with pmem capacity, a window, no region"
snap bare
mems=$(cxl_json -M)
check_eq "memdevs" 1 "$(jq length <<<"$mems")"
memdev=$(jq -r '.[0].memdev' <<<"$mems")
pmem=$(jq -r '.[0].pmem_size' <<<"$mems")
serial=$(jq -r '.[0].serial' <<<"$mems")
check_eq "cxl regions" 0 "$(cxl_json -R | jq length)"
check_eq "nd regions" 0 "$(ndctl_json list -R | jq length)"
check_eq "nd bus provider" CXL "$(ndctl list -B | jq -r 'if type == "array" then .[0] else . end | .provider')"
topo=$($TOOL topology)
check_eq "daxmgr: memdev" "$memdev" "$(jq -r '.cxl.memdevs[0].memdev' <<<"$topo")"
check_eq "daxmgr: pmem_size (cxl list: $pmem)" "$pmem" "$(jq -r '.cxl.memdevs[0].pmem_size' <<<"$topo")"
check_eq "daxmgr: serial (cxl list: $serial)" "$(printf '%#x' "$serial")" "$(jq -r '.cxl.memdevs[0].serial' <<<"$topo")"
root=$(cxl_json -D -d root | jq -r '.[0].decoder')
check_eq "daxmgr: root decoder" "$root" "$(jq -r '.cxl.decoders[] | select(.kind == "root") | .decoder' <<<"$topo")"
check_eq "daxmgr: root decoder takes pmem" true "$(jq -r '.cxl.decoders[] | select(.kind == "root") | .pmem_capable' <<<"$topo")"
check_eq "daxmgr: window free (cxl list)" "$(cxl_json -D -d root | jq '.[0].max_available_extent')" \
    "$(jq '.cxl.decoders[] | select(.kind == "root") | .max_available_extent' <<<"$topo")"
check_eq "daxmgr: regions" 0 "$(jq '.cxl.regions | length' <<<"$topo")"

step "the configuration: a CXL region, a namespace in it, a zone and python3 placed"
write_config <<CONF
[CXLRegion fast]
Memdevs=serial:$(printf '%#x' "$serial")

[Namespace cxl-pm]
Region=cxl:fast
Mode=fsdax
Size=rest
Map=mem
Filesystem=ext4
MountPoint=/mnt/cxl

[Zone apps]
Namespace=cxl-pm
Directory=xip

[Placement python3]
Zone=apps
Program=/usr/bin/python3
WithLibraries=yes
CONF
daxmgrd --check-config
uuid=$(daxmgr config check --json | jq -r '.cxl_regions[0].uuid')
echo "uuid of [CXLRegion fast]: $uuid"

step "systemctl start daxmgrd: region, namespace, file system, mount, zone, placement"
t0=$(date +%s.%N)
systemctl start daxmgrd
# Until the daemon settles, or has stayed idle for 5 s after a failed reconcile: a failed step
# does not settle (its steps stay pending), and waiting the whole budget then only hides why.
failed=0 last=
for ((i = 0; i < 1800; i++)); do
    state=$(mgr_prop State 2>/dev/null) || state=down
    pending=$(mgr_prop PendingSteps 2>/dev/null) || pending=unknown
    last=$(mgr_prop LastReconcileResult 2>/dev/null) || last=
    case $state in
        busy | starting | down) failed=0 ;;
        *)
            if [ -z "$(running_jobs)" ]; then
                [ "$pending" = 0 ] && break
                case $last in failed:*) failed=$((failed + 1)) ;; *) failed=0 ;; esac
                [ "$failed" -ge 10 ] && break
            fi
            ;;
    esac
    sleep 0.5
done
t1=$(date +%s.%N)
journalctl -u daxmgrd --no-pager -o short-monotonic >"$out/daxmgrd-journal.txt" || true
if [ "$failed" -ge 10 ]; then
    echo "daxmgrd's last reconcile: $last"
    # Does the CXL pmem keep what is written? Kernel 6.1 with QEMU 7.2: the region commits and
    # its nd region and namespace appear, but what is written there reads back as zeros (the
    # file behind the device stays all zeros: the accesses never reach it). A 4 KiB pattern,
    # written and read back with O_DIRECT past the namespace's first MiB, tells.
    blk=$(ndctl_json list -N | jq -r '.[] | select(.name == "cxl-pm") | .blockdev // empty')
    if [ -n "$blk" ] && [ -b "/dev/$blk" ] && ! findmnt -rn "/dev/$blk" >/dev/null; then
        head -c 4096 /dev/urandom >"$out/pattern.bin"
        dd if="$out/pattern.bin" of="/dev/$blk" bs=4096 seek=256 count=1 oflag=direct conv=notrunc status=none
        echo 3 >/proc/sys/vm/drop_caches
        dd if="/dev/$blk" of="$out/readback.bin" bs=4096 skip=256 count=1 iflag=direct status=none
        if ! cmp -s "$out/pattern.bin" "$out/readback.bin"; then
            skip "kernel $(uname -r) with this QEMU makes a CXL pmem region that does not keep data:" \
                "4 KiB written to /dev/$blk (region $(jq -r '.[0].region' <<<"$(cxl_json -R)"), committed)" \
                "read back as $(od -An -tx1 -N8 "$out/readback.bin" | tr -d ' ')… instead of" \
                "$(od -An -tx1 -N8 "$out/pattern.bin" | tr -d ' ')…; see docs/testbed.md (CXL on Debian 12)"
        fi
    fi
    fail "daxmgrd's reconcile failed (and not for lost writes): $last"
fi
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "configuration realized in %.1f s\n", b - a }'
snap made
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"
regions=$(cxl_json -R -u)
check_eq "cxl regions" 1 "$(jq length <<<"$regions")"
cregion=$(jq -r '.[0].region' <<<"$regions")
# cxl list does not print a region's uuid: sysfs has it.
check_eq "cxl region uuid (derived from the section's name; sysfs)" "$uuid" "$(cat "/sys/bus/cxl/devices/$cregion/uuid")"
check_eq "daxmgr: the CXL region's uuid" "$uuid" "$($TOOL topology | jq -r '.cxl.regions[0].uuid')"
check_eq "cxl region type" pmem "$(jq -r '.[0].type' <<<"$regions")"
check_eq "cxl region decode_state" commit "$(jq -r '.[0].decode_state' <<<"$regions")"
check_eq "cxl region size (all of $memdev)" "$pmem" "$(cxl list -R | jq 'if type == "array" then .[0] else . end | .size')"
nd=$(ndctl_json list -R)
check_eq "nd regions" 1 "$(jq length <<<"$nd")"
ndregion=$(jq -r '.[0].dev' <<<"$nd")
topo=$($TOOL topology)
check_eq "daxmgr: the CXL region" "$cregion" "$(jq -r '.cxl.regions[0].region' <<<"$topo")"
check_eq "daxmgr: the CXL region's nd region" "$ndregion" "$(jq -r '.cxl.regions[0].nd_region' <<<"$topo")"
check_eq "daxmgr: committed, enabled" "commit true" "$(jq -r '.cxl.regions[0] | "\(.decode_state) \(.enabled)"' <<<"$topo")"
check_eq "namespace cxl-pm (ndctl)" fsdax "$(ndctl_json list -N | jq -r '.[] | select(.name == "cxl-pm") | .mode')"
blk=$(ndctl_json list -N | jq -r '.[] | select(.name == "cxl-pm") | .blockdev')
check_eq "cxl-pm mounted" /mnt/cxl "$(findmnt -rno TARGET "/dev/$blk")"
findmnt -rno OPTIONS "/dev/$blk" | grep -q 'dax' || fail "not mounted with dax: $(findmnt -rno OPTIONS "/dev/$blk")"
grep -E -i "persistent|cxl" /proc/iomem | tee "$out/iomem.txt"
daxmgr status | tee "$out/status.txt"
grep -q "^CXL$" "$out/status.txt" || fail "daxmgr status has no CXL block"
# The nd region is of kind cxl (its nd bus's provider is "CXL"): in the topology and in the one
# Platform block of status.
check_eq "daxmgr: the kind of $ndregion" cxl "$(jq -r --arg r "$ndregion" '.regions[] | select(.dev == $r) | .kind' <<<"$topo")"
grep -E -q "^  Kinds: cxl \($ndregion\)\$" "$out/status.txt" ||
    fail "the Platform block of daxmgr status does not give $ndregion as kind cxl: $(grep -A3 '^Platform' "$out/status.txt")"
grep -E -q "^$cregion +512 MiB +commit, enabled +$memdev +$ndregion\$" "$out/status.txt" ||
    fail "daxmgr status does not show $cregion (commit, enabled, $memdev, $ndregion)"

step "a second reconcile changes nothing"
check_eq "plan" 0 "$(call GetPlan | jq '.steps | length')"

step "the placed python3 is DAX (statx) and its extents are in the CXL region"
copy=$(find /mnt/cxl/xip -path '*bin/python3*' -type f | head -n 1)
[ -n "$copy" ] || fail "no placed python3 under /mnt/cxl/xip: $(find /mnt/cxl/xip | head)"
daxmgr verify-path "$copy" --json | tee "$out/verify-path.json" | jq -c . || true

step "a placed program executes from CXL pmem: the XIP probe"
install -m 0755 "$PROBE" /mnt/cxl/xip/probe
t0=$(date +%s.%N)
timeout 600 /mnt/cxl/xip/probe >"$out/probe.txt" || fail "the probe from CXL pmem exited with $? (600 s limit): $(cat "$out/probe.txt")"
t1=$(date +%s.%N)
sed 's/^/    /' "$out/probe.txt"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "the probe ran from CXL pmem in %.1f s\n", b - a }' | tee "$out/probe-time.txt"
check_eq "STATX_ATTR_DAX of the placed probe" 1 "$(kv statx_dax "$out/probe.txt")"
text=$(kv text_pages "$out/probe.txt")
check_eq "probe text pages in pmem" "$text" "$(kv text_pmem "$out/probe.txt")"
check_eq "probe text pages in DRAM" 0 "$(kv text_dram "$out/probe.txt")"

step "python3 through its entry point, from CXL pmem ($PY_BUDGET s to reach its first line)"
rm -f /run/cxl-py-ready
t0=$(date +%s.%N)
# The entry point is named after what /usr/bin/python3 resolves to (python3.13 on Debian 13).
py=$(basename "$(readlink -f /usr/bin/python3)")
"/mnt/cxl/xip/bin/$py" -c 'open("/run/cxl-py-ready", "w").close(); import time; time.sleep(3600)' &
pid=$!
ready=0
for ((i = 0; i < PY_BUDGET; i++)); do
    [ -e /run/cxl-py-ready ] && { ready=1; break; }
    kill -0 "$pid" 2>/dev/null || fail "python3 from CXL pmem exited before its first line"
    sleep 1
done
t1=$(date +%s.%N)
if [ "$ready" = 1 ]; then
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "python3 reached its first line from CXL pmem in %.1f s\n", b - a }' |
        tee "$out/python3-time.txt"
else
    echo "KNOWN LIMIT: python3 had not reached its first line after $PY_BUDGET s (QEMU 7.2 TCG executes" \
        "CXL memory as MMIO, one instruction at a time); measured while it starts" | tee "$out/python3-time.txt"
fi
daxmgr verify "$pid" --json >"$out/verify-python3.json" || fail "daxmgr verify $pid failed"
jq -c .summary "$out/verify-python3.json"
exec_pmem=$(jq .summary.exec_pmem "$out/verify-python3.json")
exec_dram=$(jq .summary.exec_dram "$out/verify-python3.json")
check_ge "python3 text pages in CXL pmem" 1 "$exec_pmem"
awk -v p="$exec_pmem" -v d="$exec_dram" \
    'BEGIN { printf "python3: %d of %d resident text pages in CXL pmem (%.1f%%)\n", p, p + d, 100 * p / (p + d) }' |
    tee "$out/python3-share.txt"
# Its own executable's text: all of it in pmem (the libraries come from the root disk).
jq -c '.mappings[]? | select(.path != null and (.path | test("/mnt/cxl/"))) | {path, exec_pmem, exec_dram}' \
    "$out/verify-python3.json" 2>/dev/null | head -5 || true
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
dmesg | grep -i -E "cxl|pmem|dax" >"$out/dmesg-cxl.txt" || true
snap end
