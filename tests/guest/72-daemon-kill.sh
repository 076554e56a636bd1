#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# boot: daemon
# timeout: 600
# expect: 60
#
# kill -9 of daxmgrd in the middle of its work: systemd restarts it, it converges, and nothing
# is lost or left half-made: during the namespace's creation (one namespace of that name in the
# end, whole), during mkfs (the file system is whole afterwards, xfs_repair -n),
# and during the copy of a large program into a zone (no partial copy is ever visible, the
# placement completes with the right content).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT

# A large "program": a real ELF with 300 MiB of data after it, so the copy takes seconds.
BIG=/opt/daxmgr-big-program
mkdir -p /opt
cp /usr/libexec/daxmgr/daxmgr-static-sleeper "$BIG"
head -c 300M /dev/urandom >>"$BIG"
sum=$(sha256sum "$BIG" | cut -d' ' -f1)

write_config <<CONF
[Namespace kill]
Region=region0
Mode=fsdax
Size=1G
Filesystem=xfs
MountPoint=/mnt/kill

[Zone z]
Namespace=kill

[Placement big]
Zone=z
Program=$BIG
EntryPoint=no
CONF

# kill_when WORDS: SIGKILL the daemon (and its worker: the whole unit) as soon as it logs the
# start of the step whose description contains WORDS. The journal is followed rather than
# polled over the bus: a namespace is created in well under a second.
kill_when() {
    local words=$1
    if grep -q -m1 -F "$words" < <(timeout 180 journalctl -f -n 0 -o cat -u daxmgrd); then
        systemctl kill -s KILL daxmgrd
        echo "killed daxmgrd as it started: $words"
    else
        fail "the daemon never got to '$words' within 180 s"
    fi
}

step "kill -9 during the namespace's creation"
kill_when 'create fsdax namespace "kill"' &
killer=$!
sleep 1
# daxmgrd says READY=1 once the first reconcile is done (daxmgrd(8)), so the kill lands while
# systemd still starts it: that start job fails ("a fatal signal was delivered"), and
# Restart=on-failure starts it again, as checked below.
systemctl enable --now daxmgrd ||
    echo "the start job failed: daxmgrd was killed before it said READY=1; systemd restarts it"
wait $killer

# Each next kill follows the journal at once: the restart takes RestartSec=1s at least.
step "kill -9 during mkfs (the step \"make an xfs file system\")"
kill_when "file system on"

step "kill -9 during the copy of the 300 MiB program"
kill_when "place $BIG"
sleep 0.5
ls -la /mnt/kill/z/root/opt/ 2>/dev/null || true
if [ -e "/mnt/kill/z/root$BIG" ]; then
    check_eq "no partial copy visible" "$sum" "$(sha256sum "/mnt/kill/z/root$BIG" | cut -d' ' -f1)"
fi
# Restarted after RestartSec=1s; its start (Type=notify) takes 1-4 s under TCG: wait for it
# rather than for a fixed time.
for ((i = 0; i < 60; i++)); do
    [ "$(systemctl is-active daxmgrd)" = active ] && break
    sleep 0.5
done
check_eq "restarted by systemd" active "$(systemctl is-active daxmgrd)"
check_ge "restarts counted by systemd" 3 "$(systemctl show -P NRestarts daxmgrd)"
journalctl -u daxmgrd -o cat | grep -i "half-made\|killed\|main process exited" || true

step "it converges"
wait_settled 300
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"
blk=$(ndctl_ns blockdev kill)
check_eq "mounted" /mnt/kill "$(findmnt -rno TARGET "/dev/$blk")"
check_eq "the copy is whole" "$sum" "$(sha256sum "/mnt/kill/z/root$BIG" | cut -d' ' -f1)"
check_eq "one namespace named kill" 1 "$(ndctl_json list -N | jq '[.[] | select(.name == "kill")] | length')"
umount /mnt/kill
xfs_repair -n "/dev/$blk" >"$out/xfs_repair.txt" 2>&1 || { cat "$out/xfs_repair.txt"; fail "xfs_repair -n found damage"; }
echo "xfs_repair -n: clean"
rm -f "$BIG"
