#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: hmem
# timeout: 900
# boot: own
# expect: 110
#
# The mode of a devdax namespace, declared and held by daxmgrd, driven by configuration changes
# and `daxmgr reload` only:
#   - devdax → system-ram → devdax, with `daxctl list`, the NUMA node and the memory tier at each
#     step, and the kernel's auto-online policy as the daemon reports it (Manager properties and
#     the Platform block of `daxmgr status`);
#   - a namespace that holds data is not handed to the kernel without Destroy=yes: the problem
#     names the SystemRAM= line;
#   - memory onlined into ZONE_NORMAL that the kernel will not take back (EBUSY): one problem
#     with FILE:LINE and what to do, no retry loop, and `daxmgr reload` tries once more.
#   - a dax device daxmgr did not make: the topology "hmem" (tests/vm/run) is "labelled" plus
#     512 MiB of soft-reserved memory (memmap=512M%1G+0xefffffff) that dax_hmem makes a dax
#     device of. A [DaxDevice] section found by Provider=hmem and Resource= declares its mode.
#     Linux >= 6.3 hands it to kmem at boot and, under an "online" policy, the kernel onlines it
#     into ZONE_NORMAL before daxmgr runs: asking for movable, then devdax, shows the message for
#     memory that is already online (EBUSY). Where it is (or becomes) devdax: refused movable
#     under an "online" policy, then system-ram movable (node, tier), then devdax, mode 0600.
# Its own boot: the ZONE_NORMAL memory stays online until the guest is powered off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
CONF=/etc/daxmgr/daxmgr.conf

# daxctl_field FIELD: a field of the namespace's dax device as `daxctl list` shows it
daxctl_field() {
    daxctl list -d "$dax" | jq -r "if type == \"array\" then .[0] else . end | .$1 | select(. != null)"
}

# the daemon's line for the device (Manager.DaxDevices) and a field of it
dax_line() { mgr_prop DaxDevices | jq -r --arg d "$dax" '.[] | select(startswith($d + " "))'; }
dax_kv() { dax_line | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# show LABEL: what the kernel and the daemon say at this step
show() {
    step "state: $1"
    daxctl list -d "$dax" -M 2>/dev/null | tee "$out/daxctl-$1.json" || daxctl list -d "$dax" | tee "$out/daxctl-$1.json"
    printf 'daemon: %s\n' "$(dax_line)" | tee -a "$out/transcript.txt"
    printf '%s: daxctl mode=%s movable=%s online=%s/%s | daemon node=%s tier=%s zone=%s\n' "$1" \
        "$(daxctl_field mode)" "$(daxctl_field movable)" "$(daxctl_field online_memblocks)" \
        "$(daxctl_field total_memblocks)" "$(dax_kv node || true)" "$(dax_kv tier || true)" \
        "$(dax_kv zone || true)" | tee -a "$out/transcript.txt"
}

reload() {
    daxmgr reload
    wait_settled 240
}

# problem WORDS: the Manager's problem that contains WORDS
problem() { mgr_prop Problems | jq -r --arg w "$1" '.[] | select(contains($w))'; }

# The second NVDIMM's region: region1 on "labelled", but nd regions and dax_hmem's devices take
# their numbers from one kernel allocator (memregion), in the order the drivers load.
REGION=$(ndctl_json list -R | jq -r '[.[].dev] | sort_by(ltrimstr("region") | tonumber) | last // empty')
[ -n "$REGION" ] || fail "no nd region"
printf 'nd regions: %s; the namespace goes to %s\n' "$(ndctl_json list -R | jq -r '[.[].dev] | join(" ")')" "$REGION"

step "the platform as the daemon sees it"
ns_conf() { # ns_conf EXTRA-LINES
    write_config <<CONF_EOF
[Namespace modes]
Region=$REGION
Mode=devdax
Size=512M
$1
CONF_EOF
}
ns_conf ""
systemctl enable --now daxmgrd
wait_settled 240
policy=$(cat /sys/devices/system/memory/auto_online_blocks)
check_eq "Manager.MemoryAutoOnline is the kernel's policy" "$policy" "$(mgr_prop MemoryAutoOnline)"
mgr_prop MemoryTiers | tee "$out/tiers.json"
for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
    [ -e "$t/nodelist" ] || continue
    printf '%s nodes %s\n' "${t##*/}" "$(cat "$t/nodelist")"
done | tee "$out/tiers-sysfs.txt"
check_eq "tiers on the bus" "$(wc -l <"$out/tiers-sysfs.txt")" "$(mgr_prop MemoryTiers | jq length)"
daxmgr status | tee "$out/status-1.txt"
grep -q "^  Memory auto-online: $policy (" "$out/status-1.txt" || fail "status shows no auto-online policy"
printf 'auto_online_blocks: %s\n' "$policy" | tee "$out/transcript.txt"

dax=$(ndctl_json list -N -v | jq -r '.[] | select(.name == "modes") | .daxregion.devices[0].chardev // empty')
[ -n "$dax" ] || fail "the daemon made no devdax namespace 'modes'"
show devdax-1
check_eq "mode" devdax "$(daxctl_field mode)"
check_eq "the daemon's line" "$dax nd devdax" "$(dax_line | cut -d' ' -f1-3)"

step "data written to it: SystemRAM=online-movable without Destroy=yes is refused"
python3 - "/dev/$dax" <<'PY'
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 2 << 20, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[0:16] = b"application data"
m.close()
os.close(fd)
PY
ns_conf "SystemRAM=online-movable"
reload
msg=$(problem "holds data")
printf 'refusal: %s\n' "$msg" | tee -a "$out/transcript.txt"
case "$msg" in
    "conflict: $CONF:5: Namespace modes: SystemRAM=online-movable would hand $dax to the kernel as memory, which overwrites what it holds, and it holds data (its first 2 MiB are not blank); set Destroy=yes"*) ;;
    *) fail "no Destroy=yes refusal at $CONF:5: $(mgr_prop Problems)" ;;
