#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 420
# expect: 50
#
# XIP zones and placement, end to end:
#  - a zone exists only where DAX is really in effect (the tmpfs/ramfs "dax" mistake, dax=never
#    and a dax=inode mount without the flag are each explained; dax=inode gets the flag);
#  - python3 placed with its loader and libraries and activated for a systemd service through
#    a drop-in: 100% of its resident executable pages in pmem; the same program unplaced: 0%;
#  - started through the zone's entry point, python3 keeps its name (comm, pidof, ps -C,
#    killall) and its text is still 100% in pmem;
#  - a static program placed and run without activation: 100%;
#  - a changed source is reported stale, refreshed, and runs from pmem again;
#  - SIGKILL in the middle of a large copy leaves no partial file, and the next placement works;
#  - unplace refuses while the copy runs.
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT
export DAXMGR_STATE_DIR=$out/state
STATIC=/usr/libexec/daxmgr/daxmgr-static-sleeper

step "zones are refused where DAX is not in effect, with the reason"
mkdir -p /mnt/tmpfs /mnt/ramfs
mount -t tmpfs -o size=64m tmpfs /mnt/tmpfs
mount -t ramfs -o dax ramfs /mnt/ramfs 2>/dev/null || mount -t ramfs ramfs /mnt/ramfs
expect_fail '"dax" means nothing there' "$TOOL" zone-create /mnt/tmpfs/zone
expect_fail '"dax" means nothing there' "$TOOL" zone-create /mnt/ramfs/zone
umount /mnt/tmpfs /mnt/ramfs

ndctl create-namespace -r region0 -m fsdax -M mem -s 1G -n zone-ns >/dev/null
blk=$(ndctl_ns blockdev zone-ns)
mkfs.ext4 -q -F -b 4096 "/dev/$blk"
mkdir -p /mnt/z
mount -o dax=never "/dev/$blk" /mnt/z
expect_fail "mounted with dax=never" "$TOOL" zone-create /mnt/z/zone
umount /mnt/z
mount -o dax=inode "/dev/$blk" /mnt/z
"$TOOL" zone-create /mnt/z/inode-zone
check_eq "FS_XFLAG_DAX on the dax=inode zone" 1 "$(lsattr -d /mnt/z/inode-zone | cut -c1-22 | grep -c x)"
umount /mnt/z
mount -o dax=always "/dev/$blk" /mnt/z
"$TOOL" zone-create /mnt/z/apps
zone=/mnt/z/apps

step "python3 with its loader and libraries, activated for one service by a drop-in"
"$TOOL" place --with-libs "$zone" /usr/bin/python3
"$TOOL" placements >"$out/placements.json"
jq -r '.[] | "\(.role) \(.source)"' "$out/placements.json"
py=$(readlink -f /usr/bin/python3)
check_eq "interpreter placed" 1 "$(jq '[.[] | select(.role == "interpreter")] | length' "$out/placements.json")"
check_ge "libraries placed" 2 "$(jq '[.[] | select(.role == "library")] | length' "$out/placements.json")"
cat >/etc/systemd/system/xip-py.service <<UNIT
[Service]
ExecStart=/usr/bin/python3 -c "import time; time.sleep(600)"
UNIT
cp /etc/systemd/system/xip-py.service /etc/systemd/system/plain-py.service
# The tool's own state is not the daemon's, which daxmgr-generator reads: the drop-in is written
# into /run/systemd/system here (the daemon's way is in 70-daemon-reconcile.sh and 63-generator-boot.sh).
"$TOOL" activate --unit xip-py.service --dropin-root /run/systemd/system "$zone" "$py"
cat /run/systemd/system/xip-py.service.d/50-daxmgr-xip.conf
systemctl daemon-reload
systemctl start xip-py.service plain-py.service
pid=$(systemctl show -P MainPID xip-py.service)
plain=$(systemctl show -P MainPID plain-py.service)
wait_asleep "$pid" # both in their time.sleep(): python3 is loaded
wait_asleep "$plain"
"$TOOL" verify "$pid"
"$TOOL" verify --json "$pid" >"$out/xip-py.json"
check_eq "python3 (placed): executable pages in DRAM" 0 "$(jq .summary.exec_dram "$out/xip-py.json")"
check_ge "python3 (placed): executable pages in pmem" 100 "$(jq .summary.exec_pmem "$out/xip-py.json")"
check_eq "python3 (placed): share in pmem (%)" 100 "$(jq '.summary.exec_pmem_percent | floor' "$out/xip-py.json")"
"$TOOL" verify --json "$plain" >"$out/plain-py.json"
check_eq "python3 (not placed): executable pages in pmem" 0 "$(jq .summary.exec_pmem "$out/plain-py.json")"
check_eq "python3 (not placed): share in pmem (%)" 0 "$(jq '.summary.exec_pmem_percent | floor' "$out/plain-py.json")"
[ "$(sha256sum </usr/bin/python3)" = "$(sha256sum <"$zone/root$py")" ] || fail "the copy differs from the original"
# The drop-in binds the copy over the original path, which systemd execs: the name is kept.
check_named "$pid" python3

