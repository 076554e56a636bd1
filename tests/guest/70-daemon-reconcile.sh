#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# smoke: yes
# timeout: 600
# expect: 200
#
# daxmgrd under systemd realizes a declarative configuration: an fsdax namespace formatted and
# mounted with DAX, a zone on it, a placed program activated for a service through a drop-in, and
# a devdax namespace with an owner and permissions. ndctl and the mount table agree; the journal
# holds each key event once with its MESSAGE_ID= and DAXMGR_* fields (a namespace, a placement
# made and undone by hand too), the old lines' words unchanged; a second reconcile changes nothing;
# `daxmgr metrics` (promtool checks the text saved as metrics.prom and textfile.prom on the host)
# shows the mount as DAX and the placed service's text in pmem, and [Metrics] TextfilePath= gets
# the same text; the objects, properties, methods and signals are there for busctl and gdbus; an invalid
# configuration is reported while the daemon keeps the last good one. After a reboot the same
# state is found again by name, and nothing is created again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
SLEEPER=/usr/libexec/daxmgr/daxmgr-static-sleeper
DAEMON_CLEANUP_UNITS=xip-sleeper.service

# The MESSAGE_ID= of the key events (daemon/messages.h, docs/ARCHITECTURE.md "Logs"): fixed, so
# written out here rather than read from the header.
MSG_NS_CREATED=669c40123bd14cd1b593e36b5fe32935
MSG_NS_DESTROYED=16f2df5cd7cb4161981ebe4eaca961d7
MSG_DAX_MOUNTED=dff2c4b5b36642febf26e07b0a877638
MSG_ZONE_READY=f34dea45dab44b0aa18ff665aadd1a14
MSG_PLACED=f45b1f02e1114efcbdf4c9419f62cd3c
MSG_REMOVED=17834bd1d46b4998b4e2029e4f85f3d8
MSG_RECONCILED=6e58a64d1cb24a21847c58e204437b57
MSG_JOB_FINISHED=651b23c633254a3dacd1a89decc970f1

# events MATCH...: the entries of the running daxmgrd in the journal that match (journalctl's
# FIELD=VALUE, all of them), one JSON object a line. Job ids start at 1 in each daemon process,
# hence its _PID.
events() {
    journalctl --sync
    journalctl -b -o json --no-pager _SYSTEMD_UNIT=daxmgrd.service _PID="$(systemctl show -P MainPID daxmgrd)" "$@"
}

# event_field FILE FIELD: FIELD of the one entry in FILE (events' output); fails unless there is
# exactly one.
event_field() {
    [ "$(jq -s length "$1")" = 1 ] || { cat "$1"; fail "$(basename "$1"): $(jq -s length "$1") entries, not 1"; }
    jq -r --arg f "$2" '.[$f] // "(none)"' "$1"
}

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

