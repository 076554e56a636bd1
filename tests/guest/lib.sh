# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for guest tests (sourced, not run). Guest tests run as root inside the test-bed
# guest with the project's build installed; exit 0 = pass, 77 = skip, anything else = fail.

set -euo pipefail

PROBE=${PROBE:-/usr/libexec/daxmgr/daxmgr-xip-probe}

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
skip() { printf 'SKIP: %s\n' "$*" >&2; exit 77; }
step() { printf -- '--- %s\n' "$*"; }

# check_eq WHAT EXPECTED ACTUAL
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

# Tests of one topology share a boot: whatever namespaces and pmem mounts a test leaves behind
# would change the next test's world. So each test records the namespaces there were when it
# started (on its first boot) and, on exit, unmounts and destroys what it added.
_testbed_initial=${DAXMGR_TEST_OUT:-/tmp}/.namespaces-at-start
if [ "${DAXMGR_TEST_BOOT:-1}" = 1 ] || [ ! -f "$_testbed_initial" ]; then
    ndctl list -N 2>/dev/null | jq -r 'if type == "array" then .[] else . end | .dev' 2>/dev/null \
        >"$_testbed_initial" || true
fi
_testbed_cleanup() {
    local rc=$? dev blk
    set +e
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
