#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# smoke: yes
# timeout: 600
# expect: 200
#
# daxmgrd under systemd realizes a declarative configuration: an fsdax namespace formatted and
# mounted with DAX, a zone on it, a placed program activated for a service through a drop-in, and
# a devdax namespace with an owner and permissions. ndctl and the mount table agree; a second
# reconcile changes nothing; the objects, properties, methods and signals are there for busctl and
# gdbus; an invalid configuration is reported while the daemon keeps the last good one. After a
# reboot the same state is found again by name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
SLEEPER=/usr/libexec/daxmgr/daxmgr-static-sleeper
DAEMON_CLEANUP_UNITS=xip-sleeper.service

if [ "${DAXMGR_TEST_BOOT:-1}" = 1 ]; then
    step "the configuration is valid"
    write_config <<CONF
[Namespace data]
Region=region0
Mode=fsdax
Size=1G
Filesystem=xfs
MountPoint=/mnt/data
DAX=always

[Namespace vmem]
Region=region1
Mode=devdax
Size=512M
Align=2M
Owner=nobody
Group=nogroup
Permissions=0660

[Zone apps]
Namespace=data
Directory=xip

[Placement sleeper]
Zone=apps
Program=$SLEEPER
Service=xip-sleeper.service
CONF
    daxmgrd --check-config
    cat >/etc/systemd/system/xip-sleeper.service <<UNIT
