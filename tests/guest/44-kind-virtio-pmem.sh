#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: virtio
# timeout: 600
# expect: 35
#
# virtio-pmem, the VM case, end to end through daxmgrd:
#  - the region's kind is virtio-pmem (nd bus provider "virtio-pmem"), label-less, holding the one
#    namespace the kernel offers: fsdax with its struct pages in RAM (map=mem, no info block),
#    field by field as ndctl shows it;
#  - /proc/iomem does not call it "Persistent Memory", yet the verifier's pmem ranges (the nd
#    regions in sysfs) cover it;
#  - a configuration takes that namespace as it is: formatted, DAX-mounted, a zone, python3
#    placed with its loader and libraries for a service: its resident text pages in pmem;
#  - what the kind cannot do is shown, not hidden: its flush is asynchronous, so the kernel
#    refuses MAP_SYNC (EOPNOTSUPP) on a file of the DAX mount; the Region's Flush property,
#    `daxmgr status` and `daxmgr verify-path` say so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
DAEMON_CLEANUP_UNITS=xip-py.service
MNT=/mnt/vpmem

# The namespace was there before the test: lib.sh's cleanup leaves it, so unmount and wipe it
# here, for the next test of this boot.
_kind_cleanup() {
    local rc=$?
    set +e
    systemctl disable --now daxmgrd >/dev/null 2>&1
    systemctl stop xip-py.service >/dev/null 2>&1
    findmnt -rno TARGET "/dev/${blk:-none}" 2>/dev/null | while read -r m; do umount "$m"; done
    [ -z "${blk:-}" ] || wipefs -qa "/dev/$blk" >/dev/null 2>&1
    (exit $rc)
    _daemon_cleanup
}
trap _kind_cleanup EXIT

step "the kernel's view: one label-less region on the virtio-pmem bus"
ndctl list -B -R -N -vvv | tee "$out/ndctl-all.json"
ndctl_json list -R -v >"$out/ndctl-regions.json"
ndctl_json list -N -v >"$out/ndctl-ns.json"
"$TOOL" topology >"$out/topology.json"
reg=$(jq -r '.[0].dev' "$out/ndctl-regions.json")
check_eq "regions" 1 "$(jq length "$out/ndctl-regions.json")"
check_eq "$reg bus provider" virtio-pmem "$(cat "/sys/bus/nd/devices/$reg/../provider" 2>/dev/null ||
    ndctl list -B | jq -r 'if type == "array" then .[0] else . end | .provider')"
check_eq "$reg kind" virtio-pmem "$(jq -r '.regions[0].kind' "$out/topology.json")"
check_eq "$reg provider" virtio-pmem "$(jq -r '.regions[0].provider' "$out/topology.json")"
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

step "/proc/iomem does not call it Persistent Memory; the verifier's ranges (sysfs) cover it"
start=$(($(cat "/sys/bus/nd/devices/$reg/resource")))
printf -v hex '%x' "$start"
grep -i "^ *0*$hex-" /proc/iomem | tee "$out/iomem.txt" || true
grep -q "^ *0*$hex-.*Persistent Memory" /proc/iomem && fail "iomem names it Persistent Memory now: see $out/iomem.txt"
echo "ok: /proc/iomem calls it: $(sed -n '1s/^ *[0-9a-f-]* : //p' "$out/iomem.txt")"

step "daxmgrd takes the namespace as it is: format, DAX mount, a zone, python3 placed"
write_config <<CONF
[Namespace vpmem]
Region=$reg
Mode=fsdax
Size=rest
Filesystem=ext4
MountPoint=$MNT
DAX=always

