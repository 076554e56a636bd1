#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# install: no
# smoke: yes
# timeout: 900
# expect: 120
#
# The daxmgr package through its life on a host, as apt does it: install (a lower version),
# configure a namespace, a zone and python3 placed for a service, upgrade to this build's version
# while that service runs, remove, reinstall, purge. After each step it records what is still
# there (configuration, namespace, mount, zone, copies, the daemon's state and drop-in, the daemon
# itself) and where the running program's text pages live, read from /proc/PID/pagemap by this
# test itself (the daxmgr tools go away with the package) and checked against the kernel's
# "Persistent Memory" ranges. Promises checked: install enables and starts the daemon; upgrade
# restarts it, keeps its state and leaves the running program alone; remove keeps configuration,
# zones and copies; purge removes only what the package owns, never a namespace or data on it.
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT
STAGE=/run/testbed/stage
UNIT=pkg-xip.service
PY=/usr/bin/python3
MNT=/mnt/pkg
ZONE=$MNT/xip

ls "$STAGE"/daxmgr_*.deb >/dev/null 2>&1 || fail "no daxmgr_*.deb in $STAGE (run with --stage)"
# shellcheck disable=SC2012 # file names of our own build
NEW=$(ls "$STAGE"/daxmgr_*.deb | head -n 1)
if dpkg -s daxmgr >/dev/null 2>&1; then fail "daxmgr is installed already: this test needs '# install: no'"; fi

cleanup_pkg() {
    local rc=$?
    set +e
    systemctl stop "$UNIT" >/dev/null 2>&1
    rm -f "/etc/systemd/system/$UNIT"
    rm -rf "/etc/systemd/system/$UNIT.d"
    systemctl disable --now daxmgrd >/dev/null 2>&1
    apt-get purge -y -q daxmgr >/dev/null 2>&1
    rm -rf /etc/daxmgr
    systemctl daemon-reload
    umount "$MNT" 2>/dev/null
    (exit $rc) # lib.sh's cleanup passes the test's own status on
    _testbed_cleanup
}
trap cleanup_pkg EXIT

# A lower version of this very package: the same files, so that the upgrade exercises the
# maintainer scripts (stop, restart, state kept) rather than a change of behaviour.
VER=$(dpkg-deb -f "$NEW" Version)
OLDVER="$VER~pkgtest1"
dpkg --compare-versions "$OLDVER" lt "$VER" || fail "$OLDVER does not sort below $VER"
rm -rf "$out/old" && dpkg-deb -R "$NEW" "$out/old"
sed -i "s/^Version: .*/Version: $OLDVER/" "$out/old/DEBIAN/control"
OLD=/var/tmp/daxmgr-older_amd64.deb
# Uncompressed: its contents are what matters, and xz at its default level takes seconds to
# compress (here) and to unpack (in apt-get install) under TCG.
dpkg-deb -b -Znone --root-owner-group "$out/old" "$OLD" >/dev/null
rm -rf "$out/old"

