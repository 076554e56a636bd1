#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# boot: daemon
# timeout: 600
# expect: 80
#
# The daxmgr CLI against daxmgrd under systemd: every verb in human and --json form; the JSON
# parses and agrees with ndctl and with busctl; a namespace created, formatted, mounted, used as
# a zone, unmounted and destroyed through the CLI, each job followed to its end; the exit codes
# of bad arguments (2), unknown objects (3), a user denied (4) and a stopped daemon (5); monitor
# streaming what happens (and surviving the daemon's stop); config check without the daemon;
# list devices and the list filters; Ctrl-C while following a job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
T0=${EPOCHREALTIME/./}
# step, with the seconds since the test started (where the time goes).
step() { printf -- '--- [%6.1fs] %s\n' "$(((${EPOCHREALTIME/./} - T0) / 100000))e-1" "$*"; }
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
    "/mnt/cli-data/xip" "$SLEEPER" "Kinds: nvdimm (region0, region1)" "Persistence domain: " \
    "Memory auto-online: "; do
    grep -qF -- "$want" "$out/status.txt" || fail "status lacks '$want'"
done
grep -q $'\033' "$out/status.txt" && fail "colour when stdout is not a tty"
check_eq "status: Platform blocks" 1 "$(grep -c '^Platform$' "$out/status.txt")"
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

step "list devices: the namespaces' block and character devices"
daxmgr list devices | tee "$out/devices.txt"
head -1 "$out/devices.txt" | grep -q "^DEVICE  *TYPE  *MODE  *SIZE  *NUMA  *NAMESPACE  *NAME$" || fail "no devices header"
datablk=$(jq -r '.[] | select(.Name == "data") | .BlockDevice' "$out/ns.json")
grep -q "^$datablk  *block  *fsdax  .*MiB  .*  data$" "$out/devices.txt" || fail "no row for $datablk"
daxmgr list devices --json >"$out/devices.json"
check_eq "devices (daxmgr = ndctl blockdevs)" \
    "$(ndctl_json list -N | jq -c '[.[] | select(.blockdev) | "/dev/" + .blockdev] | sort')" \
    "$(jq -c '[.[] | select(.Type == "block") | .Device] | sort' "$out/devices.json")"
check_eq "device of data: its namespace" "$(jq -r '.[] | select(.Name == "data") | .Device' "$out/ns.json")" \
    "$(jq -r --arg d "$datablk" '.[] | select(.Device == $d) | .Namespace' "$out/devices.json")"

