#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 180
#
# lib/'s topology snapshot agrees field by field with ndctl and daxctl, for regions, DIMMs and
# namespaces of every mode, and sees the filesystem and mount of an fsdax namespace.
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT

step "a namespace of each mode, made with ndctl (the reference)"
ndctl create-namespace -r region0 -m fsdax -M mem -s 256M -n ref-fsdax >/dev/null
ndctl create-namespace -r region0 -m devdax -s 256M -n ref-devdax >/dev/null
ndctl create-namespace -r region0 -m raw -s 128M -n ref-raw >/dev/null
dev=/dev/$(ndctl_ns blockdev ref-fsdax)
mkfs.ext4 -q -F -b 4096 -L reflabel "$dev"
mkdir -p /mnt/ref && mount -o dax=always "$dev" /mnt/ref

"$TOOL" topology >"$out/topology.json"
ndctl_json list -R -v >"$out/ndctl.json"
ndctl_json list -N -v >"$out/ndctl-ns.json"
ndctl_json list -D >"$out/ndctl-dimms.json"
daxctl list -D | jq 'if type == "array" then . else [.] end' >"$out/daxctl.json"

step "regions"
check_eq "region count" "$(jq length "$out/ndctl.json")" "$(jq '.regions | length' "$out/topology.json")"
for r in $(jq -r '.[].dev' "$out/ndctl.json"); do
    for f in size available_size max_available_extent align persistence_domain; do
        want=$(jq -r --arg r "$r" ".[] | select(.dev == \$r) | .$f" "$out/ndctl.json")
        [ "$want" != null ] || continue # ndctl leaves out what the platform does not say
        got=$(jq -r --arg r "$r" ".regions[] | select(.dev == \$r) | .$f" "$out/topology.json")
        check_eq "$r $f" "$want" "$got"
    done
    check_eq "$r labelled" true "$(jq -r --arg r "$r" '.regions[] | select(.dev == $r) | .labelled' "$out/topology.json")"
    resource=$(cat "/sys/bus/nd/devices/$r/resource")
    check_eq "$r resource" "$((resource))" "$(jq -r --arg r "$r" '.regions[] | select(.dev == $r) | .resource' "$out/topology.json")"
done

step "DIMMs"
check_eq "dimm devs" "$(jq -r '[.[].dev] | sort | join(" ")' "$out/ndctl-dimms.json")" \
    "$(jq -r '[.dimms[].dev] | sort | join(" ")' "$out/topology.json")"

step "namespaces"
for n in ref-fsdax ref-devdax ref-raw; do
    # ndctl calls the pfn/dax device's uuid "uuid" and the label's "raw_uuid" (which it leaves
    # out for raw, whose "uuid" is the label's); lib/ says the same, raw_uuid always the label's.
    check_eq "$n uuid" "$(jq -r --arg n "$n" '.[] | select(.name == $n) | .uuid' "$out/ndctl-ns.json")" \
        "$(jq -r --arg n "$n" '.regions[].namespaces[] | select(.name == $n) | .uuid' "$out/topology.json")"
    check_eq "$n raw_uuid" "$(jq -r --arg n "$n" '.[] | select(.name == $n) | .raw_uuid // .uuid' "$out/ndctl-ns.json")" \
        "$(jq -r --arg n "$n" '.regions[].namespaces[] | select(.name == $n) | .raw_uuid' "$out/topology.json")"
    # ndctl nests a devdax namespace's character device in its dax region.
    check_eq "$n chardev" "$(jq -r --arg n "$n" '.[] | select(.name == $n) | .chardev // .daxregion.devices[0].chardev // "null"' "$out/ndctl-ns.json")" \
        "$(jq -r --arg n "$n" '.regions[].namespaces[] | select(.name == $n) | .chardev // "null"' "$out/topology.json")"
    for f in dev mode size blockdev sector_size numa_node target_node; do
        want=$(jq -r --arg n "$n" ".[] | select(.name == \$n) | .$f // \"null\"" "$out/ndctl-ns.json")
        got=$(jq -r --arg n "$n" ".regions[].namespaces[] | select(.name == \$n) | .$f // \"null\"" "$out/topology.json")
        check_eq "$n $f" "$want" "$got"
    done
    # ndctl says "state": "disabled" for an inactive namespace, nothing for an active one.
    check_eq "$n enabled" "$(jq -r --arg n "$n" '.[] | select(.name == $n) | .state != "disabled"' "$out/ndctl-ns.json")" \
        "$(jq -r --arg n "$n" '.regions[].namespaces[] | select(.name == $n) | .enabled' "$out/topology.json")"
done
for n in ref-fsdax ref-devdax; do
    for f in map align; do
        want=$(jq -r --arg n "$n" ".[] | select(.name == \$n) | .$f" "$out/ndctl-ns.json")
        got=$(jq -r --arg n "$n" ".regions[].namespaces[] | select(.name == \$n) | .$f" "$out/topology.json")
        check_eq "$n $f" "$want" "$got"
    done
done

step "dax device of the devdax namespace (daxctl)"
chardev=$(jq -r '.[] | select(.name == "ref-devdax") | .chardev // .daxregion.devices[0].chardev' "$out/ndctl-ns.json")
check_eq "daxdev mode" "$(jq -r --arg c "$chardev" '.[] | select(.chardev == $c) | .mode' "$out/daxctl.json")" \
    "$(jq -r '.regions[].namespaces[] | select(.name == "ref-devdax") | .daxdev.mode' "$out/topology.json")"
check_eq "daxdev size" "$(jq -r --arg c "$chardev" '.[] | select(.chardev == $c) | .size' "$out/daxctl.json")" \
    "$(jq -r '.regions[].namespaces[] | select(.name == "ref-devdax") | .daxdev.size' "$out/topology.json")"

step "filesystem (blkid) and mount (mountinfo) of the fsdax namespace"
check_eq "fs type" "$(blkid -o value -s TYPE "$dev")" \
    "$(jq -r '.regions[].namespaces[] | select(.name == "ref-fsdax") | .filesystem.type' "$out/topology.json")"
check_eq "fs uuid" "$(blkid -o value -s UUID "$dev")" \
    "$(jq -r '.regions[].namespaces[] | select(.name == "ref-fsdax") | .filesystem.uuid' "$out/topology.json")"
check_eq "fs label" reflabel \
    "$(jq -r '.regions[].namespaces[] | select(.name == "ref-fsdax") | .filesystem.label' "$out/topology.json")"
check_eq "mount target" /mnt/ref \
    "$(jq -r '.regions[].namespaces[] | select(.name == "ref-fsdax") | .mounts[0].target' "$out/topology.json")"
check_eq "mount dax" always \
    "$(jq -r '.regions[].namespaces[] | select(.name == "ref-fsdax") | .mounts[0].dax' "$out/topology.json")"
umount /mnt/ref
