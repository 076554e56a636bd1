# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for guest tests (sourced, not run). Guest tests run as root inside the test-bed
# guest with the project's build installed; exit 0 = pass, 77 = skip, anything else = fail.

set -euo pipefail

PROBE=${PROBE:-/usr/libexec/daxmgr/daxmgr-xip-probe}

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
skip() { printf 'SKIP: %s\n' "$*" >&2; exit 77; }
# step WHAT: a heading in the test's log, with the seconds since the test started (its first
# boot for a test that reboots: DAXMGR_TEST_START_US from the harness), to find the slow steps.
_STEP_T0=${DAXMGR_TEST_START_US:-${EPOCHREALTIME/./}}
step() {
    local t=$(((${EPOCHREALTIME/./} - _STEP_T0) / 100000))
    printf -- '--- [+%d.%d s] %s\n' $((t / 10)) $((t % 10)) "$*"
}

# check_eq WHAT EXPECTED ACTUAL
# make_bigtext PATH: an 8 MiB ELF PIE of one r-x PT_LOAD with p_align 2 MiB (text of ret
# instructions): 4 PMD-eligible 2 MiB windows, 100 % of its text.
make_bigtext() {
    python3 - "$1" <<'PY'
import struct, sys
size = 8 << 20
eh = struct.pack("<4s5B7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, bytes(7), 3, 62, 1, 0x1000, 64, 0, 0,
                 64, 56, 1, 64, 0, 0)
ph = struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, size, size, 2 << 20)
data = bytearray(b"\xc3" * size)
data[0:len(eh) + len(ph)] = eh + ph
open(sys.argv[1], "wb").write(data)
PY
    chmod 755 "$1"
}
# make_bigpie PATH: a 10 MiB ELF PIE as a linker with 4 KiB p_align lays one out, that runs: a
# PT_INTERP (ld.so) and an empty dynamic section, text [4 KiB, 10 MiB + 4 KiB) with p_align 4 KiB
# (PMD-eligible windows at 2, 4, 6 and 8 MiB), and a rw- PT_LOAD whose address is 4 KiB past its
# offset (congruent modulo 4 KiB, not 2 MiB). Its code reads one byte of each window, then sleeps
# in nanosleep() (wait_asleep) until killed.
make_bigpie() {
    python3 - "$1" <<'PY'
import struct, sys
text_end = 0xA01000
size = text_end + 0x1000
interp = b"/lib64/ld-linux-x86-64.so.2\0"
phnum = 6
iof = 64 + 56 * phnum
dv = text_end + 0x1000                            # the dynamic section's address
eh = struct.pack("<4s5B7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, bytes(7), 3, 62, 1, 0x1000, 64, 0, 0,
                 64, 56, phnum, 64, 0, 0)
ph = b"".join(struct.pack("<IIQQQQQQ", *p) for p in [
    (6, 4, 64, 64, 64, 56 * phnum, 56 * phnum, 8),                                   # PT_PHDR
    (3, 4, iof, iof, iof, len(interp), len(interp), 1),                              # PT_INTERP
    (1, 4, 0, 0, 0, 0x1000, 0x1000, 0x1000),                                         # r--
    (1, 5, 0x1000, 0x1000, 0x1000, text_end - 0x1000, text_end - 0x1000, 0x1000),    # r-x
    (1, 6, text_end, dv, dv, 0x1000, 0x2000, 0x1000),                                # rw-
    (2, 6, text_end, dv, dv, 80, 80, 8),                                             # PT_DYNAMIC
])
# lea rax, [base + 2 MiB]; 4 times: mov dl, [rax]; add rax, 2 MiB; then nanosleep({600, 0}) forever
code = bytes.fromhex("488d05f9ef1f00b9040000008a10480500002000ffc975f4"
                     "6a0068580200004889e731f6b8230000000f05ebf2")
data = bytearray(size)
data[0:64 + len(ph)] = eh + ph
data[iof:iof + len(interp)] = interp
data[0x1000:text_end] = b"\xc3" * (text_end - 0x1000)
data[0x1000:0x1000 + len(code)] = code
# DT_STRTAB, DT_SYMTAB (empty, in the rw- page), DT_STRSZ, DT_SYMENT, DT_NULL: what ld.so reads
data[text_end:text_end + 80] = struct.pack("<10Q", 5, dv + 0x100, 6, dv + 0x200, 10, 1, 11, 24, 0, 0)
open(sys.argv[1], "wb").write(data)
PY
    chmod 755 "$1"
}
check_eq() {
    if [ "$2" != "$3" ]; then
        fail "$1: expected '$2', got '$3'"
    fi
    printf 'ok: %s = %s\n' "$1" "$3"
}

# check_ge WHAT MIN ACTUAL (integers)
check_ge() {
    if ! [ "$3" -ge "$2" ] 2>/dev/null; then
        fail "$1: expected at least $2, got '$3'"
    fi
    printf 'ok: %s = %s (>= %s)\n' "$1" "$3" "$2"
}

# kv KEY FILE: the value of "KEY=value" in a key=value report
kv() {
    local v
    v=$(sed -n "s/^$1=//p" "$2" | head -n 1)
    [ -n "$v" ] || fail "no '$1' in $2: $(cat "$2")"
    printf '%s' "$v"
}

# run_probe EXE OUT: run the XIP probe binary EXE, keep its report in OUT, show it
run_probe() {
    "$1" >"$2" || fail "$1 exited with $?: $(cat "$2")"
    sed 's/^/    /' "$2"
}

