#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 240
#
# What must be refused is refused with a sentence that says why, and nothing changes on the
# device: too large, an alignment the kernel does not offer, destroying what is mounted or
# holds a filesystem, and two writers at once.
. "$(dirname "$0")/lib.sh"
out=$DAXMGR_TEST_OUT

snapshot() { ndctl_json list -RN -v | jq -S '[.[] | {dev, available_size, namespaces: [(.namespaces // [])[] | {dev, uuid, size, mode}]}]'; }

snapshot >"$out/before.json"
step "too large"
expect_fail "in its largest free extent" "$TOOL" create-namespace --region region0 --size 8G --name big
expect_fail "unknown unit" "$TOOL" create-namespace --region region0 --size 12XB --name bad
expect_fail "ambiguous" "$TOOL" create-namespace --region region0 --size 1GB --name bad
step "an alignment the kernel does not offer"
expect_fail "is not offered by the kernel" "$TOOL" create-namespace --region region0 --size 256M --align 64K
step "a region that does not exist"
expect_fail "there is no pmem region region9" "$TOOL" create-namespace --region region9 --size 256M
snapshot >"$out/after.json"
diff -u "$out/before.json" "$out/after.json" || fail "a refused request changed the namespaces"
echo "ok: nothing changed"

step "destroy refuses a mounted namespace, and one holding a filesystem"
"$TOOL" create-namespace --region region0 --size 512M --name keep >/dev/null
dev=/dev/$(ndctl_ns blockdev keep)
mkfs.ext4 -q -F -b 4096 "$dev"
fs_uuid=$(blkid -o value -s UUID "$dev")
mkdir -p /mnt/keep && mount -o dax=always "$dev" /mnt/keep
echo precious >/mnt/keep/data && sync
expect_fail "is mounted on /mnt/keep" "$TOOL" destroy-namespace keep
expect_fail "is mounted on /mnt/keep" "$TOOL" destroy-namespace --force keep
check_eq "still there" fsdax "$(ndctl_ns mode keep)"
umount /mnt/keep
expect_fail "holds a ext4 signature" "$TOOL" destroy-namespace keep
check_eq "filesystem intact" "$fs_uuid" "$(blkid -o value -s UUID "$dev")"
mount -o dax=always "$dev" /mnt/keep && check_eq "data intact" precious "$(cat /mnt/keep/data)" && umount /mnt/keep

step "destroy refuses a device held open"
exec 7<"$dev"
expect_fail "is open in" "$TOOL" destroy-namespace --force keep
exec 7<&-
"$TOOL" destroy-namespace --force keep
[ -z "$(ndctl_ns dev keep)" ] || fail "keep still there after a forced destroy"
echo "ok: destroyed with force once nothing held it"

step "two writers: a second process waits for the lock, then says who holds it"
"$TOOL" lock-hold 8 >"$out/holder.txt" &
holder=$!
sleep 1
expect_fail "is changing namespaces" env DAXMGR_LOCK_TIMEOUT=2 "$TOOL" create-namespace --region region1 --size 64M --name w1
t0=$(date +%s)
"$TOOL" create-namespace --region region1 --size 64M --name w2 >/dev/null
waited=$(($(date +%s) - t0))
wait $holder
check_ge "seconds the second writer waited" 4 "$waited"
check_eq "w2 created after the wait" fsdax "$(ndctl_ns mode w2)"

step "two writers at once: both succeed, one after the other"
"$TOOL" create-namespace --region region1 --size 128M --name c1 >"$out/c1.json" 2>&1 &
p1=$!
"$TOOL" create-namespace --region region1 --size 128M --name c2 >"$out/c2.json" 2>&1 &
p2=$!
wait $p1 || fail "c1 failed: $(cat "$out/c1.json")"
wait $p2 || fail "c2 failed: $(cat "$out/c2.json")"
check_eq "c1" fsdax "$(ndctl_ns mode c1)"
check_eq "c2" fsdax "$(ndctl_ns mode c2)"
[ "$(ndctl_ns uuid c1)" != "$(ndctl_ns uuid c2)" ] || fail "c1 and c2 share a uuid"
for n in w2 c1 c2; do "$TOOL" destroy-namespace "$n"; done
