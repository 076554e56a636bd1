# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers of the daemon tests (sourced after lib.sh): daxmgrd under the guest's real systemd,
# D-Bus and polkit, driven with clients nobody here wrote (busctl, gdbus).

BUS=(busctl --system --quiet)
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
        pending=$(mgr_prop PendingSteps 2>/dev/null) || pending=?
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

# Sanitizer reports (a stage from tools/build-stage --sanitize; nothing to find otherwise).
# The daemon's go to /var/log/daxmgr-asan/daxmgrd.PID (systemd/daxmgrd-sanitize.conf): each
# one found fails the test and moves to DAXMGR_TEST_OUT, so that the host keeps it and the next
# test does not fail on it again (one from the daxmgrd udev started at boot is found by the
# first daemon test). A report that reached the daemon's journal instead, or the test's own log
# (the CLI's and daxmgr-tool's reports go to stderr, and expect_fail shows what it got), fails
# the test too.
_SANITIZER_LOGS=/var/log/daxmgr-asan
_SANITIZER_SINCE=$(date +%s)
# The last: a sanitizer that could not run (LeakSanitizer where ptrace is refused) ends the
# program with status 1 just as a report does.
_SANITIZER_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|Sanitizer has encountered a fatal error'
_sanitizer_check() {
    local found=0 f text keep=${DAXMGR_TEST_OUT:-/tmp}/sanitizer
    # This test's output first: what is printed below lands in it too.
    if [ -n "${DAXMGR_TEST_OUT:-}" ] && [ -f "$DAXMGR_TEST_OUT.log" ]; then
        text=$(grep -E -A40 "$_SANITIZER_RE" "$DAXMGR_TEST_OUT.log")
        if [ -n "$text" ]; then
            found=1
            echo "--- sanitizer report in this test's output"
            printf '%s\n' "$text"
        fi
    fi
    journalctl --sync 2>/dev/null
    text=$(journalctl -u daxmgrd --since "@$_SANITIZER_SINCE" --no-pager -o cat 2>/dev/null |
        grep -E -A40 "$_SANITIZER_RE")
    if [ -n "$text" ]; then
        found=1
        echo "--- sanitizer report in daxmgrd's journal"
        printf '%s\n' "$text"
    fi
    for f in "$_SANITIZER_LOGS"/*; do
        [ -f "$f" ] || continue
        found=1
        echo "--- sanitizer report $f (written $(date -r "$f" '+%T'))"
        cat "$f"
        mkdir -p "$keep" && mv "$f" "$keep/" || rm -f "$f"
    done
    [ $found -eq 0 ] || printf 'FAIL: %s\n' "a sanitizer reported an error (above)" >&2
    return $found
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
    # After the stop: a report at exit is written by then.
    _sanitizer_check || [ $rc -ne 0 ] || rc=1
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
