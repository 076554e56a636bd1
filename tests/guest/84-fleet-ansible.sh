#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# boot: daemon
# timeout: 1500
# expect: 600
# manual: yes
#
# docs/FLEET.md's Ansible playbook (docs/examples/ansible/daxmgr.yml) run by ansible-core inside
# the guest, against the guest itself (-c local -i localhost,), as a fleet runs it on each host:
# the first run templates the drop-in (validated by "daxmgr config check --as DEST %s"), starts
# and reloads daxmgrd, and reconciles: changed; the second changes nothing (changed=0, the
# reconcile's --detailed-exitcode 0). Check mode (--check) with another value runs the plan
# (--detailed-exitcode 0) and leaves the drop-in alone; a candidate daxmgr refuses fails the
# template task and leaves the live drop-in as it was. ansible-core is in no image: its .debs
# (build-guest's EXTRA_PACKAGES) are on the 'extra' share, unpacked here (not installed: below).
# Manual (tests/run-all runs it when named): ansible under TCG takes 3-5 minutes a run, and four
# runs would add a quarter of an hour to every CI run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
EXTRA=/run/testbed/extra
SRC=/run/testbed/src
PLAYBOOK=$SRC/docs/examples/ansible/daxmgr.yml
DROPIN=/etc/daxmgr/daxmgr.conf.d/50-fleet.conf
MNT=/mnt/pmem-fleet

[ -f "$PLAYBOOK" ] || skip "no $PLAYBOOK on the src share"
compgen -G "$EXTRA/ansible-core_*.deb" >/dev/null ||
    skip "no ansible-core .deb on the 'extra' share ($EXTRA): tests/vm/build-guest could not fetch it (see its extra.log)"

step "ansible-core from the test bed's package cache, unpacked (no network)"
# Unpacked, not installed: under TCG, apt-get install of these 35 packages took 539 s (the
# maintainer scripts byte-compile every module of ansible-core and python3-cryptography, and
# ca-certificates builds its store); unpacked they take seconds, and Python compiles only the
# modules a run imports. The files are Debian 13's own, run by the guest's python3.
t0=$(date +%s)
OPT=/opt/ansible
mkdir -p $OPT
# Gone with the test, before daemon-lib.sh's cleanup (which keeps the exit status).
trap 'rc=$?; rm -rf $OPT /tmp/ansible-home; (exit $rc); _daemon_cleanup' EXIT
for deb in "$EXTRA"/*.deb; do
    dpkg-deb -x "$deb" $OPT || fail "dpkg-deb -x $deb failed"
done
export PATH=$OPT/usr/bin:$PATH
export PYTHONPATH=$OPT/usr/lib/python3/dist-packages
# libyaml (python3-yaml's C part), and the libraries of the programs no run calls (ssh, wget).
export LD_LIBRARY_PATH=$OPT/usr/lib/x86_64-linux-gnu
echo "unpacked $(find "$EXTRA" -name '*.deb' | wc -l) packages in $(($(date +%s) - t0)) s: $(ansible-playbook --version | head -1)"

# Ansible wants a UTF-8 locale (C.UTF-8 is glibc's own) and a writable home.
export LC_ALL=C.UTF-8 ANSIBLE_HOME=/tmp/ansible-home ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
# Every task's result, so that the log shows what each one did.
export ANSIBLE_DISPLAY_OK_HOSTS=1 ANSIBLE_DISPLAY_SKIPPED_HOSTS=1
# The playbook's values for this guest: the first region, a namespace the labelled topology has
# room for.
VARS=(-e daxmgr_region=region0 -e daxmgr_size=512M -e "daxmgr_mountpoint=$MNT"
    -e ansible_python_interpreter=/usr/bin/python3)

# play NAME ARGS...: runs the playbook; its output goes to $out/NAME.txt, the recap line of
# localhost to stdout. The exit status is ansible-playbook's.
play() {
    local name=$1 rc=0 t
    t=$(date +%s)
    shift
    ansible-playbook -c local -i localhost, "${VARS[@]}" "$@" "$PLAYBOOK" >"$out/$name.txt" 2>&1 || rc=$?
    sed 's/^/    /' "$out/$name.txt" >&2
    echo "$name ($(($(date +%s) - t)) s, exit $rc): $(grep -E '^localhost +:' "$out/$name.txt" | tr -s ' ')" | tee -a "$out/recaps.txt" >&2
    grep -E '^localhost +:' "$out/$name.txt" | tr -s ' '
    return $rc
}
recap_field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$1"; }
# task_result RUN TASK: what the task of that name reported in the run (ok, changed, skipping,
# fatal), from the first result line below its header.
task_result() {
    awk -v t="TASK [$2]" 'index($0, t) == 1 { on = 1; next }
        on && /^(ok|changed|skipping|fatal): \[localhost\]/ { sub(/:.*/, ""); print; exit }' "$out/$1.txt"
}

