#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# boot: own
# timeout: 2700
# expect: 1500
#
# (The timeout is per boot part; tests/vm/run gives QEMU 180 + it + 30 s for all 8 boots: a
# clean-clone run of 0e5c745 needed more than 2010 s, the boot after each power cut stalling
# for minutes under TCG.)
# Fault injection (issue 7, item 2): SIGKILL of daxmgrd (systemd restarts it), and separately a
# power cut of the whole guest (testbed-powercut: QMP quit and a fresh QEMU, the page cache is lost), at
# each step of its work: namespace creation, mkfs, mount, zone creation, placement copy, state
# write, configuration reload.  After the restart or reboot: the state converges to the
# configuration, no placed copy is partial, the user's file and the file systems are intact,
# and nothing half-made is left unreported.  Prints a table steps × fault → outcome, kept in
# $DAXMGR_TEST_OUT/faults.tsv.
#
# Catching a step in progress: a fault delivered from outside lands late (the journal line of
# a step is read after the step went on; the host cuts the power ~0.3 s after the request).  So
# the test holds the step open: a fanotify permission gate (FAN_OPEN_PERM, below) blocks the
# daemon's process at an open() that only that step does, stops it with SIGSTOP there, and lets
# the open go on; the fault then hits a process frozen mid-step, deterministically.
#
#   step               gate (the open that stops it)          where the step then is
#   namespace creation worker creates the creating- marker    resumed until the namespace has its
#                                                            name in sysfs (or 10 s), stopped
#   mkfs               worker creates the formatting- marker  resumed until mkfs runs and has
#                                                            written, mkfs and worker stopped
#   mount              worker reads placements.json just      resumed under strace, held at the
#                      before the step                        entry of move_mount() (setup_3)
#   zone creation      worker creates placements.json's temp  directories made, not yet recorded
#   placement copy     worker opens the program to copy       resumed until it wrote 1 MiB of the
#                                                            copy (of 64 MiB), stopped mid-copy
#   state write        worker creates placements.json's temp  copy renamed in place, not recorded
#   config reload      daemon's main process opens            inside the reload (SIGHUP)
#                      daxmgr.conf
#
# Boot b (1..7) runs the SIGKILL cell of step b, then sets up step b's power-cut cell and cuts;
# boot b+1 checks it.  Boot 8 prints the table.  Each boot part's test work takes 40-65 s on a
# loaded host; the boot after a cut costs 30-430 s more (its time: lines say where it went).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
boot=$DAXMGR_TEST_BOOT
TSV=$out/faults.tsv
CONF=/etc/daxmgr/daxmgr.conf
STATE=/var/lib/daxmgr
CELL=/mnt/cell # the file system every zone and placement lives on
STEPS=("namespace creation" "mkfs" "mount" "zone creation" "placement copy" "state write" "config reload")
NSTEPS=${#STEPS[@]}
SLEEPER=/usr/libexec/daxmgr/daxmgr-static-sleeper
BIG_MIB=64 # the program of the copy's cell: the copy is stopped after its first MiB (hold_5)

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
main_pid() { systemctl show -P MainPID daxmgrd; }
# tstamp WHAT: where the time of this boot part goes (seconds since the test started on this
# boot, and the guest's uptime: the boot itself is the difference).
T_BOOT0=$(now)
tstamp() { echo "time: +$(since "$T_BOOT0") s (uptime $(cut -d' ' -f1 /proc/uptime) s): $*"; }

# ---------------------------------------------------------------- the gate
GATE=/run/daxmgr-test-gate.py
cat >"$GATE" <<'PY'
# gate.py --mark PATH... --match REGEX [--comm REGEX] [--pid PID] [--stop-parent] [--timeout S]
# Blocks opens of the marked files (of the children of marked directories) with fanotify
# permission events; the first open of a path matching REGEX by a process of daxmgrd.service
# (and of --comm / --pid) gets the process stopped (SIGSTOP) before the open is let through.
# Prints "ready", then "stopped PID [PARENT] PATH"; exits 1 with "timeout" after --timeout.
import ctypes, os, re, signal, struct, sys, time, select

args = sys.argv[1:]
marks, match, comm, pid_want, stop_parent, timeout = [], None, None, None, False, 240.0
while args:
    a = args.pop(0)
    if a == "--mark": marks.append(args.pop(0))
    elif a == "--match": match = re.compile(args.pop(0))
    elif a == "--comm": comm = re.compile(args.pop(0))
    elif a == "--pid": pid_want = int(args.pop(0))
    elif a == "--stop-parent": stop_parent = True
    elif a == "--timeout": timeout = float(args.pop(0))
    else: sys.exit("gate: unknown argument " + a)

libc = ctypes.CDLL(None, use_errno=True)
libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p]
FAN_CLASS_CONTENT, FAN_CLOEXEC, FAN_OPEN_PERM, FAN_EVENT_ON_CHILD, FAN_MARK_ADD, FAN_ALLOW = 4, 1, 0x10000, 0x08000000, 1, 1
fd = libc.fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, os.O_RDONLY | os.O_LARGEFILE)
if fd < 0:
    sys.exit("gate: fanotify_init: " + os.strerror(ctypes.get_errno()))
