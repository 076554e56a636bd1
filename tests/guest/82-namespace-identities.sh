#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: mixed
# timeout: 600
# expect: 75
#
# A namespace is what ndctl says it is, field by field, and is found by every name it has.
# For fsdax, devdax and raw namespaces in labelled regions, and the label-less region's one
# namespace as raw and as fsdax: every field `ndctl list -N -v` (and `ndctl list -N`, and
# `daxctl list` for devdax) prints equals daxmgr's topology JSON (GetTopology, ndctl's field
# names) and `daxmgr list namespaces --json` (the bus properties), uuids included; a field ndctl
# prints that this test does not know fails it. Then each key form on the CLI's verbs (format,
# mount, unmount, destroy-namespace): label name, kernel name, pmemX, /dev/pmemX, daxX.Y,
# /dev/daxX.Y, uuid, raw uuid (upper case too); a key that names two namespaces refused with
# both named; and a formatting marker named as the previous build named it (the label's uuid,
# then called the namespace's uuid) still recovered after the upgrade.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT

rc() {
    local r=0
    "$@" >"$out/rc.out" 2>"$out/rc.err" || r=$?
    echo $r
}

# expect_rc CODE WORDS CMD...: CMD exits with CODE and its one-line error says WORDS.
expect_rc() {
    local code=$1 words=$2
    shift 2
    check_eq "exit status of '$*'" "$code" "$(rc "$@")"
    grep -qF -- "$words" "$out/rc.err" || fail "'$*' did not say '$words': $(cat "$out/rc.err")"
    printf '    %s\n' "$(head -1 "$out/rc.err")"
}

# cli NAME FIELD: a field of the namespace of that name (or kernel name) in daxmgr list --json.
cli() {
    daxmgr list namespaces --json | jq -r --arg n "$1" --arg f "$2" \
        '.[] | select(.Name == $n or .Device == $n) | .[$f]'
}

mounts() {
    daxmgr list namespaces --json | jq -c --arg n "$1" '.[] | select(.Name == $n) | .MountPoints'
}

