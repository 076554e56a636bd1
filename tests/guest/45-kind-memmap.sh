#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: memmap
# timeout: 600
# expect: 35
#
# memmap= (legacy e820 pmem carved out of RAM by the kernel command line), end to end through
# daxmgrd:
#  - the region's kind is e820 (nd bus provider "e820"), label-less, holding the one namespace
#    the kernel offers (fsdax, struct pages in RAM: map=mem), field by field as ndctl shows it;
#  - a configuration that wants the struct pages on the device (Map=dev) gets the one change a
#    label-less region allows: the whole namespace reconfigured (a new info block), then
#    formatted, DAX-mounted, a zone, python3 placed with its loader and libraries for a service:
#    its resident text pages in pmem;
#  - unlike virtio-pmem, its flush is synchronous: MAP_SYNC is granted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
DAEMON_CLEANUP_UNITS=xip-py.service
MNT=/mnt/memmap

# The namespace was there before the test: lib.sh's cleanup leaves it, so unmount it, wipe it
# and give it back the mode the kernel offered, for the next test of this boot.
_kind_cleanup() {
    local rc=$?
    set +e
    systemctl disable --now daxmgrd >/dev/null 2>&1
    systemctl stop xip-py.service >/dev/null 2>&1
    findmnt -rno TARGET "/dev/${blk:-none}" 2>/dev/null | while read -r m; do umount "$m"; done
    [ -z "${blk:-}" ] || wipefs -qa "/dev/$blk" >/dev/null 2>&1
    [ -z "${ns:-}" ] || ndctl create-namespace -f -e "$ns" -m fsdax -M mem >/dev/null 2>&1
    (exit $rc)
    _daemon_cleanup
}
trap _kind_cleanup EXIT

step "the kernel's view: one label-less region on the e820 bus"
ndctl list -B -R -N -vvv | tee "$out/ndctl-all.json"
ndctl_json list -R -v >"$out/ndctl-regions.json"
ndctl_json list -N -v >"$out/ndctl-ns.json"
"$TOOL" topology >"$out/topology.json"
reg=$(jq -r '.[0].dev' "$out/ndctl-regions.json")
check_eq "regions" 1 "$(jq length "$out/ndctl-regions.json")"
check_eq "$reg bus provider" e820 "$(cat "/sys/bus/nd/devices/$reg/../provider" 2>/dev/null ||
    ndctl list -B | jq -r 'if type == "array" then .[0] else . end | .provider')"
check_eq "$reg kind" e820 "$(jq -r '.regions[0].kind' "$out/topology.json")"
check_eq "$reg provider" e820 "$(jq -r '.regions[0].provider' "$out/topology.json")"
check_eq "$reg labelled" false "$(jq -r '.regions[0].labelled' "$out/topology.json")"
for f in size align persistence_domain; do
    want=$(jq -r ".[0].$f // \"null\"" "$out/ndctl-regions.json")
    [ "$want" != null ] || continue
    check_eq "$reg $f (daxmgr = ndctl)" "$want" "$(jq -r ".regions[0].$f" "$out/topology.json")"
done
check_eq "$reg resource" "$(($(cat "/sys/bus/nd/devices/$reg/resource")))" "$(jq -r '.regions[0].resource' "$out/topology.json")"

step "the one namespace, as the kernel offers it, field by field as ndctl shows it"
check_eq "namespaces" 1 "$(jq length "$out/ndctl-ns.json")"
check_eq "namespaces (daxmgr)" 1 "$(jq '.regions[0].namespaces | length' "$out/topology.json")"
for f in dev mode map size blockdev uuid raw_uuid align sector_size numa_node target_node; do
    want=$(jq -r ".[0].$f // \"null\"" "$out/ndctl-ns.json")
    got=$(jq -r ".regions[0].namespaces[0].$f // \"null\"" "$out/topology.json")
    # ndctl leaves out a node the kernel does not know (NUMA_NO_NODE); daxmgr says -1.
    case "$f:$want:$got" in numa_node:null:-1 | target_node:null:-1) want=-1 ;; esac
    check_eq "namespace $f (daxmgr = ndctl)" "$want" "$got"
done
check_eq "namespace enabled" "$(jq -r '.[0].state != "disabled"' "$out/ndctl-ns.json")" \
    "$(jq -r '.regions[0].namespaces[0].enabled' "$out/topology.json")"
