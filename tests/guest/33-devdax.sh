#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 480
# expect: 60
#
# lib/devdax through daxmgr-tool, checked with stat and daxctl list:
#   - owner, group and mode of /dev/daxX.Y, by name and by number;
#   - a device a process holds open is not taken away;
#   - system-ram (movable) and back to devdax; again with --no-movable. Under the kernel's
#     auto-online policy "online" (Debian 13+), movable is first refused with the device left
#     devdax. Going back offlines
#     the memory first: if the kernel cannot (it happens with ZONE_NORMAL), the tool must fail
#     with one clean sentence (exit 1), never crash, and leave the memory online. The guest
#     then reboots to get the device back (the tests after this one share the boot), and the
#     second boot checks that it is devdax again.
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT
holder='' dax='' saved_policy=''
AUTO_ONLINE=/sys/devices/system/memory/auto_online_blocks

# Back to devdax if something left the device as system-ram, so that the namespace can go.
cleanup() {
    local rc=$?
    set +e
    [ -n "$holder" ] && kill "$holder" 2>/dev/null
    [ -z "$saved_policy" ] || echo "$saved_policy" >"$AUTO_ONLINE"
    if [ -n "$dax" ] && [ "$(daxctl_field mode)" = system-ram ]; then
        for _ in 1 2 3; do
            echo 1 >/proc/sys/vm/compact_memory 2>/dev/null
            echo 3 >/proc/sys/vm/drop_caches
            "$TOOL" devdax-mode "$dax" devdax >/dev/null 2>&1 && break
            sleep 2
        done
    fi
    (exit $rc)
    _testbed_cleanup
}
trap cleanup EXIT

# daxctl_field FIELD: a field of `daxctl list -d $dax` (one device)
daxctl_field() {
    daxctl list -d "$dax" | jq -r "if type == \"array\" then .[0] else . end | .$1 | select(. != null)"
}