[Metrics]
TextfilePath=/var/lib/prometheus/node-exporter/daxmgr.prom
CONF
    daxmgrd --check-config
    mkdir -p /var/lib/prometheus/node-exporter # node_exporter's textfile directory (Debian's)
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
    grep -q "BindReadOnlyPaths=-$copy:$SLEEPER" /run/systemd/generator/xip-sleeper.service.d/50-daxmgr-xip.conf ||
        fail "no drop-in for xip-sleeper.service"
    check_eq "entry point" 1 "$(test -e /mnt/data/xip/bin/daxmgr-static-sleeper && echo 1)"

    step "the journal: each key event once, with its MESSAGE_ID= and fields"
    nsdev=$(ndctl_ns dev data)
    events MESSAGE_ID=$MSG_NS_CREATED DAXMGR_NAMESPACE="$nsdev" >"$out/ev-created.json"
    jq -c '{MESSAGE, DAXMGR_NAMESPACE, DAXMGR_NAMESPACE_NAME, DAXMGR_REGION, DAXMGR_JOB, PRIORITY}' "$out/ev-created.json"
    check_eq "namespace created: MESSAGE" "Created fsdax namespace $nsdev \"data\" in region0." \
        "$(event_field "$out/ev-created.json" MESSAGE)"
    check_eq "namespace created: DAXMGR_NAMESPACE_NAME" data "$(event_field "$out/ev-created.json" DAXMGR_NAMESPACE_NAME)"
    check_eq "namespace created: DAXMGR_REGION" region0 "$(event_field "$out/ev-created.json" DAXMGR_REGION)"
    check_eq "namespace created: PRIORITY" 6 "$(event_field "$out/ev-created.json" PRIORITY)"
    check_eq "namespace created: SYSLOG_IDENTIFIER" daxmgrd "$(event_field "$out/ev-created.json" SYSLOG_IDENTIFIER)"
    jid=$(event_field "$out/ev-created.json" DAXMGR_JOB)
    events MESSAGE_ID=$MSG_NS_CREATED DAXMGR_NAMESPACE_NAME=vmem >"$out/ev-created-vmem.json"
    check_eq "devdax namespace created: DAXMGR_NAMESPACE" "$(ndctl_ns dev vmem)" \
        "$(event_field "$out/ev-created-vmem.json" DAXMGR_NAMESPACE)"
    events MESSAGE_ID=$MSG_DAX_MOUNTED DAXMGR_MOUNT_POINT=/mnt/data >"$out/ev-mounted.json"
    check_eq "mounted: MESSAGE" "Mounted /dev/$blk ($nsdev) at /mnt/data with dax=always: DAX is in effect." \
        "$(event_field "$out/ev-mounted.json" MESSAGE)"
    check_eq "mounted: DAXMGR_NAMESPACE" "$nsdev" "$(event_field "$out/ev-mounted.json" DAXMGR_NAMESPACE)"
    events MESSAGE_ID=$MSG_ZONE_READY DAXMGR_ZONE=/mnt/data/xip >"$out/ev-zone.json"
    check_eq "zone ready: MESSAGE" "Zone /mnt/data/xip is ready: new files in it are DAX." \
        "$(event_field "$out/ev-zone.json" MESSAGE)"
    check_eq "zone ready: DAXMGR_NAMESPACE" "$nsdev" "$(event_field "$out/ev-zone.json" DAXMGR_NAMESPACE)"
    events MESSAGE_ID=$MSG_PLACED DAXMGR_ZONE=/mnt/data/xip DAXMGR_PROGRAM=$SLEEPER >"$out/ev-placed.json"
    check_eq "placed: MESSAGE" "Placed $SLEEPER in zone /mnt/data/xip." "$(event_field "$out/ev-placed.json" MESSAGE)"
    # The job that made the namespace: its end, in the words of before, and the reconcile's.
    events MESSAGE_ID=$MSG_JOB_FINISHED DAXMGR_JOB="$jid" >"$out/ev-job.json"
    check_eq "job finished: MESSAGE" "Job $jid (reconcile) done." "$(event_field "$out/ev-job.json" MESSAGE)"
    check_eq "job finished: DAXMGR_JOB_TYPE" reconcile "$(event_field "$out/ev-job.json" DAXMGR_JOB_TYPE)"
    check_eq "job finished: DAXMGR_RESULT" "done" "$(event_field "$out/ev-job.json" DAXMGR_RESULT)"
    events MESSAGE_ID=$MSG_RECONCILED DAXMGR_JOB="$jid" >"$out/ev-reconciled.json"
    check_eq "reconcile finished: DAXMGR_RESULT" "done" "$(event_field "$out/ev-reconciled.json" DAXMGR_RESULT)"
    event_field "$out/ev-reconciled.json" MESSAGE | grep -qx 'Reconcile finished: [1-9][0-9]* step(s) done; [0-9]* problem(s) left\.' ||
        fail "reconcile finished: MESSAGE is \"$(event_field "$out/ev-reconciled.json" MESSAGE)\""
    # The job's own lines carry its id too, and read as before where people and tests look.
    check_ge "lines of job $jid" 4 "$(events DAXMGR_JOB="$jid" | jq -s length)"
    journalctl -b -u daxmgrd -o short --no-pager | grep -qF "daxmgrd[$(systemctl show -P MainPID daxmgrd)]: Job $jid (reconcile) done." ||
        fail "journalctl -o short lacks \"daxmgrd[PID]: Job $jid (reconcile) done.\""

    step "the journal: a namespace, a placement made and undone by hand"
    job=$(call CreateNamespace 'a{sv}' 4 region s region1 size s 64M mode s raw name s jtmp)
    check_eq "create-namespace job" "done" "$(wait_job "$job")"
    tmpdev=$(ndctl_ns dev jtmp)
    events MESSAGE_ID=$MSG_NS_CREATED DAXMGR_JOB="${job##*/}" >"$out/ev-created-jtmp.json"
    check_eq "created by hand: DAXMGR_NAMESPACE" "$tmpdev" "$(event_field "$out/ev-created-jtmp.json" DAXMGR_NAMESPACE)"
    check_eq "created by hand: MESSAGE" "Created raw namespace $tmpdev \"jtmp\" in region1." \
        "$(event_field "$out/ev-created-jtmp.json" MESSAGE)"
    job=$(call DestroyNamespace 'sa{sv}' jtmp 1 force b true)
    check_eq "destroy-namespace job" "done" "$(wait_job "$job")"
    events MESSAGE_ID=$MSG_NS_DESTROYED DAXMGR_NAMESPACE="$tmpdev" >"$out/ev-destroyed.json"
    check_eq "destroyed: MESSAGE" "Destroyed namespace $tmpdev \"jtmp\"." "$(event_field "$out/ev-destroyed.json" MESSAGE)"
    check_eq "destroyed: DAXMGR_JOB" "${job##*/}" "$(event_field "$out/ev-destroyed.json" DAXMGR_JOB)"
    job=$(call Place 'ssa{sv}' /mnt/data/xip /usr/bin/true 1 entry_point b false)
    check_eq "place job" "done" "$(wait_job "$job")"
    events MESSAGE_ID=$MSG_PLACED DAXMGR_JOB="${job##*/}" >"$out/ev-placed-true.json"
    check_eq "placed by hand: DAXMGR_PROGRAM" /usr/bin/true "$(event_field "$out/ev-placed-true.json" DAXMGR_PROGRAM)"
    check_eq "placed by hand: DAXMGR_ZONE" /mnt/data/xip "$(event_field "$out/ev-placed-true.json" DAXMGR_ZONE)"
    job=$(call Unplace 'ssa{sv}' /mnt/data/xip /usr/bin/true 0)
    check_eq "unplace job" "done" "$(wait_job "$job")"
    events MESSAGE_ID=$MSG_REMOVED DAXMGR_JOB="${job##*/}" >"$out/ev-removed.json"
    check_eq "removed: MESSAGE" "Removed /usr/bin/true from zone /mnt/data/xip." "$(event_field "$out/ev-removed.json" MESSAGE)"
    events MESSAGE_ID=$MSG_JOB_FINISHED DAXMGR_JOB="${job##*/}" >"$out/ev-job-unplace.json"
    check_eq "unplace job finished: DAXMGR_JOB_TYPE" unplace "$(event_field "$out/ev-job-unplace.json" DAXMGR_JOB_TYPE)"
    wait_settled 60

    step "the program runs in place, as the daemon's own VerifyProcess says"
    systemctl start xip-sleeper.service
    pid=$(systemctl show -P MainPID xip-sleeper.service)
    wait_asleep "$pid"
    call VerifyProcess 'ua{sv}' "$pid" 0 >"$out/verify.json"
    jq -c .summary "$out/verify.json"
    check_ge "text pages in pmem" 1 "$(jq .summary.exec_pmem "$out/verify.json")"
    check_eq "text pages in DRAM" 0 "$(jq .summary.exec_dram "$out/verify.json")"

    step "daxmgr metrics: the Prometheus text format, and node_exporter's textfile"
    daxmgr metrics >"$out/metrics.prom"
    # sample NAME{LABELS}: its value (the labels as the text has them, in order)
    sample() { awk -v k="$1" 'substr($0, 1, length(k) + 1) == k " " { print $2 }' "$out/metrics.prom"; }
    pl="zone=\"/mnt/data/xip\",program=\"$SLEEPER\""
    data_ns=$(ndctl_ns dev data)
    check_eq "HELP and TYPE once per family" "" \
        "$(grep -E '^# (HELP|TYPE) ' "$out/metrics.prom" | awk '{print $2, $3}' | sort | uniq -d)"
    check_eq "daxmgr_info" 1 "$(sample "daxmgr_info{version=\"$(mgr_prop Version)\"}")"
    check_eq "fsdax namespaces of region0" 1 "$(sample 'daxmgr_namespaces{region="region0",mode="fsdax"}')"
    check_eq "devdax namespaces of region1" 1 "$(sample 'daxmgr_namespaces{region="region1",mode="devdax"}')"
    check_eq "/mnt/data is DAX" 1 "$(sample "daxmgr_mount_dax{namespace=\"$data_ns\",mountpoint=\"/mnt/data\"}")"
    check_eq "/mnt/data should be" 1 \
        "$(sample "daxmgr_mount_dax_expected{namespace=\"$data_ns\",mountpoint=\"/mnt/data\"}")"
    check_eq "zone mounted" 1 "$(sample 'daxmgr_zone_mounted{zone="/mnt/data/xip"}')"
    check_eq "zone placements" 1 "$(sample 'daxmgr_zone_placements{zone="/mnt/data/xip"}')"
    check_ge "zone file system size" 1 "$(sample 'daxmgr_zone_size_bytes{zone="/mnt/data/xip"}')"
    check_eq "placement not stale" 0 "$(sample "daxmgr_placement_stale{$pl,service=\"xip-sleeper.service\"}")"
    check_eq "service processes" 1 \
        "$(sample "daxmgr_service_processes{service=\"xip-sleeper.service\",$pl}")"
    check_ge "service text in pmem (bytes)" 4096 \
        "$(sample "daxmgr_service_text_resident_bytes{service=\"xip-sleeper.service\",$pl,memory=\"pmem\"}")"
    check_eq "service text in DRAM (bytes)" 0 \
        "$(sample "daxmgr_service_text_resident_bytes{service=\"xip-sleeper.service\",$pl,memory=\"dram\"}")"
    check_eq "last reconcile succeeded" 1 "$(sample daxmgr_reconcile_success)"
    check_ge "last success timestamp" 1700000000 "$(sample daxmgr_reconcile_last_success_timestamp_seconds | cut -d. -f1)"
    check_eq "pending steps" 0 "$(sample daxmgr_reconcile_pending_steps)"
    for kind in waiting conflict no-room blocked stale; do
        check_eq "problems of kind $kind" 0 "$(sample "daxmgr_problems{kind=\"$kind\"}")"
    done
    check_ge "jobs done" 1 "$(sample 'daxmgr_jobs_total{result="done"}')"
    check_eq "jobs failed" 0 "$(sample 'daxmgr_jobs_total{result="failed"}')"
    tf=/var/lib/prometheus/node-exporter/daxmgr.prom
    for _ in $(seq 50); do [ -s "$tf" ] && break; sleep 0.2; done
    check_eq "textfile mode" 644 "$(stat -c %a "$tf")"
    grep -q '^daxmgr_zone_placements{zone="/mnt/data/xip"} 1$' "$tf" || { cat "$tf"; fail "textfile: no zone"; }
    check_eq "no temporary files left" "" "$(find /var/lib/prometheus/node-exporter -name 'daxmgr.prom.*')"
    cp "$tf" "$out/textfile.prom"

    step "a second reconcile changes nothing"
    ndctl_json list -N | jq -c '[.[] | {name, uuid, mode, size}] | sort_by(.name)' >"$out/ns-before.json"
    check_eq "plan" 0 "$(call GetPlan | jq '.steps | length')"
    job=$(call Reconcile 'a{sv}' 0)
    check_eq "reconcile job" "done" "$(wait_job "$job")"
    check_eq "steps done" 0 "$(prop "$job" Job Result | jq .steps)"
    events MESSAGE_ID=$MSG_RECONCILED DAXMGR_JOB="${job##*/}" >"$out/ev-reconciled-again.json"
    check_eq "reconcile finished: MESSAGE" "Reconcile finished: 0 step(s) done; 0 problem(s) left." \
        "$(event_field "$out/ev-reconciled-again.json" MESSAGE)"
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
journalctl --sync
check_eq "namespace-created events in this boot" 0 \
    "$(journalctl -b -o json --no-pager MESSAGE_ID=$MSG_NS_CREATED | jq -s length)"
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