for m in marks:
    mask = FAN_OPEN_PERM | (FAN_EVENT_ON_CHILD if os.path.isdir(m) else 0)
    if libc.fanotify_mark(fd, FAN_MARK_ADD, mask, -100, m.encode()) < 0:
        sys.exit("gate: fanotify_mark %s: %s" % (m, os.strerror(ctypes.get_errno())))

def read(path):
    try:
        with open(path) as f: return f.read()
    except OSError: return ""

def stopped(pid):
    for _ in range(200):
        st = read("/proc/%d/stat" % pid)
        if not st or st[st.rindex(")") + 2] in "Tt": return
        time.sleep(0.01)

print("ready", flush=True)
deadline = time.monotonic() + timeout
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        print("timeout", flush=True); sys.exit(1)
    if not select.select([fd], [], [], left)[0]: continue
    buf = os.read(fd, 4096)
    off = 0
    while off + 24 <= len(buf):
        ev_len, _, _, _, mask, efd, pid = struct.unpack_from("=IBBHQii", buf, off)
        off += ev_len
        if efd < 0: continue
        path = ""
        try: path = os.readlink("/proc/self/fd/%d" % efd)
        except OSError: pass
        hit = (match.search(path) is not None
               and (pid_want is None or pid == pid_want)
               and "daxmgrd.service" in read("/proc/%d/cgroup" % pid)
               and (comm is None or comm.search(read("/proc/%d/comm" % pid).strip()) is not None))
        parent = 0
        if hit:
            if stop_parent:
                parent = int(read("/proc/%d/stat" % pid).rsplit(")", 1)[1].split()[1])
                os.kill(parent, signal.SIGSTOP)
            os.kill(pid, signal.SIGSTOP)
        os.write(fd, struct.pack("=iI", efd, FAN_ALLOW))
        os.close(efd)
        if hit:
            stopped(pid)
            print("stopped %d %d %s" % (pid, parent, path), flush=True)
            sys.exit(0)
PY

GATE_OUT=/run/daxmgr-test-gate.out
gate_pid=
# gate_arm ARGS...: start the gate and wait until its marks are in place.
gate_arm() {
    local i
    : >"$GATE_OUT"
    python3 "$GATE" "$@" >"$GATE_OUT" 2>&1 &
    gate_pid=$!
    for ((i = 0; i < 300; i++)); do
        grep -q '^ready' "$GATE_OUT" && return 0
        kill -0 "$gate_pid" 2>/dev/null || break
        sleep 0.1
    done
    fail "the fanotify gate did not start: $(cat "$GATE_OUT")"
}
# gate_wait: until the gate stopped a process; sets GATED_PID, GATED_PARENT, GATED_PATH.
gate_wait() {
    local line
    wait "$gate_pid" || true
    line=$(grep '^stopped ' "$GATE_OUT" || true)
    if [ -z "$line" ]; then
        GATED_PID='' GATED_PATH=
        echo "gate: $(cat "$GATE_OUT")"
        return 1
    fi
    read -r _ GATED_PID _ GATED_PATH <<<"$line"
    echo "gate: stopped $GATED_PID ($(cat "/proc/$GATED_PID/comm" 2>/dev/null)) at the open of $GATED_PATH"
}

# ---------------------------------------------------------------- configuration and cells
add_section() { # text on stdin, appended to the configuration; durable before the step starts
    cat >>"$CONF"
    sync "$CONF"
}
reload_daemon() { kill -HUP "$(main_pid)"; }

