#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 240
#
# Verify any process: lib/'s verifier (daxmgr-tool verify) tells, mapping by mapping, which
# executable pages a running program has in pmem. A Debian binary copied onto a DAX mount runs
# its own text from pmem while libc and ld.so come from the page cache; started through a
# placed ld.so with placed libraries, every executable page is in pmem; the same binary from the
# root disk has none there. Without CAP_SYS_ADMIN the verifier says it cannot tell.
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT

step "a DAX mount with sleep, its libraries and the loader copied onto it"
ndctl create-namespace -r region0 -m fsdax -M mem -s 1G -n verify >/dev/null
blk=$(ndctl_ns blockdev verify)
mkfs.ext4 -q -F -b 4096 "/dev/$blk"
mkdir -p /mnt/xip && mount -o dax=always "/dev/$blk" /mnt/xip
interp=/lib64/ld-linux-x86-64.so.2
cp /usr/bin/sleep /mnt/xip/sleep
cp "$(readlink -f "$interp")" /mnt/xip/ld.so
for lib in $(ldd /usr/bin/sleep | awk '$3 ~ /^\// {print $3}'); do cp "$(readlink -f "$lib")" "/mnt/xip/$(basename "$lib")"; done
ls -l /mnt/xip

# summary FIELD FILE
summary() { jq -r ".summary.$1" "$2"; }
# pages_of PATH-REGEX FIELD FILE: a page count summed over the executable mappings matching
pages_of() { jq -r --arg re "$1" "[.mappings[] | select(.perms | test(\"x\")) | select(.path | test(\$re)) | .$2] | add // 0" "$3"; }

step "the binary alone on DAX: its text in pmem, libc and ld.so in DRAM"
/mnt/xip/sleep 300 &
p1=$!
sleep 1
"$TOOL" verify $p1
"$TOOL" verify --json $p1 >"$out/own.json"
check_ge "sleep's own text pages in pmem" 1 "$(pages_of '^/mnt/xip/sleep$' pmem "$out/own.json")"
check_eq "sleep's own text pages in DRAM" 0 "$(pages_of '^/mnt/xip/sleep$' dram "$out/own.json")"
check_ge "libc text pages in DRAM" 1 "$(pages_of 'libc' dram "$out/own.json")"
check_eq "libc text pages in pmem" 0 "$(pages_of 'libc' pmem "$out/own.json")"
kill $p1

step "binary, libraries and loader on DAX: every resident executable page in pmem"
/mnt/xip/ld.so --library-path /mnt/xip /mnt/xip/sleep 300 &
p2=$!
sleep 1
"$TOOL" verify $p2
"$TOOL" verify --json $p2 >"$out/all.json"
check_eq "executable pages in DRAM" 0 "$(summary exec_dram "$out/all.json")"
check_ge "executable pages in pmem" 50 "$(summary exec_pmem "$out/all.json")"
check_eq "share in pmem" 100 "$(summary exec_pmem_percent "$out/all.json" | cut -d. -f1)"
check_ge "libc text in pmem" 1 "$(pages_of '^/mnt/xip/libc' pmem "$out/all.json")"
check_ge "ld.so text in pmem" 1 "$(pages_of '^/mnt/xip/ld.so$' pmem "$out/all.json")"
kill $p2

step "control: the same program from the root disk"
/usr/bin/sleep 300 &
p3=$!
sleep 1
"$TOOL" verify --json $p3 >"$out/control.json"
check_eq "executable pages in pmem" 0 "$(summary exec_pmem "$out/control.json")"
check_ge "executable pages in DRAM" 50 "$(summary exec_dram "$out/control.json")"

step "an unprivileged user: the verifier says it cannot tell, rather than guessing"
setpriv --reuid=nobody --regid=nogroup --clear-groups sleep 300 &
p4=$!
sleep 1
expect_fail "root" setpriv --reuid=nobody --regid=nogroup --clear-groups "$TOOL" verify $p4
expect_fail "there is no process" "$TOOL" verify 999999
kill $p3 $p4
wait 2>/dev/null || true
umount /mnt/xip