[Zone apps]
Namespace=vpmem
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
# The steps it took, as its journal says them ("Job N: STEP (i/n)"): no reconfigure.
journalctl -u daxmgrd --since "$since" --no-pager -o cat | grep "^Job [0-9]*: " | tee "$out/steps.txt"
grep -q "reconfigure" "$out/steps.txt" && fail "the namespace the kernel offers was reconfigured"
daxmgr plan | tee "$out/plan-after.txt"
ndctl_json list -N -v >"$out/ndctl-ns-after.json"
check_eq "mode after" fsdax "$(jq -r '.[0].mode' "$out/ndctl-ns-after.json")"
check_eq "map after (not reconfigured)" mem "$(jq -r '.[0].map' "$out/ndctl-ns-after.json")"
check_eq "mounted" "$MNT" "$(findmnt -rno TARGET "/dev/$blk")"
findmnt -rno OPTIONS "/dev/$blk" | grep -q "dax=always\|,dax\b\|^dax" ||
    fail "not mounted with dax: $(findmnt -rno OPTIONS "/dev/$blk")"

step "the kind where a user sees it"
path=$ROOT/region/$reg
check_eq "Region Kind (busctl)" virtio-pmem "$(prop "$path" Region Kind)"
check_eq "Region Provider (busctl)" virtio-pmem "$(prop "$path" Region Provider)"
check_eq "Region Flush (busctl)" asynchronous "$(prop "$path" Region Flush)"
daxmgr list regions | tee "$out/regions.txt"
grep -q "^$reg  *virtio-pmem  " "$out/regions.txt" || fail "no KIND column with virtio-pmem"
check_eq "list regions --json Kind" virtio-pmem "$(daxmgr list regions --json | jq -r '.[0].Kind')"
daxmgr status | tee "$out/status.txt"
grep -qF "Kinds: virtio-pmem ($reg)" "$out/status.txt" || fail "status lacks the Kinds line"
grep -qF "Persistence domain: " "$out/status.txt" || fail "status lacks the persistence domain"
grep -qF "MAP_SYNC: not durable on virtio-pmem ($reg)" "$out/status.txt" || fail "status does not say MAP_SYNC is not durable there"

step "python3 runs from pmem"
python3_runs_from_pmem xip-py.service "virtio-pmem"

step "MAP_SYNC is refused (EOPNOTSUPP): the flush of virtio-pmem is asynchronous"
f=$MNT/map-sync-probe
head -c 8192 /dev/zero >"$f"
python3 - "$f" <<'PY' | tee "$out/map-sync.txt"
import errno, mmap, os, sys
MAP_SHARED_VALIDATE, MAP_SYNC = 0x03, 0x80000
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4096, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
m[0:5] = b"hello"
m.flush()  # msync(): the way to make it durable here
m.close()
print("MAP_SHARED: mapped, written, msync'd")
try:
    m = mmap.mmap(fd, 4096, flags=MAP_SHARED_VALIDATE | MAP_SYNC, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    print("MAP_SYNC: granted")
except OSError as e:
    # EOPNOTSUPP and ENOTSUP are one number on Linux (95); Python names it ENOTSUP.
    name = "EOPNOTSUPP" if e.errno == errno.EOPNOTSUPP else errno.errorcode.get(e.errno, e.errno)
    print("MAP_SYNC: refused: %s (errno %d, %s)" % (name, e.errno, e.strerror))
PY
grep -q "MAP_SYNC: refused: EOPNOTSUPP" "$out/map-sync.txt" || fail "MAP_SYNC was not refused with EOPNOTSUPP"
daxmgr verify-path "$f" | tee "$out/verify-path.txt"
grep -q "^Region: $reg (virtio-pmem, asynchronous flush)" "$out/verify-path.txt" || fail "verify-path does not name the kind"
grep -q "^MAP_SYNC: refused: the region's flush is asynchronous" "$out/verify-path.txt" || fail "verify-path does not say MAP_SYNC is refused"
daxmgr verify-path "$f" --json >"$out/verify-path.json"
check_eq "verify-path --json map_sync" false "$(jq -r .map_sync "$out/verify-path.json")"
check_eq "verify-path --json kind" virtio-pmem "$(jq -r .kind "$out/verify-path.json")"
rm -f "$f"
