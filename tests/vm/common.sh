# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034,SC2154
#
# Helpers shared by tests/vm/build-guest, tests/vm/run and tests/vm/selftest (sourced, not run).
# The caller sets PROG (its name, for messages) before sourcing.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd "$VM_DIR/../.." && pwd -P)
CACHE_ROOT=${DAXMGR_CACHE:-$REPO_DIR/.cache}

# The Debian releases the test bed boots, each from its own packages (kernel, systemd, udev,
# dbus, polkit, ndctl). Debian 13, the current stable, is the default; DAXMGR_DISTRO or a
# script's --distro picks another. Aliases: 12, 13, testing.
DISTROS="bookworm trixie forky"
DEFAULT_DISTRO=trixie
distro_canonical() {
    case "$1" in
        bookworm | 12 | debian-12) echo bookworm ;;
        trixie | 13 | debian-13) echo trixie ;;
        forky | testing | debian-testing) echo forky ;;
        *) return 1 ;;
    esac
}
distro_describe() {
    case "$1" in
        bookworm) echo "Debian 12 (bookworm)" ;;
        trixie) echo "Debian 13 (trixie)" ;;
        forky) echo "Debian testing (forky)" ;;
    esac
}
# distro_apt_sources DISTRO: its apt source lines, one per line: the stable releases with their
# -updates and -security suites (as a user's, and a buildd's, system has them); testing has
# neither.
distro_apt_sources() {
    local mirror=${DAXMGR_MIRROR:-http://deb.debian.org/debian}
    local security=${DAXMGR_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
    printf 'deb %s %s main\n' "$mirror" "$1"
    case "$1" in
        forky) ;;
        *) printf 'deb %s %s-updates main\ndeb %s %s-security main\n' "$mirror" "$1" "$security" "$1" ;;
    esac
}
# Sets DISTRO and the per-distribution paths: CACHE_DIR (the guest's layers), GUEST_ENV.
set_distro() {
    DISTRO=$(distro_canonical "$1") ||
        die "unknown distribution '$1'" "known: $DISTROS (aliases: 12, 13, testing)"
    CACHE_DIR=$CACHE_ROOT/vm/$DISTRO
    GUEST_ENV=$CACHE_DIR/guest.env
}

# An unexpected failure (set -e) says where it happened instead of ending silently; die()
# exits with 2 after its own message, so that status is not reported twice.
set -E
trap '_err_rc=$?; [ "$_err_rc" -eq 2 ] || printf "%s: internal error: \"%s\" failed with status %s (line %s); please report\n" "$PROG" "$BASH_COMMAND" "$_err_rc" "$LINENO" >&2' ERR

# Messages go to stderr so that stdout stays usable for results.
say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$PROG" "$1" >&2
    shift
    local line
    for line in "$@"; do printf '  %s\n' "$line" >&2; done
    exit "${DIE_STATUS:-2}"
}

# The comment block at the top of a script (after the shebang and SPDX lines) is its help.
print_help() { awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$1"; }

# Monotonic-enough seconds with two decimals, for "took N s" messages.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Free space in MiB on the file system holding $1 (or its nearest existing parent).
free_mib() {
    local d=$1
    while [ ! -e "$d" ]; do d=$(dirname "$d"); done
    df -Pk "$d" | awk 'NR == 2 { printf "%d", $4 / 1024 }'
}

# The guest image with a stage's daxmgr packages already installed (tests/vm/build-guest --debs):
# its path depends on the base image and on the packages' bytes, so that an image never stands
# for other packages than its name says, and runs of different stages can share the cache.
installed_image() { # image-stamp stage-dir
    local h
    h=$({
        printf '%s\n' "$1"
        find "$2" -maxdepth 1 -name '*.deb' -print0 | sort -z | xargs -0r sha256sum | cut -d' ' -f1
    } | sha256sum | cut -c1-16)
    printf '%s/installed/%s.img\n' "$CACHE_DIR" "$h"
}

# Per-run directories (root overlay, NVDIMM backing files, QMP fifos), removed after each run.
# Kept apart from the guest's cache, so that `rm -rf .cache/vm` cannot pull them from under a
# running QEMU.
RUNS_DIR=$CACHE_ROOT/vm-runs

# The guest's files, built by build-guest; run reads guest.env to find them.
set_distro "${DAXMGR_DISTRO:-$DEFAULT_DISTRO}"

# Guest slots that several runs share (tests/run-all): a directory of slot.N files; a boot holds
# one by an flock for as long as the (sub)shell that took it lives. A boot waiting for a slot
# leaves want.PID there, holding how long it is expected to take (seconds), and a free slot goes
# to the longest of the waiting boots (on a tie, the one that asked first), whichever release's
# run it belongs to: the long boots of every release start first, and the short ones fill in at
# the end, so that no long boot is left to run alone while the other slot idles.
slot_first_in_line() { # dir want-file seconds: is no other live waiter longer (or as long and earlier)?
    local w mine=$3 other
    for w in "$1"/want.*; do
        [ -e "$w" ] && [ "$w" != "$2" ] || continue
        if ! kill -0 "${w##*.}" 2>/dev/null; then
            rm -f "$w" # its boot was killed before it got a slot
            continue
        fi
        other=$(cat "$w" 2>/dev/null) || continue
        [[ "$other" =~ ^[0-9]+$ ]] || continue
        if [ "$other" -gt "$mine" ] || { [ "$other" -eq "$mine" ] && [ "$w" -ot "$2" ]; }; then
            return 1
        fi
    done
    return 0
}
slot_acquire() { # dir expected-seconds
    local dir=$1 want=$1/want.$BASHPID f fd
    [[ "$2" =~ ^[0-9]+$ ]] || die "slot_acquire: expected seconds '$2' is not a number"
    printf '%s\n' "$2" >"$want"
    while :; do
        if slot_first_in_line "$dir" "$want" "$2"; then
            for f in "$dir"/slot.*; do
                [ -e "$f" ] || die "$dir has no slot.* files"
                exec {fd}>>"$f"
                if flock -n "$fd"; then
                    rm -f "$want"
                    SLOT_FD=$fd # held while this fd is open, in this process or a child
                    return 0
                fi
                exec {fd}>&-
            done
        fi
        sleep 0.5
    done
}