# compare_all TAG: every namespace ndctl lists, every field it prints, against daxmgr.
compare_all() {
    local tag=$1 d
    ndctl_json list -N -v >"$out/$tag-ndctl-v.json"
    ndctl_json list -N >"$out/$tag-ndctl.json"
    daxctl list | jq -s 'if length == 0 then [] else .[0] | if type == "array" then . else [.] end end' \
        >"$out/$tag-daxctl.json"
    call GetTopology >"$out/$tag-topology.json"
    daxmgr list namespaces --json >"$out/$tag-cli.json"
    check_eq "$tag: namespaces (ndctl = daxmgr list)" "$(jq -c '[.[].dev] | sort' "$out/$tag-ndctl-v.json")" \
        "$(jq -c '[.[].Device] | sort' "$out/$tag-cli.json")"
    # One line per comparison: "field ndctl's-value daxmgr's-value"; unknown fields say so.
    for d in $(jq -r '.[].dev' "$out/$tag-ndctl-v.json"); do
        jq -r -n --arg d "$d" \
            --slurpfile v "$out/$tag-ndctl-v.json" --slurpfile p "$out/$tag-ndctl.json" \
            --slurpfile x "$out/$tag-daxctl.json" --slurpfile t "$out/$tag-topology.json" \
            --slurpfile c "$out/$tag-cli.json" '
            def s: if . == null then "null" else tostring end;
            def dev: if . == null or . == "" then null else "/dev/" + . end;
            ($v[0][] | select(.dev == $d)) as $n
            | ([$t[0].regions[] | . as $r | .namespaces[] | select(.dev == $d) | {r: $r, n: .}][0]) as $tr
            | $tr.n as $o
            | ($c[0][] | select(.Device == $d)) as $b
            | ($p[0][] | select(.dev == $d)) as $plain
            | ($n | keys_unsorted[]) as $k
            | if $k == "dev" then ["dev", $n.dev, $o.dev], ["Device", $n.dev, $b.Device]
              elif $k == "mode" then ["mode", $n.mode, $o.mode], ["Mode", $n.mode, $b.Mode]
              elif $k == "map" then ["map", $n.map, $o.map], ["Map", $n.map, $b.Map]
              elif $k == "size" then ["size", $n.size, $o.size], ["Size", $n.size, $b.Size]
              elif $k == "uuid" then ["uuid", $n.uuid, $o.uuid], ["UUID", $n.uuid, $b.UUID],
                  ["uuid of ndctl list -N", $plain.uuid, $b.UUID]
              elif $k == "raw_uuid" then ["raw_uuid", $n.raw_uuid, $o.raw_uuid], ["RawUUID", $n.raw_uuid, $b.RawUUID]
              elif $k == "sector_size" then ["sector_size", $n.sector_size, $o.sector_size]
              elif $k == "align" then ["align", $n.align, $o.align], ["Align", $n.align, $b.Align]
              elif $k == "blockdev" then ["blockdev", $n.blockdev, $o.blockdev],
                  ["BlockDevice", ($n.blockdev | dev), $b.BlockDevice]
              elif $k == "chardev" then ["chardev", $n.chardev, $o.chardev], ["CharDevice", ($n.chardev | dev), $b.CharDevice]
              elif $k == "name" then ["name", $n.name, $o.name], ["Name", $n.name, $b.Name]
              elif $k == "numa_node" then ["numa_node", $n.numa_node, $o.numa_node], ["NumaNode", $n.numa_node, $b.NumaNode]
              elif $k == "target_node" then ["target_node", $n.target_node, $o.target_node]
              elif $k == "state" then ["state", $n.state, (if $o.enabled then "active" else "disabled" end)]
              elif $k == "daxregion" then
                  ["daxregion.id", $n.daxregion.id, ($tr.r.dev | ltrimstr("region") | tonumber)],
                  ["daxregion.size", $n.daxregion.size, $o.size],
                  ["daxregion.align", $n.daxregion.align, $o.align],
                  ["daxregion.devices", ($n.daxregion.devices | length), 1],
                  ($n.daxregion.devices[0] | keys_unsorted[] as $dk
                   | if $dk == "mode" then ["daxregion.devices[0].mode", .mode, $o.daxdev.mode],
                         ["DaxDeviceMode", .mode, $b.DaxDeviceMode]
                     elif $dk == "chardev" then ["daxregion.devices[0].chardev", .chardev, $o.daxdev.chardev],
                         ["daxregion.devices[0].chardev = chardev", .chardev, $o.chardev],
                         ["CharDevice", (.chardev | dev), $b.CharDevice]
                     elif ($dk | IN("size", "align", "target_node", "online", "movable")) then
                         ["daxregion.devices[0]." + $dk, .[$dk], $o.daxdev[$dk]]
                     else ["UNKNOWN daxregion.devices[0]." + $dk, .[$dk], null] end)
              else ["UNKNOWN " + $k, $n[$k], null] end
            | [.[0], (.[1] | s), (.[2] | s)] | @tsv' >"$out/$tag-$d.tsv"
        # What ndctl leaves out, daxmgr must not invent: a label-less raw namespace has no uuid,
        # a label-less one no raw uuid, and for a raw one ndctl's uuid is the label's.
        jq -r -n --arg d "$d" --slurpfile v "$out/$tag-ndctl-v.json" --slurpfile c "$out/$tag-cli.json" '
            ($v[0][] | select(.dev == $d)) as $n | ($c[0][] | select(.Device == $d)) as $b
            | (if $n | has("uuid") | not then ["UUID (ndctl has none)", "", $b.UUID] else empty end),
              (if $n | has("raw_uuid") | not then
                   ["RawUUID (ndctl has none: raw, the uuid; else no label)",
                    (if $n.mode == "raw" then $n.uuid // "" else "" end), $b.RawUUID]
               else empty end)
            | @tsv' >>"$out/$tag-$d.tsv"
        while IFS=$'\t' read -r field want got; do
            case $field in UNKNOWN*) fail "$tag $d: ndctl prints ${field#UNKNOWN } ($want), which this test does not compare" ;; esac
            [ "$field" = state ] && [ "$want" = disabled ] && [ "$got" = disabled ] && continue
            check_eq "$tag $d $field" "$want" "$got"
        done <"$out/$tag-$d.tsv"
    done
    # daxctl, device by device.
    for d in $(jq -r '.[].chardev' "$out/$tag-daxctl.json"); do
        jq -r -n --arg d "$d" --slurpfile x "$out/$tag-daxctl.json" --slurpfile t "$out/$tag-topology.json" \
            --slurpfile c "$out/$tag-cli.json" '
            ($x[0][] | select(.chardev == $d)) as $x1
            | ([$t[0].regions[].namespaces[] | select(.daxdev.chardev == $d)][0]) as $o
            | ($c[0][] | select(.CharDevice == "/dev/" + $d)) as $b
            | ($x1 | keys_unsorted[]) as $k
            | if $k == "mode" then ["daxctl mode", $x1.mode, $o.daxdev.mode], ["daxctl DaxDeviceMode", $x1.mode, $b.DaxDeviceMode]
              elif $k == "chardev" then ["daxctl chardev", $x1.chardev, $o.daxdev.chardev]
              elif ($k | IN("size", "align", "target_node", "online", "movable")) then
                  ["daxctl " + $k, $x1[$k], $o.daxdev[$k]]
              else ["UNKNOWN daxctl " + $k, $x1[$k], null] end
            | [.[0], (.[1] | tostring), (.[2] | tostring)] | @tsv' >"$out/$tag-$d.tsv"
        while IFS=$'\t' read -r field want got; do
            case $field in UNKNOWN*) fail "$tag $d: daxctl prints ${field#UNKNOWN } ($want), which this test does not compare" ;; esac
            check_eq "$tag $d $field" "$want" "$got"
        done <"$out/$tag-$d.tsv"
    done
}

