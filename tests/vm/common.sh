# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034,SC2154
#
# Helpers shared by tests/vm/build-guest, tests/vm/run and tests/vm/selftest (sourced, not run).
# The caller sets PROG (its name, for messages) before sourcing.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd "$VM_DIR/../.." && pwd -P)
CACHE_DIR=${DAXMGR_CACHE:-$REPO_DIR/.cache}/vm

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

# The guest's files, built by build-guest; run reads guest.env to find them.
GUEST_ENV=$CACHE_DIR/guest.env
# Per-run directories (root overlay, NVDIMM backing files, QMP fifos), removed after each run.
# Kept apart from the guest's cache, so that `rm -rf .cache/vm` cannot pull them from under a
# running QEMU.
RUNS_DIR=${DAXMGR_CACHE:-$REPO_DIR/.cache}/vm-runs
