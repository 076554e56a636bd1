#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 600
#
# The daxmgr CLI against daxmgrd under systemd: every verb in human and --json form; the JSON
# parses and agrees with ndctl and with busctl; a namespace created, formatted, mounted, used as
# a zone, unmounted and destroyed through the CLI, each job followed to its end; the exit codes
# of bad arguments (2), unknown objects (3), a user denied (4) and a stopped daemon (5).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
SLEEPER=/usr/libexec/daxmgr/daxmgr-static-sleeper
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# rc CMD...: the exit status of CMD (stdout to $out/rc.out, stderr to $out/rc.err).
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
    [ "$(wc -l <"$out/rc.err")" -le 2 ] || fail "'$*' printed more than an error line: $(cat "$out/rc.err")"
    printf '    %s\n' "$(head -1 "$out/rc.err")"
}

# ns_json NAME: the namespace object of that name, as daxmgr list --json shows it.
ns_json() {
    daxmgr list namespaces --json | jq -c --arg n "$1" '.[] | select(.Name == $n)'
}

command -v daxmgr >/dev/null || fail "daxmgr is not installed"
daxmgr --version | grep -q "^daxmgr " || fail "--version: $(daxmgr --version)"
daxmgr --help | grep -q "create-namespace" || fail "--help lacks the verbs"

step "a configuration: an fsdax namespace mounted with DAX, a zone, a placed program"
write_config <<CONF
[Namespace data]
Region=region0
Mode=fsdax
Size=512M
Filesystem=xfs
MountPoint=/mnt/cli-data
DAX=always

[Zone apps]
Namespace=data
Directory=xip

[Placement sleeper]
Zone=apps
Program=$SLEEPER
CONF
daxmgrd --check-config
systemctl enable --now daxmgrd
wait_settled 240

step "status: one screen"
daxmgr status | tee "$out/status.txt"
for want in "daxmgrd 0.1: idle" "Problems: none" region0 region1 "data" "/mnt/cli-data" always \
    "/mnt/cli-data/xip" "$SLEEPER"; do
    grep -qF -- "$want" "$out/status.txt" || fail "status lacks '$want'"
done
grep -q $'\033' "$out/status.txt" && fail "colour when stdout is not a tty"
daxmgr status --json >"$out/status.json"
check_eq "status --json: manager state" idle "$(jq -r '.["org.daxmgr1.Manager"][0].State' "$out/status.json")"
check_eq "status --json: manager path" /org/daxmgr1 "$(jq -r '.["org.daxmgr1.Manager"][0].Path' "$out/status.json")"

step "list namespaces: agrees with ndctl list -N and with busctl"
daxmgr list namespaces | tee "$out/ns.txt"
head -1 "$out/ns.txt" | grep -q "^NAMESPACE  *NAME  *MODE  *SIZE" || fail "no table header"
grep -q "^namespace[0-9.]*  *data  *fsdax  .*MiB .*/mnt/cli-data  *always$" "$out/ns.txt" || fail "no row for data"
daxmgr list namespaces --json >"$out/ns.json"
jq -c '[.[] | {name: .Name, mode: .Mode, size: .Size, dev: .Device}] | sort_by(.dev)' "$out/ns.json" >"$out/ns-cli.json"
ndctl_json list -N | jq -c '[.[] | {name: (.name // ""), mode, size, dev}] | sort_by(.dev)' >"$out/ns-ndctl.json"
check_eq "namespaces (daxmgr = ndctl)" "$(cat "$out/ns-ndctl.json")" "$(cat "$out/ns-cli.json")"
path=$(jq -r '.[] | select(.Name == "data") | .Path' "$out/ns.json")
for p in Size Mode BlockDevice Dax UUID; do
    check_eq "data $p (daxmgr = busctl)" "$(prop "$path" Namespace $p)" "$(jq -r ".[] | select(.Name == \"data\") | .$p" "$out/ns.json")"
done
check_eq "data MountPoints" '["/mnt/cli-data"]' "$(jq -c '.[] | select(.Name == "data") | .MountPoints' "$out/ns.json")"

