#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# boot: daemon
# timeout: 600
# expect: 80
#
# The CLI's scripting contract (daxmgr(1), SCRIPTING; docs/CLI.md, "Scripting") against the
# real daemon: plan and reconcile --detailed-exitcode give 0 when converged, 2 when a step is
# pending or was carried out, 1 for any error (a usage error, a denied caller, a stopped daemon);
# verify PID --min PERCENT gives 1 below the threshold, on a placed copy and on the original;
# verify-path -q gives 1 for a path that is not DAX, and prints nothing; without these options
# the exit codes are those of before. verify abc and create-namespace --mode sector are usage
# errors even with the daemon stopped; VERB --help, --no-legend, --no-pager, -q and
# --json=short; the daemon's NotFound names daxmgr list namespaces. config check FILE, as
# Ansible's "validate: daxmgr config check --as DEST %s" runs it: a candidate valid alone is
# refused when it clashes with a live drop-in, and one that replaces a broken live drop-in
# (--as its name) is valid although the live configuration is not.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
SLEEPER=/usr/libexec/daxmgr/daxmgr-static-sleeper
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
ZONE=/mnt/cli-exit/xip

# rc CMD...: the exit status of CMD (stdout to $out/rc.out, stderr to $out/rc.err).
rc() {
    local r=0
    "$@" >"$out/rc.out" 2>"$out/rc.err" || r=$?
    echo $r
}

# expect_rc CODE CMD...: CMD exits with CODE; its transcript is shown.
expect_rc() {
    local code=$1
    shift
    check_eq "exit status of '$*'" "$code" "$(rc "$@")"
    sed 's/^/    out: /' "$out/rc.out" | head -5
    sed 's/^/    err: /' "$out/rc.err" | head -3
}

# expect_silent CODE CMD...: CMD exits with CODE and prints nothing at all.
expect_silent() {
    expect_rc "$@"
    [ ! -s "$out/rc.out" ] || fail "'${*:2}' printed on stdout: $(cat "$out/rc.out")"
    [ ! -s "$out/rc.err" ] || fail "'${*:2}' printed on stderr: $(cat "$out/rc.err")"
}

step "a configuration: an fsdax namespace mounted with DAX, a zone, a placed program"
write_config <<CONF
[Namespace exit]
Region=region0
Mode=fsdax
Size=512M
Filesystem=xfs
MountPoint=/mnt/cli-exit
DAX=always

[Zone apps]
Namespace=exit
Directory=xip

[Placement sleeper]
Zone=apps
Program=$SLEEPER
CONF
systemctl enable --now daxmgrd
wait_settled 240

step "plan --detailed-exitcode: 0 when the machine matches the configuration"
expect_rc 0 daxmgr plan --detailed-exitcode
grep -q "Nothing to do" "$out/rc.out" || fail "plan: $(cat "$out/rc.out")"
expect_silent 0 daxmgr plan --detailed-exitcode -q
expect_rc 0 daxmgr plan --detailed-exitcode --json
check_eq "plan --json steps" 0 "$(jq '.steps | length' "$out/rc.out")"
expect_rc 0 daxmgr plan
expect_rc 0 daxmgr reconcile --detailed-exitcode
grep -q "^reconcile: done: steps 0$" "$out/rc.out" || fail "reconcile: $(cat "$out/rc.out")"

