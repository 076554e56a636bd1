#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 900
#
# Issue 3's benchmark: create + format + mount a 1 GiB fsdax namespace through lib/
# (daxmgr-tool) and by hand (ndctl + mkfs.ext4 + mount), alternating, 5 rounds each; the median
# of each and their ratio (goal: lib/ <= 1.1 x by hand). Then the time of a full topology
# snapshot with 2 regions and 8 namespaces (median of 10), next to `ndctl list -RND`.
set -euo pipefail
TOOL=/usr/libexec/daxmgr/daxmgr-tool
out=${DAXMGR_TEST_OUT:-/tmp}
fig=$out/figures.txt
rounds=5
ms() { date +%s%N | cut -c1-13; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
ns_field() { ndctl list -N | jq -r --arg n "$1" "if type == \"array\" then .[] else . end | select(.name == \$n) | .$2"; }
blockdev_of() { ns_field "$1" blockdev; }
mkdir -p /mnt/bench

# Each step's time is kept too, to see where a difference comes from.
by_lib() {
    local a b c d
    a=$(ms); "$TOOL" create-namespace --region region0 --mode fsdax --map mem --size 1G --name bench-lib >/dev/null
    b=$(ms); blk=$(blockdev_of bench-lib)
    c=$(ms); "$TOOL" format "/dev/$blk" --fs ext4 >/dev/null
    d=$(ms); "$TOOL" mount "/dev/$blk" /mnt/bench >/dev/null
    echo "$((b - a)) $((d - c)) $(($(ms) - d))" >>"$out/lib-steps.ms"
}
by_hand() {
    local a b c d
    a=$(ms); ndctl create-namespace -r region0 -m fsdax -M mem -s 1G -n bench-hand >/dev/null
    b=$(ms); blk=$(blockdev_of bench-hand)
    c=$(ms); mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "/dev/$blk"
    d=$(ms); mount -o dax=always "/dev/$blk" /mnt/bench
    echo "$((b - a)) $((d - c)) $(($(ms) - d))" >>"$out/hand-steps.ms"
}
undo() {
    umount /mnt/bench
    ndctl destroy-namespace -f "$(ns_field "$1" dev)" >/dev/null
}

: >"$out/lib.ms"
: >"$out/hand.ms"
: >"$out/lib-steps.ms"
: >"$out/hand-steps.ms"
for i in $(seq $rounds); do
    t0=$(ms); by_lib; t1=$(ms); undo bench-lib
    t2=$(ms); by_hand; t3=$(ms); undo bench-hand
    echo $((t1 - t0)) >>"$out/lib.ms"
    echo $((t3 - t2)) >>"$out/hand.ms"
    echo "round $i: lib/ $((t1 - t0)) ms, by hand $((t3 - t2)) ms"
done
lib=$(median <"$out/lib.ms")
hand=$(median <"$out/hand.ms")
{
    echo "create+format+mount 1 GiB fsdax (median of $rounds, TCG guest):"
    echo "  through lib/ (daxmgr-tool): $lib ms"
    echo "  by hand (ndctl, mkfs.ext4, mount): $hand ms"
    awk -v a="$lib" -v b="$hand" 'BEGIN {printf "  ratio lib/ / by hand: %.2f (goal <= 1.10)\n", a / b}'
    for who in lib hand; do
        printf '  %s steps (median ms): create %s, format %s, mount %s\n' "$who" \
            "$(cut -d' ' -f1 "$out/$who-steps.ms" | median)" "$(cut -d' ' -f2 "$out/$who-steps.ms" | median)" \
            "$(cut -d' ' -f3 "$out/$who-steps.ms" | median)"
    done
} | tee "$fig"

for r in region0 region1; do
    for i in 1 2 3 4; do
        "$TOOL" create-namespace --region $r --size 128M --name "snap-$r-$i" >/dev/null
    done
done
: >"$out/snap.ms"
: >"$out/ndctl.ms"
for i in $(seq 10); do
    t0=$(ms); "$TOOL" topology >/dev/null; t1=$(ms)
    ndctl list -RND >/dev/null; t2=$(ms)
    echo $((t1 - t0)) >>"$out/snap.ms"
    echo $((t2 - t1)) >>"$out/ndctl.ms"
done
{
    echo "topology snapshot, 2 regions and 8 namespaces (median of 10, including process start):"
    echo "  daxmgr-tool topology: $(median <"$out/snap.ms") ms"
    echo "  ndctl list -RND (for reference): $(median <"$out/ndctl.ms") ms"
} | tee -a "$fig"
for r in region0 region1; do
    for i in 1 2 3 4; do "$TOOL" destroy-namespace --force "snap-$r-$i" >/dev/null; done
done
