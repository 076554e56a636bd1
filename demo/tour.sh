#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled-virtio
# boot: own
# smoke: yes
# timeout: 300
# expect: 75
#
# The demo, run inside the emulated-pmem guest by demo/run (and by tests/run-all as a test): the
# pmem this guest has (two NVDIMMs and a virtio-pmem device, the VM case); daxmgrd under systemd
# realizing a sample configuration; an NVDIMM hot-added and provisioned by the daemon, unasked;
# python3 placed in an XIP zone on an NVDIMM and in one on the virtio-pmem device, each started as
# a service, and `daxmgr verify` showing their executable pages in pmem next to an unplaced
# control; what virtio-pmem cannot do (MAP_SYNC). It hot-adds an NVDIMM, which cannot be undone:
# hence a boot of its own.
set -euo pipefail

out=${DAXMGR_TEST_OUT:-/tmp}
say() { printf '\n== %s\n' "$*"; }
# show CMD...: print the command, then run it.
show() { printf '$ %s\n' "$*"; "$@"; }
fail() { printf 'tour: FAILED: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# settled: daxmgrd is up, not busy, with no step pending and no job queued or running.
settled() {
    daxmgr status --json 2>/dev/null | jq -e '
        (.["org.daxmgr1.Manager"][0] | .State != "busy" and .State != "starting" and .PendingSteps == 0)
        and ([.["org.daxmgr1.Job"][]? | select(.State == "queued" or .State == "running")] | length == 0)' \
        >/dev/null
}
# asleep PID: the process went to sleep (nanosleep or clock_nanosleep): it has loaded what it runs.
asleep() { local nr rest; read -r nr rest <"/proc/$1/syscall" && { [ "$nr" = 35 ] || [ "$nr" = 230 ]; }; }
wait_until() { # SECS CMD...: until CMD succeeds, for at most SECS seconds
    local end=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt $end ]; do
        "$@" && return 0
        sleep 0.2
    done
    echo "--- daxmgr status --json:"
    daxmgr status --json | jq -c '.["org.daxmgr1.Manager"][0], .["org.daxmgr1.Job"][]?'
    daxmgr plan || true
    return 1
}
cleanup() {
    local rc=$?
    set +e
    [ $rc -ne 0 ] && journalctl -u daxmgrd --no-pager | tail -40
    [ -n "${control:-}" ] && kill "$control" 2>/dev/null
    systemctl stop xip-demo.service xip-vm.service 2>/dev/null
    systemctl disable --now daxmgrd >/dev/null 2>&1
    rm -rf /etc/daxmgr /etc/systemd/system/xip-demo.service /etc/systemd/system/xip-demo.service.d \
        /etc/systemd/system/xip-vm.service /etc/systemd/system/xip-vm.service.d
    systemctl daemon-reload
    exit $rc
}
trap cleanup EXIT
# udev started daxmgrd when the regions appeared at boot, as on a real host: with no
# configuration it only observes. (Started here should udev not have done it yet.)
systemctl is-active -q daxmgrd || systemctl start daxmgrd
wait_until 60 settled || fail "daxmgrd did not come up in 60 s"

say "The persistent memory this guest has: two emulated 2 GiB NVDIMMs and a 512 MiB virtio-pmem device"
show daxmgr list regions
# Kernel region numbers follow probe order: find each kind's region rather than assume it.
regions_json=$(daxmgr list regions --json)
NV=$(jq -r '[.[] | select(.Kind == "nvdimm") | .Device] | sort | .[0]' <<<"$regions_json")
VREG=$(jq -r '[.[] | select(.Kind == "virtio-pmem") | .Device] | .[0]' <<<"$regions_json")
# A hot-added region takes the lowest free number: the count of regions now.
HOT=region$(jq length <<<"$regions_json")
[ "$NV" != null ] && [ "$VREG" != null ] || fail "expected NVDIMM and virtio-pmem regions: $regions_json"