esac
check_eq "mode after the refusal" devdax "$(daxctl_field mode)"
daxmgr status | grep -A3 '^Problems' | tee "$out/status-refusal.txt"

# The kernel's memory auto-online policy: "offline" on Debian 12, "online" on Debian 13 and
# later. Under "online" (or "online_kernel") the kernel would online the memory outside
# ZONE_MOVABLE the moment kmem took the device, so the plan shows a problem at the SystemRAM=
# line and the device stays devdax; the test then does what the problem says (the runtime form
# of memhp_default_state=offline) and reloads.
AUTO_ONLINE=/sys/devices/system/memory/auto_online_blocks
saved_policy=
case "$policy" in
    online | online_kernel)
        step "Destroy=yes: movable refused while the auto-online policy is '$policy'"
        ns_conf "SystemRAM=online-movable
Destroy=yes"
        reload
        msg=$(problem "auto-online policy is")
        printf 'policy refusal: %s\n' "$msg" | tee -a "$out/transcript.txt"
        case "$msg" in
            "conflict: $CONF:5: Namespace modes: SystemRAM=online-movable cannot be done while the kernel's memory auto-online policy is '$policy' (/sys/devices/system/memory/auto_online_blocks)"*) ;;
            *) fail "no auto-online policy problem at $CONF:5: $(mgr_prop Problems)" ;;
        esac
        check_eq "mode after the policy refusal" devdax "$(daxctl_field mode)"
        check_eq "no step pending (no retry)" 0 "$(mgr_prop PendingSteps)"
        echo offline >"$AUTO_ONLINE"
        saved_policy=$policy
        printf 'auto_online_blocks: %s -> offline (as the problem says)\n' "$policy" | tee -a "$out/transcript.txt"
        ;;
esac