step "a step pending (the zone's entry point removed behind the daemon's back): 2"
entry=$ZONE/bin/${SLEEPER##*/}
[ -e "$entry" ] || fail "no entry point $entry"
rm "$entry"
expect_rc 2 daxmgr plan --detailed-exitcode
grep -q "write-entry-point" "$out/rc.out" || fail "plan lacks the entry point: $(cat "$out/rc.out")"
expect_silent 2 daxmgr plan --detailed-exitcode -q
expect_rc 2 daxmgr plan --detailed-exitcode --json=short
check_eq "plan --json=short: one line" 1 "$(wc -l <"$out/rc.out")"
check_ge "plan --json=short: steps" 1 "$(jq '.steps | length' "$out/rc.out")"
check_eq "plan without --detailed-exitcode: 0 as before" 0 "$(rc daxmgr plan)"

step "reconcile --detailed-exitcode: 2 when it carried out steps, then 0"
expect_rc 2 daxmgr reconcile --wait --detailed-exitcode
grep -q "^reconcile: done: steps [1-9][0-9]*$" "$out/rc.out" || fail "reconcile: $(cat "$out/rc.out")"
[ -e "$entry" ] || fail "the reconcile did not write $entry again"
expect_silent 0 daxmgr reconcile --detailed-exitcode -q
expect_rc 0 daxmgr plan --detailed-exitcode
rm "$entry"
expect_silent 2 daxmgr reconcile --detailed-exitcode -q
[ -e "$entry" ] || fail "reconcile -q did not write $entry again"
check_eq "reconcile without --detailed-exitcode: 0 as before" 0 "$(rc daxmgr reconcile)"

step "--detailed-exitcode: every error is 1"
expect_rc 1 daxmgr plan --detailed-exitcode --bogus
grep -q "unknown option --bogus" "$out/rc.err" || fail "no usage message: $(cat "$out/rc.err")"
expect_rc 1 daxmgr plan --bogus --detailed-exitcode
expect_rc 1 daxmgr reconcile --no-block --detailed-exitcode
expect_rc 1 "${NOBODY[@]}" daxmgr --no-ask-password reconcile --detailed-exitcode
check_eq "the same, without --detailed-exitcode: 4 as before" 4 \
    "$(rc "${NOBODY[@]}" daxmgr --no-ask-password reconcile)"

step "verify PID --min PERCENT: the placed copy runs from pmem, the original from DRAM"
"$ZONE/root$SLEEPER" 600 &
placed=$!
"$SLEEPER" 600 &
original=$!
wait_asleep $placed
wait_asleep $original
daxmgr verify $placed --json >"$out/verify-placed.json"
daxmgr verify $original --json >"$out/verify-original.json"
echo "placed: $(jq -c .summary "$out/verify-placed.json")"
echo "original: $(jq -c .summary "$out/verify-original.json")"
check_eq "placed copy: exec_pmem_percent" 100 "$(jq '.summary.exec_pmem_percent | floor' "$out/verify-placed.json")"
check_eq "original: exec_pmem_percent" 0 "$(jq '.summary.exec_pmem_percent | floor' "$out/verify-original.json")"
expect_rc 0 daxmgr verify $placed --min 90
grep -q "^Process $placed .* (100.0%)" "$out/rc.out" || fail "no summary line: $(cat "$out/rc.out")"
expect_rc 0 daxmgr verify $placed --min 100%
expect_silent 0 daxmgr verify $placed --min 99.5 -q
expect_rc 1 daxmgr verify $original --min 1
grep -q "^daxmgr: verify $original: 0.0% of the resident executable pages are in pmem, below --min 1%$" \
    "$out/rc.err" || fail "below --min: $(cat "$out/rc.err")"
grep -q "^Process $original " "$out/rc.out" || fail "no report with --min: $(cat "$out/rc.out")"
expect_silent 1 daxmgr verify $original --min 50 -q
expect_rc 0 daxmgr verify $original --min 0
expect_rc 1 daxmgr verify $original --json --min 50
check_eq "verify --json --min: the report" "$original" "$(jq .pid "$out/rc.out")"
check_eq "verify without --min: 0 as before (0 % in pmem)" 0 "$(rc daxmgr verify $original)"
expect_rc 2 daxmgr verify $original --min 101
expect_rc 3 daxmgr verify 999999 --min 50
kill $placed $original
wait $placed $original 2>/dev/null || true

step "verify-path -q: 1 when the path is not DAX, and nothing printed"
expect_silent 0 daxmgr verify-path -q "$ZONE/root$SLEEPER"
expect_silent 1 daxmgr verify-path -q /usr/bin/true
expect_silent 1 daxmgr verify -q /usr/bin/true
expect_silent 0 daxmgr verify --quiet "$ZONE/root$SLEEPER"
check_eq "verify-path without -q: 0 as before (not DAX)" 0 "$(rc daxmgr verify-path /usr/bin/true)"
grep -q "^/usr/bin/true: not DAX: " "$out/rc.out" || fail "verify-path: $(cat "$out/rc.out")"
expect_rc 3 daxmgr verify-path -q /nonexistent/file
expect_rc 2 daxmgr verify-path -q --json /usr/bin/true
expect_rc 2 daxmgr verify /usr/bin/true --min 50

step "VERB --help, --no-legend, --no-pager, --json=short"
daxmgr plan --help | tee "$out/plan-help.txt"
head -1 "$out/plan-help.txt" | grep -q "^daxmgr plan " || fail "plan --help: not the verb's usage"
grep -q "^     --detailed-exitcode  " "$out/plan-help.txt" || fail "plan --help lacks --detailed-exitcode"
cmp -s "$out/plan-help.txt" <(daxmgr --help) && fail "plan --help is the global help"
daxmgr list namespaces >"$out/ns.txt"
daxmgr list namespaces --no-legend | tee "$out/ns-nolegend.txt"
check_eq "--no-legend: the rows without the header" "$(tail -n +2 "$out/ns.txt" | wc -l)" "$(wc -l <"$out/ns-nolegend.txt")"
grep -q "^NAMESPACE" "$out/ns-nolegend.txt" && fail "--no-legend printed the header"
grep -q "^namespace[0-9.]*  *exit  *fsdax  " "$out/ns-nolegend.txt" || fail "--no-legend lacks the row of exit"
# A filter that keeps few or no namespaces: one line per object, none for none (no "No namespaces.").
check_eq "list namespaces --mode devdax --no-legend: one line per namespace" \
    "$(daxmgr list namespaces --mode devdax --json | jq length)" \
    "$(daxmgr list namespaces --mode devdax --no-legend | wc -l)"
expect_rc 0 daxmgr status --no-pager
expect_rc 0 daxmgr list zones --no-pager --no-legend
daxmgr list namespaces --json=short >"$out/ns-short.jsonl"
check_eq "--json=short: one line per namespace" "$(daxmgr list namespaces --json | jq length)" \
    "$(wc -l <"$out/ns-short.jsonl")"
check_eq "--json=short: the same objects" "$(daxmgr list namespaces --json | jq -c '.[]')" \
    "$(jq -c . "$out/ns-short.jsonl")"
check_ge "--json: indented as before" 5 "$(daxmgr list regions --json | wc -l)"

step "the daemon's NotFound names daxmgr list namespaces"
expect_rc 3 daxmgr format nosuch
grep -qF 'there is no namespace "nosuch"; "daxmgr list namespaces" or "ndctl list -N" shows them' \
    "$out/rc.err" || fail "NotFound: $(cat "$out/rc.err")"

step "usage errors found before the daemon is asked, even with it stopped"
systemctl disable --now daxmgrd
expect_rc 2 daxmgr verify abc
grep -q '"abc" is neither a process ID nor a path' "$out/rc.err" || fail "verify abc: $(cat "$out/rc.err")"
expect_rc 2 daxmgr create-namespace --mode sector --size 64M
grep -q "sector (BTT) mode is not managed by daxmgr; the mode must be fsdax, devdax or raw" "$out/rc.err" ||
    fail "--mode sector: $(cat "$out/rc.err")"
expect_rc 1 daxmgr plan --detailed-exitcode
grep -q "daxmgrd is not running" "$out/rc.err" || fail "plan, daemon stopped: $(cat "$out/rc.err")"
check_eq "the same, without --detailed-exitcode: 5 as before" 5 "$(rc daxmgr plan)"
expect_rc 1 daxmgr reconcile --detailed-exitcode

step "config check FILE (Ansible's validate:): the candidate in the context of the live files"
dropins=/etc/daxmgr/daxmgr.conf.d
mkdir -p $dropins
cat >$dropins/50-logs.conf <<CONF
[Namespace logs]
Region=region0
Mode=fsdax
Size=64M
MountPoint=/mnt/cli-logs
CONF
expect_silent 0 daxmgr config check -q
# A temporary file, as Ansible passes: valid alone, but its mount point is the live drop-in's.
candidate=$(mktemp)
cat >"$candidate" <<CONF
[Namespace scratch]
Region=region0
Mode=fsdax
Size=64M
MountPoint=/mnt/cli-logs
CONF
expect_silent 0 daxmgr config check --root "$(mktemp -d)" -q "$candidate"
expect_rc 1 daxmgr config check "$candidate"
grep -qF "daxmgr: config check: $candidate:5: MountPoint: /mnt/cli-logs is already the mount point of namespace logs ($dropins/50-logs.conf:5)" \
    "$out/rc.err" || fail "the clash: $(cat "$out/rc.err")"
expect_rc 1 daxmgr config check --as 60-scratch.conf "$candidate"
grep -qF "$dropins/60-scratch.conf" "$out/rc.err" && fail "--as 60-scratch.conf: not a drop-in name"
grep -qF "60-scratch.conf (candidate $candidate):5: MountPoint: " "$out/rc.err" ||
    fail "--as: the candidate's name: $(cat "$out/rc.err")"
# Replacing the live drop-in it clashes with, the same candidate is valid.
expect_silent 0 daxmgr config check --as $dropins/50-logs.conf -q "$candidate"
expect_rc 0 daxmgr config check --as 50-logs.conf --json "$candidate"
check_eq "config check --as: the files" "[\"/etc/daxmgr/daxmgr.conf\",\"50-logs.conf (candidate $candidate)\"]" \
    "$(jq -c .files "$out/rc.out")"
# A live drop-in that is broken: the live check fails, and so does a candidate added beside it
# that does not set the broken key again; the candidate that replaces it (the fix an Ansible run
# installs) is valid.
sed -i 's/^Size=64M$/Size=lots/' $dropins/50-logs.conf
expect_rc 1 daxmgr config check -q
grep -qF "$dropins/50-logs.conf:4: Size: " "$out/rc.err" || fail "the broken drop-in: $(cat "$out/rc.err")"
sed -i 's|^MountPoint=.*|MountPoint=/mnt/cli-scratch|' "$candidate"
expect_rc 1 daxmgr config check -q "$candidate"
grep -qF "$dropins/50-logs.conf:4: Size: " "$out/rc.err" || fail "added beside it: $(cat "$out/rc.err")"
fixed=$(mktemp)
sed 's/^Size=lots$/Size=128M/' $dropins/50-logs.conf >"$fixed"
expect_silent 0 daxmgr config check -q --as /etc/daxmgr/daxmgr.conf.d/50-logs.conf "$fixed"
# The validate: command line as Ansible runs it (through a shell, %s replaced).
expect_silent 0 sh -c "daxmgr config check -q --as 50-logs.conf $fixed"
expect_rc 1 daxmgr config check -q /nonexistent/candidate
grep -qF "/nonexistent/candidate: cannot read it" "$out/rc.err" || fail "missing FILE: $(cat "$out/rc.err")"
expect_rc 2 daxmgr config check --as 50-logs.conf
rm -f "$candidate" "$fixed" $dropins/50-logs.conf
step "end"