say "A configuration for daxmgrd, the daemon"
# /usr/bin/python3 is a symlink (to python3.11): daxmgrd places, and binds, the file it names.
PY=/usr/bin/python3
mkdir -p /etc/daxmgr
cat >/etc/daxmgr/daxmgr.conf <<CONF
# 1 GiB of $NV (an NVDIMM) as fsdax, xfs mounted with DAX at /mnt/pmem
[Namespace data]
Region=$NV
Mode=fsdax
Size=1G
Filesystem=xfs
MountPoint=/mnt/pmem
DAX=always

# an XIP zone there: /mnt/pmem/xip
[Zone apps]
Namespace=data
Directory=xip

# python3, its loader and its libraries placed in the zone, for xip-demo.service only
[Placement python]
Zone=apps
Program=$PY
WithLibraries=yes
Service=xip-demo.service

# $HOT does not exist yet: its NVDIMM is plugged in later
[Namespace hot]
Region=$HOT
Mode=fsdax
Size=rest
Filesystem=ext4
MountPoint=/mnt/hot

# the VM case: the virtio-pmem device ($VREG) holds one namespace, taken as the kernel
# offers it (fsdax); ext4 with DAX at /mnt/vm, a zone, python3 for xip-vm.service
[Namespace vm]
Region=$VREG
Mode=fsdax
Size=rest
Filesystem=ext4
MountPoint=/mnt/vm

[Zone vmapps]
Namespace=vm
Directory=xip

[Placement python-vm]
Zone=vmapps
Program=$PY
WithLibraries=yes
Service=xip-vm.service
CONF
echo '$ cat /etc/daxmgr/daxmgr.conf'
cat /etc/daxmgr/daxmgr.conf
cat >/etc/systemd/system/xip-demo.service <<UNIT
[Unit]
Description=python3, executing in place from pmem

[Service]
ExecStart=$PY -c "import time; time.sleep(600)"
UNIT
echo '$ cat /etc/systemd/system/xip-demo.service'
cat /etc/systemd/system/xip-demo.service
sed 's/from pmem/from the virtio-pmem device/' /etc/systemd/system/xip-demo.service >/etc/systemd/system/xip-vm.service

say "Enable daxmgrd and have it read the configuration: it makes the machine look like it"
t0=$(date +%s.%N)
show systemctl enable --now daxmgrd
show daxmgr reload
wait_until 120 settled || fail "daxmgrd did not settle in 120 s"
echo "(settled after $(elapsed "$t0") s)"
show daxmgr status | tee "$out/status-before.txt"
grep -q "waiting: .*$HOT" "$out/status-before.txt" || fail "no 'waiting' problem for $HOT"
grep -q "Kinds: nvdimm ($NV, .*); virtio-pmem ($VREG)\|Kinds: virtio-pmem ($VREG); nvdimm ($NV" "$out/status-before.txt" ||
    fail "the Platform block does not list both kinds"
grep -qF "MAP_SYNC: not durable on virtio-pmem ($VREG)" "$out/status-before.txt" || fail "status does not say MAP_SYNC is not durable there"

say "Plug in a 1 GiB NVDIMM (QEMU hot-add): daxmgrd provisions it, unasked"
t0=$(date +%s.%N)
show testbed-hotadd-nvdimm --size 1G
hot_ready() { findmnt -rno FSTYPE /mnt/hot 2>/dev/null | grep -qx ext4 && settled; }
wait_until 120 hot_ready || fail "$HOT was not provisioned within 120 s"
hotadd=$(elapsed "$t0")
echo "(hot-add to formatted, mounted and settled: $hotadd s)"
show daxmgr status | tee "$out/status-after.txt"
grep -q "Problems: none" "$out/status-after.txt" || fail "problems left after the hot-add"

say "Run python3 twice: as xip-demo.service (placed in pmem), and directly (a control)"
show systemctl daemon-reload    # picks up the drop-in daxmgrd wrote for xip-demo.service
show systemctl start xip-demo.service
placed=$(systemctl show -P MainPID xip-demo.service)
echo "\$ $PY -c 'import time; time.sleep(600)' &"
"$PY" -c 'import time; time.sleep(600)' &
control=$!
[ "$placed" -gt 0 ] && kill -0 "$placed" || fail "xip-demo.service is not running"
wait_until 30 asleep "$placed" && wait_until 30 asleep "$control" || fail "python3 did not start in 30 s"