# pmem_pages PID: "PMEM DRAM" resident pages of the process's executable file mappings, by
# frame number, against /proc/iomem's "Persistent Memory" ranges.
pmem_pages() {
    python3 - "$1" <<'PY'
import struct, sys
pid = sys.argv[1]
ranges = []
for line in open('/proc/iomem'):
    span, _, name = line.strip().partition(' : ')
    if name.startswith('Persistent Memory'):
        lo, hi = span.split('-')
        ranges.append((int(lo, 16), int(hi, 16)))
pmem = dram = 0
with open(f'/proc/{pid}/pagemap', 'rb') as pm:
    for line in open(f'/proc/{pid}/maps'):
        f = line.split()
        if len(f) < 6 or 'x' not in f[1] or not f[5].startswith('/'):
            continue
        lo, hi = (int(x, 16) for x in f[0].split('-'))
        pm.seek(lo // 4096 * 8)
        data = pm.read((hi - lo) // 4096 * 8)
        for (e,) in struct.iter_unpack('<Q', data):
            if not e >> 63:
                continue
            phys = (e & ((1 << 55) - 1)) * 4096
            if any(a <= phys <= b for a, b in ranges):
                pmem += 1
            else:
                dram += 1
print(pmem, dram)
PY
}

sha() { if [ -e "$1" ]; then sha256sum "$1" | cut -c1-16; else echo absent; fi; }

# snapshot STEP: one line per fact, kept in $out/STEP.txt and shown.
snapshot() {
    local step=$1 f=$out/$1.txt pid
    {
        printf 'package          %s\n' "$(dpkg-query -W -f='${Version} ${db:Status-Abbrev}' daxmgr 2>/dev/null | sed 's/ *$//' | grep . || echo 'not installed')"
        printf 'daemon           %s %s pid=%s\n' "$(systemctl is-enabled daxmgrd 2>/dev/null || true)" \
            "$(systemctl is-active daxmgrd 2>/dev/null || true)" "$(systemctl show -P MainPID daxmgrd 2>/dev/null || echo -)"
        printf 'configuration    %s\n' "$(sha /etc/daxmgr/daxmgr.conf)"
        printf 'namespace        %s\n' "$(ndctl list -N 2>/dev/null | jq -r 'if type == "array" then .[] else . end |
            select(.name == "pkgdata") | "\(.dev) \(.mode) \(.size) \(.uuid)"' | head -n 1 | grep . || echo absent)"
        printf 'mount            %s\n' "$(findmnt -rno SOURCE,FSTYPE "$MNT" 2>/dev/null | head -n 1 | grep . || echo absent)"
        printf 'zone             %s\n' "$( [ -d "$ZONE" ] && echo present || echo absent)"
        printf 'copy             %s (source %s)\n' "$(sha "$ZONE/root$(readlink -f $PY)")" "$(sha "$(readlink -f $PY)")"
        # shellcheck disable=SC2012 # a listing for the log
        printf 'state            %s\n' "$( [ -d /var/lib/daxmgr ] && ls /var/lib/daxmgr | tr '\n' ' ' | grep . || echo absent)"
        printf 'drop-in          %s\n' "$(sha "/run/systemd/generator/$UNIT.d/50-daxmgr-xip.conf")"
        pid=$(systemctl show -P MainPID "$UNIT" 2>/dev/null || echo 0)
        if [ "${pid:-0}" != 0 ]; then
            printf 'program          pid=%s text pages pmem/dram=%s\n' "$pid" "$(pmem_pages "$pid" | tr ' ' /)"
        else
            printf 'program          not running\n'
        fi
    } >"$f"
    printf -- '--- after %s\n' "$step"
    sed 's/^/    /' "$f"
}
fact() { sed -n "s/^$2  *//p" "$out/$1.txt"; } # fact STEP NAME

settled() { # wait until the daemon answers, is idle and has nothing pending
    local i state pending
    for ((i = 0; i < 240; i++)); do
        state=$(daxmgr status --json 2>/dev/null | jq -r '.["org.daxmgr1.Manager"][0].State // empty' 2>/dev/null || true)
        pending=$(daxmgr plan --json 2>/dev/null | jq '.steps | length' 2>/dev/null || echo ?)
        if [ "$state" = idle ] && [ "$pending" = 0 ]; then return 0; fi
        sleep 0.5
    done
    daxmgr status || true
    fail "daxmgrd did not settle (state '$state', $pending pending steps)"
}

step "install $OLDVER with apt: the daemon is enabled and running, with no configuration only observing"
apt-get install -y -q "$OLD" >"$out/install.log" 2>&1 || { tail -20 "$out/install.log"; fail "apt-get install $OLD failed"; }
check_eq "daxmgrd enabled" enabled "$(systemctl is-enabled daxmgrd)"
check_eq "daxmgrd active" active "$(systemctl is-active daxmgrd)"
for f in /usr/sbin/daxmgrd /usr/bin/daxmgr /usr/share/dbus-1/system.d/org.daxmgr1.conf \
    /usr/share/polkit-1/actions/org.daxmgr1.policy /usr/share/doc/daxmgr/CONFIG.md; do
    [ -e "$f" ] || fail "the package did not install $f"
done
[ -n "$(find /lib/udev/rules.d /usr/lib/udev/rules.d -name 80-daxmgr.rules 2>/dev/null)" ] || fail "no udev rule 80-daxmgr.rules"
# The unit's Documentation= files exist as named (dh_compress must not have compressed them), and
# its man pages in their sections: daxmgr(1), whose read verbs users run, and daxmgrd(8).
for doc in $(systemctl show -P Documentation daxmgrd); do
    case "$doc" in
        file:*) [ -f "${doc#file:}" ] || fail "the unit's Documentation=$doc does not exist" ;;
        man:*\(*\))
            page=${doc#man:} && page=${page%)} && section=${page#*(} && page=${page%(*}
            ls /usr/share/man/man"$section"/"$page"."$section"* >/dev/null 2>&1 ||
                fail "the unit's Documentation=$doc is not installed in /usr/share/man/man$section"
            ;;
    esac
done
systemctl show -P Documentation daxmgrd | grep -qF 'man:daxmgr(1)' || fail "the unit's Documentation= lacks man:daxmgr(1)"
[ -f /usr/share/man/man1/daxmgr.1.gz ] || fail "the package did not install /usr/share/man/man1/daxmgr.1.gz"
[ ! -e /usr/share/man/man8/daxmgr.8.gz ] || fail "the package still installs daxmgr.8 in section 8"
echo "ok: the unit's Documentation= files and man pages exist"
settled
check_eq "namespaces made by an unconfigured daemon" 0 "$(ndctl list -N | jq -r 'if type == "array" then .[] else . end | select(.name == "pkgdata")' | wc -l)"
snapshot installed

step "configure: an fsdax namespace with xfs, a zone, python3 placed for $UNIT"
mkdir -p /etc/daxmgr
cat >/etc/daxmgr/daxmgr.conf <<CONF
[Namespace pkgdata]
Region=region0
Mode=fsdax
Size=1G
Filesystem=xfs
MountPoint=$MNT

[Zone apps]
Namespace=pkgdata
Directory=xip

[Placement python]
Zone=apps
Program=$PY
WithLibraries=yes
Service=$UNIT
CONF
cat >"/etc/systemd/system/$UNIT" <<UNITFILE
[Service]
ExecStart=$PY -c "import time; time.sleep(3600)"
UNITFILE
daxmgr reload >/dev/null
settled
systemctl daemon-reload
systemctl start "$UNIT"
PROGRAM_PID=$(systemctl show -P MainPID "$UNIT")
wait_asleep "$PROGRAM_PID" # in its time.sleep(): python3 is loaded
snapshot configured
check_eq "the program recorded" "pid=$PROGRAM_PID" "$(fact configured program | cut -d' ' -f1)"
IFS=/ read -r pm dr <<<"$(fact configured program | sed 's/.*pmem\/dram=//')"
check_ge "the placed python3's text pages in pmem" 100 "$pm"
check_eq "its text pages in DRAM" 0 "$dr"

step "upgrade to $VER with apt while $UNIT runs"
t0=$(date +%s.%N)
apt-get install -y -q "$NEW" >"$out/upgrade.log" 2>&1 || { tail -20 "$out/upgrade.log"; fail "apt-get install $NEW failed"; }
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "upgrade took %.1f s\n", b - a }'
settled
snapshot upgraded
check_eq "package version" "$VER ii" "$(fact upgraded package)"
[ "$(fact upgraded daemon | sed 's/.*pid=//')" != "$(fact configured daemon | sed 's/.*pid=//')" ] ||
    fail "the upgrade did not restart daxmgrd (same PID)"
