#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 300
# expect: 130
#
# Activation (c), the host-wide bind mount, only when asked: every process then runs the placed
# copy from the original path (100% in pmem), and the documented caveat is real: a package
# manager's rename() onto the bound path fails with EBUSY until it is unbound. Activation (b),
# the zone's bin/ entry point, with the loader and libraries placed. Both keep the program's
# name (comm, pidof, ps -C, killall). And the ELF advice.
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT
export DAXMGR_STATE_DIR=$out/state
STATIC=/usr/libexec/daxmgr/daxmgr-static-sleeper

if [ "${DAXMGR_TEST_BOOT:-1}" = 1 ]; then
    ndctl create-namespace -r region0 -m fsdax -M mem -s 1G -n act-ns >/dev/null
    blk=$(ndctl_ns blockdev act-ns)
    mkfs.ext4 -q -F -b 4096 "/dev/$blk"
    mkdir -p /mnt/act && mount -o dax=always "/dev/$blk" /mnt/act
    "$TOOL" zone-create /mnt/act/zone
    zone=/mnt/act/zone

    step "host-wide bind mount: the original path runs the placed copy"
    install -m 0755 "$STATIC" /usr/local/bin/xip-bound
    "$TOOL" place "$zone" /usr/local/bin/xip-bound
    "$TOOL" activate --bind-host "$zone" /usr/local/bin/xip-bound
    findmnt /usr/local/bin/xip-bound | tee "$out/findmnt.txt"
    grep -q ' ro' <(findmnt -no OPTIONS /usr/local/bin/xip-bound | sed 's/^/ /; s/,/ /g') || fail "the bind mount is not read-only"
    "$TOOL" activate --bind-host "$zone" /usr/local/bin/xip-bound # again: a no-op
    check_eq "bind mounts over the file" 1 "$(findmnt -n /usr/local/bin/xip-bound | wc -l)"
    /usr/local/bin/xip-bound >"$out/bound.out" &
    pid=$!
    for _ in $(seq 50); do grep -q ready "$out/bound.out" && break; sleep 0.1; done
    check_eq "run from the original path: share in pmem (%)" 100 "$("$TOOL" verify --json $pid | jq '.summary.exec_pmem_percent | floor')"
    check_named $pid xip-bound

    step "the caveat: replacing the bound file by rename fails until it is unbound"
    cp "$STATIC" /usr/local/bin/.xip-bound.new
    if mv /usr/local/bin/.xip-bound.new /usr/local/bin/xip-bound 2>"$out/mv.err"; then
        fail "rename onto a bind-mounted file succeeded"
    fi
    printf 'ok: rename refused: %s\n' "$(cat "$out/mv.err")"
    expect_fail "in use by" "$TOOL" deactivate --bind-host "$zone" /usr/local/bin/xip-bound
    kill $pid; wait $pid 2>/dev/null || true
    "$TOOL" deactivate --bind-host "$zone" /usr/local/bin/xip-bound
    check_eq "bind mounts left" 0 "$(findmnt -n /usr/local/bin/xip-bound | wc -l)"
    mv /usr/local/bin/.xip-bound.new /usr/local/bin/xip-bound
    echo "ok: the package manager's rename works once unbound"

    step "the zone's bin/ entry point, with the loader and libraries placed"
    "$TOOL" place --with-libs "$zone" /usr/bin/sleep
    "$TOOL" activate "$zone" /usr/bin/sleep | tee "$out/entry.txt"
    cat "$zone/bin/.sleep.launch"
    "$zone/bin/sleep" 300 &
    pid=$!
    wait_asleep $pid
    "$TOOL" verify --json $pid >"$out/entry.json"
    check_eq "entry point: executable pages in DRAM" 0 "$(jq .summary.exec_dram "$out/entry.json")"
    check_eq "entry point: share in pmem (%)" 100 "$(jq '.summary.exec_pmem_percent | floor' "$out/entry.json")"
    check_named $pid sleep
    kill $pid; wait $pid 2>/dev/null || true

    step "an entry point of the previous version (no bin/.exec link) still starts, under the loader's name"
    rm "$zone/bin/.exec/sleep"
    sed -i '/^exec-as=/d' "$zone/bin/.sleep.launch"
    "$zone/bin/sleep" 300 &
    pid=$!
    wait_asleep $pid
    check_eq "old entry point: comm (the loader's, as before)" ld-linux-x86-64 "$(cat /proc/$pid/comm)"
    check_eq "old entry point: share in pmem (%)" 100 "$("$TOOL" verify --json $pid | jq '.summary.exec_pmem_percent | floor')"
    kill $pid; wait $pid 2>/dev/null || true
    "$TOOL" activate "$zone" /usr/bin/sleep >/dev/null
    grep -q '^exec-as=' "$zone/bin/.sleep.launch" || fail "activate did not write exec-as= again"

    step "ELF advice"
    "$TOOL" advise /usr/bin/python3 | tee "$out/advice.txt"
    grep -q "pages can execute or be read in place" "$out/advice.txt" || fail "no summary in the advice"
    expect_fail "not an ELF file" "$TOOL" advise /etc/passwd


    step "reboot: the placements are still recorded, current, and in pmem"
    "$TOOL" placements >"$out/before-reboot.json"
    testbed-reboot
fi

zone=/mnt/act/zone
mkdir -p /mnt/act
mount -o dax=always "/dev/$(ndctl_ns blockdev act-ns)" /mnt/act
"$TOOL" placements >"$out/after-reboot.json"
check_eq "placements after the reboot" "$(jq -c '[.[] | {source, copy, sha256}]' "$out/before-reboot.json")" \
    "$(jq -c '[.[] | {source, copy, sha256}]' "$out/after-reboot.json")"
check_eq "stale after the reboot" 0 "$(jq '[.[] | select(.stale)] | length' "$out/after-reboot.json")"
"$zone/bin/sleep" 300 &
pid=$!
wait_asleep $pid
check_eq "entry point after the reboot: share in pmem (%)" 100 \
    "$("$TOOL" verify --json $pid | jq '.summary.exec_pmem_percent | floor')"
kill $pid; wait $pid 2>/dev/null || true

"$TOOL" unplace "$zone" /usr/local/bin/xip-bound
"$TOOL" unplace "$zone" "$(readlink -f /usr/bin/sleep)"
rm -f /usr/local/bin/xip-bound
umount /mnt/act
