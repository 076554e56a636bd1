#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 240
# expect: 150
#
# Namespaces created through lib/ appear in ndctl with the name, mode, size and alignment
# asked for; sizes given as bytes, a percentage or "rest" are planned and rounded as promised;
# destroy removes them. After a reboot, they are found again by name.
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT

# ns_list, then ns FIELD NAME: what ndctl_ns says, read from one listing (ndctl_json list -N -v)
# for the checks of a namespace that nothing changes in between: one ndctl and one jq fewer per
# field (each a fraction of a second under TCG; 39 of them here).
ns_list() { NS_JSON=$(ndctl_json list -N -v); }
ns() { jq -r --arg n "$2" ".[] | select(.name == \$n) | .$1 // empty" <<<"$NS_JSON"; }

if [ "${DAXMGR_TEST_BOOT:-1}" = 1 ]; then
    ndctl_json list -R | jq -c '[.[] | {dev, available_size}]' >"$out/free-at-start.json"
    step "fsdax, map=mem, 2 MiB alignment, 512 MiB"
    "$TOOL" create-namespace --region region0 --mode fsdax --map mem --align 2M --size 512M --name db-fsdax | tee "$out/a.json"
    ns_list
    check_eq "mode" fsdax "$(ns mode db-fsdax)"
    check_eq "map" mem "$(ns map db-fsdax)"
    check_eq "align" $((2 << 20)) "$(ns align db-fsdax)"
    check_eq "uuid (ndctl's: the pfn info block's)" "$(jq -r .uuid "$out/a.json")" "$(ns uuid db-fsdax)"
    check_eq "raw uuid (the label's)" "$(jq -r .raw_uuid "$out/a.json")" "$(ns raw_uuid db-fsdax)"
    raw=$(cat "/sys/bus/nd/devices/$(ns dev db-fsdax)/size")
    check_eq "namespace size" $((512 << 20)) "$raw"
    # map=mem: the data starts after the 8 KiB info block, aligned to 2 MiB: 510 MiB usable.
    check_eq "usable size (ndctl)" $((510 << 20)) "$(ns size db-fsdax)"

    step "devdax, default alignment (2 MiB)"
    aligns=$(cat /sys/bus/nd/devices/region0/dax*/supported_alignments 2>/dev/null | head -n 1 || true)
    echo "kernel's devdax alignments: $aligns"
    "$TOOL" create-namespace --region region0 --mode devdax --size 256M --name db-devdax | tee "$out/b.json"
    ns_list
    check_eq "mode" devdax "$(ns mode db-devdax)"
    check_eq "align" $((2 << 20)) "$(ns align db-devdax)"
    # shellcheck disable=SC2012 # counts one device node, named by ndctl
    check_ge "chardev present" 1 "$(ls /dev/"$(ns chardev db-devdax)" | wc -l)"

    step "raw, a size that is not a multiple of the region alignment is rounded up"
    region_align=$(cat /sys/bus/nd/devices/region0/align)
    "$TOOL" size-plan --region region0 --mode raw --size 100M | tee "$out/plan.json"
    want=$(( (100 * 1048576 + region_align - 1) / region_align * region_align ))
    check_eq "planned size" "$want" "$(jq .size "$out/plan.json")"
    check_eq "rounded" true "$(jq .rounded "$out/plan.json")"
    "$TOOL" create-namespace --region region0 --mode raw --size 100M --name db-raw
    check_eq "raw size" "$want" "$(ndctl_ns size db-raw)"

    step "a region whose start is not aligned to its alignment (QEMU's second NVDIMM)"
    printf 'region1 starts at %s, alignment %s\n' "$(cat /sys/bus/nd/devices/region1/resource)" \
        "$(cat /sys/bus/nd/devices/region1/align)"
    if ndctl create-namespace -r region1 -s 64M >"$out/ndctl-region1.txt" 2>&1; then
        echo "(ndctl accepted it too)"
        ndctl destroy-namespace -f "$(jq -r .dev "$out/ndctl-region1.txt")"
    else
        echo "ndctl refuses: $(grep -i error "$out/ndctl-region1.txt" | head -n 1)"
    fi

    step "a percentage and the rest, in region1"
    "$TOOL" create-namespace --region region1 --mode fsdax --size 25% --name db-quarter
    region_align=$(cat /sys/bus/nd/devices/region1/align)
    start=$(cat /sys/bus/nd/devices/region1/resource)
    check_eq "region1 start aligned to its (lowered) alignment" 0 $((start % region_align))
    size1=$(ndctl_json list -R | jq -r '.[] | select(.dev == "region1") | .size')
    q=$(cat "/sys/bus/nd/devices/$(ndctl_ns dev db-quarter)/size")
    check_eq "25% of region1 rounded down to the alignment" $((size1 / 4 / region_align * region_align)) "$q"
    "$TOOL" create-namespace --region region1 --mode fsdax --size rest --name db-rest
    check_eq "region1 left after 'rest'" 0 \
        "$(ndctl_json list -R | jq -r '.[] | select(.dev == "region1") | .max_available_extent')"

    step "names are unique"
    expect_fail "already exists" "$TOOL" create-namespace --region region0 --size 64M --name db-fsdax

    step "reboot: the namespaces must come back by name"
    ns_list
    for n in db-fsdax db-devdax db-raw db-quarter db-rest; do
        printf '%s %s %s %s\n' "$n" "$(ns uuid "$n")" "$(ns mode "$n")" "$(ns size "$n")"
    done >"$out/before-reboot.txt"
    cat "$out/before-reboot.txt"
    testbed-reboot
fi

step "after the reboot (boot ${DAXMGR_TEST_BOOT:-1}): found again by name, same uuid, mode and size"
ns_list
while read -r n uuid mode size; do
    check_eq "$n uuid" "$uuid" "$(ns uuid "$n")"
    check_eq "$n mode" "$mode" "$(ns mode "$n")"
    check_eq "$n size" "$size" "$(ns size "$n")"
done <"$out/before-reboot.txt"
"$TOOL" topology | jq -e '[.regions[].namespaces[].name] | index("db-fsdax") != null' >/dev/null ||
    fail "lib/'s topology does not find db-fsdax by name after the reboot"

step "destroy"
for n in db-fsdax db-devdax db-raw db-quarter db-rest; do
    "$TOOL" destroy-namespace "$n"
    [ -z "$(ndctl_ns dev "$n")" ] || fail "$n still listed by ndctl after destroy"
    echo "ok: $n destroyed"
done
check_eq "free space as at the start" "$(cat "$out/free-at-start.json")" \
    "$(ndctl_json list -R | jq -c '[.[] | {dev, available_size}]')"