echo "ok: daxmgrd restarted by the upgrade"
for what in configuration namespace mount zone copy state drop-in; do
    check_eq "$what kept through the upgrade" "$(fact configured "$what")" "$(fact upgraded "$what")"
done
check_eq "the program still runs, the same process" "pid=$PROGRAM_PID" "$(fact upgraded program | cut -d' ' -f1)"
check_eq "its text pages, still in pmem" "$(fact configured program | sed 's/.*pmem\/dram=//')" \
    "$(fact upgraded program | sed 's/.*pmem\/dram=//')"
check_eq "steps the restarted daemon had to do" 0 "$(daxmgr plan --json | jq '.steps | length')"
check_eq "problems" "[]" "$(daxmgr status --json | jq -c '.["org.daxmgr1.Manager"][0].Problems')"
check_eq "placement not stale" false "$(daxmgr list placements --json | jq -r '.[0].Stale')"

step "remove: the daemon goes; configuration, namespace, zone, copies and state stay"
apt-get remove -y -q daxmgr >"$out/remove.log" 2>&1 || { tail -20 "$out/remove.log"; fail "apt-get remove failed"; }
snapshot removed
check_eq "package state" "$VER rc" "$(fact removed package)"
[ ! -e /usr/sbin/daxmgrd ] || fail "/usr/sbin/daxmgrd is still there"
check_eq "daemon" "inactive" "$(systemctl is-active daxmgrd 2>/dev/null || true)"
for what in configuration namespace mount zone copy state; do
    check_eq "$what kept on remove" "$(fact upgraded "$what")" "$(fact removed "$what")"