step "list regions: agrees with ndctl list -R and with busctl"
daxmgr list regions | tee "$out/regions.txt"
grep -q "^region0  .*GiB\|^region0  .*MiB" "$out/regions.txt" || fail "no sizes in MiB/GiB"
daxmgr list regions --json >"$out/regions.json"
check_eq "regions (daxmgr = ndctl)" \
    "$(ndctl_json list -R | jq -c '[.[] | {dev, size, available_size}] | sort_by(.dev)')" \
    "$(jq -c '[.[] | {dev: .Device, size: .Size, available_size: .AvailableSize}] | sort_by(.dev)' "$out/regions.json")"
check_eq "region0 AvailableSize (daxmgr = busctl)" "$(prop /org/daxmgr1/region/region0 Region AvailableSize)" \
    "$(jq -r '.[] | select(.Device == "region0") | .AvailableSize' "$out/regions.json")"

step "list zones and placements"
daxmgr list zones | tee "$out/zones.txt"
grep -q "^/mnt/cli-data/xip  *yes  *1  *Zone apps$" "$out/zones.txt" || fail "no row for the zone"
daxmgr list zones --json >"$out/zones.json"
zpath=$(jq -r '.[] | select(.Directory == "/mnt/cli-data/xip") | .Path' "$out/zones.json")
check_eq "zone Mounted (daxmgr = busctl)" "$(prop "$zpath" Zone Mounted)" \
    "$(jq -r '.[] | select(.Directory == "/mnt/cli-data/xip") | .Mounted' "$out/zones.json")"
daxmgr list placements | tee "$out/placements.txt"
grep -q "^$SLEEPER  */mnt/cli-data/xip  *1  .*  no$" "$out/placements.txt" || fail "no row for the placement"
daxmgr list placements --json >"$out/placements.json"
check_eq "placement Copy" "/mnt/cli-data/xip/root$SLEEPER" "$(jq -r '.[0].Copy' "$out/placements.json")"
check_eq "placement Stale" false "$(jq -r '.[0].Stale' "$out/placements.json")"
check_eq "placement Size (daxmgr = busctl)" "$(prop "$(jq -r '.[0].Path' "$out/placements.json")" Placement Size)" \
    "$(jq -r '.[0].Size' "$out/placements.json")"

