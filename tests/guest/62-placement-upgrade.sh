#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 600
# expect: 90
#
# A placed program never runs superseded code. A real Debian package (xiphello, built here in
# four versions with dpkg-deb: the static sleeper of the test tools with a version line appended,
# so that each version has other bytes) is placed for a service by the configuration. Then:
#  - dpkg -i of a new version: inotify sees the rename, the daemon copies it again by itself
#    (Refresh=auto); the time from dpkg -i to the refreshed placement is measured; the running
#    service is named as "restart needed"; after systemctl restart, daxmgr verify shows the new
#    copy in pmem and its sha256 is the new file's;
#  - a rewrite in place and a chmod are followed the same way;
#  - with fs.inotify.max_user_watches tiny, every path is polled (status and journal say so),
#    and apt-get install ./xiphello.deb (offline) runs the apt hook (apt/80daxmgr), which settles
#    the placement before apt returns;
#  - Refresh=manual: the upgrade makes the placement stale and a Problem, the drop-in and the
#    entry point fall back to the original, the running process is named, a new start runs the
#    original (not pmem); daxmgr refresh copies it again and the service runs from pmem again;
#  - the same for a placement made by hand (daxmgr place --refresh-policy manual).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
SLEEPER=/usr/libexec/daxmgr/daxmgr-static-sleeper
PROG=/usr/bin/xiphello
ZONE=/mnt/upg/xip
COPY=$ZONE/root$PROG
DAEMON_CLEANUP_UNITS=xiphello.service
MAX_WATCHES=$(sysctl -n fs.inotify.max_user_watches)

cleanup_pkg() {
    sysctl -q -w fs.inotify.max_user_watches="$MAX_WATCHES" || true
    dpkg --purge xiphello >/dev/null 2>&1 || true
}
trap 'rc=$?; cleanup_pkg; (exit $rc); _daemon_cleanup' EXIT