# ndctl_json ARGS...: run "ndctl ARGS" and print its JSON as an array. ndctl prints a lone
# object instead of a one-element array, and nothing at all for an empty list.
ndctl_json() {
    local out
    out=$(ndctl "$@") || fail "ndctl $* failed"
    [ -n "$out" ] || out='[]'
    # With -v ndctl wraps regions in their bus ({"provider": …, "regions": […]}): unwrap.
    jq 'if type == "array" then . else [.] end
        | if length > 0 and (.[0] | type) == "object" and (.[0] | has("dev") | not) and (.[0] | has("regions"))
          then [.[].regions[]] else . end' <<<"$out"
}

TOOL=${TOOL:-/usr/libexec/daxmgr/daxmgr-tool}

# check_named PID NAME: the process is known by NAME, as tools find processes: its comm (the
# kernel keeps 15 characters), pidof, ps -C and killall; prints what each says, with its exe.
check_named() {
    local pid=$1 name=$2
    check_eq "/proc/$pid/comm" "${name:0:15}" "$(cat "/proc/$pid/comm")"
    printf '    exe: %s\n    cmdline: %s\n' "$(readlink "/proc/$pid/exe")" "$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    printf '    $ pidof %s\n    %s\n' "$name" "$(pidof "$name")"
    pidof "$name" | tr ' ' '\n' | grep -qx "$pid" || fail "pidof $name does not find $pid"
    echo "ok: pidof $name finds $pid"
    ps -C "$name" -o pid=,comm= | sed 's/^/    ps -C: /'
    # shellcheck disable=SC2009 # the test is that ps itself finds the process
    ps -C "$name" -o pid= | grep -qw "$pid" || fail "ps -C $name does not find $pid"
    echo "ok: ps -C $name finds $pid"
    if command -v killall >/dev/null; then
        killall -v -0 "$name" 2>&1 | grep -q "($pid)" || fail "killall $name does not find $pid"
        echo "ok: killall -0 $name finds $pid"
    fi
}

# wait_asleep PID [SECS]: until the process is blocked in nanosleep or clock_nanosleep, i.e. it
# started, loaded what it runs and went to sleep: what a fixed "sleep 1" after starting a
# sleeping program only hoped for, without its second of waiting. Fails after SECS (default 30).
wait_asleep() {
    local pid=$1 secs=${2:-30} nr='?' rest i
    for ((i = 0; i < secs * 20; i++)); do
        read -r nr rest <"/proc/$pid/syscall" || fail "process $pid is gone before it went to sleep"
        case $nr in 35 | 230) return 0 ;; esac
        sleep 0.05
    done
    fail "process $pid did not go to sleep in ${secs}s (in system call $nr)"
}

# Tests of one topology share a boot: whatever namespaces and pmem mounts a test leaves behind
# would change the next test's world. So each test records the namespaces there were when it
# started (on its first boot) and, on exit, unmounts and destroys what it added.
_testbed_initial=${DAXMGR_TEST_OUT:-/tmp}/.namespaces-at-start
if [ "${DAXMGR_TEST_BOOT:-1}" = 1 ] || [ ! -f "$_testbed_initial" ]; then
    ndctl list -N 2>/dev/null | jq -r 'if type == "array" then .[] else . end | .dev' 2>/dev/null \
        >"$_testbed_initial" || true
fi
# Sanitizer reports (a stage from tools/build-stage --sanitize; nothing to find otherwise).
# The daemon's go to /var/log/daxmgr-asan/daxmgrd.PID (systemd/daxmgrd-sanitize.conf): each
# one found fails the test and moves to DAXMGR_TEST_OUT, so that the host keeps it and the next
# test does not fail on it again (one from the daxmgrd udev started at boot is found by the
# first test after it stopped). A report that reached the daemon's journal instead, or the test's own log
# (the CLI's and daxmgr-tool's reports go to stderr, and expect_fail shows what it got), fails
# the test too. Every test, whether it runs the daemon or only the CLI and daxmgr-tool.
_SANITIZER_LOGS=/var/log/daxmgr-asan
_SANITIZER_SINCE=$EPOCHSECONDS # date +%s, without starting date(1)
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

_testbed_cleanup() {
    local rc=$? dev blk
    set +e
    _sanitizer_check || [ $rc -ne 0 ] || rc=1
    for dev in $(ndctl list -N 2>/dev/null | jq -r 'if type == "array" then .[] else . end | .dev' 2>/dev/null); do
        grep -qx "$dev" "$_testbed_initial" 2>/dev/null && continue
        blk=$(ndctl list -n "$dev" 2>/dev/null | jq -r 'if type == "array" then .[0] else . end | .blockdev // empty')
        if [ -n "$blk" ]; then
            findmnt -rno TARGET "/dev/$blk" | while read -r m; do umount -l "$m"; done
            # ndctl does not erase: without this, the next namespace laid over the same space
            # would show this one's filesystem.
            wipefs -qa "/dev/$blk" >/dev/null 2>&1
        fi
        ndctl destroy-namespace -f "$dev" >/dev/null 2>&1 || echo "cleanup: could not destroy $dev" >&2
    done
    exit $rc
}
trap _testbed_cleanup EXIT

# expect_fail WORDS CMD...: CMD must fail and its stderr must contain WORDS.
expect_fail() {
    local words=$1 err rc=0
    shift
    err=$("$@" 2>&1 >/dev/null) || rc=$?
    [ $rc -ne 0 ] || fail "'$*' succeeded; expected a failure saying '$words'"
    case "$err" in
        *"$words"*) printf 'ok: refused: %s\n' "$err" ;;
        *) fail "'$*' failed (exit $rc) without saying '$words': $err" ;;
    esac
}

# ndctl_ns FIELD KEY: a field of the namespace whose name is KEY, as ndctl lists it
ndctl_ns() {
    ndctl_json list -N -v | jq -r --arg n "$2" ".[] | select(.name == \$n) | .$1 // empty"
}