if [ "${DAXMGR_TEST_BOOT:-1}" = 1 ]; then
    step "a devdax namespace (512 MiB) in region1"
    ndctl create-namespace -r region1 -m devdax -s 512M -n dd-a | tee "$out/ns.json"
    dax=$(jq -r '.daxregion.devices[0].chardev' "$out/ns.json")
    node=/dev/$dax
    [ -c "$node" ] || fail "$node is not a character device"
    check_eq "daxctl mode" devdax "$(daxctl_field mode)"

    step "owner, group and mode by name"
    "$TOOL" devdax-set "$dax" --owner nobody --group nogroup --mode 0600 | tee "$out/set-1.json"
    check_eq "stat of $node" "nobody nogroup 600" "$(stat -c '%U %G %a' "$node")"

    step "by number, and with the /dev/ path"
    "$TOOL" devdax-set "$node" --owner 0 --group 0 --mode 660 >/dev/null
    check_eq "stat of $node" "root root 660" "$(stat -c '%U %G %a' "$node")"
    "$TOOL" devdax-set "$dax" --mode 0640 >/dev/null
    check_eq "only the mode changed" "root root 640" "$(stat -c '%U %G %a' "$node")"

    step "refusals"
    expect_fail "not a device-dax name" "$TOOL" devdax-set /dev/null --mode 0666
    expect_fail "there is no user \"no-such-user\"" "$TOOL" devdax-set "$dax" --owner no-such-user
    rc=0
    "$TOOL" devdax-set "$dax" --mode 4755 2>/dev/null || rc=$?
    check_eq "exit status for a mode with setuid (usage)" 2 "$rc"
    expect_fail "There is no device-dax device dax9.9" "$TOOL" devdax-mode dax9.9 system-ram
    check_eq "stat of $node after the refusals" "root root 640" "$(stat -c '%U %G %a' "$node")"

    step "in use: a process holds the device open"
    sleep 1000 3<"$node" &
    holder=$!
    wait_asleep "$holder" # it holds the device from the fork on; asleep, it is known as "sleep"
    expect_fail "in use by sleep (pid $holder" "$TOOL" devdax-mode "$dax" system-ram
    check_eq "daxctl mode while held" devdax "$(daxctl_field mode)"
    kill "$holder"
    wait "$holder" 2>/dev/null || true
    holder=

    # to_devdax LABEL: switch back; a refusal must be one clean sentence and leave system-ram online
    to_devdax() {
        local rc=0 err
        err=$("$TOOL" devdax-mode "$dax" devdax 2>&1 >"$out/back-$1.json") || rc=$?
        if [ $rc -eq 0 ]; then
            cat "$out/back-$1.json"
            check_eq "daxctl mode after going back ($1)" devdax "$(daxctl_field mode)"
            [ -c "$node" ] || fail "$node is missing after going back to devdax"
            return 0
        fi
        check_eq "exit status of a refused switch back ($1)" 1 "$rc"
        check_eq "lines on stderr" 1 "$(printf '%s\n' "$err" | wc -l)"
        case "$err" in
            "daxmgr-tool devdax-mode: Cannot switch $dax back to devdax: the kernel could not offline"*) ;;
            *) fail "unexpected refusal: $err" ;;
        esac
        printf 'ok: the kernel kept the memory (%s): %s\n' "$1" "$err"
        check_eq "daxctl mode after the refusal" system-ram "$(daxctl_field mode)"
        check_eq "memory still online after the refusal" "$(daxctl_field total_memblocks)" "$(daxctl_field online_memblocks)"
        return 1
    }

    # The kernel's memory auto-online policy: "offline" on Debian 12, "online" on Debian 13 and
    # later (their kernels set CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO). Under "online" the
    # kernel onlines the memory outside ZONE_MOVABLE as soon as kmem takes the device, so a
    # movable switch is refused before anything changes; the test then does what the refusal
    # advises (the runtime form of memhp_default_state=offline) and puts the policy back for the
    # switch without movable, which the policy does not stop.
    policy=$(cat "$AUTO_ONLINE")
    printf "the kernel's memory auto-online policy: %s\n" "$policy" | tee "$out/auto-online.txt"
    case "$policy" in
        offline | online_movable) ;;
        *)
            step "system-ram, movable: refused while the policy is '$policy'"
            expect_fail "Refusing to switch $dax to system-ram in ZONE_MOVABLE: the kernel's memory auto-online policy ($AUTO_ONLINE: $policy)" \
                "$TOOL" devdax-mode "$dax" system-ram --movable
            check_eq "daxctl mode after the refusal" devdax "$(daxctl_field mode)"
            [ -c "$node" ] || fail "$node is missing after the refusal"
            echo offline >"$AUTO_ONLINE"
            saved_policy=$policy
            ;;
    esac

    step "system-ram, movable"
    "$TOOL" devdax-mode "$dax" system-ram --movable | tee "$out/ram-movable.json"
    daxctl list -d "$dax" | tee "$out/daxctl-movable.json"
    check_eq "daxctl mode" system-ram "$(daxctl_field mode)"
    check_ge "memory blocks" 1 "$(daxctl_field total_memblocks)"
    check_eq "online blocks" "$(daxctl_field total_memblocks)" "$(daxctl_field online_memblocks)"
    check_eq "daxctl movable" true "$(daxctl_field movable)"
    check_eq "tool's own view agrees" "$(daxctl_field online_memblocks)" "$(jq -r .online_blocks "$out/ram-movable.json")"
    grep -q "System RAM (kmem)" /proc/iomem || fail "/proc/iomem has no System RAM (kmem) range"
    "$TOOL" devdax-mode "$dax" system-ram --movable | tee "$out/ram-again.json"
    check_eq "again: changed" false "$(jq -r .changed "$out/ram-again.json")"

    step "back to devdax"
    movable_back=ok normal_back=ok
    to_devdax movable || movable_back=refused

    if [ -n "$saved_policy" ]; then
        echo "$saved_policy" >"$AUTO_ONLINE"
        saved_policy=
    fi

    if [ "$movable_back" = ok ]; then
        step "system-ram, not movable (ZONE_NORMAL), under the kernel's own policy ($policy)"
        "$TOOL" devdax-mode "$dax" system-ram --no-movable | tee "$out/ram-normal.json"
        check_eq "daxctl mode" system-ram "$(daxctl_field mode)"
        check_eq "online blocks" "$(daxctl_field total_memblocks)" "$(daxctl_field online_memblocks)"
        check_eq "daxctl movable" false "$(daxctl_field movable)"
        step "back to devdax (the kernel may refuse to offline ZONE_NORMAL memory)"
        to_devdax normal || normal_back=refused
    fi

    step "times"
    secs() { if [ -s "$1" ]; then jq -r .seconds "$1"; else echo "refused/not run"; fi; }
    printf 'to system-ram (movable): %s s\nback to devdax: %s s\nto system-ram (not movable): %s s\nback: %s s\n' \
        "$(secs "$out/ram-movable.json")" "$(secs "$out/back-movable.json")" "$(secs "$out/ram-normal.json")" \
        "$(secs "$out/back-normal.json")" | tee "$out/times.txt"
    [ "$movable_back" = ok ] || fail "ZONE_MOVABLE memory could not be offlined: the way back to devdax failed"
    if [ "$normal_back" = refused ]; then
        step "reboot: the kernel keeps ZONE_NORMAL memory until then"
        trap - EXIT # the namespace must survive into the next boot
        testbed-reboot
    fi
    exit 0
fi

step "boot 2: the reboot gave the memory back"
dax=$(ndctl_json list -N -v | jq -r '.[] | select(.name == "dd-a") | .daxregion.devices[0].chardev // empty')
[ -n "$dax" ] || fail "the namespace dd-a is gone after the reboot"
check_eq "daxctl mode after the reboot" devdax "$(daxctl_field mode)"