systemctl start daxmgrd
wait_settled 120
labelled=$(daxmgr list regions --json | jq -r '[.[] | select(.Labelled)][0].Device')
labelless=$(daxmgr list regions --json | jq -r '[.[] | select(.Labelled | not)][0].Device')
[ "$labelled" != null ] && [ "$labelless" != null ] || fail "the mixed topology lacks a labelled or a label-less region"
echo "labelled: $labelled, label-less: $labelless"
llns=$(daxmgr list namespaces --region "$labelless" --json | jq -r '.[0].Device')
check_eq "the label-less namespace's mode" raw "$(cli "$llns" Mode)"

step "an fsdax, a devdax and a raw namespace, made with daxmgr"
daxmgr create-namespace --region "$labelled" --mode fsdax --size 256M --name id-fs | tee "$out/create-fs.txt"
daxmgr create-namespace --region "$labelled" --mode devdax --size 256M --name id-dd | tee "$out/create-dd.txt"
daxmgr create-namespace --region "$labelled" --mode raw --size 256M --name id-raw | tee "$out/create-raw.txt"
check_eq "create-namespace's uuid = ndctl's" "$(ndctl_ns uuid id-fs)" \
    "$(sed -n 's/.* uuid \([0-9a-f-]*\),.*/\1/p' "$out/create-fs.txt")"
check_eq "create-namespace's raw_uuid = ndctl's" "$(ndctl_ns raw_uuid id-fs)" \
    "$(sed -n 's/.* raw_uuid \([0-9a-f-]*\)$/\1/p' "$out/create-fs.txt")"
wait_settled 60

