#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# boot: own
# timeout: 420
#
# A namespace configured for a region that is not there yet waits (reported, not an error);
# when an NVDIMM is hot-added through the QEMU monitor the running daemon provisions it per
# the configuration, unasked and without a restart: the label-less region's namespace becomes
# fsdax, is formatted and mounted with DAX, and a zone with placed programs is made on it:
# python3, placed with its loader and libraries for a service, then runs with its resident text
# pages in the hot-added pmem.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
DAEMON_CLEANUP_UNITS=xip-hot-py.service
SLEEPER=/usr/libexec/daxmgr/daxmgr-static-sleeper

step "the configuration names region2, which does not exist yet"
write_config <<CONF
[Namespace hot]
Region=region2
Mode=fsdax
Size=rest
Filesystem=ext4
MountPoint=/mnt/hot

[Zone hotzone]
Namespace=hot

[Placement sleeper]
Zone=hotzone
Program=$SLEEPER

[Placement python3]
Zone=hotzone
Program=/usr/bin/python3
WithLibraries=yes
Service=xip-hot-py.service
CONF
cat >/etc/systemd/system/xip-hot-py.service <<UNIT
[Service]
ExecStart=/usr/bin/python3 -c "import time; time.sleep(600)"
UNIT
systemctl daemon-reload
systemctl enable --now daxmgrd
wait_settled 120
mgr_prop Problems | jq -r '.[]'
check_eq "waiting, not degraded" idle "$(mgr_prop State)"
mgr_prop Problems | jq -r '.[]' | grep -q "^waiting: .*region2" || fail "no waiting problem for region2"
pid_before=$(systemctl show -P MainPID daxmgrd)

step "hot-add a label-less NVDIMM: the daemon provisions it, unasked"
t0=$(date +%s.%N)
id=$(testbed-hotadd-nvdimm --size 1G)
echo "hot-added $id"
for ((i = 0; i < 600; i++)); do
    [ -f "/mnt/hot/hotzone/root$SLEEPER" ] && [ -f "/mnt/hot/hotzone/root$(readlink -f /usr/bin/python3)" ] &&
        [ "$(mgr_prop PendingSteps)" = 0 ] &&
        [ -z "$(running_jobs)" ] && break
    sleep 0.2
done
t1=$(date +%s.%N)
[ -f "/mnt/hot/hotzone/root$SLEEPER" ] || { journalctl -u daxmgrd --no-pager | tail -30; fail "the hot-added region was not provisioned in 120 s"; }
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "hot-add to zone ready, both programs placed: %.1f s\n", b - a }'
check_eq "same daemon process (no restart)" "$pid_before" "$(systemctl show -P MainPID daxmgrd)"
ndctl list -N -r region2
check_eq "region2's namespace mode" fsdax "$(ndctl_json list -N -r region2 | jq -r '.[0].mode')"
blk=$(ndctl_json list -N -r region2 | jq -r '.[0].blockdev')
check_eq "mounted at /mnt/hot" /mnt/hot "$(findmnt -rno TARGET "/dev/$blk")"
check_eq "ext4" ext4 "$(findmnt -rno FSTYPE "/dev/$blk")"
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"
journalctl -u daxmgrd --no-pager | grep -i "job\|uevent" | tail -12

step "the hot-added region, where a user sees it: an NVDIMM, label-less"
check_eq "region2 Kind (busctl)" nvdimm "$(prop "$ROOT/region/region2" Region Kind)"
check_eq "region2 Labelled (busctl)" false "$(prop "$ROOT/region/region2" Region Labelled)"

step "python3 runs from the hot-added pmem"
python3_runs_from_pmem xip-hot-py.service "a hot-added NVDIMM"
