#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 900
#
# Issue 3's benchmark: create + format + mount a 1 GiB fsdax namespace through lib/
# (daxmgr-tool) and by hand (ndctl + mkfs.ext4 + mount), alternating, 5 rounds each; the median
# of each and their ratio (goal: lib/ <= 1.1 x by hand). Then the time of a full topology
# snapshot with 2 regions and 8 namespaces (median of 10), next to `ndctl list -RND`.
# Lines "TABLE<TAB>figure<TAB>value<TAB>goal<TAB>verdict" in figures.txt are bench/run's summary.
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

# lib/ in one process, as the daemon will call it.
by_lib_one() {
    "$TOOL" provision --region region0 --map mem --size 1G --name bench-lib /mnt/bench >/dev/null
}
# lib/ through three daxmgr-tool calls; the block device must be looked up in between.
by_lib() {
    "$TOOL" create-namespace --region region0 --mode fsdax --map mem --size 1G --name bench-lib >/dev/null
    blk=$(blockdev_of bench-lib)
    "$TOOL" format "/dev/$blk" --fs ext4 >/dev/null
    "$TOOL" mount "/dev/$blk" /mnt/bench >/dev/null
}
# As a person would: the block device is in create-namespace's own output (no extra lookup).
by_hand() {
    created=$(ndctl create-namespace -r region0 -m fsdax -M mem -s 1G -n bench-hand)
    [[ $created =~ \"blockdev\":\"([a-z0-9.]+)\" ]] && blk=${BASH_REMATCH[1]}
    mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "/dev/$blk"
    mount -o dax=always "/dev/$blk" /mnt/bench
}
# The same steps with a timer between them, in separate rounds (the timers cost time too).
steps_lib() {
    local a b c d
    a=$(ms); "$TOOL" create-namespace --region region0 --mode fsdax --map mem --size 1G --name bench-lib >/dev/null
    b=$(ms); blk=$(blockdev_of bench-lib)
    c=$(ms); "$TOOL" format "/dev/$blk" --fs ext4 >/dev/null
    d=$(ms); "$TOOL" mount "/dev/$blk" /mnt/bench >/dev/null
    echo "$((b - a)) $((d - c)) $(($(ms) - d))" >>"$out/lib-steps.ms"
}
steps_hand() {
    local a b c d
    a=$(ms); created=$(ndctl create-namespace -r region0 -m fsdax -M mem -s 1G -n bench-hand)
    b=$(ms); [[ $created =~ \"blockdev\":\"([a-z0-9.]+)\" ]] && blk=${BASH_REMATCH[1]}
    c=$(ms); mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "/dev/$blk"
    d=$(ms); mount -o dax=always "/dev/$blk" /mnt/bench
    echo "$((b - a)) $((d - c)) $(($(ms) - d))" >>"$out/hand-steps.ms"
}
undo() {
    umount /mnt/bench
    ndctl destroy-namespace -f "$(ns_field "$1" dev)" >/dev/null
}

: >"$out/lib.ms"
: >"$out/one.ms"
: >"$out/hand.ms"
: >"$out/lib-steps.ms"
: >"$out/hand-steps.ms"
for i in $(seq $rounds); do
    t0=$(ms); by_lib; t1=$(ms); undo bench-lib
    t2=$(ms); by_hand; t3=$(ms); undo bench-hand
    t4=$(ms); by_lib_one; t5=$(ms); undo bench-lib
    echo $((t1 - t0)) >>"$out/lib.ms"
    echo $((t3 - t2)) >>"$out/hand.ms"
    echo $((t5 - t4)) >>"$out/one.ms"
    echo "round $i: lib/ in one process $((t5 - t4)) ms, lib/ as three tool calls $((t1 - t0)) ms, by hand $((t3 - t2)) ms"
done
for i in 1 2 3; do
    steps_lib; undo bench-lib
    steps_hand; undo bench-hand
done
lib=$(median <"$out/lib.ms")
one=$(median <"$out/one.ms")
hand=$(median <"$out/hand.ms")
{
    echo "create+format+mount 1 GiB fsdax (median of $rounds, TCG guest):"
    echo "  through lib/ in one process (daxmgr-tool provision, as the daemon): $one ms"
    echo "  through lib/ as three daxmgr-tool calls: $lib ms"
    echo "  by hand (ndctl, mkfs.ext4, mount): $hand ms"
    awk -v a="$one" -v b="$hand" 'BEGIN {printf "  ratio lib/ (one process) / by hand: %.2f (goal <= 1.10)\n", a / b}'
    awk -v a="$lib" -v b="$hand" 'BEGIN {printf "  ratio lib/ (three tool calls) / by hand: %.2f\n", a / b}'
    for who in lib hand; do
        printf '  %s steps (median ms): create %s, format %s, mount %s\n' "$who" \
            "$(cut -d' ' -f1 "$out/$who-steps.ms" | median)" "$(cut -d' ' -f2 "$out/$who-steps.ms" | median)" \
            "$(cut -d' ' -f3 "$out/$who-steps.ms" | median)"
    done
    # bench/run's summary
    awk -v a="$one" -v b="$hand" 'BEGIN {printf "TABLE\tprovision 1 GiB fsdax+ext4+mount: lib/ / by hand\t%.2f (%d / %d ms)\t<= 1.10\t%s\n", a / b, a, b, a / b <= 1.10 ? "met" : "missed"}'
    printf 'TABLE\tprovision, lib/ steps: create / mkfs.ext4 / DAX mount\t%s / %s / %s ms\t-\t-\n' \
        "$(cut -d' ' -f1 "$out/lib-steps.ms" | median)" "$(cut -d' ' -f2 "$out/lib-steps.ms" | median)" \
        "$(cut -d' ' -f3 "$out/lib-steps.ms" | median)"
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