step "every field ndctl and daxctl print, against daxmgr's topology and its bus objects"
compare_all labelled
echo "the uuids, as the reader sees them:"
ndctl_json list -N | jq -r '.[] | "  ndctl list -N:    \(.dev)  \(.mode)  uuid \(.uuid // "-")"'
daxmgr list namespaces --json | jq -r '.[] | "  daxmgr list --json: \(.Device)  \(.Mode)  UUID \(if .UUID == "" then "-" else .UUID end)  RawUUID \(if .RawUUID == "" then "-" else .RawUUID end)"'
for n in id-fs id-dd; do
    [ "$(cli $n UUID)" != "$(cli $n RawUUID)" ] || fail "$n: UUID and RawUUID are the same"
done
check_eq "id-raw: UUID = RawUUID (raw: the label's)" "$(cli id-raw RawUUID)" "$(cli id-raw UUID)"

step "the label-less namespace as fsdax (a pfn uuid, no label uuid), then raw again"
ndctl create-namespace -f -e "$llns" -m fsdax -M mem >/dev/null
wait_settled 60
compare_all labelless-fsdax
[ -n "$(cli "$llns" UUID)" ] || fail "the label-less fsdax namespace has no UUID"
check_eq "label-less RawUUID" "" "$(cli "$llns" RawUUID)"
llfs_uuid=$(cli "$llns" UUID)
llblk=$(cli "$llns" BlockDevice)
daxmgr format "${llfs_uuid^^}" --fs ext4 --force | tee "$out/format-ll.txt"
check_eq "the label-less namespace formatted by its UUID (upper case)" ext4 "$(blkid -o value -s TYPE "$llblk")"
ndctl create-namespace -f -e "$llns" -m raw >/dev/null
wait_settled 60
compare_all labelless-raw
check_eq "label-less raw: UUID" "" "$(cli "$llns" UUID)"

step "each key form on a verb"
fsblk=$(cli id-fs BlockDevice)
fsdev=$(cli id-fs Device)
fsuuid=$(cli id-fs UUID)
fsraw=$(cli id-fs RawUUID)
mkdir -p /mnt/id
daxmgr format "$fsuuid" --fs ext4 --force | tee "$out/format1.txt"
grep -q "^format $fsuuid: done" "$out/format1.txt" || fail "format by UUID"
daxmgr format "$fsraw" --fs ext4 --label byraw --force | tee "$out/format2.txt"
check_eq "formatted by RawUUID" byraw "$(blkid -o value -s LABEL "$fsblk")"
# mount KEY, unmount KEY2: each pair proves two forms.
for pair in "$fsblk id-fs" "${fsblk#/dev/} $fsdev" "$fsuuid ${fsraw^^}" "id-fs $fsblk" "$fsraw ${fsblk#/dev/}" \
    "$fsdev $fsuuid"; do
    # shellcheck disable=SC2086 # split on purpose: the pair's two words
    set -- $pair
    daxmgr mount "$1" /mnt/id >/dev/null
    check_eq "mounted by $1" /mnt/id "$(findmnt -rno TARGET "$fsblk")"
    # The daemon finds a mounted namespace's mount point once it has seen the mount.
    for _ in $(seq 20); do [ "$(mounts id-fs)" = '["/mnt/id"]' ] && break; sleep 0.3; done
    daxmgr unmount "$2" >/dev/null
    check_eq "unmounted by $2" "" "$(findmnt -rno TARGET "$fsblk" || true)"
    for _ in $(seq 20); do [ "$(mounts id-fs)" = '[]' ] && break; sleep 0.3; done
done
ddchr=$(cli id-dd CharDevice)
# Without --force, destroy-namespace says what it would destroy: which namespace the key named.
for key in id-dd "$(cli id-dd Device)" "$ddchr" "${ddchr#/dev/}" "$(cli id-dd UUID)" "$(cli id-dd RawUUID)"; do
    expect_rc 1 "this destroys $(cli id-dd Device) (\"id-dd\"" daxmgr destroy-namespace "$key"