[Service]
ExecStart=$SLEEPER 600
UNIT

    step "systemctl enable --now daxmgrd: everything is made"
    t0=$(date +%s.%N)
    systemctl enable --now daxmgrd
    wait_settled 240
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "configuration realized in %.1f s\n", b - a }'
    systemctl status daxmgrd --no-pager | head -12
    check_eq "daemon state" idle "$(mgr_prop State)"
    check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"

    check_eq "data mode (ndctl)" fsdax "$(ndctl_ns mode data)"
    check_eq "data size (ndctl)" 1 "$(ndctl_ns size data | awk '{print ($1 > 1000000000 && $1 <= 1073741824)}')"
    blk=$(ndctl_ns blockdev data)
    check_eq "data mounted at /mnt/data" "/mnt/data" "$(findmnt -rno TARGET "/dev/$blk")"
    check_eq "xfs" xfs "$(findmnt -rno FSTYPE "/dev/$blk")"
    findmnt -rno OPTIONS "/dev/$blk" | grep -q 'dax=always\|,dax\b\|^dax' || fail "not mounted with dax: $(findmnt -rno OPTIONS "/dev/$blk")"
    check_eq "vmem mode" devdax "$(ndctl_ns mode vmem)"
    chr=$(ndctl_json list -N -v | jq -r '.[] | select(.name == "vmem") | .daxregion.devices[0].chardev')
    check_eq "/dev/$chr owner:group mode" "nobody:nogroup 660" "$(stat -c '%U:%G %a' "/dev/$chr")"
    check_eq "zone directory" 1 "$(test -d /mnt/data/xip && echo 1)"
    copy=/mnt/data/xip/root$SLEEPER
    check_eq "placed copy" 1 "$(test -f "$copy" && echo 1)"
    grep -q "BindReadOnlyPaths=$copy:$SLEEPER" /etc/systemd/system/xip-sleeper.service.d/50-daxmgr-xip.conf ||
        fail "no drop-in for xip-sleeper.service"
    check_eq "entry point" 1 "$(test -e /mnt/data/xip/bin/daxmgr-static-sleeper && echo 1)"

    step "the program runs in place, as the daemon's own VerifyProcess says"
    systemctl start xip-sleeper.service
    pid=$(systemctl show -P MainPID xip-sleeper.service)
    wait_asleep "$pid"
    call VerifyProcess 'ua{sv}' "$pid" 0 >"$out/verify.json"
    jq -c .summary "$out/verify.json"
    check_ge "text pages in pmem" 1 "$(jq .summary.exec_pmem "$out/verify.json")"
    check_eq "text pages in DRAM" 0 "$(jq .summary.exec_dram "$out/verify.json")"

    step "a second reconcile changes nothing"
    ndctl_json list -N | jq -c '[.[] | {name, uuid, mode, size}] | sort_by(.name)' >"$out/ns-before.json"
    check_eq "plan" 0 "$(call GetPlan | jq '.steps | length')"
    job=$(call Reconcile 'a{sv}' 0)
    check_eq "reconcile job" "done" "$(wait_job "$job")"
    check_eq "steps done" 0 "$(prop "$job" Job Result | jq .steps)"
    ndctl_json list -N | jq -c '[.[] | {name, uuid, mode, size}] | sort_by(.name)' >"$out/ns-after.json"
    check_eq "namespaces unchanged" "$(cat "$out/ns-before.json")" "$(cat "$out/ns-after.json")"

    step "busctl and gdbus see the objects, properties and signals"
    busctl --system tree org.daxmgr1 | tee "$out/tree.txt"
    grep -q "/org/daxmgr1/region/region0" "$out/tree.txt" || fail "no region object"
    grep -q "/org/daxmgr1/zone/" "$out/tree.txt" || fail "no zone object"
    grep -q "/org/daxmgr1/placement/" "$out/tree.txt" || fail "no placement object"
    busctl --system introspect org.daxmgr1 /org/daxmgr1 org.daxmgr1.Manager >"$out/introspect.txt"
    for member in Reload Reconcile GetPlan CreateNamespace DestroyNamespace Format Mount Unmount CreateZone \
        RemoveZone Place Unplace VerifyProcess VerifyPath JobNew JobRemoved State Problems Jobs; do
        grep -q "^\.$member " "$out/introspect.txt" || fail "introspection lacks $member"
    done
    gdbus call --system --dest org.daxmgr1 --object-path /org/daxmgr1 \
        --method org.freedesktop.DBus.ObjectManager.GetManagedObjects >"$out/managed.txt"
    busctl --system call --json=short org.daxmgr1 /org/daxmgr1 org.freedesktop.DBus.ObjectManager \
        GetManagedObjects >"$out/managed.json"
    nsobj=$(jq -r '.data[0] | to_entries[] | select(.value["org.daxmgr1.Namespace"].Name.data == "data") | .key' \
        "$out/managed.json")
    [ -n "$nsobj" ] || fail "no namespace object named data"
    check_eq "Namespace.MountPoints" '["/mnt/data"]' "$(prop "$nsobj" Namespace MountPoints | jq -c .)"
    check_eq "Namespace.ConfigSection" "Namespace data" "$(prop "$nsobj" Namespace ConfigSection)"
    grep -q "'Name': <'data'>" "$out/managed.txt" || fail "GetManagedObjects lacks the namespace data"

    # The documents in docs/dbus/ and the introspection agree, member for member.
    zoneobj=$(busctl --system --list tree org.daxmgr1 | grep '/zone/.' | head -1)
    plobj=$(busctl --system --list tree org.daxmgr1 | grep '/placement/.' | head -1)
    # A job of its own: a finished job leaves the bus 60 s after it ends, and on a loaded host
    # the first one (Jobs[0]) may be gone between this line and its introspection.
    jobobj=$(call Reconcile 'a{sv}' 0)
    check_eq "reconcile job for the introspection" "done" "$(wait_job "$jobobj")"
    for pair in Manager:/org/daxmgr1 Region:/org/daxmgr1/region/region0 "Namespace:$nsobj" "Zone:$zoneobj" \
        "Placement:$plobj" "Job:$jobobj"; do
        iface=org.daxmgr1.${pair%%:*} path=${pair#*:}
        doc=$DAXMGR_SRC/docs/dbus/$iface.md
        awk '/^interface /{on=1; next} on && /^};/{on=0} on && /^    [A-Za-z]/ {
                 l=$0; sub(/^ +/, "", l); sub(/^readonly [^ ]+ /, "", l); sub(/[(;].*/, "", l); print l }' \
            "$doc" | sort >"$out/doc-$iface.txt"
        busctl --system introspect org.daxmgr1 "$path" "$iface" | awk 'NR > 1 { sub(/^\./, "", $1); print $1 }' |
            sort >"$out/bus-$iface.txt"
        diff -u "$out/doc-$iface.txt" "$out/bus-$iface.txt" || fail "docs/dbus/$iface.md and the introspection of $path differ"
        echo "ok: $iface: $(wc -l <"$out/bus-$iface.txt") members, as documented"
    done

    gdbus monitor --system --dest org.daxmgr1 >"$out/monitor.txt" 2>&1 &
    mon=$!
    # gdbus prints whose the name is after it subscribed (the answer to a call sent after the
    # AddMatch): from then on no signal is missed.
    for ((i = 0; i < 200; i++)); do grep -q "is owned by" "$out/monitor.txt" && break; sleep 0.05; done
    job=$(call Reconcile 'a{sv}' 0)
    wait_job "$job" >/dev/null
    # Until the signals the checks below look for are written (at most 10 s; they fail if not).
    for ((i = 0; i < 200; i++)); do
        grep -q "org.daxmgr1.Job.Completed (true" "$out/monitor.txt" &&
            grep -q "org.daxmgr1.Manager.JobRemoved" "$out/monitor.txt" &&
            grep -q "org.freedesktop.DBus.ObjectManager.InterfacesAdded" "$out/monitor.txt" &&
            grep -q "PropertiesChanged ('org.daxmgr1.Job'" "$out/monitor.txt" && break
        sleep 0.05
    done
    kill $mon
    grep -q "org.daxmgr1.Job.Completed (true" "$out/monitor.txt" || { cat "$out/monitor.txt"; fail "no Completed signal"; }
    grep -q "org.daxmgr1.Manager.JobRemoved" "$out/monitor.txt" || fail "no JobRemoved signal"
    grep -q "org.freedesktop.DBus.ObjectManager.InterfacesAdded" "$out/monitor.txt" || fail "no InterfacesAdded for the job"
    grep -q "PropertiesChanged ('org.daxmgr1.Job'" "$out/monitor.txt" || fail "no PropertiesChanged of the job"

    step "bad arguments are typed errors"
    err=$(busctl --system call org.daxmgr1 /org/daxmgr1 org.daxmgr1.Manager Format 'sa{sv}' data 1 forse b true 2>&1) && fail "a misspelt option was accepted"
    echo "$err"
    case $err in *'has no option "forse"'*) ;; *) fail "unexpected: $err" ;; esac
    err=$(busctl --system call org.daxmgr1 /org/daxmgr1 org.daxmgr1.Manager Format 'sa{sv}' nosuch 0 2>&1) && fail "an unknown namespace was accepted"
    case $err in *"no namespace"*) echo "$err" ;; *) fail "unexpected: $err" ;; esac

    step "an invalid configuration: reported, the last good one kept, the daemon keeps running"
    cp /etc/daxmgr/daxmgr.conf "$out/good.conf"
    printf '[Namespace broken]\nMode=fsdax\nSize=lots\n' >>/etc/daxmgr/daxmgr.conf
    systemctl reload daxmgrd
    # ExecReload= sends SIGHUP and returns: until the daemon read the file (at most 20 s).
    for ((i = 0; i < 100; i++)); do [ "$(mgr_prop State)" = degraded ] && break; sleep 0.2; done
    check_eq "daemon active" active "$(systemctl is-active daxmgrd)"
    mgr_prop ConfigError
    mgr_prop ConfigError | grep -q "daxmgr.conf:[0-9]*:" || fail "ConfigError does not name the file and line"
    check_eq "state" degraded "$(mgr_prop State)"
    err=$(busctl --system call org.daxmgr1 /org/daxmgr1 org.daxmgr1.Manager Reload 2>&1) && fail "Reload accepted a bad config"
    case $err in *"daxmgr.conf:"*) echo "$err" ;; *) fail "unexpected: $err" ;; esac
    check_eq "data still mounted" "/mnt/data" "$(findmnt -rno TARGET "/dev/$blk")"
    cp "$out/good.conf" /etc/daxmgr/daxmgr.conf
    call Reload '' >/dev/null
    wait_settled 60
    check_eq "error cleared" "" "$(mgr_prop ConfigError)"

    step "reboot: the daemon finds the same state again by name"
    ndctl_json list -N | jq -c '[.[] | {name, uuid, mode}] | sort_by(.name)' >"$out/ns-before-reboot.json"
    systemctl stop xip-sleeper.service
    testbed-reboot
