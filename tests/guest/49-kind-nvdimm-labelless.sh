#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelless
# timeout: 600
# expect: 40
#
# A label-less NVDIMM (an NFIT region with no label area, as many BIOSes and hypervisors give),
# end to end through daxmgrd:
#  - the region's kind is nvdimm (nd bus provider ACPI.NFIT), label-less, holding the one
#    namespace the kernel offers (raw: no info block yet), as ndctl shows it;
#  - a configuration that wants fsdax with the struct pages on the device (Map=dev) gets the one
#    change a label-less region allows: the whole namespace reconfigured (raw -> fsdax), then
#    formatted, DAX-mounted, a zone, python3 placed with its loader and libraries for a
#    service: its resident text pages in pmem;
#  - the flush is synchronous: the kernel grants MAP_SYNC, and daxmgr says so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
DAEMON_CLEANUP_UNITS=xip-py.service
MNT=/mnt/labelless

# The namespace was there before the test: lib.sh's cleanup leaves it, so unmount it, wipe it
# and give it back the raw mode the kernel offered, for the next test of this boot.
_kind_cleanup() {
    local rc=$?
    set +e
    systemctl disable --now daxmgrd >/dev/null 2>&1
    systemctl stop xip-py.service >/dev/null 2>&1
    findmnt -rno TARGET "/dev/${blk:-none}" 2>/dev/null | while read -r m; do umount "$m"; done
    [ -z "${blk:-}" ] || wipefs -qa "/dev/$blk" >/dev/null 2>&1
    [ -z "${ns:-}" ] || ndctl create-namespace -f -e "$ns" -m raw >/dev/null 2>&1
    (exit $rc)
    _daemon_cleanup
}
trap _kind_cleanup EXIT

step "the kernel's view: one label-less NVDIMM region, its one namespace raw"
ndctl list -B -D -R -N -vvv | tee "$out/ndctl-all.json"
ndctl_json list -R -v >"$out/ndctl-regions.json"
ndctl_json list -N -v >"$out/ndctl-ns.json"
"$TOOL" topology >"$out/topology.json"
reg=$(jq -r '.[0].dev' "$out/ndctl-regions.json")
check_eq "regions" 1 "$(jq length "$out/ndctl-regions.json")"
check_eq "$reg bus provider" ACPI.NFIT "$(ndctl list -B | jq -r 'if type == "array" then .[0] else . end | .provider')"
check_eq "$reg kind" nvdimm "$(jq -r '.regions[0].kind' "$out/topology.json")"
check_eq "$reg provider" ACPI.NFIT "$(jq -r '.regions[0].provider' "$out/topology.json")"
check_eq "$reg labelled" false "$(jq -r '.regions[0].labelled' "$out/topology.json")"
for f in size align persistence_domain; do
    want=$(jq -r ".[0].$f // \"null\"" "$out/ndctl-regions.json")
    [ "$want" != null ] || continue
    check_eq "$reg $f (daxmgr = ndctl)" "$want" "$(jq -r ".regions[0].$f" "$out/topology.json")"
done
check_eq "namespaces" 1 "$(jq length "$out/ndctl-ns.json")"
check_eq "namespaces (daxmgr)" 1 "$(jq '.regions[0].namespaces | length' "$out/topology.json")"
for f in dev mode size blockdev sector_size; do
    want=$(jq -r ".[0].$f // \"null\"" "$out/ndctl-ns.json")
    check_eq "namespace $f (daxmgr = ndctl)" "$want" "$(jq -r ".regions[0].namespaces[0].$f // \"null\"" "$out/topology.json")"
done
check_eq "mode as offered" raw "$(jq -r '.regions[0].namespaces[0].mode' "$out/topology.json")"
ns=$(jq -r '.regions[0].namespaces[0].dev' "$out/topology.json")

step "daxmgrd reconfigures the whole namespace (raw -> fsdax, Map=dev), formats, mounts, makes a zone, places python3"
write_config <<CONF
[Namespace whole]
Region=$reg
Mode=fsdax
Size=rest
Map=dev
Filesystem=ext4
MountPoint=$MNT
DAX=always

[Zone apps]
Namespace=whole
Directory=xip

[Placement python3]
Zone=apps
Program=/usr/bin/python3
WithLibraries=yes
Service=xip-py.service
CONF
daxmgrd --check-config
cat >/etc/systemd/system/xip-py.service <<UNIT
[Service]
ExecStart=/usr/bin/python3 -c "import time; time.sleep(600)"
UNIT
systemctl daemon-reload
since=$(date '+%Y-%m-%d %H:%M:%S')
systemctl enable --now daxmgrd
wait_settled 360
# The steps it took, as its journal says them ("Job N: STEP (i/n)").
journalctl -u daxmgrd --since "$since" --no-pager -o cat | grep "^Job [0-9]*: " | tee "$out/steps.txt"
grep -q "reconfigure $ns of $reg from raw" "$out/steps.txt" || fail "daxmgrd did not reconfigure $ns from raw"
daxmgr plan | tee "$out/plan-after.txt"
ndctl_json list -N -v >"$out/ndctl-ns-after.json"
check_eq "namespaces after (still the one)" 1 "$(jq length "$out/ndctl-ns-after.json")"
check_eq "mode after" fsdax "$(jq -r '.[0].mode' "$out/ndctl-ns-after.json")"
check_eq "map after" dev "$(jq -r '.[0].map' "$out/ndctl-ns-after.json")"
blk=$(jq -r '.[0].blockdev' "$out/ndctl-ns-after.json")
check_eq "/sys/block/$blk/queue/dax" 1 "$(cat "/sys/block/$blk/queue/dax")"
check_eq "mounted" "$MNT" "$(findmnt -rno TARGET "/dev/$blk")"
check_eq "ext4" ext4 "$(findmnt -rno FSTYPE "/dev/$blk")"
findmnt -rno OPTIONS "/dev/$blk" | grep -q "dax=always\|,dax\b\|^dax" ||
    fail "not mounted with dax: $(findmnt -rno OPTIONS "/dev/$blk")"

step "the kind where a user sees it"
path=$ROOT/region/$reg
check_eq "Region Kind (busctl)" nvdimm "$(prop "$path" Region Kind)"
check_eq "Region Labelled (busctl)" false "$(prop "$path" Region Labelled)"
check_eq "Region Flush (busctl)" synchronous "$(prop "$path" Region Flush)"
daxmgr list regions | tee "$out/regions.txt"
grep -q "^$reg  *nvdimm  " "$out/regions.txt" || fail "no KIND column with nvdimm"
daxmgr status | tee "$out/status.txt"
grep -qF "Kinds: nvdimm ($reg)" "$out/status.txt" || fail "status lacks the Kinds line"
grep -q "MAP_SYNC" "$out/status.txt" && fail "status says something about MAP_SYNC on a synchronous NVDIMM"

step "python3 runs from pmem"
python3_runs_from_pmem xip-py.service "a label-less NVDIMM"

step "MAP_SYNC is granted: an NVDIMM's flush is synchronous"
f=$MNT/map-sync-probe
head -c 8192 /dev/zero >"$f"
daxmgr verify-path "$f" | tee "$out/verify-path.txt"
grep -q "^Region: $reg (nvdimm, synchronous flush)" "$out/verify-path.txt" || fail "verify-path does not name the kind"
grep -q "^MAP_SYNC: granted (" "$out/verify-path.txt" || fail "verify-path does not say MAP_SYNC is granted"
check_eq "verify-path --json map_sync" true "$(daxmgr verify-path "$f" --json | jq -r .map_sync)"
rm -f "$f"