# build_deb VERSION: /var/tmp/xiphello_VERSION.deb
build_deb() {
    local v=$1 d=/var/tmp/xiphello-$1
    rm -rf "$d"
    mkdir -p "$d/DEBIAN" "$d/usr/bin"
    cat >"$d/DEBIAN/control" <<CTRL
Package: xiphello
Version: $v
Architecture: $(dpkg --print-architecture)
Maintainer: daxmgr tests <root@localhost>
Description: a program to place, version $v
CTRL
    { cat "$SLEEPER"; printf 'xiphello version %s\n' "$v"; } >"$d$PROG"
    chmod 0755 "$d$PROG"
    # Uncompressed: xz takes seconds under TCG, to build and to unpack, and proves nothing here.
    dpkg-deb -Znone --root-owner-group --build "$d" "/var/tmp/xiphello_$v.deb" >/dev/null
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# wait_copy_is SHA SECS: until the copy in the zone has these bytes and the placement is not stale.
wait_copy_is() {
    local want=$1 secs=$2 i
    for ((i = 0; i < secs * 20; i++)); do
        if [ "$(sha "$COPY" 2>/dev/null)" = "$want" ] &&
            [ "$(daxmgr list placements --json | jq -r '.[0].Stale')" = false ]; then
            return 0
        fi
        sleep 0.05
    done
    daxmgr list placements --json
    daxmgr plan
    fail "the copy did not become $want within ${secs}s"
}

service_pid() { systemctl show -P MainPID xiphello.service; }

# verify_pmem PID: the text of PROG in that process is in pmem (placed copy)
verify_pmem() {
    daxmgr verify "$1" --json >"$out/verify-$1.json"
    daxmgr verify "$1" | head -3
    check_ge "text pages of PID $1 in pmem" 1 "$(jq .summary.exec_pmem "$out/verify-$1.json")"
    check_eq "text pages of PID $1 in DRAM" 0 "$(jq .summary.exec_dram "$out/verify-$1.json")"
}

for v in 1.0 2.0 3.0 4.0; do build_deb $v; done

step "xiphello 1.0 installed, placed by the configuration for xiphello.service (Refresh=auto)"
dpkg -i /var/tmp/xiphello_1.0.deb >/dev/null
echo "installed: $(dpkg-query -W -f '${Package} ${Version}' xiphello)"
write_config <<CONF
[Namespace upg]
Region=region0
Mode=fsdax
Size=1G
MountPoint=/mnt/upg

[Zone xip]
Namespace=upg

[Placement hello]
Zone=xip
Program=$PROG
Service=xiphello.service
CONF
cat >/etc/systemd/system/xiphello.service <<UNIT
[Service]
ExecStart=$PROG 600
UNIT
systemctl enable --now daxmgrd
wait_settled 240
systemctl start xiphello.service
pid1=$(service_pid)
verify_pmem "$pid1"
check_eq "copy sha256 = xiphello 1.0" "$(sha $PROG)" "$(sha "$COPY")"
watches=$(mgr_prop Watches)
check_ge "inotify watches" 2 "$watches"
echo "watches: $watches of at most $(mgr_prop WatchLimit)"
daxmgr status | grep '^Watches:'

step "dpkg -i xiphello 2.0: the daemon refreshes the placement by itself (inotify)"
old=$(sha $PROG)
t0=$(now)
dpkg -i /var/tmp/xiphello_2.0.deb >/dev/null
t_dpkg=$(elapsed "$t0")
new=$(sha $PROG)
[ "$old" != "$new" ] || fail "the two versions have the same bytes"
wait_copy_is "$new" 20
t_refreshed=$(elapsed "$t0")
echo "installed: $(dpkg-query -W -f '${Package} ${Version}' xiphello)"
echo "dpkg -i took ${t_dpkg}s; placement refreshed ${t_refreshed}s after dpkg -i started" | tee "$out/upgrade-time.txt"
echo "sha256 of $PROG (2.0):      $new"
echo "sha256 of the copy $COPY: $(sha "$COPY")"
journalctl -u daxmgrd --no-pager -o short-monotonic --since "-60s" | tail -25

step "the running service is named: restart needed"
# wait_restart_needed PID SECS: until the placement names PID as running a superseded copy
wait_restart_needed() {
    local deadline=$((SECONDS + $2)) path
    path=$(daxmgr list placements --json | jq -r '.[0].Path')
    until prop "$path" Placement RestartNeeded | jq -e --arg p "$1" 'any(.[]; startswith($p + " "))' >/dev/null; do
        [ $SECONDS -lt $deadline ] || return 0
        sleep 0.5
    done
}
wait_restart_needed "$pid1" 60
daxmgr status | sed -n '/^Restart needed/,/^$/p' | tee "$out/restart-needed.txt"
grep -q "PID $pid1 (.*), unit xiphello.service: $PROG" "$out/restart-needed.txt" || {
    set +e
    systemctl status xiphello.service --no-pager | head -5
    head -3 "/proc/$pid1/maps"
    cat "/proc/$pid1/cgroup"
    ls -li $COPY
    daxmgr list placements --json
    journalctl -u daxmgrd --no-pager -o short-monotonic | tail -40
    fail "PID $pid1 not named"
}
prop "$(daxmgr list placements --json | jq -r '.[0].Path')" Placement RestartNeeded | jq -c .

step "systemctl restart: the new process runs the new copy from pmem"
systemctl restart xiphello.service
pid2=$(service_pid)
verify_pmem "$pid2"
check_eq "sha256 of what PID $pid2 runs = xiphello 2.0" "$new" "$(sha "/proc/$pid2/exe")"
check_eq "sha256 of the copy = xiphello 2.0" "$new" "$(sha "$COPY")"

step "a rewrite in place, then a chmod: followed too"
t0=$(now)
printf 'patched in place\n' >>$PROG
wait_copy_is "$(sha $PROG)" 20
echo "rewrite in place refreshed after $(elapsed "$t0")s"
t0=$(now)
chmod 0700 $PROG
for ((i = 0; i < 400; i++)); do
    [ "$(stat -c %a "$COPY")" = 700 ] && break
    sleep 0.05
done
check_eq "mode of the copy after chmod of the original" 700 "$(stat -c %a "$COPY")"
echo "chmod followed after $(elapsed "$t0")s"
chmod 0755 $PROG
wait_copy_is "$(sha $PROG)" 20

step "watches exhausted: every path is polled, and the apt hook settles the placement"
sysctl -q -w fs.inotify.max_user_watches=1
systemctl restart daxmgrd
wait_settled 120
daxmgr status | sed -n '/^Watches:/,/^$/p' | head -8 | tee "$out/polled.txt"
echo "watches with max_user_watches=1: $(mgr_prop Watches)"
check_ge "polled paths" 1 "$(mgr_prop PolledPaths | jq length)"
journalctl -u daxmgrd --no-pager -o cat | grep 'polling it every' | tail -2
# The hook comes with the package, as a conffile.
check_eq "the apt hook, from the package" "daxmgr: /etc/apt/apt.conf.d/80daxmgr" \
    "$(dpkg -S /etc/apt/apt.conf.d/80daxmgr 2>&1)"
since=$(date '+%Y-%m-%d %H:%M:%S')
t0=$(now)
apt-get install -y /var/tmp/xiphello_3.0.deb >"$out/apt.log" 2>&1 ||
    { cat "$out/apt.log"; fail "apt-get install ./xiphello_3.0.deb failed (offline, from the file)"; }
t_apt=$(elapsed "$t0")
echo "installed: $(dpkg-query -W -f '${Package} ${Version}' xiphello) (apt-get install ./xiphello_3.0.deb, ${t_apt}s with the hook)"
# The hook waited for the reconcile: the copy is new when apt returns. And it was the hook, not a
# poll: the daemon names who asked for each job.
check_eq "copy sha256 when apt-get returned = xiphello 3.0" "$(sha $PROG)" "$(sha "$COPY")"
asked=$(journalctl -u daxmgrd --since "$since" --no-pager -o cat | grep -E 'asked for by daxmgr\[' | head -n 1)
[ -n "$asked" ] || fail "no job asked for by the daxmgr CLI during apt-get: the hook did not run"
echo "ok: the hook asked: $asked"
sysctl -q -w fs.inotify.max_user_watches="$MAX_WATCHES"
systemctl restart daxmgrd
wait_settled 120
check_ge "watches again" 2 "$(mgr_prop Watches)"
systemctl restart xiphello.service
verify_pmem "$(service_pid)"

step "Refresh=manual: the upgrade is a Problem, new starts run the original"
sed -i 's/^Service=xiphello.service$/&\nRefresh=manual/' /etc/daxmgr/daxmgr.conf
daxmgr reload
wait_settled 60
pid3=$(service_pid)
dpkg -i /var/tmp/xiphello_4.0.deb >/dev/null
echo "installed: $(dpkg-query -W -f '${Package} ${Version}' xiphello)"
for ((i = 0; i < 100; i++)); do
    [ "$(daxmgr list placements --json | jq -r '.[0].Stale')" = true ] && [ ! -e /run/systemd/generator/xiphello.service.d/50-daxmgr-xip.conf ] && break
    sleep 0.2
done
wait_settled 60
daxmgr status | sed -n '1,/^$/p' | tee "$out/manual-status.txt"
grep -q "^  stale: .*$PROG: the copy in $ZONE is stale and Refresh=manual" "$out/manual-status.txt" ||
    fail "no stale Problem in daxmgr status"
check_eq "Stale" true "$(daxmgr list placements --json | jq -r '.[0].Stale')"
check_eq "drop-in while stale" absent "$([ -e /run/systemd/generator/xiphello.service.d/50-daxmgr-xip.conf ] && echo present || echo absent)"
check_eq "entry point while stale" "$PROG" "$(readlink $ZONE/bin/xiphello)"
grep -q "PID $pid3 (.*), unit xiphello.service: $PROG" "$out/manual-status.txt" || {
    wait_restart_needed "$pid3" 60
    daxmgr status | grep "PID $pid3 (.*), unit xiphello.service: $PROG" || fail "the superseded PID $pid3 is not named"
}
echo "the superseded process: $(daxmgr status | grep "PID $pid3 ")"
systemctl restart xiphello.service
pid4=$(service_pid)
daxmgr verify "$pid4" --json >"$out/verify-orig.json"
daxmgr verify "$pid4" | head -3
check_eq "text pages in pmem after a start while stale" 0 "$(jq .summary.exec_pmem "$out/verify-orig.json")"
check_eq "sha256 of what PID $pid4 runs = xiphello 4.0 (the original)" "$(sha "$PROG")" "$(sha "/proc/$pid4/exe")"
grep " $PROG\$" "/proc/$pid4/maps" | head -1

step "daxmgr refresh: copied again, activation back"
daxmgr refresh $PROG
check_eq "Stale after refresh" false "$(daxmgr list placements --json | jq -r '.[0].Stale')"
check_eq "copy sha256 = xiphello 4.0" "$(sha $PROG)" "$(sha "$COPY")"
[ -e /run/systemd/generator/xiphello.service.d/50-daxmgr-xip.conf ] || fail "the drop-in did not come back"
systemctl restart xiphello.service
verify_pmem "$(service_pid)"
systemctl stop xiphello.service

step "a placement made by hand with --refresh-policy manual is followed too"
HAND=/usr/local/bin/xiphand
cp "$SLEEPER" $HAND
daxmgr place $ZONE $HAND --refresh-policy manual
daxmgr list placements
check_eq "RefreshPolicy of the hand placement" manual \
    "$(daxmgr list placements --json | jq -r --arg p $HAND '.[] | select(.Program == $p) | .RefreshPolicy')"
check_eq "entry point" "$ZONE/root$HAND" "$(readlink $ZONE/bin/xiphand)"
printf 'changed by hand\n' >>$HAND
for ((i = 0; i < 120; i++)); do
    [ "$(readlink $ZONE/bin/xiphand)" = $HAND ] && break
    sleep 0.25
done
check_eq "entry point of the stale hand placement" $HAND "$(readlink $ZONE/bin/xiphand)"
check_eq "Stale" true "$(daxmgr list placements --json | jq -r --arg p $HAND '.[] | select(.Program == $p) | .Stale')"
daxmgr status | grep "^  stale: $HAND: " || fail "no stale problem for $HAND"
daxmgr refresh --all
check_eq "Stale after refresh --all" false \
    "$(daxmgr list placements --json | jq -r --arg p $HAND '.[] | select(.Program == $p) | .Stale')"
check_eq "entry point after refresh" "$ZONE/root$HAND" "$(readlink $ZONE/bin/xiphand)"
check_eq "copy sha256 = the changed original" "$(sha $HAND)" "$(sha $ZONE/root$HAND)"
daxmgr unplace $ZONE $HAND
rm -f $HAND