say "Where are their executable pages? daxmgr verify PID"
show daxmgr verify "$placed" | tee "$out/verify-placed.txt"
echo
show daxmgr verify "$control" | tee "$out/verify-control.txt"
daxmgr verify --json "$placed" >"$out/verify-placed.json"
daxmgr verify --json "$control" >"$out/verify-control.json"
pct() { jq '.summary | if (.exec_pmem + .exec_dram) > 0 then (100 * .exec_pmem / (.exec_pmem + .exec_dram) | floor) else 0 end' "$1"; }
a=$(pct "$out/verify-placed.json")
b=$(pct "$out/verify-control.json")
echo
echo "python3 placed by daxmgrd: $a% of its resident executable pages in pmem; the control: $b%."
[ "$a" -ge 90 ] || fail "the placed python3 has only $a% of its executable pages in pmem"
[ "$b" -eq 0 ] || fail "the control has $b% of its executable pages in pmem"
printf 'placed_pct=%s\ncontrol_pct=%s\nhotadd_seconds=%s\n' "$a" "$b" "$hotadd" >"$out/figures.txt"

say "The VM case: python3 placed on the virtio-pmem device executes in place from the host's memory"
show systemctl start xip-vm.service
vm=$(systemctl show -P MainPID xip-vm.service)
[ "$vm" -gt 0 ] && kill -0 "$vm" || fail "xip-vm.service is not running"
wait_until 30 asleep "$vm" || fail "python3 of xip-vm.service did not start in 30 s"
show daxmgr verify "$vm" | tee "$out/verify-vm.txt" | sed -n 1,2p
daxmgr verify --json "$vm" >"$out/verify-vm.json"
c=$(pct "$out/verify-vm.json")
echo "python3 placed on virtio-pmem: $c% of its resident executable pages in pmem (the guest keeps no copy)."
[ "$c" -ge 90 ] || fail "python3 on virtio-pmem has only $c% of its executable pages in pmem"
echo "vm_placed_pct=$c" >>"$out/figures.txt"
echo
echo "What virtio-pmem cannot do: its flush is a request to the host, so only fsync() and msync() make"
echo "writes durable there, and the kernel should refuse MAP_SYNC. verify-path asks the kernel:"
show daxmgr verify-path /mnt/vm/xip | tee "$out/verify-path-vm.txt"
# verify-path reports the kernel's answer, which is not always the kind's: a kernel can leave the
# "synchronous" flag of a freed NVDIMM's dax device on the virtio-pmem one that reuses its memory
# (the test bed's label initialisation frees some before this boot's virtio-pmem namespace comes
# back), and then grants MAP_SYNC there. Asked directly, the kernel must agree with verify-path,
# and a grant on virtio-pmem must come with the warning that it is not durable.
kernel=$(python3 - /mnt/vm/xip <<'PY'
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_TMPFILE | os.O_RDWR, 0o600)
os.ftruncate(fd, 4096)  # Python maps no more than the file holds
try:
    mmap.mmap(fd, 4096, flags=0x03 | 0x80000, prot=mmap.PROT_READ).close()  # MAP_SHARED_VALIDATE | MAP_SYNC
    print("granted")
except OSError:
    print("refused")
PY
)
echo "(the kernel, asked directly: MAP_SYNC $kernel)"
case $kernel in
refused) grep -q "^MAP_SYNC: refused: the region's flush is asynchronous" "$out/verify-path-vm.txt" ||
    fail "the kernel refuses MAP_SYNC on virtio-pmem, verify-path does not say so" ;;
*) grep -q "^MAP_SYNC: granted, but NOT durable: " "$out/verify-path-vm.txt" ||
    fail "the kernel grants MAP_SYNC on virtio-pmem, verify-path does not warn that it is not durable" ;;
esac
show systemctl stop xip-vm.service

say "Clean up: stop the services, disable daxmgrd, remove the configuration"
kill "$control"
wait "$control" 2>/dev/null || true
control=
show systemctl stop xip-demo.service
show systemctl disable --now daxmgrd
show rm -r /etc/daxmgr /etc/systemd/system/xip-demo.service /etc/systemd/system/xip-vm.service
