#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# boot: daemon
# timeout: 300
#
# Authorization, with the guest's real polkitd: anyone may read (properties, GetManagedObjects,
# GetPlan) and verify their own process; a user who is not root is denied every mutation and
# the verification of someone else's process; root is allowed without asking. The bus policy
# lets only root own the name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
DAEMON_CLEANUP_UNITS=daxmgrd.service # the debug drop-in

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# denied CMD...: must fail with an authorization error
denied() {
    local err rc=0
    err=$(as_nobody "$@" 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "nobody was allowed: $*"
    case $err in
        *"not allowed for this user"* | *"needs authentication"*) printf 'ok: denied: %s\n' "$err" ;;
        *) fail "'$*' failed for nobody without an authorization error: $err" ;;
    esac
}

mkdir -p /etc/systemd/system/daxmgrd.service.d
printf "[Service]\nEnvironment=DAXMGR_DEBUG=1\n" >/etc/systemd/system/daxmgrd.service.d/debug.conf
systemctl daemon-reload
systemctl start daxmgrd
wait_settled 60
M=(busctl --system call org.daxmgr1 /org/daxmgr1 org.daxmgr1.Manager)

step "anyone may read"
as_nobody busctl --system get-property org.daxmgr1 /org/daxmgr1 org.daxmgr1.Manager State
as_nobody busctl --system call org.daxmgr1 /org/daxmgr1 org.freedesktop.DBus.ObjectManager GetManagedObjects >/dev/null
as_nobody "${M[@]}" GetPlan >/dev/null
as_nobody "${M[@]}" GetTopology >/dev/null
echo "ok: properties, GetManagedObjects, GetPlan, GetTopology as nobody"

step "nobody may verify their own process, not another user's"
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/libexec/daxmgr/daxmgr-static-sleeper 120 &
own=$!
sleep 1
as_nobody "${M[@]}" VerifyProcess 'ua{sv}' "$own" 0 >"$out/own.txt"
echo "ok: nobody verified their own process $own"
denied "${M[@]}" VerifyProcess 'ua{sv}' 1 0
kill $own

step "nobody is denied every mutation"
denied "${M[@]}" Reload
denied "${M[@]}" Reconcile 'a{sv}' 0
denied "${M[@]}" CreateNamespace 'a{sv}' 2 size s 64M name s pk
denied "${M[@]}" DestroyNamespace 'sa{sv}' namespace0.0 0
denied "${M[@]}" Format 'sa{sv}' namespace0.0 0
denied "${M[@]}" Mount 'ssa{sv}' namespace0.0 /mnt/x 0
denied "${M[@]}" Unmount 'sa{sv}' /mnt/x 0
denied "${M[@]}" CreateZone 'sa{sv}' /mnt/x/z 0
denied "${M[@]}" RemoveZone 'sa{sv}' /mnt/x/z 0
denied "${M[@]}" Place 'ssa{sv}' /mnt/x/z /bin/true 0
denied "${M[@]}" Unplace 'ssa{sv}' /mnt/x/z /bin/true 0
check_eq "no job was queued" "[]" "$(mgr_prop Jobs | jq -c .)"

step "root is allowed without asking"
job=$("${M[@]}" CreateNamespace 'a{sv}' 3 region s region0 size s 64M name s pk-root | awk '{print $2}' | tr -d '"')
check_eq "create as root" "done" "$(wait_job "$job" 60)"
prop "$job" Job Result
check_eq "made" fsdax "$(ndctl_ns mode pk-root)"
job=$("${M[@]}" DestroyNamespace 'sa{sv}' pk-root 0 | awk '{print $2}' | tr -d '"')
check_eq "destroy as root" "done" "$(wait_job "$job" 60)"
check_eq "gone" "" "$(ndctl_ns mode pk-root)"

step "only root may own the name"
as_nobody busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus RequestName su \
    org.daxmgr1 0 2>&1 | tee "$out/own-name.txt" || true
grep -q "not allowed to own\|AccessDenied\|Access denied" "$out/own-name.txt" || fail "nobody could ask for the name"