fi

step "after the reboot: the same namespaces by name, mounted again, nothing recreated"
wait_settled 240
ndctl_json list -N | jq -c '[.[] | {name, uuid, mode}] | sort_by(.name)' >"$out/ns-after-reboot.json"
check_eq "namespaces" "$(cat "$out/ns-before-reboot.json")" "$(cat "$out/ns-after-reboot.json")"
blk=$(ndctl_ns blockdev data)
check_eq "data mounted at /mnt/data" "/mnt/data" "$(findmnt -rno TARGET "/dev/$blk")"
check_eq "placed copy still there" 1 "$(test -f /mnt/data/xip/root$SLEEPER && echo 1)"
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"
journalctl -b -u daxmgrd --no-pager | tail -15

step "an entry point written by the previous version is written again, and then keeps the name"
# A program placed with its libraries gets a launcher that starts the loader through
# bin/.exec/NAME; one of the previous version had neither that link nor exec-as=.
cat >>/etc/daxmgr/daxmgr.conf <<CONF

[Placement sleep]
Zone=apps
Program=/usr/bin/sleep
WithLibraries=yes
CONF
call Reload '' >/dev/null
wait_settled 120
check_eq "bin/.exec/sleep" "$(readlink -f /mnt/data/xip/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)" \
    "$(readlink -f /mnt/data/xip/bin/.exec/sleep)"
rm /mnt/data/xip/bin/.exec/sleep
sed -i '/^exec-as=/d' /mnt/data/xip/bin/.sleep.launch
call GetPlan | jq -c '[.steps[] | {type, description}]' | tee "$out/plan-old-entry.json"
check_eq "the plan writes the old entry point again" 1 \
    "$(jq '[.[] | select(.type == "write-entry-point")] | length' "$out/plan-old-entry.json")"
job=$(call Reconcile 'a{sv}' 0)
check_eq "reconcile job" "done" "$(wait_job "$job")"
grep -q '^exec-as=/mnt/data/xip/bin/.exec/sleep$' /mnt/data/xip/bin/.sleep.launch || fail "no exec-as= after the reconcile"
/mnt/data/xip/bin/sleep 300 &
pid=$!
wait_asleep $pid
check_named $pid sleep
call VerifyProcess 'ua{sv}' "$pid" 0 | jq -c .summary | tee "$out/verify-sleep.json"
check_eq "sleep through the entry point: text pages in DRAM" 0 "$(jq .exec_dram "$out/verify-sleep.json")"
kill $pid
wait $pid 2>/dev/null || true