step "python3 through the zone's entry point: its own name, its text in pmem"
"$TOOL" activate "$zone" "$py" | tee "$out/entry.txt"
name=${py##*/}
cat "$zone/bin/.$name.launch"
check_eq "bin/.exec/$name: the placed loader" "$(jq -r '.[] | select(.role == "interpreter") | .copy' "$out/placements.json")" \
    "$(readlink "$zone/bin/.exec/$name")"
"$zone/bin/$name" -c "import sys, time; print(sys.argv[0], sys.executable, flush=True); time.sleep(600)" \
    >"$out/entry.out" &
epid=$!
for _ in $(seq 100); do [ -s "$out/entry.out" ] && break; sleep 0.1; done
echo "the program's own view (sys.argv[0], sys.executable): $(cat "$out/entry.out")"
check_named "$epid" "$name"
check_eq "/proc/$epid/exe: the placed loader" "$(readlink -f "$zone/bin/.exec/$name")" "$(readlink "/proc/$epid/exe")"
check_eq "the first word of /proc/$epid/cmdline" "$zone/bin/.exec/$name" "$(tr '\0' '\n' <"/proc/$epid/cmdline" | head -1)"
check_eq "sys.executable" "$zone/bin/$name" "$(cut -d' ' -f2 "$out/entry.out")"
"$TOOL" verify "$epid" | head -3
"$TOOL" verify --json "$epid" >"$out/entry.json"
check_eq "python3 (entry point): executable pages in DRAM" 0 "$(jq .summary.exec_dram "$out/entry.json")"
check_eq "python3 (entry point): share in pmem (%)" 100 "$(jq '.summary.exec_pmem_percent | floor' "$out/entry.json")"
kill "$epid"
wait "$epid" 2>/dev/null || true
systemd-run --quiet --unit xip-entry.service "$zone/bin/$name" -c "import time; time.sleep(600)"
spid=$(systemctl show -P MainPID xip-entry.service)
wait_asleep "$spid"
systemctl status --no-pager xip-entry.service | head -8 | tee "$out/entry-status.txt"
grep -q "Main PID: $spid ($name)" "$out/entry-status.txt" || fail "systemctl status does not name $name"
systemctl stop xip-entry.service

step "unplace refuses while the copy runs"
expect_fail "is in use by" "$TOOL" unplace "$zone" "$py"
systemctl stop xip-py.service plain-py.service

step "a static program placed and run without activation"
install -m 0755 "$STATIC" /usr/local/bin/xip-static
"$TOOL" place "$zone" /usr/local/bin/xip-static
"$zone/root/usr/local/bin/xip-static" >"$out/static.out" &
spid=$!
for _ in $(seq 50); do grep -q ready "$out/static.out" && break; sleep 0.1; done
"$TOOL" verify --json $spid >"$out/static.json"
check_eq "static: share in pmem (%)" 100 "$(jq '.summary.exec_pmem_percent | floor' "$out/static.json")"
check_eq "static: libraries mapped" 0 "$(jq '[.mappings[] | select(.path | test("\\.so"))] | length' "$out/static.json")"
kill $spid; wait $spid 2>/dev/null || true

step "owner, mode, extended attributes and file capabilities come along"
install -m 4750 -o nobody -g nogroup "$STATIC" /usr/local/bin/xip-attrs
python3 - <<'PY'
import os
f = "/usr/local/bin/xip-attrs"
os.setxattr(f, "user.daxmgr", b"kept")
# VFS_CAP_REVISION_2 | effective; permitted: CAP_NET_BIND_SERVICE (bit 10)
cap = (0x02000001).to_bytes(4, "little") + (1 << 10).to_bytes(4, "little") + bytes(12)
os.setxattr(f, "security.capability", cap)
PY
"$TOOL" place "$zone" /usr/local/bin/xip-attrs
copy=$zone/root/usr/local/bin/xip-attrs
check_eq "owner, group, mode" "$(stat -c '%U %G %a' /usr/local/bin/xip-attrs)" "$(stat -c '%U %G %a' "$copy")"
check_eq "mtime" "$(stat -c %Y /usr/local/bin/xip-attrs)" "$(stat -c %Y "$copy")"
# One python3 for the four values (each start costs a second under TCG): "NAME ORIGINAL COPY".
python3 - "$copy" <<'PY' >"$out/xattrs.txt"
import os, sys
for x in ("user.daxmgr", "security.capability"):
    print(x, os.getxattr("/usr/local/bin/xip-attrs", x).hex(), os.getxattr(sys.argv[1], x).hex())
PY
while read -r x orig dup; do
    check_eq "xattr $x" "$orig" "$dup"
done <"$out/xattrs.txt"
check_eq "xattrs compared" 2 "$(wc -l <"$out/xattrs.txt")"
"$TOOL" unplace "$zone" /usr/local/bin/xip-attrs
rm -f /usr/local/bin/xip-attrs

step "the source changes (an upgrade): stale, refreshed, in pmem again"
cp /usr/local/bin/xip-static /usr/local/bin/xip-static.new
printf 'upgrade' >>/usr/local/bin/xip-static.new   # different content, still runs
mv /usr/local/bin/xip-static.new /usr/local/bin/xip-static
"$TOOL" placements >"$out/stale.json"
check_eq "stale" true "$(jq -r '.[] | select(.source == "/usr/local/bin/xip-static") | .stale' "$out/stale.json")"
jq -r '.[] | select(.stale) | .why' "$out/stale.json"
"$TOOL" placements --refresh >/dev/null
check_eq "stale after refresh" false \
    "$(jq -r '.[] | select(.source == "/usr/local/bin/xip-static") | .stale' <("$TOOL" placements))"
cmp /usr/local/bin/xip-static "$zone/root/usr/local/bin/xip-static" || fail "the refreshed copy differs"
"$zone/root/usr/local/bin/xip-static" >"$out/static2.out" &
spid=$!
for _ in $(seq 50); do grep -q ready "$out/static2.out" && break; sleep 0.1; done
check_eq "refreshed: share in pmem (%)" 100 "$("$TOOL" verify --json $spid | jq '.summary.exec_pmem_percent | floor')"
kill $spid; wait $spid 2>/dev/null || true

step "SIGKILL in the middle of a large copy: nothing partial, the next placement works"
head -c 300M /dev/urandom >/usr/local/big.bin
"$TOOL" place "$zone" /usr/local/big.bin &
kpid=$!
sleep 0.3
kill -9 $kpid 2>/dev/null || true
wait $kpid 2>/dev/null || true
# shellcheck disable=SC2012 # a listing for the log
ls -la "$zone/root/usr/local/" | tee "$out/after-kill.txt"
if [ -e "$zone/root/usr/local/big.bin" ] && ! cmp -s /usr/local/big.bin "$zone/root/usr/local/big.bin"; then
    fail "a partial copy is visible after SIGKILL"
fi
# shellcheck disable=SC2010 # daxmgr's temporary names have no newline
! ls -a "$zone/root/usr/local/" | grep -q daxmgr- || fail "a temporary file is visible after SIGKILL"
echo "ok: no partial file visible"
t0=$(date +%s%N)
"$TOOL" place "$zone" /usr/local/big.bin
t1=$(date +%s%N)
cmp /usr/local/big.bin "$zone/root/usr/local/big.bin" || fail "the copy after the kill differs"
echo "ok: placed 300 MiB in $(( (t1 - t0) / 1000000 )) ms after the kill"

step "unplace"
"$TOOL" unplace "$zone" /usr/local/big.bin
[ ! -e "$zone/root/usr/local/big.bin" ] || fail "unplace left the copy"
"$TOOL" unplace "$zone" "$py"
[ ! -e "$zone/root$py" ] || fail "unplace left python"
rm -f /etc/systemd/system/xip-py.service /etc/systemd/system/plain-py.service /usr/local/big.bin
rm -rf /run/systemd/system/xip-py.service.d
systemctl daemon-reload
umount /mnt/z