step "list filters: --region, --mode, --zone; a filter that matches nothing is a usage error"
datareg=$(jq -r '.[] | select(.Name == "data") | .Region' "$out/ns.json")
datareg=${datareg##*/}
check_eq "--region $datareg: region of every row" "[\"/org/daxmgr1/region/$datareg\"]" \
    "$(daxmgr list namespaces --region "$datareg" --json | jq -c '[.[].Region] | unique')"
check_eq "--region $datareg: data listed" data \
    "$(daxmgr list namespaces --region "$datareg" --json | jq -r '.[] | select(.Name == "data") | .Name')"
check_eq "--mode fsdax: modes" '["fsdax"]' "$(daxmgr list namespaces --mode fsdax --json | jq -c '[.[].Mode] | unique')"
check_eq "--mode devdax: no data" 0 \
    "$(daxmgr list namespaces --mode devdax --json | jq '[.[] | select(.Name == "data")] | length')"
check_eq "devices --mode fsdax --region $datareg" "$datablk" \
    "$(daxmgr list devices --mode fsdax --region "$datareg" --json | jq -r '.[] | select(.Name == "data") | .Device')"
daxmgr list namespaces --mode fsdax | grep -q "^namespace[0-9.]*  *data  " || fail "--mode fsdax table lacks data"
expect_rc 2 'no region "region9"; the regions are: region0, region1' daxmgr list namespaces --region region9
expect_rc 2 '"bogus" is not fsdax, devdax, raw' daxmgr list devices --mode bogus
expect_rc 2 "--zone filters placements, not namespaces" daxmgr list namespaces --zone /mnt/cli-data/xip
expect_rc 2 "/nonexistent is not a zone; the zones are: /mnt/cli-data/xip" daxmgr list placements --zone /nonexistent

step "config check: without the daemon, FILE:LINE on errors"
daxmgr config check | tee "$out/config-check.txt"
grep -q "^valid: 1 namespaces, 1 zones, 1 placements from 1 file(s)$" "$out/config-check.txt" || fail "config check"
daxmgr config check --json >"$out/config.json"
check_eq "config check --json: namespace" data "$(jq -r '.namespaces[0].name' "$out/config.json")"
check_eq "config check --json: files" '["/etc/daxmgr/daxmgr.conf"]' "$(jq -c .files "$out/config.json")"
mkdir -p "$out/badroot/etc/daxmgr"
printf '[Namespace broken]\nMode=fsdax\nSize=lots\n' >"$out/badroot/etc/daxmgr/daxmgr.conf"
expect_rc 1 "$out/badroot/etc/daxmgr/daxmgr.conf:3: Size: " daxmgr config check --root "$out/badroot"
expect_rc 1 "daxmgr.conf:3: Size: " daxmgr config check --root "$out/badroot" --json
check_eq "config check --json of a bad file prints nothing" "" "$(cat "$out/rc.out")"
expect_rc 2 "the config verb is: check" daxmgr config lint

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
check_eq "placements --zone /mnt/cli-data/xip" "$SLEEPER" \
    "$(cd /mnt/cli-data && daxmgr list placements --zone xip/ --json | jq -r '.[].Program')"

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
check_eq "the --no-block job" "done" "$(wait_job "$job")"
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
grep -q ": DAX (xfs on /dev/pmem[0-9.]*, mounted at /mnt/cli-data, dax=always)$" "$out/vp.txt" || fail "verify-path said: $(cat "$out/vp.txt")"
check_eq "verify-path --json dax" true "$(daxmgr verify-path --json "/mnt/cli-data/xip/root$SLEEPER" | jq .dax)"
check_eq "verify PATH is verify-path" "$(daxmgr verify-path --json "/mnt/cli-data/xip/root$SLEEPER")" \
    "$(daxmgr verify --json "/mnt/cli-data/xip/root$SLEEPER")"
(cd /usr/bin && daxmgr verify-path true) | tee "$out/vp2.txt"
grep -q "^/usr/bin/true: not DAX: " "$out/vp2.txt" || fail "a relative path on the root disk"
check_eq "verify-path --json dax (root disk)" false "$(daxmgr verify-path --json /usr/bin/true | jq .dax)"

step "create-namespace, format, mount, zone, place, unplace, unmount, destroy-namespace (with monitors)"
daxmgr monitor --json >"$out/monitor.jsonl" 2>"$out/monitor.err" &
monjson=$!
daxmgr monitor >"$out/monitor.txt" 2>&1 &
montxt=$!
sleep 2
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
step "a placement's 2 MiB layout, recorded when the daemon copied it"
make_bigtext /tmp/daxmgr-bigtext
daxmgr place /mnt/cli-test/z /tmp/daxmgr-bigtext --no-entry-point
"$TOOL" layout /mnt/cli-test/z/root/tmp/daxmgr-bigtext | tee "$out/bigtext-layout.txt"
aligned=$(sed -n 's/.*; \([0-9]*\) of them 2 MiB-aligned.*/\1/p' "$out/bigtext-layout.txt")
big=$(daxmgr list placements --json | jq -c '.[] | select(.Program == "/tmp/daxmgr-bigtext")')
printf '%s\n' "$big"
check_eq "PmdWindows" 4 "$(jq -r .PmdWindows <<<"$big")"
check_eq "PmdWindowsAligned = daxmgr-tool layout" "$aligned" "$(jq -r .PmdWindowsAligned <<<"$big")"
check_eq "TextPmdCoverage (%)" 100 "$(jq -r '.TextPmdCoverage * 100 | round' <<<"$big")"
check_eq "LayoutWarnings" "$([ "$aligned" = 4 ] && echo 0 || echo 1)" "$(jq -r '.LayoutWarnings | length' <<<"$big")"
daxmgr list placements --zone /mnt/cli-test/z | tee "$out/bigtext-table.txt"
grep -q "2M WINDOWS" "$out/bigtext-table.txt" || fail "list placements has no 2M WINDOWS column"
grep -q "$aligned/4 aligned" "$out/bigtext-table.txt" || fail "list placements does not show $aligned/4 aligned"
daxmgr unplace /mnt/cli-test/z /tmp/daxmgr-bigtext
step "a PIE's copy gets p_align 2 MiB (PAlignRaised, the note under the table); an ET_EXEC's does not"
# make_bigpie: program header 3 is its r-x PT_LOAD (p_align 4 KiB, 4 windows); the same bytes as
# an ET_EXEC (e_type 2) keep theirs, as do bigtext (p_align 2 MiB already) and the sleeper.
make_bigpie /tmp/daxmgr-bigpie
cp /tmp/daxmgr-bigpie /tmp/daxmgr-bigexec
printf '\x02' | dd of=/tmp/daxmgr-bigexec bs=1 seek=16 conv=notrunc status=none
daxmgr place /mnt/cli-test/z /tmp/daxmgr-bigpie --no-entry-point
daxmgr place /mnt/cli-test/z /tmp/daxmgr-bigexec --no-entry-point
daxmgr list placements --json >"$out/palign.json"
pl_raised() { jq -c --arg p "$1" '.[] | select(.Program == $p) | .PAlignRaised' "$out/palign.json"; }
check_eq "PAlignRaised of the PIE" '["3 4096"]' "$(pl_raised /tmp/daxmgr-bigpie)"
check_eq "PAlignRaised of the PIE (busctl)" '["3 4096"]' \
    "$(prop "$(jq -r '.[] | select(.Program == "/tmp/daxmgr-bigpie") | .Path' "$out/palign.json")" Placement PAlignRaised | jq -c .)"
check_eq "PAlignRaised of the ET_EXEC" '[]' "$(pl_raised /tmp/daxmgr-bigexec)"
check_eq "PAlignRaised of bigtext (p_align 2 MiB already)" '[]' "$(jq -c .PAlignRaised <<<"$big")"
check_eq "PAlignRaised of the sleeper (no window)" '[]' "$(pl_raised "$SLEEPER")"
# p_align of program header 3: the table at 64, 56 bytes a header, p_align at 48 in each.
check_eq "the PIE's copy: p_align of header 3" 2097152 \
    "$(od -An -t u8 -j $((64 + 3 * 56 + 48)) -N 8 /mnt/cli-test/z/root/tmp/daxmgr-bigpie | tr -d ' ')"
daxmgr list placements --zone /mnt/cli-test/z | tee "$out/palign-table.txt"
grep -qxF "/tmp/daxmgr-bigpie: p_align raised to 2 MiB in its copy (program header 3, was 4096): the base address of this program is 2 MiB-aligned, 9 fewer random bits (docs/XIP.md)" \
    "$out/palign-table.txt" || fail "list placements has no p_align note for the PIE"
check_eq "p_align notes (the PIE's only)" 1 "$(grep -c 'p_align raised' "$out/palign-table.txt")"
check_eq "no note with --no-legend" 0 \
    "$(daxmgr list placements --zone /mnt/cli-test/z --no-legend | grep -c 'p_align raised' || true)"
daxmgr unplace /mnt/cli-test/z /tmp/daxmgr-bigpie
daxmgr unplace /mnt/cli-test/z /tmp/daxmgr-bigexec
rm -f /tmp/daxmgr-bigpie /tmp/daxmgr-bigexec /tmp/daxmgr-bigtext
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
daxmgr reconcile >/dev/null
sleep 2
kill -INT $monjson $montxt
r=0 && wait $monjson || r=$?
check_eq "monitor --json exit status after SIGINT" 0 $r
r=0 && wait $montxt || r=$?
check_eq "monitor exit status after SIGINT" 0 $r

step "monitor: the events of all that, as JSON lines and as text"
jq -c . "$out/monitor.jsonl" >/dev/null || fail "a monitor line is not JSON"
echo "$(wc -l <"$out/monitor.jsonl") JSON lines; by event: $(jq -r .event "$out/monitor.jsonl" | sort | uniq -c | tr -s ' \n' ' ')"
nspath=/org/daxmgr1/namespace/${dev//./_2e}
mon() { jq -c "$@" "$out/monitor.jsonl"; }
check_eq "added: clitest's namespace object" "$nspath" \
    "$(mon -r 'select(.event == "added" and .interface == "org.daxmgr1.Namespace" and .properties.Device == "'"$dev"'") | .path')"
check_ge "changed: clitest mounted" 1 \
    "$(mon --arg p "$nspath" 'select(.event == "changed" and .path == $p and .properties.MountPoints == ["/mnt/cli-test"])' | wc -l)"
check_eq "removed: clitest's namespace object" "$nspath" \
    "$(mon -r --arg p "$nspath" 'select(.event == "removed" and .path == $p and .interface == "org.daxmgr1.Namespace") | .path')"
cjob=$(mon -r 'select(.event == "added" and .interface == "org.daxmgr1.Job" and .properties.Operation == "create-namespace") | .path')
case $cjob in /org/daxmgr1/job/*) ;; *) fail "no added create-namespace job: '$cjob'" ;; esac
check_eq "job-completed: the create-namespace job, a success" true \
    "$(mon -r --arg p "$cjob" 'select(.event == "job-completed" and .path == $p) | .properties.success')"
for op in format mount unmount destroy-namespace reconcile; do
    j=$(mon -r --arg o "$op" 'select(.event == "added" and .properties.Operation == $o) | .path' | tail -1)
    check_eq "job-completed: the $op job $j" 1 "$(mon --arg p "$j" 'select(.event == "job-completed" and .path == $p)' | wc -l)"
done
check_ge "changed: a job's Progress" 1 "$(mon 'select(.event == "changed" and .interface == "org.daxmgr1.Job" and .properties.Progress != null)' | wc -l)"
check_ge "reconciled on /org/daxmgr1" 1 "$(mon 'select(.event == "reconciled" and .path == "/org/daxmgr1" and (.properties.steps_done | type) == "number")' | wc -l)"
head -20 "$out/monitor.txt"
for want in "^+ namespace $dev (name clitest, fsdax)\$" "^+ job [0-9]* create-namespace" "^job [0-9]*: done\$" \
    "^$dev MountPoints: /mnt/cli-test\$" "^- namespace $dev\$" "^reconciled: [0-9]* step(s) done, [0-9]* problem(s)\$" \
    "^job [0-9]*: [0-9]*% "; do
    grep -q -- "$want" "$out/monitor.txt" || fail "monitor's text lacks '$want'"
done

step "Ctrl-C while following a job: the job goes on, and how to follow it"
mainpid=$(systemctl show -P MainPID daxmgrd)
kill -STOP "$mainpid"
daxmgr reconcile >"$out/int.out" 2>"$out/int.err" &
cli=$!
sleep 1
kill -INT $cli
sleep 0.5
kill -CONT "$mainpid"
r=0 && wait $cli || r=$?
check_eq "exit status after Ctrl-C" 130 $r
cat "$out/int.err"
grep -q "^daxmgr: the job /org/daxmgr1/job/[0-9]* keeps running in daxmgrd; follow it with: daxmgr monitor$" \
    "$out/int.err" || fail "Ctrl-C: $(cat "$out/int.err")"
ijob=$(grep -o "/org/daxmgr1/job/[0-9]*" "$out/int.err")
check_eq "the interrupted job still ran" "done" "$(wait_job "$ijob")"

step "errors: one line, and the exit status says which kind"
expect_rc 2 "unknown verb" daxmgr frobnicate
expect_rc 2 "which verb" daxmgr
expect_rc 2 'cannot list "dimms"' daxmgr list dimms
expect_rc 2 "--size" daxmgr create-namespace --size lots
expect_rc 2 "--fs" daxmgr format data --fs btrfs
expect_rc 2 "is not an option of mount" daxmgr mount data /mnt/x --force
expect_rc 2 "usage: daxmgr mount" daxmgr mount data
expect_rc 2 "neither a process ID nor a path" daxmgr verify self
expect_rc 2 "sector (BTT) mode is not managed by daxmgr; the mode must be fsdax, devdax or raw" \
    daxmgr create-namespace --mode sector
expect_rc 2 "service must be a unit name" daxmgr place /mnt/cli-data/xip "$SLEEPER" --service nounit
expect_rc 3 'no region "region9"' daxmgr create-namespace --region region9 --size 64M
expect_rc 3 "no namespace" daxmgr format nosuch
expect_rc 3 'no namespace "nosuch"' daxmgr destroy-namespace nosuch
expect_rc 3 "no process" daxmgr verify 999999
expect_rc 4 "daxmgr: reconcile: " "${NOBODY[@]}" daxmgr --no-ask-password reconcile
expect_rc 4 "daxmgr: format data: " "${NOBODY[@]}" daxmgr format data --force
check_eq "nobody may read" 0 "$(rc "${NOBODY[@]}" daxmgr status)"
check_eq "nobody may list --json" data "$("${NOBODY[@]}" daxmgr list namespaces --json | jq -r '.[] | select(.Name == "data") | .Name')"

step "the daemon stopped and disabled: exit 5, and how to start it; monitor says so and goes on"
daxmgr monitor --json >"$out/monitor-stop.jsonl" 2>/dev/null &
monstop=$!
sleep 1
systemctl disable --now daxmgrd
sleep 1
kill -0 $monstop || fail "monitor ended when the daemon stopped"
kill -TERM $monstop
wait $monstop || fail "monitor: exit status $? after SIGTERM"
check_ge "monitor: daemon-stopped" 1 "$(jq -c 'select(.event == "daemon-stopped")' "$out/monitor-stop.jsonl" | wc -l)"
expect_rc 5 "daxmgr: daxmgrd is not running; start it with: systemctl enable --now daxmgrd" daxmgr status
expect_rc 5 "start it with" daxmgr list namespaces --json
expect_rc 5 "start it with" daxmgr reconcile
expect_rc 5 "start it with" "${NOBODY[@]}" daxmgr status
# No bus: one line about the bus, none claiming that the daemon is not running (it cannot be known).
expect_rc 5 "daxmgr: the system bus is not running (unix:path=/nonexistent: No such file or directory)" \
    env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent daxmgr list devices
check_eq "no bus: lines on stderr" 1 "$(wc -l <"$out/rc.err")"
grep -qF "daxmgrd is not running" "$out/rc.err" && fail "no bus, yet: $(cat "$out/rc.err")"
check_eq "config check needs no daemon" 0 "$(rc daxmgr config check)"
step "end"