step "Destroy=yes: devdax → system-ram (movable)"
ns_conf "SystemRAM=online-movable
Destroy=yes"
reload
show system-ram-movable
[ -z "$saved_policy" ] || check_eq "Manager.MemoryAutoOnline after the reload" offline "$(mgr_prop MemoryAutoOnline)"
check_eq "mode" system-ram "$(daxctl_field mode)"
check_eq "movable" true "$(daxctl_field movable)"
check_eq "all blocks online" "$(daxctl_field total_memblocks)" "$(daxctl_field online_memblocks)"
check_eq "the daemon's zone" movable "$(dax_kv zone)"
node=$(dax_kv node)
{ [ -n "$node" ] && [ "$node" != none ]; } || fail "the daemon names no node for $dax: $(dax_line)"
block=$(($(cat /sys/bus/dax/devices/"$dax"/resource) / $((16#$(cat /sys/devices/system/memory/block_size_bytes)))))
ls -d /sys/devices/system/memory/memory$((block + 1))/node"$node" >/dev/null ||
    fail "memory block $((block + 1)) is not on node $node"
if [ -d /sys/devices/virtual/memory_tiering ]; then
    tier=$(dax_kv tier)
    grep -q "^memory_tier$tier nodes" "$out/tiers-sysfs.txt" || fail "tier $tier is not a tier of sysfs"
fi
daxmgr status | tee "$out/status-ram.txt" | sed -n '/^Platform/,/^$/p'

step "SystemRAM=no: system-ram → devdax"
ns_conf ""
reload
show devdax-2
check_eq "mode" devdax "$(daxctl_field mode)"
[ -c "/dev/$dax" ] || fail "/dev/$dax is missing after going back"

if [ -n "$saved_policy" ]; then
    echo "$saved_policy" >"$AUTO_ONLINE"
    saved_policy=
fi

step "ZONE_NORMAL: SystemRAM=online (Destroy=yes: the kernel used it as memory), policy $policy"
ns_conf "SystemRAM=online
Destroy=yes"
reload
show system-ram-normal
check_eq "mode" system-ram "$(daxctl_field mode)"
check_eq "movable" false "$(daxctl_field movable)"

step "back to devdax: the kernel keeps ZONE_NORMAL memory (EBUSY)"
ns_conf "Destroy=yes"
t0=$(date +%s)
daxmgr reload
wait_settled 240
show after-refusal
msg=$(problem "EBUSY")
printf 'EBUSY: %s\n' "$msg" | tee -a "$out/transcript.txt"
if [ "$(daxctl_field mode)" = devdax ]; then
    printf 'the kernel gave the ZONE_NORMAL memory back this time: no EBUSY to show\n' | tee -a "$out/transcript.txt"
else
    case "$msg" in
        "conflict: $CONF:1: Namespace modes: the memory of $dax is online in ZONE_NORMAL and the kernel refused to take it offline (EBUSY)"*) ;;
        *) fail "no EBUSY problem with FILE:LINE: $(mgr_prop Problems)" ;;
    esac
    check_eq "no step pending (no retry)" 0 "$(mgr_prop PendingSteps)"
    sleep 5
    attempts=$(journalctl -u daxmgrd --since "@$t0" --no-pager | grep -cE "\]: Namespace modes: Cannot switch $dax back to devdax" || true)
    check_eq "attempts in the journal after one reload" 1 "$attempts"
    daxmgr status | tee "$out/status-ebusy.txt" | sed -n '/^Problems/,/^Watches/p'
    step "daxmgr reload tries once more"
    daxmgr reload
    wait_settled 240
    sleep 2
    attempts=$(journalctl -u daxmgrd --since "@$t0" --no-pager | grep -cE "\]: Namespace modes: Cannot switch $dax back to devdax" || true)
    check_eq "attempts after a second reload" 2 "$attempts"
    [ -n "$(problem EBUSY)" ] || fail "the problem is gone after the second refusal"
fi

step "soft-reserved memory (hmem): a dax device daxmgr did not make"
grep -i 'soft reserved' /proc/iomem | tee "$out/iomem-soft-reserved.txt" || true
hline=$(mgr_prop DaxDevices | jq -r '.[] | select(split(" ")[1] == "hmem")' | head -n 1)
if [ -z "$hline" ]; then
    printf 'hmem: no hmem dax device on this kernel (soft reserved: %s; platform devices: %s)\n' \
        "$(paste -sd' ' "$out/iomem-soft-reserved.txt")" "$(cd /sys/bus/platform/devices && printf '%s ' hmem*)" |
        tee -a "$out/transcript.txt"
else
    nd_mode=$(daxctl_field mode)
    dax=${hline%% *}
    hres=$(printf '%s\n' "$hline" | tr ' ' '\n' | sed -n 's/^resource=//p')
    printf 'hmem: %s\n' "$hline" | tee -a "$out/transcript.txt"
    # The namespace's section as the device is now, so that it asks for nothing.
    nd_keys=""
    [ "$nd_mode" != system-ram ] || nd_keys="SystemRAM=online
Destroy=yes"
    dd_conf() { # dd_conf KEY-LINES: [DaxDevice hbm] at line 1, its keys from line 4
        write_config <<CONF_EOF
[DaxDevice hbm]
Provider=hmem
Resource=$hres
$1

[Namespace modes]
Region=$REGION
Mode=devdax
Size=512M
$nd_keys
CONF_EOF
    }
    # Linux 6.3 and later hand soft-reserved memory to kmem by themselves, and under an "online"
    # policy the kernel onlines it into ZONE_NORMAL before any daemon runs: the case daxmgr
    # cannot undo. Older kernels leave it devdax.
    show hmem-boot
    printf 'hmem at boot, before any [DaxDevice] section: mode %s, zone %s, policy %s\n' \
        "$(daxctl_field mode)" "$(dax_kv zone || true)" "$(cat "$AUTO_ONLINE")" | tee -a "$out/transcript.txt"
    hpolicy=$(cat "$AUTO_ONLINE")

    if [ "$(daxctl_field mode)" = system-ram ] && [ "$(dax_kv zone)" != movable ]; then
        step "[DaxDevice hbm] SystemRAM=online-movable over memory the kernel onlined itself"
        dd_conf "SystemRAM=online-movable"
        reload
        show hmem-movable-asked
        msg=$(problem "DaxDevice hbm: the memory of $dax")
        printf 'hmem already online: %s\n' "${msg:-no problem: the kernel gave it back}" | tee -a "$out/transcript.txt"
        if [ "$(dax_kv zone)" != movable ]; then
            case "$msg" in
                "conflict: $CONF:4: DaxDevice hbm: the memory of $dax is already online in ZONE_NORMAL (onlined before daxmgr ran"*"(EBUSY)"*) ;;
                *) fail "no 'already online' problem at $CONF:4: $(mgr_prop Problems)" ;;
            esac
            check_eq "no step pending (no retry)" 0 "$(mgr_prop PendingSteps)"
        fi
        step "[DaxDevice hbm] devdax (SystemRAM= not set), Permissions=0600"
        dd_conf "Permissions=0600"
        reload
        show hmem-devdax-asked
        msg=$(problem "DaxDevice hbm: the memory of $dax")
        printf 'hmem back to devdax: %s\n' "${msg:-no problem: the kernel gave it back}" | tee -a "$out/transcript.txt"
        if [ "$(daxctl_field mode)" != devdax ]; then
            case "$msg" in
                "conflict: $CONF:1: DaxDevice hbm: the memory of $dax is online in ZONE_"*"and the kernel refused to take it offline (EBUSY)"*) ;;
                *) fail "no EBUSY problem at $CONF:1: $(mgr_prop Problems)" ;;
            esac
        fi
    fi

    if [ "$(daxctl_field mode)" = devdax ]; then
        case "$hpolicy" in
            online | online_kernel)
                step "[DaxDevice hbm] SystemRAM=online-movable under the policy '$hpolicy'"
                dd_conf "SystemRAM=online-movable"
                reload
                msg=$(problem "DaxDevice hbm: SystemRAM=online-movable cannot be done")
                printf 'hmem policy refusal: %s\n' "$msg" | tee -a "$out/transcript.txt"
                case "$msg" in
                    "conflict: $CONF:4: DaxDevice hbm: SystemRAM=online-movable cannot be done while the kernel's memory auto-online policy is '$hpolicy'"*) ;;
                    *) fail "no auto-online policy problem at $CONF:4: $(mgr_prop Problems)" ;;
                esac
                check_eq "hmem mode after the policy refusal" devdax "$(daxctl_field mode)"
                echo offline >"$AUTO_ONLINE"
                ;;
        esac
        step "[DaxDevice hbm] SystemRAM=online-movable"
        dd_conf "SystemRAM=online-movable"
        reload
        show hmem-system-ram-movable
        check_eq "hmem mode" system-ram "$(daxctl_field mode)"
        check_eq "hmem movable" true "$(daxctl_field movable)"
        check_eq "hmem zone (daemon)" movable "$(dax_kv zone)"
        [ -n "$(dax_kv node)" ] || fail "the daemon names no node for $dax: $(dax_line)"
        daxmgr status | sed -n '/^Platform/,/^$/p' | tee "$out/status-hmem.txt"
        step "[DaxDevice hbm] devdax again, Permissions=0600"
        dd_conf "Permissions=0600"
        reload
        show hmem-devdax-2
        check_eq "hmem mode" devdax "$(daxctl_field mode)"
        check_eq "hmem permissions" 600 "$(stat -c %a "/dev/$dax")"
    fi
    echo "$hpolicy" >"$AUTO_ONLINE"
fi

cp "$out/transcript.txt" "$out/transcript.final.txt"
cat "$out/transcript.txt"
