#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# boot: own
# timeout: 600
#
# Issue 5's benchmark: what daxmgrd costs while it waits, and how fast it answers and reacts
# (figures, not pass/fail; goals printed next to them). The daemon runs under the guest's real
# systemd and D-Bus, as installed from the stage (udev's rule may have started it at boot with
# no configuration: it is stopped first).
#  1. RSS when idle (VmRSS, VmHWM, RssAnon/RssFile of /proc/PID/status), settled with no
#     configuration and with 8 namespaces (4 x 256 MiB fsdax per region, Filesystem=none, so
#     that they are made quickly), and again after the latency calls below. Goal: <= 5 MiB.
#  2. Wakeups in 60 s idle with the 8 namespaces: voluntary + nonvoluntary context switches of
#     every thread of the main PID over 60 s, sampled each second from /proc (reading /proc
#     does not wake it), with the seconds at which they happened. Goal: none but the watchdog:
#     WatchdogSec=30s and sd-event pings at a random point between 1/2 and 3/4 of it, so 3-4
#     pings in 60 s. Finished jobs stay on the bus 60 s and their removal is a timer: the
#     window starts once Jobs is empty.
#  3. p50/p99 latency of reading the Manager's State property and of GetManagedObjects with
#     the 8 namespaces, N busctl calls each, interleaved; busctl's own start dominates, so the
#     same for a call the bus itself answers (org.freedesktop.DBus GetId) is the baseline, and
#     the difference is what the daemon adds (plus one more hop through dbus-daemon).
#  4. Hot-add to zone ready: with a [Namespace] on region2 (absent until an NVDIMM is
#     hot-added: hence '# boot: own'), a zone and a placed program on it, the time from the
#     hot-add command to the placed copy existing and PendingSteps = 0, with when the region
#     appeared and when the file system was mounted. Polling PendingSteps costs busctl calls,
#     so the end of the reconcile is also read from LastReconcileUSec (CLOCK_REALTIME, as the
#     script's clock). Irreversible, so it comes last.
# The guest is TCG with one vCPU on a shared 2-core host: figures are noisy.
# The whole script takes about 4 minutes in the guest here.
. "${DAXMGR_SRC:-$(dirname "$0")/../..}/tests/guest/lib.sh"
. "${DAXMGR_SRC:-$(dirname "$0")/../..}/tests/guest/daemon-lib.sh"
out=${DAXMGR_TEST_OUT:-/tmp}
fig=$out/figures.txt
: >"$fig"
SLEEPER=/usr/libexec/daxmgr/daxmgr-static-sleeper
N=${DAXMGR_BENCH_CALLS:-200}
IDLE=60