check_eq "mode as offered" fsdax "$(jq -r '.regions[0].namespaces[0].mode' "$out/topology.json")"
check_eq "map as offered" mem "$(jq -r '.regions[0].namespaces[0].map' "$out/topology.json")"
blk=$(jq -r '.regions[0].namespaces[0].blockdev' "$out/topology.json")
check_eq "/sys/block/$blk/queue/dax" 1 "$(cat "/sys/block/$blk/queue/dax")"

step "/proc/iomem calls it Persistent Memory (legacy)"
start=$(($(cat "/sys/bus/nd/devices/$reg/resource")))
printf -v hex '%x' "$start"
grep -i "^ *0*$hex-" /proc/iomem | tee "$out/iomem.txt" || true
grep -q "Persistent Memory (legacy)" "$out/iomem.txt" || fail "iomem does not call it Persistent Memory (legacy)"
ns=$(jq -r '.regions[0].namespaces[0].dev' "$out/topology.json")

step "daxmgrd reconfigures the whole namespace (Map=dev), formats, mounts, makes a zone, places python3"
write_config <<CONF
[Namespace legacy]
Region=$reg
Mode=fsdax
Size=rest
Map=dev
Filesystem=xfs
MountPoint=$MNT
DAX=always

[Zone apps]
Namespace=legacy
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
grep -q "reconfigure $ns of $reg from fsdax map=mem to map=dev" "$out/steps.txt" || fail "daxmgrd did not reconfigure $ns"
daxmgr plan | tee "$out/plan-after.txt"
ndctl_json list -N -v >"$out/ndctl-ns-after.json"
check_eq "mode after" fsdax "$(jq -r '.[0].mode' "$out/ndctl-ns-after.json")"
check_eq "map after (reconfigured)" dev "$(jq -r '.[0].map' "$out/ndctl-ns-after.json")"
blk=$(jq -r '.[0].blockdev' "$out/ndctl-ns-after.json")
check_eq "mounted" "$MNT" "$(findmnt -rno TARGET "/dev/$blk")"
findmnt -rno OPTIONS "/dev/$blk" | grep -q "dax=always\|,dax\b\|^dax" ||
    fail "not mounted with dax: $(findmnt -rno OPTIONS "/dev/$blk")"

step "the kind where a user sees it"
path=$ROOT/region/$reg
check_eq "Region Kind (busctl)" e820 "$(prop "$path" Region Kind)"
check_eq "Region Provider (busctl)" e820 "$(prop "$path" Region Provider)"
check_eq "Region Flush (busctl)" synchronous "$(prop "$path" Region Flush)"
daxmgr list regions | tee "$out/regions.txt"
grep -q "^$reg  *e820  " "$out/regions.txt" || fail "no KIND column with e820"
check_eq "list regions --json Kind" e820 "$(daxmgr list regions --json | jq -r '.[0].Kind')"
daxmgr status | tee "$out/status.txt"
grep -qF "Kinds: e820 ($reg)" "$out/status.txt" || fail "status lacks the Kinds line"
grep -qF "Persistence domain: " "$out/status.txt" || fail "status lacks the persistence domain"
grep -q "MAP_SYNC" "$out/status.txt" && fail "status says something about MAP_SYNC on e820 (synchronous)"

step "python3 runs from pmem"
python3_runs_from_pmem xip-py.service "memmap= (e820)"

step "MAP_SYNC is granted: the flush of e820 pmem is synchronous"
f=$MNT/map-sync-probe
head -c 8192 /dev/zero >"$f"
python3 - "$f" <<'PY' | tee "$out/map-sync.txt"
import errno, mmap, os, sys
MAP_SHARED_VALIDATE, MAP_SYNC = 0x03, 0x80000
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    m = mmap.mmap(fd, 4096, flags=MAP_SHARED_VALIDATE | MAP_SYNC, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    m[0:5] = b"hello"
    print("MAP_SYNC: granted")
except OSError as e:
    print("MAP_SYNC: refused: %s (%s)" % (errno.errorcode.get(e.errno, e.errno), e.strerror))
PY
grep -q "MAP_SYNC: granted" "$out/map-sync.txt" || fail "MAP_SYNC was refused on e820 pmem"
daxmgr verify-path "$f" | tee "$out/verify-path.txt"
grep -q "^Region: $reg (e820, synchronous flush)" "$out/verify-path.txt" || fail "verify-path does not name the kind"
grep -q "^MAP_SYNC: granted" "$out/verify-path.txt" || fail "verify-path does not say MAP_SYNC is granted"
check_eq "verify-path --json map_sync" true "$(daxmgr verify-path "$f" --json | jq -r .map_sync)"
rm -f "$f"
