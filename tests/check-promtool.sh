#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# promtool (Debian's prometheus package; tools/install-deps check installs it) on what daxmgr
# ships for Prometheus:
#   check-promtool.sh RENDER FACTS RULES [METRICS...]
# `promtool check metrics` on the text RENDER (tests/tools/metrics-render.c) makes of the facts
# fixture FACTS and on each METRICS file (text captured from a daemon, e.g. by the guest test
# 80-cli.sh), and `promtool check rules` on the alert rules RULES (docs/examples/). Skipped (77)
# where promtool is not installed, as in a package build.
set -euo pipefail

if ! command -v promtool >/dev/null; then
    echo "promtool is not installed: run tools/install-deps check (Debian's prometheus package)"
    exit 77
fi
render=$1 facts=$2 rules=$3
shift 3
promtool --version | head -n 1
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$render" "$facts" >"$tmp"
echo "promtool check metrics < $(basename "$facts") rendered:"
promtool check metrics <"$tmp"
for f in "$@"; do
    echo "promtool check metrics < $f:"
    promtool check metrics <"$f"
done
echo "promtool check rules $rules:"
promtool check rules "$rules"