# The outcome of the cell being run: its problems, and what it found.
errs=() notes=()
bad() { errs+=("$*"); echo "CHECK FAILED: $*"; }
note() { notes+=("$*"); echo "note: $*"; }
record_cell() { # step-index kind
    local text result=pass
    if [ ${#errs[@]} -gt 0 ]; then
        result=fail
        text=$(printf '%s; ' "${errs[@]}")
        text="FAIL: ${text%; }"
    else
        text=$(printf '%s; ' "${notes[@]}")
        text=${text%; }
    fi
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$result" "$text" >>"$TSV"
    echo "=== cell: ${STEPS[$1]} × $2: $result: $text"
    if [ "$result" = fail ]; then
        journalctl -b -u daxmgrd -o short-monotonic --no-pager >"$out/journal-$1-$2.txt" 2>&1 || true
        echo "(daxmgrd's journal of this boot: $out/journal-$1-$2.txt)"
    fi
    errs=() notes=()
}

# ---------------------------------------------------------------- checks
# settle SECS: like daemon-lib's wait_settled, with a deadline in real time (each look costs
# several bus calls, seconds under TCG).  Non-zero, with what the daemon says, on timeout.
settle() {
    local end=$((SECONDS + $1)) state pending
    while ((SECONDS < end)); do
        state=$(mgr_prop State 2>/dev/null) || state=down
        pending=$(mgr_prop PendingSteps 2>/dev/null) || pending='?'
        case $state in
            busy | starting | down) ;;
            *) [ "$pending" = 0 ] && [ -z "$(running_jobs)" ] && return 0 ;;
        esac
        sleep 0.5
    done
    echo "not settled after $1 s: state $state, $pending pending step(s); plan: $(call GetPlan 2>/dev/null | head -c 400)"
    return 1
}
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
ns_blockdev() { ndctl_json list -N | jq -r --arg n "$1" '.[] | select(.name == $n) | .blockdev // empty'; }

