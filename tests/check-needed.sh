#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-needed.sh PROGRAM LIBRARY...: fails when PROGRAM's dynamic section names one of the
# LIBRARYs (a name prefix, such as "libndctl"). The CLI is a D-Bus client: it must not load the
# libraries that act on devices (lib/meson.build's base library is what it links).
set -eu
prog=$1
shift
needed=$(readelf -d "$prog" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || { echo "check-needed: no NEEDED entries read from $prog" >&2; exit 1; }
bad=0
for lib in "$@"; do
    for n in $needed; do # one name per line, no spaces in a soname
        case "$n" in
            "$lib".so*) echo "check-needed: $prog links $n" >&2; bad=1 ;;
        esac
    done
done
[ "$bad" = 0 ] && printf '%s: %s\n' "$prog" "$(printf '%s\n' "$needed" | tr '\n' ' ')"
exit "$bad"