done
# daxmgr-generator goes with the package, and the daemon-reload of the removal drops its drop-in:
# the next start of the service runs the original (this one keeps its binds).
check_eq "generated drop-in gone on remove" absent "$(fact removed drop-in)"
check_eq "the program still runs" "pid=$PROGRAM_PID" "$(fact removed program | cut -d' ' -f1)"

step "reinstall: the daemon finds everything as it left it"
apt-get install -y -q "$NEW" >"$out/reinstall.log" 2>&1 || { tail -20 "$out/reinstall.log"; fail "apt-get install failed"; }
settled
snapshot reinstalled
check_eq "daxmgrd enabled" enabled "$(systemctl is-enabled daxmgrd)"
check_eq "daxmgrd active" active "$(systemctl is-active daxmgrd)"
for what in configuration namespace mount zone copy state; do
    check_eq "$what after the reinstall" "$(fact removed "$what")" "$(fact reinstalled "$what")"
done
check_eq "drop-in after the reinstall" "$(fact upgraded drop-in)" "$(fact reinstalled drop-in)"
check_eq "steps to do" 0 "$(daxmgr plan --json | jq '.steps | length')"
check_eq "placement not stale" false "$(daxmgr list placements --json | jq -r '.[0].Stale')"

step "purge: only what the package owns goes; never a namespace or the data on it"
apt-get purge -y -q daxmgr >"$out/purge.log" 2>&1 || { tail -20 "$out/purge.log"; fail "apt-get purge failed"; }
snapshot purged
check_eq "package" "not installed" "$(dpkg-query -W -f='${db:Status-Abbrev}' daxmgr 2>/dev/null | grep -v '^un' || echo 'not installed')"
check_eq "daemon state removed" absent "$(fact purged state)"
check_eq "generated drop-in removed" absent "$(fact purged drop-in)"
for what in configuration namespace mount zone copy; do
    check_eq "$what kept on purge" "$(fact reinstalled "$what")" "$(fact purged "$what")"
done
check_eq "the program still runs" "pid=$PROGRAM_PID" "$(fact purged program | cut -d' ' -f1)"
check_eq "its text pages, still in pmem" "$(fact configured program | sed 's/.*pmem\/dram=//')" \
    "$(fact purged program | sed 's/.*pmem\/dram=//')"

step "the package cycle, fact by fact"
for s in installed configured upgraded removed reinstalled purged; do
    printf '%s\n' "== $s" && cat "$out/$s.txt"
done >"$out/cycle.txt"
cat "$out/cycle.txt"
echo PASS
