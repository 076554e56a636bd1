#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: virtio
# boot: own
# timeout: 300
# expect: 15
#
# A virtio-pmem-pci device hot-plugged through QMP (testbed-hotadd-virtio-pmem): QEMU's answer
# is recorded word for word. When the guest gets the device, its region shows up with the kind
# virtio-pmem in daxmgr's snapshot and as a Region object of the running daemon, holding the one
# fsdax namespace the kernel offers. QEMU cannot unplug it: a boot of its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT

regions() { ndctl_json list -R | jq -r '.[].dev' | sort; }

step "the daemon observes (no configuration)"
systemctl start daxmgrd
wait_settled 120
before=$(regions)
# shellcheck disable=SC2086,SC2116 # unquoted on purpose: the regions on one line
echo "regions before: $(echo $before)"
check_eq "regions before" 1 "$(grep -c . <<<"$before")"

step "hot-plug a 512 MiB virtio-pmem-pci device"
rc=0
id=$(testbed-hotadd-virtio-pmem --size 512M 2>"$out/hotadd.err") || rc=$?
cat "$out/hotadd.err"
if [ $rc -ne 0 ]; then
    echo "QEMU's words: $(cat "$out/hotadd.err")" | tee "$out/qemu-refused.txt"
    [ $rc -eq 1 ] || fail "no answer from the host (exit $rc)"
    skip "QEMU refused to hot-plug virtio-pmem-pci: $(cat "$out/hotadd.err")"
fi
echo "hot-plugged $id"
for ((i = 0; i < 150; i++)); do
    [ "$(regions | wc -l)" -ge 2 ] && break
    sleep 0.2
done
if [ "$(regions | wc -l)" -lt 2 ]; then
    dmesg | tail -n 30 | tee "$out/dmesg.txt"
    lspci 2>/dev/null || ls /sys/bus/pci/devices
    fail "QEMU accepted $id but no new region came up in the guest within 30 s (dmesg above)"
fi
new=$(comm -13 <(echo "$before") <(regions))
echo "new region: $new"
dmesg | grep -i "virtio\|pmem\|nd_" | tail -n 10 | tee "$out/dmesg.txt" || true
udevadm settle --timeout=30 || true

step "daxmgr sees it as virtio-pmem, with the namespace the kernel offers"
"$TOOL" topology >"$out/topology.json"
check_eq "$new kind" virtio-pmem "$(jq -r --arg r "$new" '.regions[] | select(.dev == $r) | .kind' "$out/topology.json")"
check_eq "$new size" $((512 << 20)) "$(jq -r --arg r "$new" '.regions[] | select(.dev == $r) | .size' "$out/topology.json")"
check_eq "$new namespace mode" fsdax "$(jq -r --arg r "$new" '.regions[] | select(.dev == $r) | .namespaces[0].mode' "$out/topology.json")"
check_eq "$new namespace map" mem "$(jq -r --arg r "$new" '.regions[] | select(.dev == $r) | .namespaces[0].map' "$out/topology.json")"
for ((i = 0; i < 50; i++)); do
    prop "$ROOT/region/$new" Region Kind >/dev/null 2>&1 && break
    sleep 0.2
done
check_eq "Region $new Kind (daemon)" virtio-pmem "$(prop "$ROOT/region/$new" Region Kind)"
daxmgr status | tee "$out/status.txt"
grep -q "Kinds: virtio-pmem (region[0-9]*, $new)\|Kinds: virtio-pmem ($new, region[0-9]*)" "$out/status.txt" ||
    fail "status does not list both virtio-pmem regions"