step "plan, reconcile, reload, list jobs"
daxmgr plan | tee "$out/plan.txt"
grep -q "Nothing to do" "$out/plan.txt" || fail "plan: $(cat "$out/plan.txt")"
check_eq "plan --json steps" 0 "$(daxmgr plan --json | jq '.steps | length')"
t0=$(date +%s.%N)
daxmgr reconcile | tee "$out/reconcile.txt"
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "daxmgr reconcile took %.2f s\n", b - a }'
grep -q "^reconcile: done: steps 0$" "$out/reconcile.txt" || fail "reconcile: $(cat "$out/reconcile.txt")"
job=$(daxmgr reconcile --no-block)
case $job in /org/daxmgr1/job/*) ;; *) fail "--no-block printed '$job'" ;; esac
check_eq "the --no-block job" done "$(wait_job "$job")"
daxmgr list jobs | tee "$out/jobs.txt"
grep -q "^${job##*/}  *reconcile  *-  *done  *100%" "$out/jobs.txt" || fail "list jobs lacks job ${job##*/}"
daxmgr list jobs --json >"$out/jobs.json"
check_eq "job Operation" reconcile "$(jq -r --arg p "$job" '.[] | select(.Path == $p) | .Operation' "$out/jobs.json")"
check_eq "job Result (daxmgr = busctl)" "$(prop "$job" Job Result)" \
    "$(jq -r --arg p "$job" '.[] | select(.Path == $p) | .Result' "$out/jobs.json")"
daxmgr reload
wait_settled 60

if command -v script >/dev/null; then
    step "on a terminal: a progress bar and colour; NO_COLOR turns colour off"
    script -qec "daxmgr reconcile" /dev/null >"$out/tty-reconcile.txt"
    grep -aq '\] *[0-9]*%' "$out/tty-reconcile.txt" || fail "no progress bar: $(cat -v "$out/tty-reconcile.txt")"
    script -qec "daxmgr status" /dev/null >"$out/tty-status.txt"
    grep -aq $'\033\\[1m' "$out/tty-status.txt" || fail "no colour on a tty"
    script -qec "NO_COLOR=1 daxmgr status" /dev/null >"$out/tty-status-nc.txt"
    grep -aq $'\033' "$out/tty-status-nc.txt" && fail "colour despite NO_COLOR"
    wait_settled 60
fi

step "verify PID: the placed copy runs in place"
"/mnt/cli-data/xip/root$SLEEPER" 600 &
pid=$!
sleep 1
daxmgr verify $pid | tee "$out/verify.txt"
daxmgr verify $pid --json >"$out/verify.json"
pmem=$(jq .summary.exec_pmem "$out/verify.json")
check_ge "exec pages in pmem" 1 "$pmem"
check_eq "exec pages in DRAM" 0 "$(jq .summary.exec_dram "$out/verify.json")"
grep -q "^Process $pid ([^)]*): $pmem of $pmem resident executable pages in pmem (100.0%)" "$out/verify.txt" ||
    fail "the summary line disagrees with the JSON"
grep -q "^MAPPING  *PERMS  *PMEM  *DRAM" "$out/verify.txt" || fail "no mapping table"
grep -q "^/mnt/cli-data/xip/root$SLEEPER  *r-xp  *$pmem  *0 " "$out/verify.txt" || fail "no row for the text mapping"
check_eq "nobody may verify root's process" 4 "$(rc "${NOBODY[@]}" daxmgr --no-ask-password verify $pid)"
kill $pid
wait $pid 2>/dev/null || true

step "verify-path"
daxmgr verify-path "/mnt/cli-data/xip/root$SLEEPER" | tee "$out/vp.txt"
grep -q ": DAX (xfs on /dev/pmem[0-9]*, mounted at /mnt/cli-data, dax=always)$" "$out/vp.txt" || fail "verify-path"
check_eq "verify-path --json dax" true "$(daxmgr verify-path --json "/mnt/cli-data/xip/root$SLEEPER" | jq .dax)"
(cd /usr/bin && daxmgr verify-path true) | tee "$out/vp2.txt"
grep -q "^/usr/bin/true: not DAX: " "$out/vp2.txt" || fail "a relative path on the root disk"
check_eq "verify-path --json dax (root disk)" false "$(daxmgr verify-path --json /usr/bin/true | jq .dax)"

step "create-namespace, format, mount, zone, place, unplace, unmount, destroy-namespace"
daxmgr create-namespace --region region1 --mode fsdax --size 256M --name clitest | tee "$out/create.txt"
grep -q "^create-namespace: done: device namespace1\.[0-9]*" "$out/create.txt" || fail "create-namespace"
check_eq "clitest mode (ndctl)" fsdax "$(ndctl_ns mode clitest)"
dev=$(ndctl_ns dev clitest)
grep -q "device $dev" "$out/create.txt" || fail "create-namespace did not name $dev"
blk=$(ndctl_ns blockdev clitest)
daxmgr format clitest --fs ext4 --label clilabel | tee "$out/format.txt"
grep -q "^format clitest: done" "$out/format.txt" || fail "format"
check_eq "file system (blkid)" ext4 "$(blkid -o value -s TYPE "/dev/$blk")"
check_eq "label (blkid)" clilabel "$(blkid -o value -s LABEL "/dev/$blk")"
mkdir -p /mnt/cli-test
daxmgr mount clitest /mnt/cli-test --dax always | tee "$out/mount.txt"
check_eq "mounted (findmnt)" /mnt/cli-test "$(findmnt -rno TARGET "/dev/$blk")"
findmnt -rno OPTIONS "/dev/$blk" | grep -q dax || fail "not mounted with dax"
for i in $(seq 20); do
    [ "$(ns_json clitest | jq -r .Dax)" = always ] && break
    sleep 0.3
done
check_eq "clitest MountPoints" '["/mnt/cli-test"]' "$(ns_json clitest | jq -c .MountPoints)"
check_eq "clitest Filesystem" ext4 "$(ns_json clitest | jq -r .Filesystem)"
daxmgr zone create /mnt/cli-test/z
daxmgr place /mnt/cli-test/z "$SLEEPER" --no-entry-point | tee "$out/place.txt"
check_eq "placed copy" 1 "$(test -f "/mnt/cli-test/z/root$SLEEPER" && echo 1)"
check_eq "placements in /mnt/cli-test/z" 1 \
    "$(daxmgr list placements --json | jq '[.[] | select(.Zone == "/mnt/cli-test/z")] | length')"
daxmgr unplace /mnt/cli-test/z "$SLEEPER"
check_eq "copy gone" 0 "$(test -e "/mnt/cli-test/z/root$SLEEPER" && echo 1 || echo 0)"
daxmgr zone remove /mnt/cli-test/z
check_eq "zones left" '["/mnt/cli-data/xip"]' "$(daxmgr list zones --json | jq -c '[.[].Directory]')"
expect_rc 1 "refusing without --force" daxmgr destroy-namespace clitest
for want in "every byte on it is lost" '"clitest"' "with its ext4 file system" "mounted at /mnt/cli-test"; do
    grep -qF "$want" "$out/rc.err" || fail "destroy-namespace did not say '$want'"
done
daxmgr unmount /mnt/cli-test
check_eq "unmounted" "" "$(findmnt -rno TARGET "/dev/$blk" || true)"
check_eq "still there" fsdax "$(ndctl_ns mode clitest)"
daxmgr destroy-namespace clitest --force | tee "$out/destroy.txt"
check_eq "clitest gone (ndctl)" "" "$(ndctl_ns mode clitest)"

step "errors: one line, and the exit status says which kind"
expect_rc 2 "unknown verb" daxmgr frobnicate
expect_rc 2 "which verb" daxmgr
expect_rc 2 'cannot list "dimms"' daxmgr list dimms
expect_rc 2 "--size" daxmgr create-namespace --size lots
expect_rc 2 "--fs" daxmgr format data --fs btrfs
expect_rc 2 "is not an option of mount" daxmgr mount data /mnt/x --force
expect_rc 2 "usage: daxmgr mount" daxmgr mount data
expect_rc 2 "not a process ID" daxmgr verify self
expect_rc 2 "mode must be fsdax, devdax or raw" daxmgr create-namespace --mode sector
expect_rc 2 "service must be a unit name" daxmgr place /mnt/cli-data/xip "$SLEEPER" --service nounit
expect_rc 3 'no region "region9"' daxmgr create-namespace --region region9 --size 64M
expect_rc 3 "no namespace" daxmgr format nosuch
expect_rc 3 'no namespace "nosuch"' daxmgr destroy-namespace nosuch
expect_rc 3 "no process" daxmgr verify 999999
expect_rc 4 "daxmgr: reconcile: " "${NOBODY[@]}" daxmgr --no-ask-password reconcile
expect_rc 4 "daxmgr: format data: " "${NOBODY[@]}" daxmgr format data --force
check_eq "nobody may read" 0 "$(rc "${NOBODY[@]}" daxmgr status)"
check_eq "nobody may list --json" data "$("${NOBODY[@]}" daxmgr list namespaces --json | jq -r '.[] | select(.Name == "data") | .Name')"

step "the daemon stopped and disabled: exit 5, and how to start it"
systemctl disable --now daxmgrd
expect_rc 5 "daxmgr: daxmgrd is not running; start it with: systemctl enable --now daxmgrd" daxmgr status
expect_rc 5 "start it with" daxmgr list namespaces --json
expect_rc 5 "start it with" daxmgr reconcile
expect_rc 5 "start it with" "${NOBODY[@]}" daxmgr status
