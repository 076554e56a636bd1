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
    jq 'if type == "array" then . else [.] end' <<<"$out"
}