done
expect_rc 3 'there is no namespace "nosuch"' daxmgr format nosuch
expect_rc 3 'there is no namespace "/dev/pmem99"' daxmgr destroy-namespace /dev/pmem99

step "a key that names two namespaces is refused, with both named"
# A label name equal to id-dd's kernel name (daxmgr refuses to make one; ndctl does not).
dddev=$(cli id-dd Device)
ndctl create-namespace -r "$labelled" -m fsdax -s 64M -n "$dddev" >/dev/null
wait_settled 60
clash=$(ndctl_json list -N | jq -r --arg n "$dddev" '.[] | select(.name == $n) | .dev')
want="\"$dddev\" names more than one namespace: "
expect_rc 2 "$want" daxmgr destroy-namespace "$dddev"
grep -qF "$dddev (its kernel name)" "$out/rc.err" || fail "the candidates lack $dddev: $(cat "$out/rc.err")"
grep -qF "$clash (its label name)" "$out/rc.err" || fail "the candidates lack $clash: $(cat "$out/rc.err")"
expect_rc 2 "$want" daxmgr destroy-namespace "$dddev" --force
expect_rc 2 "$want" daxmgr format "$dddev" --force
expect_rc 2 "$want" daxmgr mount "$dddev" /mnt/id
expect_rc 2 "$want" daxmgr unmount "$dddev"
check_eq "the refused key's namespaces are both still there" 2 \
    "$(ndctl_json list -N | jq --arg n "$dddev" '[.[] | select(.dev == $n or .name == $n)] | length')"
r=0 && busctl --system call org.daxmgr1 /org/daxmgr1 org.daxmgr1.Manager DestroyNamespace 'sa{sv}' "$dddev" 1 \
    force b true >"$out/bus.out" 2>&1 || r=$?
check_ge "the bus refuses it too (exit status)" 1 $r
grep -q "names more than one namespace" "$out/bus.out" || fail "the bus said: $(cat "$out/bus.out")"
cat "$out/bus.out"
expect_rc 1 "refusing without --force" daxmgr destroy-namespace "$(ndctl_ns uuid "$dddev")"
daxmgr destroy-namespace "$(ndctl_ns uuid "$dddev")" --force

step "destroy by the device and the uuids"
daxmgr destroy-namespace "$ddchr" --force
check_eq "id-dd gone" "" "$(ndctl_ns dev id-dd)"
daxmgr destroy-namespace "$(cli id-raw RawUUID)" --force
check_eq "id-raw gone" "" "$(ndctl_ns dev id-raw)"

step "after the upgrade: a formatting marker named by the label's uuid, as the previous build wrote it"
# The previous build called the label's uuid the namespace's "uuid" and named the marker of an
# interrupted mkfs after it. Put one there, with a file system half made, and start the daemon.
mkfs.ext4 -q -F "$fsblk"
systemctl stop daxmgrd
mkdir -p /var/lib/daxmgr
printf '%s\n%s\n' "$fsblk" "$labelled" >"/var/lib/daxmgr/formatting-$fsraw"
since=$(date '+%Y-%m-%d %H:%M:%S')
systemctl start daxmgrd
for _ in $(seq 60); do [ -e "/var/lib/daxmgr/formatting-$fsraw" ] || break; sleep 0.5; done
wait_settled 60
[ ! -e "/var/lib/daxmgr/formatting-$fsraw" ] || fail "the old marker is still there"
check_eq "the half-made file system wiped" "" "$(blkid -o value -s TYPE "$fsblk" || true)"
journalctl -u daxmgrd --since "$since" --no-pager -o cat | grep "interrupted mkfs" | tee "$out/recovered.txt"
grep -qF "the file system on $fsblk (namespace id-fs) was left half-made by an interrupted mkfs" \
    "$out/recovered.txt" || fail "no recovery message"

daxmgr destroy-namespace id-fs --force