step "first run: the drop-in is written, the daemon started and reloaded, the host converged"
recap=$(play run1) || fail "the first run failed: $recap"
check_ge "first run: changed" 1 "$(recap_field "$recap" changed)"
check_eq "first run: failed" 0 "$(recap_field "$recap" failed)"
grep -qx '\[Namespace fleet\]' "$DROPIN" || fail "$DROPIN does not hold the template's section: $(cat "$DROPIN")"
grep -q '^Size=512M$' "$DROPIN" || fail "$DROPIN: $(cat "$DROPIN")"
check_eq "daxmgrd is enabled" enabled "$(systemctl is-enabled daxmgrd)"
check_eq "daxmgrd is active" active "$(systemctl is-active daxmgrd)"
findmnt -no SOURCE,FSTYPE,OPTIONS "$MNT" | tee "$out/findmnt.txt"
[ -s "$out/findmnt.txt" ] || fail "$MNT is not mounted after the first run"
daxmgr verify-path -q "$MNT" || fail "$MNT is not DAX after the first run: $(daxmgr verify-path "$MNT")"
ndctl list -N | jq -c '.[] | select(.name == "fleet") | {dev, mode, size, name, blockdev}' | tee "$out/ndctl.txt"
[ -s "$out/ndctl.txt" ] || fail "ndctl lists no namespace 'fleet'"
check_eq "plan --detailed-exitcode after the first run" 0 "$(daxmgr plan --detailed-exitcode -q; echo $?)"

step "second run: nothing to do, nothing changed"
cp "$DROPIN" "$out/dropin.before"
recap=$(play run2) || fail "the second run failed: $recap"
check_eq "second run: changed" 0 "$(recap_field "$recap" changed)"
check_eq "second run: failed" 0 "$(recap_field "$recap" failed)"
grep -Eq '^localhost +: .* changed=0 ' <<<"$recap" || fail "second run recap: $recap"
cmp -s "$DROPIN" "$out/dropin.before" || fail "the second run rewrote $DROPIN"
# The reconcile task ran and found nothing to do (rc 0: "ok", not "changed").
check_eq "second run: the reconcile task" ok "$(task_result run2 'The host matches the configuration')"

step "check mode with another size (768M): the template would change, the plan of the live files is 0"
recap=$(play check --check --diff -e daxmgr_size=768M) || fail "the check run failed: $recap"
check_ge "check run: changed (the drop-in, and the reload it would notify)" 1 "$(recap_field "$recap" changed)"
check_eq "check run: failed" 0 "$(recap_field "$recap" failed)"
check_eq "check run: the template task" changed \
    "$(task_result check 'The drop-in is templated and valid with the live configuration')"
check_eq "check run: the plan task (plan --detailed-exitcode 0)" ok "$(task_result check 'Pending changes (check mode)')"
check_eq "check run: the reconcile task" skipping "$(task_result check 'The host matches the configuration')"
grep -q '^+Size=768M$' "$out/check.txt" || fail "the check run's diff does not show Size=768M"
cmp -s "$DROPIN" "$out/dropin.before" || fail "the check run changed $DROPIN"

step "a candidate daxmgr refuses: validate fails the task, the live drop-in stays"
rc=0
recap=$(play invalid -e daxmgr_size=lots) || rc=$?
check_eq "invalid run: exit status" 2 "$rc"
check_eq "invalid run: failed" 1 "$(recap_field "$recap" failed)"
grep -q "failed to validate" "$out/invalid.txt" || fail "the invalid run does not say the candidate failed validation"
grep -q "Size: 'lots'" "$out/invalid.txt" || fail "the invalid run does not show daxmgr's message"
grep -o "daxmgr: config check: [^\"]*" "$out/invalid.txt" | head -1
cmp -s "$DROPIN" "$out/dropin.before" || fail "the refused candidate replaced $DROPIN"

step "recap lines"
cat "$out/recaps.txt"