# fs_check NAME MOUNTPOINT: unmount, xfs_repair -n, and the daemon mounts it again.
fs_check() {
    local blk n=${#errs[@]}
    blk=$(ns_blockdev "$1")
    [ -n "$blk" ] || { bad "namespace $1 has no block device"; return; }
    umount "$2" || { bad "cannot unmount $2"; return; }
    xfs_repair -n "/dev/$blk" >"$out/xfs_repair-$1.txt" 2>&1 ||
        bad "xfs_repair -n /dev/$blk ($1) found damage: $(tail -3 "$out/xfs_repair-$1.txt" | tr '\n' ' ')"
    reload_daemon
    settle 240 >"$out/settle.txt" 2>&1 || bad "did not mount $2 again: $(tail -3 "$out/settle.txt" | tr '\n' ' ')"
    findmnt -rn "$2" >/dev/null || bad "$2 is not mounted again"
    [ ${#errs[@]} -gt "$n" ] || note "xfs of $1 clean"
}

# check_all T0: the daemon converged and everything configured so far is as it should be.
check_all() {
    local t0=$1 took leftovers n c blk zone prog copy want got p nsjson
    if ! settle 240 >"$out/settle.txt" 2>&1; then
        bad "did not converge: $(tail -5 "$out/settle.txt" | tr '\n' ' ')"
        return
    fi
    took=$(since "$t0")
    note "converged in $took s"
    [ "$(mgr_prop State)" != problems ] || bad "Manager State is 'problems'"
    p=$(mgr_prop Problems | jq -c .)
    [ "$p" = "[]" ] || bad "Manager.Problems: $p"
    [ "$(mgr_prop PendingSteps)" = 0 ] || bad "plan not empty: $(call GetPlan | head -c 300)"
    # Nothing half-made left in the state directory.
    leftovers=$(find "$STATE" -mindepth 1 \( -name 'creating-*' -o -name 'formatting-*' -o -name '*.tmp*' \) 2>/dev/null | tr '\n' ' ')
    [ -z "$leftovers" ] || bad "left in $STATE: $leftovers"
    [ ! -e "$STATE/placements.json" ] || jq -e . "$STATE/placements.json" >/dev/null 2>&1 ||
        bad "$STATE/placements.json is not valid JSON"
    # Each configured namespace once, whole; each configured mount in place.  (One listing for
    # all the looks: each ndctl costs a second or so under TCG.)
    nsjson=$(ndctl_json list -N -i)
    # shellcheck disable=SC2013 # one word: a namespace name has no space
    for n in $(awk '/^\[Namespace /{ sub(/]$/, "", $2); print $2 }' "$CONF"); do
        c=$(jq --arg n "$n" '[.[] | select(.name == $n and (.size // 0) > 0)] | length' <<<"$nsjson")
        [ "$c" = 1 ] || bad "namespace $n exists $c times"
    done
    # shellcheck disable=SC2013 # one word: these mount points have no space
    for n in $(awk -F= '/^MountPoint=/{ print $2 }' "$CONF"); do
        findmnt -rno OPTIONS "$n" | grep -q 'dax' || bad "$n is not DAX-mounted"
    done
    # Namespaces nobody asked for (a half-made one without its name): none.
    n=$(jq '[.[] | select((.size // 0) > 0)] | length' <<<"$nsjson")
    want=$(($(grep -c . "$out/.namespaces-at-start" 2>/dev/null || true) + $(grep -c '^\[Namespace ' "$CONF")))
    [ "$n" = "$want" ] || bad "$n namespaces with a size, $want expected: $(ndctl list -N -i | jq -c '[.[]? // . | {dev, name, size, mode}]')"
    # Zones recorded and laid out.
    # shellcheck disable=SC2013 # one word: a zone name has no space
    for zone in $(awk '/^\[Zone /{ sub(/]$/, "", $2); print $2 }' "$CONF"); do
        jq -e --arg z "$CELL/$zone" '.zones | index($z)' "$STATE/placements.json" >/dev/null ||
            bad "zone $CELL/$zone is not in the state"
        [ -d "$CELL/$zone/root" ] && [ -d "$CELL/$zone/bin" ] || bad "zone $CELL/$zone lacks root/ or bin/"
    done
    # Every placement: recorded, whole, and no temporary or partial copy anywhere.
    while read -r zone prog; do
        copy=$CELL/$zone/root$prog
        got=$(sha "$copy")
        want=$(cat "$out/sha-$(basename "$prog")")
        [ "$got" = "$want" ] || bad "copy $copy: sha256 ${got:-missing}, source $want"
        jq -e --arg c "$copy" '[.placements[] | select(.copy == $c)] | length == 1' "$STATE/placements.json" >/dev/null ||
            bad "$copy is not recorded once in the state"
    done < <(awk -F= '/^\[Placement /{ getline z; getline p; sub(/^Zone=/, "", z); sub(/^Program=/, "", p); print z, p }' "$CONF")
    leftovers=$(find "$CELL" -name '.*daxmgr*' 2>/dev/null | tr '\n' ' ')
    [ -z "$leftovers" ] || bad "temporary files visible in the zones: $leftovers"
    # The user's file.
    [ "$(sha "$CELL/userfile")" = "$(cat "$out/sha-userfile")" ] || bad "the user's file $CELL/userfile changed"
    # What the daemon said it undid.
    journalctl -u daxmgrd -o cat --since "@${t0%.*}" 2>/dev/null | grep -E 'half-made|interrupted|left behind' >"$out/recovered.txt" || true
    if [ -s "$out/recovered.txt" ]; then
        note "reported: $(head -2 "$out/recovered.txt" | sed 's/^/"/; s/$/"/' | tr '\n' ' ' | cut -c1-200)"
    fi
}

# check_cell_fs: xfs_repair -n of the file system of the zones and the user's file.
check_cell_fs() {
    fs_check cell "$CELL"
    [ "$(sha "$CELL/userfile")" = "$(cat "$out/sha-userfile")" ] || bad "the user's file changed after the remount"
}

# ---------------------------------------------------------------- the steps
# Each step has: setup KIND (config change, gate), hold KIND (after the gate stopped the process:
# put it where the step should be caught), evidence KIND (that the fault lands mid-step) and
# check KIND (after the restart or reboot).  KIND is k (SIGKILL) or p (power cut).

ns1() { echo "a$1"; } # namespace of step 1
setup_1() {
    add_section <<EOF

[Namespace $(ns1 "$1")]
Region=region1
Mode=fsdax
Size=256M
Filesystem=none
EOF
    gate_arm --mark "$STATE" --match "/creating-$(ns1 "$1")\$" --comm '^daxmgrd-worker$'
}
hold_1() {
    local i
    kill -CONT "$GATED_PID" 2>/dev/null || true
    for ((i = 0; i < 500; i++)); do
        grep -qx "$(ns1 "$1")" /sys/bus/nd/devices/namespace*/alt_name 2>/dev/null && break
        sleep 0.02
    done
    kill -STOP "$GATED_PID" 2>/dev/null || true
}
evidence_1() {
    [ -e "$STATE/creating-$(ns1 "$1")" ] || { bad "the creating- marker is gone: the fault came after the step"; return; }
    if grep -qx "$(ns1 "$1")" /sys/bus/nd/devices/namespace*/alt_name 2>/dev/null; then
        note "fault with the namespace named, not finished"
    else
        note "fault before the namespace had its name"
    fi
}
check_1() { :; }

ns2() { echo "b$1"; }
setup_2() {
    add_section <<EOF

[Namespace $(ns2 "$1")]
Region=region1
Mode=fsdax
Size=512M
Filesystem=xfs
MountPoint=/mnt/$(ns2 "$1")
EOF
    gate_arm --mark "$STATE" --match '/formatting-' --comm '^daxmgrd-worker$'
}
# wchar PID: WCHAR := the bytes PID has written so far (/proc/PID/io); builtins only, no fork.
wchar() {
    local k v
    WCHAR=
    while read -r k v; do [ "$k" != wchar: ] || { WCHAR=$v; return 0; }; done <"/proc/$1/io"
    return 1
}
# find_mkfs: MKFS_PID := the mkfs in daxmgrd's cgroup (builtins only: no fork between looks).
find_mkfs() {
    local p c
    while read -r p; do
        read -r c 2>/dev/null <"/proc/$p/comm" || continue
        [[ "$c" == mkfs* ]] && { MKFS_PID=$p; return 0; }
    done </sys/fs/cgroup/system.slice/daxmgrd.service/cgroup.procs
    return 1
}
hold_2() {
    local end=$((SECONDS + 20))
    MKFS_PID=
    kill -CONT "$GATED_PID" 2>/dev/null || true
    while ((SECONDS < end)); do
        find_mkfs && break
    done
    [ -n "$MKFS_PID" ] || { kill -STOP "$GATED_PID"; return 0; }
    # Until mkfs has written something (polled without forks or sleeps).  A fixed 0.2 s here
    # (a sleep that is itself a fork) sometimes let a fast mkfs of 512M finish, and the worker
    # end the step: "no formatting- marker" (a run of 2026-12-04, loaded host).
    while ((SECONDS < end)) && wchar "$MKFS_PID" 2>/dev/null && ((WCHAR == 0)); do :; done
    kill -STOP "$MKFS_PID" "$GATED_PID" 2>/dev/null || true
}
evidence_2() {
    if ! ls "$STATE"/formatting-* >/dev/null 2>&1; then
        bad "no formatting- marker: the fault came after the step"
    else
        # A stopped mkfs may show D (in a flush) until it gets back to user space.
        local st
        st=$(awk '{ print $3 }' "/proc/${MKFS_PID:-0}/stat" 2>/dev/null || true)
        case "$st" in
            "" | Z) note "fault after mkfs ended, before the step did" ;;
            *) note "fault with mkfs running (state $st)" ;;
        esac
    fi
}
check_2() { fs_check "$(ns2 "$1")" "/mnt/$(ns2 "$1")"; }

# Step 3 mounts the file system of step 2 again.  No open() of the mount step can be gated
# (fanotify sends no permission events for device nodes, and the new mount's root does not
# exist before it), and the step is over in a fraction of a second.  So the gate stops the
# worker where it reads the state just before the step, strace attaches to it and delays its
# move_mount() by a minute (strace's syscall fault injection), and the worker is let go: it
# opens the file system (fsopen, fsconfig, the instance created by FSCONFIG_CMD_CREATE,
# fsmount) and is held at the entry of move_mount(), which would attach it at the mount point.
# The gate goes first: the unmount alone makes the daemon reconcile (its plan changed).
NR_MOVE_MOUNT=429 # x86_64
setup_3() {
    gate_arm --mark "$STATE" --match '/placements\.json$' --comm '^daxmgrd-worker$'
    umount "/mnt/$(ns2 "$1")"
}
hold_3() {
    local i
    # shellcheck disable=SC2094 # strace's -o and its stderr in one file, on purpose
    strace -qq -p "$GATED_PID" -e trace=move_mount -e inject=move_mount:delay_enter=60s \
        -o "$out/strace-3-$1.txt" 2>>"$out/strace-3-$1.txt" &
    STRACE_PID=$!
    for ((i = 0; i < 100; i++)); do # attached?
        [ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$GATED_PID/status" 2>/dev/null)" != 0 ] && break
        sleep 0.1
    done
    kill -CONT "$GATED_PID" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do # in move_mount()?
        [ "$(cut -d' ' -f1 "/proc/$GATED_PID/syscall" 2>/dev/null)" = "$NR_MOVE_MOUNT" ] && break
        sleep 0.1
    done
}
evidence_3() {
    if [ "$(cut -d' ' -f1 "/proc/$GATED_PID/syscall" 2>/dev/null)" != "$NR_MOVE_MOUNT" ]; then
        bad "the worker never got to move_mount() (state $(awk '{ print $3 }' "/proc/$GATED_PID/stat" 2>/dev/null || echo gone))"
    elif findmnt -rn "/mnt/$(ns2 "$1")" >/dev/null; then
        bad "/mnt/$(ns2 "$1") is mounted already: the fault would come after the step"
    else
        note "fault inside the mount: the file system instance made, not yet attached"
    fi
}
check_3() { fs_check "$(ns2 "$1")" "/mnt/$(ns2 "$1")"; }

setup_4() {
    add_section <<EOF

[Zone z$1]
Namespace=cell
EOF
    gate_arm --mark "$STATE" --match 'placements\.json\.tmp' --comm '^daxmgrd-worker$'
}
hold_4() { :; }
evidence_4() {
    if [ -d "$CELL/z$1" ] && ! jq -e --arg z "$CELL/z$1" '.zones | index($z)' "$STATE/placements.json" >/dev/null 2>&1; then
        note "fault with the zone made, not recorded"
    else
        bad "the fault did not land between the zone's mkdir and its record"
    fi
}
check_4() { :; }

placement() { # NAME ZONE PROGRAM
    add_section <<EOF

[Placement $1]
Zone=$2
Program=$3
EntryPoint=no
EOF
}
setup_5() {
    placement "e$1" "z$1" "/opt/daxmgr-big-$1"
    gate_arm --mark "/opt/daxmgr-big-$1" --match "^/opt/daxmgr-big-$1\$" --comm '^daxmgrd-worker$'
}
# The copy goes in 1 MiB chunks (read, hash, write): the worker is let go until it has written
# the first MiB of the copy, and stopped there, far from the end of the program (BIG_MIB).
# Polled without sleeps or forks: on one vCPU it takes turns with the worker.
hold_5() {
    local w0=0 end=$((SECONDS + 30))
    COPY_WRITTEN=
    wchar "$GATED_PID" 2>/dev/null && w0=$WCHAR
    kill -CONT "$GATED_PID" 2>/dev/null || true
    while ((SECONDS < end)) && wchar "$GATED_PID" 2>/dev/null && ((WCHAR - w0 < 1048576)); do :; done
    kill -STOP "$GATED_PID" 2>/dev/null || true
    if wchar "$GATED_PID" 2>/dev/null; then COPY_WRITTEN=$(((WCHAR - w0) / 1048576)); fi
}
evidence_5() {
    if [ -e "$CELL/z$1/root/opt/daxmgr-big-$1" ]; then
        bad "the copy was in place already: the fault came after the copy"
    elif [ -z "$COPY_WRITTEN" ] || [ "$COPY_WRITTEN" -lt 1 ] || [ "$COPY_WRITTEN" -ge "$BIG_MIB" ]; then
        bad "the worker was not stopped mid-copy: ${COPY_WRITTEN:-?} MiB of $BIG_MIB MiB written"
    else
        note "fault mid-copy (${COPY_WRITTEN} MiB of ${BIG_MIB} MiB written)"
    fi
    [ -z "$(find "$CELL/z$1" -name '.*daxmgr*' 2>/dev/null)" ] || bad "a temporary copy is visible during the copy"
}
check_5() { :; }

setup_6() {
    placement "f$1" "z$1" "/opt/daxmgr-small-f$1"
    gate_arm --mark "$STATE" --match 'placements\.json\.tmp' --comm '^daxmgrd-worker$'
}
hold_6() { :; }
evidence_6() {
    if [ -e "$CELL/z$1/root/opt/daxmgr-small-f$1" ] &&
        ! grep -q "daxmgr-small-f$1" "$STATE/placements.json"; then
        note "fault with the copy in place, not recorded"
    else
        bad "the fault did not land between the copy's rename and the state's"
    fi
}
check_6() { :; }

setup_7() {
    placement "g$1" "z$1" "/opt/daxmgr-small-g$1"
    gate_arm --mark /etc/daxmgr --match '^/etc/daxmgr/daxmgr\.conf$' --pid "$(main_pid)"
}
hold_7() { :; }
evidence_7() {
    local i
    for ((i = 0; i < 20; i++)); do
        if journalctl -u daxmgrd -o cat -n 20 | grep -q 'SIGHUP: reloading'; then
            note "fault inside the reload"
            return
        fi
        sleep 0.1
    done
    bad "the daemon did not log the reload it was stopped in"
}
check_7() { :; }

# run_step INDEX KIND: set up, trigger, catch, fault.  For k, also check and record.
run_step() {
    local i=$1 kind=$2 t0
    step "${STEPS[$i]} × $([ "$kind" = k ] && echo SIGKILL || echo "power cut")"
    settle 240 || fail "the daemon is not settled before the step"
    tstamp "settled before the step"
    "setup_$((i + 1))" "$kind"
    tstamp "set up (gate armed)"
    reload_daemon
    if ! gate_wait; then
        bad "the daemon never got to the step (the gate did not fire)"
        record_cell "$i" "$kind"
        if [ "$kind" = p ]; then
            touch "$out/cut-recorded" # the next boot has nothing to check
            testbed-powercut
            fail "testbed-powercut returned"
        fi
        return
    fi
    tstamp "gate fired"
    "hold_$((i + 1))" "$kind"
    "evidence_$((i + 1))" "$kind"
    tstamp "held mid-step"
    t0=$(now)
    if [ "$kind" = p ]; then
        printf '%s\n%s\n' "$t0" "$(IFS=$'\x1f'; echo "${notes[*]}")" >"$out/cut-pending"
        printf '%s\n' "${errs[@]}" >"$out/cut-errs"
        testbed-powercut
        fail "testbed-powercut returned"
    fi
    systemctl kill -s KILL daxmgrd
    # strace (the mount's cell) keeps a tracee killed during its delay until the delay is over
    # (strace 6.1: "pid N has delayed wait data set already"): let the dying worker go now.
    if [ -n "${STRACE_PID:-}" ]; then
        kill -KILL "$STRACE_PID" 2>/dev/null || true
        STRACE_PID=
    fi
    echo "killed daxmgrd (and its worker) mid-step"
    sleep 1.5
    check_all "$t0"
    tstamp "converged and checked"
    "check_$((i + 1))" "$kind"
    [ "$i" -lt 3 ] || check_cell_fs
    tstamp "file systems checked"
    record_cell "$i" "$kind"
}

# checkpoint_root: what is on the root file system so far made durable AND checkpointed out of
# its ext4 journal (a freeze does both; the thaw follows at once), so that the power cut's
# journal recovery replays only what the cut's cell wrote.  With a mere sync, the recovery
# scans every transaction since the last checkpoint (the package install, the programs, the
# previous cells): under TCG that took 93-390 s of the next boot, before systemd even started.
# The cut itself is as before: a reset that loses the page cache, the cell's writes with it.
checkpoint_root() {
    sync
    fsfreeze --freeze / && fsfreeze --unfreeze /
}

# After the power cut of step INDEX: check and record it.
after_cut() {
    local i=$1 t0 n
    step "${STEPS[$i]} × power cut: after the reboot"
    if [ -f "$out/cut-recorded" ]; then
        rm -f "$out/cut-recorded"
        return
    fi
    t0=$(sed -n 1p "$out/cut-pending")
    IFS=$'\x1f' read -r -a notes <<<"$(sed -n 2p "$out/cut-pending")"
    while IFS= read -r n; do [ -z "$n" ] || errs+=("$n"); done <"$out/cut-errs"
    check_all "$t0"
    tstamp "converged and checked"
    notes=("${notes[@]/#converged in/converged (reboot included) in}")
    "check_$((i + 1))" p
    [ "$i" -lt 3 ] || check_cell_fs
    tstamp "file systems checked"
    record_cell "$i" p
}

# short RESULT TEXT: a cell of the table ("ok: converged 7.8 s, undone+reported, xfs clean").
short() {
    local r=$1 t=$2 out
    if [ "$r" != pass ]; then
        printf 'FAIL: %s' "${t#FAIL: }" | cut -c1-60
        return
    fi
    out="ok: converged $(sed -n 's/.*converged[^;]* in \([0-9.]*\) s.*/\1/p' <<<"$t") s"
    if [[ "$t" == *half-made* || "$t" == *"removed /"* ]]; then
        out+=", undone+reported"
    elif [[ "$t" == *reported:* ]]; then
        out+=", recovery ran"
    fi
    [[ "$t" != *clean* ]] || out+=", xfs clean"
    printf '%s' "$out"
}
print_table() {
    local i k v cells
    echo
    echo "Outcome of each fault (times from the fault to convergence; a power cut's includes the reboot)."
    echo "Every cell also checked: plan empty, no problem, namespaces/mounts/zones/placements as configured,"
    echo "every placed copy's sha256 = its source's, no temporary copy or state file, the user's file intact."
    echo
    printf '%-19s | %-50s | %s\n' "step" "SIGKILL of daxmgrd" "power cut of the guest"
    printf '%s\n' "$(printf '%.0s-' {1..125})"
    for ((i = 0; i < NSTEPS; i++)); do
        cells=()
        for k in k p; do
            v=$(awk -F'\t' -v i="$i" -v k="$k" '$1 == i && $2 == k { print $3 "\t" $4 }' "$TSV" | tail -n 1)
            if [ -z "$v" ]; then
                cells+=("NOT RUN")
            else
                cells+=("$(short "${v%%$'\t'*}" "${v#*$'\t'}")")
            fi
        done
        printf '%-19s | %-50s | %s\n' "${STEPS[$i]}" "${cells[0]}" "${cells[1]}"
    done
    echo
    echo "In detail (where the fault landed; what the daemon said it undid):"
    while IFS=$'\t' read -r i k v t; do
        printf '  %s × %s: %s\n' "${STEPS[$i]}" "$([ "$k" = k ] && echo SIGKILL || echo "power cut")" "$t"
    done <"$TSV"
    echo
}

# ---------------------------------------------------------------- boot 1: the world
if [ "$boot" = 1 ]; then
    : >"$TSV"
    rm -f "$out"/cut-*
    step "setup: programs to place, the base configuration, the user's file"
    mkdir -p /opt
    for k in k p; do
        cp "$SLEEPER" "/opt/daxmgr-big-$k"
        head -c "${BIG_MIB}M" /dev/urandom >>"/opt/daxmgr-big-$k"
        for s in f g; do
            cp "$SLEEPER" "/opt/daxmgr-small-$s$k"
            head -c 64K /dev/urandom >>"/opt/daxmgr-small-$s$k"
        done
    done
    tstamp "programs written"
    for f in /opt/daxmgr-big-* /opt/daxmgr-small-*; do sha "$f" >"$out/sha-$(basename "$f")"; done
    tstamp "programs hashed"
    write_config <<CONF
[Namespace cell]
Region=region0
Mode=fsdax
Size=1G
Filesystem=xfs
MountPoint=$CELL

# A zone from the start: the state file exists, and the worker reads it before every step.
[Zone base]
Namespace=cell
CONF
    systemctl enable --now daxmgrd
    wait_settled 300
    tstamp "daemon enabled and settled"
    head -c 4M /dev/urandom >"$CELL/userfile"
    sync "$CELL/userfile"
    sha "$CELL/userfile" >"$out/sha-userfile"
    sync
fi

# ---------------------------------------------------------------- every boot
tstamp "boot $boot: the test starts"
if [ "$boot" -gt 1 ]; then
    dmesg | grep -E 'Run /init|EXT4-fs \(vda\)|systemd\[1\]: systemd [0-9]' | sed 's/^/boot: /' || true
    t=$(systemd-analyze time 2>/dev/null | head -1) && echo "boot: $t"
    systemd-analyze blame --no-pager 2>/dev/null | head -8 | sed 's/^/boot: blame: /' || true
    after_cut $((boot - 2))
fi
if [ "$boot" -le "$NSTEPS" ]; then
    run_step $((boot - 1)) k
    checkpoint_root # what came before the cut is not under test
    run_step $((boot - 1)) p
fi

# ---------------------------------------------------------------- the end
step "faults × steps"
print_table | tee "$out/faults.txt"
check_eq "cells run" $((2 * NSTEPS)) "$(wc -l <"$TSV")"
nfail=$(awk -F'\t' '$3 != "pass"' "$TSV" | wc -l)
check_eq "cells failed" 0 "$nfail"
rm -f /opt/daxmgr-big-* /opt/daxmgr-small-*
