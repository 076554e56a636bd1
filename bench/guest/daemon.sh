#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# boot: own
# timeout: 1200
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
#     hot-add command to the last "Reconcile finished" (then PendingSteps = 0 on the bus), by
#     step: the uevents (udevadm monitor, stamped when
#     received), then daxmgrd's journal lines (its plan, the job's start, each step's progress
#     line, "Reconcile finished") and the kernel's. A step's time runs from its progress line
#     to the next one. Only the end is polled, on the bus (PendingSteps), and only once the
#     copy exists and the journal has a "Reconcile finished". Goal: <= 5 s on an idle host.
#     Irreversible, so it comes last.
# Every wait is bounded by the clock, not by a count of polls (a poll is several busctl calls,
# and a busctl call takes 0.1-2 s on a loaded host), and the latency part stops after
# LATENCY_SECS even if it made fewer than N calls: on a loaded host the 8 namespaces once took
# 181 s to make and 600 calls 140 s, and the script ran out of its time before the hot-add.
# Lines "TABLE<TAB>figure<TAB>value<TAB>goal<TAB>verdict" in figures.txt are bench/run's summary.
# The guest is TCG with one vCPU on a shared 2-core host: figures are noisy.
# The whole script takes about 4 minutes in the guest on an idle host, up to 15 on a loaded one.
. "${DAXMGR_SRC:-$(dirname "$0")/../..}/tests/guest/lib.sh"
. "${DAXMGR_SRC:-$(dirname "$0")/../..}/tests/guest/daemon-lib.sh"
out=${DAXMGR_TEST_OUT:-/tmp}
fig=$out/figures.txt
: >"$fig"
SLEEPER=/usr/libexec/daxmgr/daxmgr-static-sleeper
N=${DAXMGR_BENCH_CALLS:-200}
LATENCY_SECS=${DAXMGR_BENCH_LATENCY_SECS:-150}
HOTADD_WAIT=180
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
# settled_within SECS: wait_settled, bounded by the clock
settled_within() {
    local end=$((SECONDS + $1)) state pending
    while [ $SECONDS -lt $end ]; do
        state=$(mgr_prop State 2>/dev/null) || state=down
        pending=$(mgr_prop PendingSteps 2>/dev/null) || pending='?'
        case $state in busy | starting | down) ;; *) [ "$pending" = 0 ] && return 0 ;; esac
        sleep 0.5
    done
    fail "daxmgrd did not settle in $1 s (state $state, $pending pending step(s))"
}
# verdict VALUE LIMIT: met if VALUE <= LIMIT
verdict() { awk -v v="$1" -v l="$2" 'BEGIN {print (v != "" && v + 0 <= l + 0) ? "met" : "missed"}'; }
# table_rss PID WHAT: bench/run's summary line for the idle memory
table_rss() {
    local rss pss priv
    rss=$(status_kb "$1" VmRSS)
    pss=$(rollup_kb "$1" Pss)
    priv=$(($(rollup_kb "$1" Private_Clean) + $(rollup_kb "$1" Private_Dirty)))
    printf 'TABLE\tdaxmgrd idle, %s: VmRSS / Pss / private\t%s / %s / %s MiB\tVmRSS <= 5 MiB\t%s\n' "$2" \
        "$(mib "$rss")" "$(mib "$pss")" "$(mib "$priv")" "$(verdict "$rss" 5120)"
}
wait_no_jobs() {
    local end=$((SECONDS + 150))
    while [ $SECONDS -lt $end ]; do
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
settled_within 120
sleep 5
pid=$(main_pid)
rss_line "$pid" "idle, no configuration" | tee -a "$fig"
table_rss "$pid" "no configuration" >>"$fig"

step "8 namespaces"
namespaces_conf | write_config
t0=$(now_us)
systemctl reload daxmgrd
sleep 1
settled_within 300
t1=$(now_us)
echo "reload to 8 namespaces made: $(ms $((t1 - t0))) ms"
count=$(ndctl list -N | jq '[if type == "array" then .[] else . end | select(.name | startswith("bench"))] | length')
check_eq "namespaces made" 8 "$count"
check_eq "same daemon process" "$pid" "$(main_pid)"
sleep 5
rss_line "$pid" "idle, 8 namespaces" | tee -a "$fig"
table_rss "$pid" "8 namespaces" >>"$fig"

step "latency, $N calls each (at most $LATENCY_SECS s)"
: >"$out/state.us"
: >"$out/objects.us"
: >"$out/getid.us"
busctl --system get-property org.daxmgr1 /org/daxmgr1 org.daxmgr1.Manager State
echo "GetManagedObjects: $(busctl --system call org.daxmgr1 /org/daxmgr1 org.freedesktop.DBus.ObjectManager GetManagedObjects | wc -c) bytes of busctl output"
lat_end=$((SECONDS + LATENCY_SECS))
for ((i = 0; i < N && SECONDS < lat_end; i++)); do
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
    echo "latency over D-Bus with 8 namespaces, $i busctl calls each, interleaved (process start included):"
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
rss_line "$pid" "after $((3 * i)) busctl calls" | tee -a "$fig"

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
    printf 'TABLE\tdaxmgrd wakeups in %s s idle (seconds with a context switch)\t%s\t<= 4 (the watchdog)\t%s\n' \
        "$IDLE" "${#when[@]}" "$(verdict "${#when[@]}" 4)"
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
settled_within 180
mgr_prop Problems | jq -r '.[]'
mgr_prop Problems | jq -r '.[]' | grep -q "^waiting: .*region2" || fail "no waiting problem for region2"
# The uevents as udev's monitor receives them (KERNEL: from the kernel; UDEV: after udev's rules,
# which is what daxmgrd's monitor gets), stamped with CLOCK_MONOTONIC.
stdbuf -oL udevadm monitor --kernel --udev --subsystem-match=nd --subsystem-match=dax --subsystem-match=block \
    >"$out/uevents.txt" 2>&1 &
monitor=$!
sleep 2
last=$(journalctl -n 1 -o json)
cursor=$(jq -r .__CURSOR <<<"$last")
# CLOCK_REALTIME - CLOCK_MONOTONIC, from the two stamps journald put on one entry
mono_off=$(jq -r '(.__REALTIME_TIMESTAMP | tonumber) - (.__MONOTONIC_TIMESTAMP | tonumber)' <<<"$last")
load=$(cut -d' ' -f1-3 /proc/loadavg) # the guest's: the host's load is not visible from here
t0=$(now_us)
id=$(testbed-hotadd-nvdimm --size 1G)
t_cmd=$(now_us)
echo "hot-added $id"
# Until the copy exists, only files are looked at (no busctl); then each poll asks the journal
# whether a reconcile has finished since the hot-add, and only then the bus. Bounded by the
# clock, not by a count of polls: a poll costs seconds on a loaded host.
t_region="" t_mount="" t_copy="" t1=""
deadline=$((SECONDS + HOTADD_WAIT))
while [ $SECONDS -lt $deadline ]; do
    [ -z "$t_region" ] && [ -e /sys/bus/nd/devices/region2 ] && t_region=$(now_us)
    [ -z "$t_mount" ] && grep -q ' /mnt/hot ' /proc/self/mounts && t_mount=$(now_us)
    if [ -z "$t_copy" ] && [ -f "/mnt/hot/hotzone/root$SLEEPER" ]; then
        t_copy=$(now_us)
    fi
    if [ -n "$t_copy" ] && [ -n "$(journalctl -q --after-cursor "$cursor" -n 1 -o cat \
        MESSAGE_ID=6e58a64d1cb24a21847c58e204437b57)" ] &&
        [ "$(mgr_prop PendingSteps)" = 0 ] && [ "$(mgr_prop State)" != busy ]; then
        t1=$(now_us)
        break
    fi
    sleep 0.1
done
kill "$monitor" 2>/dev/null || true
wait "$monitor" 2>/dev/null || true
[ -n "$t_copy" ] || fail "the hot-added region was not provisioned in $HOTADD_WAIT s"
[ -n "$t1" ] || echo "PendingSteps did not reach 0 in $HOTADD_WAIT s: $(mgr_prop PendingSteps) pending"
check_eq "same daemon process" "$pid" "$(main_pid)"

# One timeline, in µs of CLOCK_REALTIME: the uevents (udevadm's monotonic stamps moved to
# realtime), the kernel's messages and daxmgrd's lines (journal stamps; the kernel's own for
# its messages).
{
    awk -v off="$mono_off" '/^(KERNEL|UDEV) *\[[0-9.]+\]/ {
            src = $0; sub(/ *\[.*/, "", src)
            t = $0; sub(/^[^[]*\[/, "", t); sub(/\].*/, "", t)
            rest = $0; sub(/^[^]]*\] */, "", rest); gsub(/  +/, " ", rest)
            split(t, p, "."); us = p[1] * 1000000 + p[2] + off
            printf "%d\t%s\t%s\n", us, src, rest }' "$out/uevents.txt"
    journalctl -q --after-cursor "$cursor" -o json _SYSTEMD_UNIT=daxmgrd.service + _TRANSPORT=kernel |
        jq -r --argjson off "$mono_off" '[
            (if ._SOURCE_MONOTONIC_TIMESTAMP then (._SOURCE_MONOTONIC_TIMESTAMP | tonumber) + $off
             else (._SOURCE_REALTIME_TIMESTAMP // .__REALTIME_TIMESTAMP | tonumber) end),
            (if ._TRANSPORT == "kernel" then "kernel" else "daxmgrd" end),
            ((.MESSAGE | if type == "array" then implode else . end) | gsub("[\t\n]"; " "))] | @tsv'
} | sort -n -k1,1 >"$out/hotadd-timeline.tsv"
echo "--- the hot-add's timeline (ms after the hot-add command started; +ms since the line before)"
awk -F'\t' -v t0="$t0" '{ printf "%9.1f %+8.1f  %-7s %s\n", ($1 - t0) / 1000, prev ? ($1 - prev) / 1000 : 0, $2, $3; prev = $1 }' \
    "$out/hotadd-timeline.tsv"

# By step. A reconcile step runs from its progress line ("Job N: what (k/n)") to the next one
# or to "Reconcile finished"; that span includes the worker's new snapshot and plan after it.
hotadd_steps() {
    awk -F'\t' -v t0="$t0" -v tcmd="$t_cmd" -v t1="${t1:-0}" -v tcopy="$t_copy" '
    function ms(t) { return sprintf("%.1f", (t - t0) / 1000) }
    function dur(a, b) { return sprintf("%.1f", (b - a) / 1000) }
    function close_step(t) {
        if (step != "") {
            printf "    %8s ms  %s (from %s)\n", dur(sstart, t), step, ms(sstart)
            if (own) printf "               of which its own work %s ms (to %s), then %s ms to the next\n", dur(sstart, own), ownwhat, dur(own, t)
            if (step ~ /file system on/) { mkfs += (t - sstart); if (own) mkfs_own += own - sstart }
            if (step ~ /^mount /) { mnt += (t - sstart); if (own) mnt_own += own - sstart }
        }
        step = ""; own = 0
    }
    # where the own work of a step ends: at its event, or for mkfs at the change uevent of the
    # kernel when mkfs closes the device
    step != "" && !own && $2 == "daxmgrd" && $3 ~ /^(Created|Mounted|Zone .* is ready|Placed)/ { own = $1; ownwhat = "its log line" }
    step ~ /namespace/ && !own && $2 == "KERNEL" && $3 ~ /^add .*\/block\/pmem/ { own = $1; ownwhat = "the new block device" }
    step ~ /file system on/ && !own && $2 == "KERNEL" && $3 ~ /^change .*\/block\/pmem/ { own = $1; ownwhat = "mkfs closing the device" }
    $2 == "UDEV" && !plan { u_last = $1 }
    $2 == "KERNEL" && $3 ~ /^add / && !k_first { k_first = $1 }
    $2 == "UDEV" && $3 ~ /\/region2( |$)/ && !u_region { u_region = $1 }
    $2 == "UDEV" && $3 ~ /\/block\/pmem/ && $3 ~ /^add / && !u_block { u_block = $1 }
    $2 == "daxmgrd" && $3 ~ /step\(s\) to carry out: reconciling\./ { n_rec++; if (!plan) plan = $1 }
    $2 == "daxmgrd" && $3 ~ /^Job [0-9]+ \(reconcile\) started/ { if (!jstart) jstart = $1 }
    $2 == "daxmgrd" && $3 ~ /^Job [0-9]+: .* \([0-9]+\/[0-9]+\)$/ {
        close_step($1); s = $3; sub(/^Job [0-9]+: /, "", s); step = s; sstart = $1
        if (!first_step) first_step = $1
    }
    $2 == "daxmgrd" && $3 ~ /^Reconcile finished/ { close_step($1); rfin = $1; printf "    %s (at %s)\n", $3, ms($1) }
    END {
        printf "  hot-add command returned (QMP device_add done, answer seen): %s ms\n", ms(tcmd)
        if (k_first) printf "  first uevent from the kernel: %s ms\n", ms(k_first)
        if (u_region) printf "  region2 through udev (what daxmgrd is woken by): %s ms\n", ms(u_region)
        if (u_last) printf "  last uevent through udev before the plan: %s ms\n", ms(u_last)
        if (plan) printf "  daxmgrd planned the steps (300 ms coalescing + topology snapshot): %s ms (+%s after udev)\n", ms(plan), u_region ? dur(u_region, plan) : "?"
        if (jstart) printf "  the reconcile job started: %s ms (+%s)\n", ms(jstart), dur(plan, jstart)
        if (first_step) printf "  first step began (the worker recovered, snapshot, plan): %s ms (+%s)\n", ms(first_step), dur(jstart, first_step)
        if (u_block) printf "  /dev/pmem block device through udev: %s ms\n", ms(u_block)
        printf "  placed copy seen: %s ms\n", ms(tcopy)
        if (rfin) printf "  ready: the last \"Reconcile finished\": %s ms (%d reconcile(s))\n", ms(rfin), n_rec
        if (t1 > 0) printf "  PendingSteps = 0 confirmed on the bus (the poll costs busctl calls): %s ms\n", ms(t1)
        printf "MKFS\t%.1f\nMKFS_OWN\t%.1f\nMOUNT\t%.1f\nMOUNT_OWN\t%.1f\nTOTAL\t%s\n", mkfs / 1000, mkfs_own / 1000, mnt / 1000, mnt_own / 1000, (t1 > 0 && rfin ? sprintf("%.1f", (rfin - t0) / 1000) : "")
    }' "$out/hotadd-timeline.tsv"
}
hotadd_steps >"$out/hotadd-steps.txt"
total_ms=$(awk -F'\t' '$1 == "TOTAL" {print $2}' "$out/hotadd-steps.txt")
mkfs_ms=$(awk -F'\t' '$1 == "MKFS" {print $2}' "$out/hotadd-steps.txt")
mount_ms=$(awk -F'\t' '$1 == "MOUNT" {print $2}' "$out/hotadd-steps.txt")
mkfs_own=$(awk -F'\t' '$1 == "MKFS_OWN" {print $2}' "$out/hotadd-steps.txt")
mount_own=$(awk -F'\t' '$1 == "MOUNT_OWN" {print $2}' "$out/hotadd-steps.txt")
{
    echo "hot-add of a label-less 1 GiB NVDIMM to zone ready (namespace, ext4, DAX mount, zone, one placed"
    echo "program), ms after the hot-add command started; the guest's load average before it: $load"
    grep -v $'\t' "$out/hotadd-steps.txt" | grep -v '^    '
    echo "  the reconcile's steps (each to the next step's start: includes the worker's snapshot and plan after it):"
    grep '^    ' "$out/hotadd-steps.txt"
    echo "  mkfs.ext4: $mkfs_own ms to the device's close ($mkfs_ms ms to the next step); DAX mount with its"
    echo "  proof: $mount_own ms to its log line ($mount_ms ms to the next step)"
    printf 'TABLE\thot-add of a 1 GiB NVDIMM to a placed program\t%s\t<= 5 s (idle host)\t%s\n' \
        "$([ -n "$total_ms" ] && awk -v m="$total_ms" 'BEGIN {printf "%.1f s", m / 1000}' ||
            echo "not settled in $HOTADD_WAIT s")" \
        "$(verdict "$total_ms" 5000)"
    printf 'TABLE\thot-add: mkfs.ext4 / DAX mount, own work\t%s / %s ms\t-\t-\n' "$mkfs_own" "$mount_own"
} | tee -a "$fig"
sleep 5
rss_line "$pid" "idle, after the hot-add" | tee -a "$fig"
