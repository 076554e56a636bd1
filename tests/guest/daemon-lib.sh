# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers of the daemon tests (sourced after lib.sh): daxmgrd under the guest's real systemd,
# D-Bus and polkit, driven with clients nobody here wrote (busctl, gdbus).

DEST=org.daxmgr1
ROOT=/org/daxmgr1

# mgr_prop NAME: a Manager property, as busctl prints its value (strings without quotes).
mgr_prop() {
    busctl --system get-property --json=short "$DEST" "$ROOT" org.daxmgr1.Manager "$1" | jq -r .data
}

# prop PATH IFACE NAME
prop() {
    busctl --system get-property --json=short "$DEST" "$1" "org.daxmgr1.$2" "$3" | jq -r .data
}

# call METHOD SIG ARGS...: a Manager method; prints the first return value.
call() {
    local m=$1
    shift
    busctl --system call --json=short "$DEST" "$ROOT" org.daxmgr1.Manager "$m" "$@" | jq -r '.data[0] // empty'
}

# wait_job PATH [SECS]: wait until the job is done or failed; prints its state.
wait_job() {
    local job=$1 secs=${2:-180} i state
    for ((i = 0; i < secs * 5; i++)); do
        state=$(prop "$job" Job State 2>/dev/null) || { echo gone; return; }
        case $state in
            done | failed) echo "$state"; return ;;
        esac
        sleep 0.2
    done
    echo timeout
}

# wait_settled [SECS]: until the daemon is up, idle, and has nothing left to do.
wait_settled() {
    local secs=${1:-180} i state pending
    for ((i = 0; i < secs * 2; i++)); do
        state=$(mgr_prop State 2>/dev/null) || state=down
        pending=$(mgr_prop PendingSteps 2>/dev/null) || pending='?'
        # shellcheck disable=SC2166 # kept as written: each operand is a number or a job list, never an operator
        if [ "$state" != busy ] && [ "$state" != starting ] && [ "$state" != down ] && [ "$pending" = 0 ] &&
            [ "$(mgr_prop Jobs | jq '[.[]] | length')" = 0 -o -z "$(running_jobs)" ]; then
            return 0
        fi
        sleep 0.5
    done
    echo "--- the daemon's plan"
    call GetPlan
    echo "--- the daemon's view of the namespaces"
    call GetTopology | jq -c '.regions[]?.namespaces[]? // empty' | head -20
    fail "daxmgrd did not settle in ${secs}s (state $state, $pending pending step(s))"
}

# running_jobs: the paths of queued or running jobs.
running_jobs() {
    local j
    for j in $(mgr_prop Jobs | jq -r '.[]'); do
        case $(prop "$j" Job State 2>/dev/null) in
            queued | running) echo "$j" ;;
        esac
    done
}

# The daemon must be stopped, and its configuration gone, before lib.sh's cleanup destroys
# what the test made: otherwise it would make it again.
_daemon_cleanup() {
    local rc=$?
    set +e
    if [ $rc -ne 0 ]; then
        echo "--- daxmgrd's journal"
        journalctl -u daxmgrd --no-pager -o short-monotonic | tail -60
    fi
    systemctl disable --now daxmgrd >/dev/null 2>&1
    rm -rf /etc/daxmgr /var/lib/daxmgr
    for f in ${DAEMON_CLEANUP_UNITS:-}; do
        systemctl stop "$f" >/dev/null 2>&1
        rm -rf "/etc/systemd/system/$f" "/etc/systemd/system/$f.d"
    done
    systemctl daemon-reload
    # lib.sh's cleanup looks for sanitizer reports: after the stop, a report at exit is written.
    (exit $rc)
    _testbed_cleanup
}
trap _daemon_cleanup EXIT

# udev's rule has started daxmgrd already when the harness enabled the regions (as on a real
# host at boot); it observes with no configuration. Tests start from a stopped daemon (after a
# reboot a test asked for, the daemon found running is the one under test).
if [ "${DAXMGR_TEST_BOOT:-1}" = 1 ]; then
    systemctl stop daxmgrd 2>/dev/null || true
fi

write_config() {
    mkdir -p /etc/daxmgr
    cat >/etc/daxmgr/daxmgr.conf
}

# python3_runs_from_pmem UNIT WHERE: starts UNIT (a service running a placed python3 that
# sleeps), waits until it sleeps, and checks with `daxmgr verify` that every resident text page
# of it is in pmem; the share goes to $out/share.txt ("python3 on WHERE: N of M ..."), the
# reports to $out/verify.{txt,json}.
# shellcheck disable=SC2154 # out: the results directory of the test that sources this
python3_runs_from_pmem() {
    local unit=$1 where=$2 pid
    systemctl start "$unit"
    pid=$(systemctl show -P MainPID "$unit")
    [ "$pid" -gt 0 ] || fail "$unit has no main process"
    wait_asleep "$pid"
    daxmgr verify "$pid" | tee "$out/verify.txt"
    daxmgr verify "$pid" --json >"$out/verify.json"
    echo "python3 on $where: $(jq .summary.exec_pmem "$out/verify.json") of $(jq '.summary.exec_pmem + .summary.exec_dram' "$out/verify.json") resident text pages in pmem ($(jq .summary.exec_pmem_percent "$out/verify.json") %)" |
        tee "$out/share.txt"
    check_eq "python3: text pages in DRAM" 0 "$(jq .summary.exec_dram "$out/verify.json")"
    check_ge "python3: text pages in pmem" 100 "$(jq .summary.exec_pmem "$out/verify.json")"
    check_eq "python3: share in pmem (%)" 100 "$(jq '.summary.exec_pmem_percent | floor' "$out/verify.json")"
}