now_us() { local t=$EPOCHREALTIME; echo "${t//[.,]/}"; }
# status_kb PID KEY: a "KEY: N kB" line of /proc/PID/status
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.2f", k / 1024}'; }
# ctxsw PID: "voluntary nonvoluntary" context switches, summed over its threads
ctxsw() {
    cat /proc/"$1"/task/*/status |
        awk '$1 == "voluntary_ctxt_switches:" {v += $2} $1 == "nonvoluntary_ctxt_switches:" {n += $2} END {print v, n}'
}
main_pid() { systemctl show -P MainPID daxmgrd; }
# rollup_kb PID KEY: a line of /proc/PID/smaps_rollup, summed over the mappings
rollup_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup"; }
rss_line() {
    local pid=$1
    printf '%s: VmRSS %s MiB, VmHWM %s MiB (RssAnon %s MiB, RssFile %s MiB; Pss %s MiB, private %s MiB), %s thread(s)\n' "$2" \
        "$(mib "$(status_kb "$pid" VmRSS)")" "$(mib "$(status_kb "$pid" VmHWM)")" \
        "$(mib "$(status_kb "$pid" RssAnon)")" "$(mib "$(status_kb "$pid" RssFile)")" \
        "$(mib "$(rollup_kb "$pid" Pss)")" \
        "$(mib $(($(rollup_kb "$pid" Private_Clean) + $(rollup_kb "$pid" Private_Dirty))))" \
        "$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l)"
}
# pct P FILE: the P-th percentile (nearest rank) of the numbers in FILE
pct() { sort -n "$2" | awk -v p="$1" '{a[NR] = $1} END {i = int((NR * p + 99) / 100); if (i < 1) i = 1; print a[i]}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }
wait_no_jobs() {
    local i
    for ((i = 0; i < 150; i++)); do
        [ "$(mgr_prop Jobs | jq length)" = 0 ] && return 0
        sleep 1
    done
    echo "jobs still listed after 150 s: $(mgr_prop Jobs | jq -c .)"
}

namespaces_conf() {
    local r i n=0
    for r in region0 region1; do
        for i in 1 2 3 4; do
            n=$((n + 1))
            printf '[Namespace bench%d]\nRegion=%s\nMode=fsdax\nSize=256M\nFilesystem=none\n\n' $n $r
        done
    done
}

step "no configuration"
systemctl enable --now daxmgrd
wait_settled 120
sleep 5
pid=$(main_pid)
rss_line "$pid" "idle, no configuration" | tee -a "$fig"

step "8 namespaces"
namespaces_conf | write_config
t0=$(now_us)
systemctl reload daxmgrd
sleep 1
wait_settled 300
t1=$(now_us)
echo "reload to 8 namespaces made: $(ms $((t1 - t0))) ms"
count=$(ndctl list -N | jq '[if type == "array" then .[] else . end | select(.name | startswith("bench"))] | length')
check_eq "namespaces made" 8 "$count"
check_eq "same daemon process" "$pid" "$(main_pid)"
sleep 5
rss_line "$pid" "idle, 8 namespaces" | tee -a "$fig"

step "latency, $N calls each"
: >"$out/state.us"
: >"$out/objects.us"
: >"$out/getid.us"
busctl --system get-property org.daxmgr1 /org/daxmgr1 org.daxmgr1.Manager State
echo "GetManagedObjects: $(busctl --system call org.daxmgr1 /org/daxmgr1 org.freedesktop.DBus.ObjectManager GetManagedObjects | wc -c) bytes of busctl output"
for ((i = 0; i < N; i++)); do
    a=$(now_us)
    busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId >/dev/null
    b=$(now_us)
    busctl --system get-property org.daxmgr1 /org/daxmgr1 org.daxmgr1.Manager State >/dev/null
    c=$(now_us)
    busctl --system call org.daxmgr1 /org/daxmgr1 org.freedesktop.DBus.ObjectManager GetManagedObjects >/dev/null
    d=$(now_us)
    echo $((b - a)) >>"$out/getid.us"
    echo $((c - b)) >>"$out/state.us"
    echo $((d - c)) >>"$out/objects.us"
done
{
    echo "latency over D-Bus with 8 namespaces, $N busctl calls each, interleaved (process start included):"
    for w in getid:"baseline, org.freedesktop.DBus GetId (answered by the bus)" \
        state:"get-property Manager State" objects:"GetManagedObjects"; do
        f=$out/${w%%:*}.us
        printf '  %-56s p50 %7s ms  p99 %7s ms\n' "${w#*:}:" "$(ms "$(pct 50 "$f")")" "$(ms "$(pct 99 "$f")")"
    done
    b50=$(pct 50 "$out/getid.us")
    b99=$(pct 99 "$out/getid.us")
    for w in state:"State" objects:"GetManagedObjects"; do
        f=$out/${w%%:*}.us
        printf '  %-56s p50 %7s ms  p99 %7s ms\n' "${w#*:} minus the baseline:" \
            "$(ms $(($(pct 50 "$f") - b50)))" "$(ms $(($(pct 99 "$f") - b99)))"
    done
} | tee -a "$fig"
rss_line "$pid" "after $((3 * N)) busctl calls" | tee -a "$fig"

step "wakeups in ${IDLE} s idle"
wait_no_jobs
sleep 2
check_eq "same daemon process" "$pid" "$(main_pid)"
rss_line "$pid" "idle, 8 namespaces, jobs expired" | tee -a "$fig"
read -r v0 n0 < <(ctxsw "$pid")
prev=$((v0 + n0))
when=()
t0=$(now_us)
for ((s = 1; s <= IDLE; s++)); do
    # sleep to the next whole second of the window, so that the loop does not drift
    left=$((t0 + s * 1000000 - $(now_us)))
    [ $left -gt 0 ] && sleep "$(awk -v u=$left 'BEGIN {printf "%.3f", u / 1000000}')"
    cur=$(ctxsw "$pid" | awk '{print $1 + $2}')
    [ "$cur" != "$prev" ] && when+=("${s}s:+$((cur - prev))")
    prev=$cur
done
read -r v1 n1 < <(ctxsw "$pid")
{
    echo "wakeups in ${IDLE} s idle with 8 namespaces (context switches of daxmgrd, all threads):"
    echo "  $((v1 + n1 - v0 - n0)) ($((v1 - v0)) voluntary, $((n1 - n0)) nonvoluntary); expected: the watchdog only,"
    echo "  3-4 pings (WatchdogSec=30s, sd-event pings every 15-22.5 s)"
    echo "  at (second of the window: switches): ${when[*]:-none}"
} | tee -a "$fig"

step "hot-add to zone ready"
{
    namespaces_conf
    cat <<CONF
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
CONF
} | write_config
systemctl reload daxmgrd
sleep 1
wait_settled 120
mgr_prop Problems | jq -r '.[]'
mgr_prop Problems | jq -r '.[]' | grep -q "^waiting: .*region2" || fail "no waiting problem for region2"
sleep 2
t0=$(now_us)
id=$(testbed-hotadd-nvdimm --size 1G)
t_cmd=$(now_us)
echo "hot-added $id"
t_region="" t_mount="" t_copy=""
for ((i = 0; i < 1200; i++)); do
    [ -z "$t_region" ] && [ -e /sys/bus/nd/devices/region2 ] && t_region=$(now_us)
    [ -z "$t_mount" ] && grep -q ' /mnt/hot ' /proc/self/mounts && t_mount=$(now_us)
    if [ -z "$t_copy" ] && [ -f "/mnt/hot/hotzone/root$SLEEPER" ]; then
        t_copy=$(now_us)
    fi
    [ -n "$t_copy" ] && [ "$(mgr_prop PendingSteps)" = 0 ] && [ -z "$(running_jobs)" ] && break
    sleep 0.1
done
t1=$(now_us)
[ -n "$t_copy" ] || fail "the hot-added region was not provisioned in 120 s"
check_eq "same daemon process" "$pid" "$(main_pid)"
{
    echo "hot-add of a label-less 1 GiB NVDIMM to zone ready (namespace, ext4, DAX mount, zone, one placed program):"
    echo "  hot-add command returned: $(ms $((t_cmd - t0))) ms"
    echo "  region2 in sysfs: $(ms $((${t_region:-$t0} - t0))) ms"
    echo "  /mnt/hot mounted: $(ms $((${t_mount:-$t0} - t0))) ms"
    echo "  placed copy exists: $(ms $((t_copy - t0))) ms"
    echo "  reconcile ended (LastReconcileUSec): $(ms $(($(mgr_prop LastReconcileUSec) - t0))) ms"
    echo "  seen by polling (PendingSteps = 0, no job running; each poll is 3 busctl calls): $(ms $((t1 - t0))) ms"
} | tee -a "$fig"
sleep 5
rss_line "$pid" "idle, after the hot-add" | tee -a "$fig"
journalctl -u daxmgrd --no-pager -o short-monotonic | grep -i "job\|uevent\|reconcil" | tail -12
