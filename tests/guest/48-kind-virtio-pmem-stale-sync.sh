#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled-virtio
# boot: own
# timeout: 300
# expect: 60
#
# A kernel can grant MAP_SYNC on virtio-pmem: its dax_cache does not clear the flags of a dax
# device whose memory it recycles, so a virtio-pmem namespace enabled after an NVDIMM namespace
# went away can get a dax device marked "synchronous" (seen on 6.12: the demo tour's
# `daxmgr verify-path` said "MAP_SYNC: granted" on virtio-pmem after the test bed's label
# initialisation had disabled and re-enabled every region). The flush is still a request to the
# host, so such a grant is a trap for a program. The test makes that state on purpose (the
# virtio-pmem namespace off, an NVDIMM fsdax namespace made and destroyed, the virtio-pmem
# namespace on again) and asks the kernel directly: `daxmgr verify-path` must give the kernel's
# answer, and when it is a grant, the warning that it is not durable. A kernel without the
# stale flag refuses, and verify-path must then say refused. Disabling namespaces: a boot of its
# own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
MNT=/mnt/vstale

_stale_cleanup() {
    local rc=$?
    set +e
    umount "$MNT" 2>/dev/null
    [ -z "${blk:-}" ] || wipefs -qa "/dev/$blk" >/dev/null 2>&1
    (exit $rc)
    _daemon_cleanup
}
trap _stale_cleanup EXIT

# kernel_map_sync DIR: the kernel's own answer to a MAP_SYNC mapping of a new file in DIR.
kernel_map_sync() {
    python3 - "$1" <<'PY'
import errno, mmap, os, sys
fd = os.open(sys.argv[1], os.O_TMPFILE | os.O_RDWR, 0o600)
os.ftruncate(fd, 4096)  # Python maps no more than the file holds
try:
    mmap.mmap(fd, 4096, flags=0x03 | 0x80000, prot=mmap.PROT_READ).close()  # MAP_SHARED_VALIDATE | MAP_SYNC
    print("granted")
except OSError as e:
    print("refused-" + errno.errorcode.get(e.errno, str(e.errno)))
PY
}

vns=$(ndctl_json list -N -b virtio-pmem | jq -r '.[0].dev')
nvr=$(ndctl_json list -R -b ACPI.NFIT | jq -r '.[0].dev')
[ "$vns" != null ] && [ "$nvr" != null ] || fail "expected a virtio-pmem namespace and an NVDIMM region: $(ndctl list -BRN)"
echo "virtio-pmem namespace: $vns; NVDIMM region: $nvr"

step "recycle a synchronous dax device into the virtio-pmem namespace"
ndctl disable-namespace "$vns"
sleep 1 # the freed dax device goes back to the cache after an RCU grace period
nv=$(ndctl create-namespace -r "$nvr" -m fsdax -s 256M | jq -r .dev)
ndctl destroy-namespace -f "$nv"
sleep 1
ndctl enable-namespace "$vns"
udevadm settle
blk=$(ndctl_json list -n "$vns" | jq -r '.[0].blockdev')
mkfs.ext4 -q -F -b 4096 "/dev/$blk"
mkdir -p "$MNT"
mount -o dax=always "/dev/$blk" "$MNT"
findmnt -rno SOURCE,FSTYPE,OPTIONS "$MNT"
kernel=$(kernel_map_sync "$MNT")
echo "the kernel, asked directly: MAP_SYNC $kernel" | tee "$out/kernel.txt"

step "verify-path gives the kernel's answer, and says what a grant on virtio-pmem means"
systemctl start daxmgrd
wait_settled 120
reg=$(daxmgr list regions --json | jq -r '.[] | select(.Kind == "virtio-pmem") | .Device')
daxmgr verify-path "$MNT" | tee "$out/verify-path.txt"
daxmgr verify-path --json "$MNT" | tee "$out/verify-path.json"
check_eq "verify-path region" "$reg" "$(jq -r .region "$out/verify-path.json")"
check_eq "verify-path kind" virtio-pmem "$(jq -r .kind "$out/verify-path.json")"
case $kernel in
granted)
    echo "this kernel grants MAP_SYNC on virtio-pmem (a stale synchronous flag)"
    check_eq "verify-path --json map_sync" true "$(jq -r .map_sync "$out/verify-path.json")"
    jq -r .map_sync_warning "$out/verify-path.json" | grep -q "not durable" ||
        fail "verify-path --json has no map_sync_warning for a grant on virtio-pmem"
    grep -q "^MAP_SYNC: granted, but NOT durable: .*fsync() or msync()" "$out/verify-path.txt" ||
        fail "verify-path does not warn that MAP_SYNC on virtio-pmem is not durable"
    ;;
refused-*)
    echo "this kernel refuses MAP_SYNC on virtio-pmem even now"
    check_eq "verify-path --json map_sync" false "$(jq -r .map_sync "$out/verify-path.json")"
    check_eq "verify-path --json map_sync_warning" "" "$(jq -r .map_sync_warning "$out/verify-path.json")"
    grep -q "^MAP_SYNC: refused: the region's flush is asynchronous" "$out/verify-path.txt" ||
        fail "verify-path does not say MAP_SYNC is refused"
    ;;
*) fail "the direct probe said: $kernel" ;;
esac

step "an NVDIMM's grant is not flagged"
# The namespace of $nvr the recycling made is gone; a fresh one, DAX-mounted: granted, no warning.
nv=$(ndctl create-namespace -r "$nvr" -m fsdax -s 256M | jq -r .blockdev)
mkdir -p /mnt/nvstale
mkfs.ext4 -q -F -b 4096 "/dev/$nv"
mount -o dax=always "/dev/$nv" /mnt/nvstale
check_eq "kernel MAP_SYNC on the NVDIMM" granted "$(kernel_map_sync /mnt/nvstale)"
daxmgr verify-path --json /mnt/nvstale >"$out/verify-path-nvdimm.json"
check_eq "verify-path --json map_sync (NVDIMM)" true "$(jq -r .map_sync "$out/verify-path-nvdimm.json")"
check_eq "verify-path --json map_sync_warning (NVDIMM)" "" "$(jq -r .map_sync_warning "$out/verify-path-nvdimm.json")"
umount /mnt/nvstale
