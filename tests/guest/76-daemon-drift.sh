#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# timeout: 600
#
# No silent drift: every change of the configuration that the machine does not match any more is
# converged or reported. daxmgrd realizes a configuration; then it is changed one way at a time
# and reloaded, and systemctl, findmnt, ndctl and the zone show each result, before and after:
#   - Service= removed: the drop-in is gone and systemd no longer lists it;
#   - BindHost=yes → no: the host bind mount is lifted;
#   - EntryPoint=yes → no: the entry point is removed;
#   - WithLibraries=yes → no → yes: the loader and libraries are removed, then placed again;
#   - the [Placement] section removed: what the daemon made for it is undone, the copy stays;
#   - the same program placed in a second zone while the first binds it over the host: settles;
#   - Size= of an existing namespace changed: a problem naming FILE:LINE, nothing destroyed;
#     with Destroy=yes it is destroyed and made again in the new size;
#   - Region= changed: the same, and it is made again in the new region.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
out=$DAXMGR_TEST_OUT
SLEEPER=/usr/libexec/daxmgr/daxmgr-static-sleeper
DYN=$(realpath /usr/bin/sleep) # dynamically linked: it has a loader and libraries to place
ZONE=/mnt/drift/xip
CONF=/etc/daxmgr/daxmgr.conf
STATE=/var/lib/daxmgr/placements.json
XIP_UNIT=xip-drift.service
DAEMON_CLEANUP_UNITS=$XIP_UNIT

# config PLACEMENTS NAMESPACE: the configuration with the given [Placement] and drift-dd sections.
config() {
    write_config <<CONF
[Namespace drift]
Region=region0
Mode=fsdax
Size=512M
Filesystem=ext4
MountPoint=/mnt/drift
DAX=always

[Zone apps]
Namespace=drift
Directory=xip
$1
$2
CONF
}

reload() {
    call Reload '' >/dev/null
    wait_settled 180
    echo "problems: $(mgr_prop Problems | jq -c .)"
    echo "pending steps: $(mgr_prop PendingSteps)"
}

# 1 when systemd lists daxmgr's drop-in for the unit (it may list the distribution's too), else 0.
dropin_listed() {
    systemctl show -P DropInPaths $XIP_UNIT | tr ' ' '\n' | grep -c "/$XIP_UNIT.d/50-daxmgr-xip.conf$" || true
}

# What an activation looks like on the machine.
show_activation() {
    echo "  systemctl show -P DropInPaths $XIP_UNIT: '$(systemctl show -P DropInPaths $XIP_UNIT)'"
    echo "  findmnt $SLEEPER: '$(findmnt -rno TARGET,SOURCE "$SLEEPER" | tr '\n' ' ')'"
    # shellcheck disable=SC2012 # our own file names, shown sorted to the reader
    echo "  ls $ZONE/bin: '$(ls -A "$ZONE/bin" 2>/dev/null | tr '\n' ' ')'"
    echo "  applied (state): $(jq -c --arg p "$SLEEPER" '[.placements[] | select(.source == $p) | .applied // {}]' "$STATE")"
    echo "  dropin_unit (state, what daxmgr-generator reads): $(jq -c --arg p "$SLEEPER" '[.placements[] | select(.source == $p) | .dropin_unit]' "$STATE")"
}

show_libraries() {
    echo "  records of $DYN: $(jq -c --arg p "$DYN" '[.placements[] | select(.program == $p) | .role] | group_by(.) | map({(.[0]): length}) | add' "$STATE")"
    echo "  files in $ZONE/root: $(find "$ZONE/root" -type f | wc -l)"
    echo "  entry point $ZONE/bin/$(basename "$DYN"): $(stat -c %F "$ZONE/bin/$(basename "$DYN")" 2>/dev/null || echo none)"
}

show_ns() {
    ndctl_json list -N -v -r "$1" |
        jq -c '[.[] | select(.name == "drift-dd") | {dev, name, mode, raw_size: (.raw_size // .size), uuid}]'
}

ns_region() {
    local r
    for r in region0 region1; do
        [ "$(ndctl_json list -N -r $r | jq '[.[] | select(.name == "drift-dd")] | length')" = 1 ] && echo $r
    done
}

PLACE_SLEEPER="[Placement sleeper]
Zone=apps
Program=$SLEEPER
Service=$XIP_UNIT
BindHost=yes"
PLACE_DYN="[Placement dyn]
Zone=apps
Program=$DYN
WithLibraries=yes"
NS_DD="[Namespace drift-dd]
Region=region1
Mode=devdax
Size=256M"

step "a configuration realized: a drop-in, a host bind, entry points, a placement with libraries"
cat >/etc/systemd/system/$XIP_UNIT <<UNIT
[Service]
ExecStart=$SLEEPER 600
UNIT
systemctl daemon-reload
config "$PLACE_SLEEPER
$PLACE_DYN" "$NS_DD"
daxmgrd --check-config
systemctl enable --now daxmgrd
wait_settled 240
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"
show_activation
check_eq "daxmgr's drop-in listed by systemd" 1 "$(dropin_listed)"
check_eq "host bind over $SLEEPER" 1 "$(findmnt -rn "$SLEEPER" >/dev/null && echo 1)"
check_eq "entry point of the sleeper" 1 "$(test -e "$ZONE/bin/daxmgr-static-sleeper" && echo 1)"
show_libraries
check_ge "files placed for $DYN (program, loader, libc at least)" 3 \
    "$(jq --arg p "$DYN" '[.placements[] | select(.program == $p)] | length' "$STATE")"

step "drift: Service= removed"
echo "before:"
show_activation
config "$(grep -v '^Service=' <<<"$PLACE_SLEEPER")
$PLACE_DYN" "$NS_DD"
reload
echo "after:"
show_activation
check_eq "daxmgr's drop-in listed by systemd" 0 "$(dropin_listed)"
check_eq "drop-in the generator wrote" 0 "$(test -e /run/systemd/generator/$XIP_UNIT.d/50-daxmgr-xip.conf && echo 1 || echo 0)"
check_eq "drop-in recorded for the generator" null \
    "$(jq -r --arg p "$SLEEPER" '.placements[] | select(.source == $p) | .dropin_unit' "$STATE")"
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"

step "drift: BindHost=yes → no"
echo "before:"
show_activation
config "$(grep -v '^Service=\|^BindHost=' <<<"$PLACE_SLEEPER")
$PLACE_DYN" "$NS_DD"
reload
echo "after:"
show_activation
check_eq "host bind over $SLEEPER" 0 "$(findmnt -rn "$SLEEPER" >/dev/null && echo 1 || echo 0)"
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"

step "drift: EntryPoint=yes → no"
echo "before:"
show_activation
config "$(grep -v '^Service=\|^BindHost=' <<<"$PLACE_SLEEPER")
EntryPoint=no
$PLACE_DYN" "$NS_DD"
reload
echo "after:"
show_activation
check_eq "entry point of the sleeper" 0 "$(test -e "$ZONE/bin/daxmgr-static-sleeper" && echo 1 || echo 0)"
check_eq "the copy stays" 1 "$(test -f "$ZONE/root$SLEEPER" && echo 1)"
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"

step "drift: WithLibraries=yes → no"
echo "before:"
show_libraries
before_files=$(find "$ZONE/root" -type f | wc -l)
# shellcheck disable=SC2001 # a line of a multi-line section, anchored by ^ and $
config "$(grep -v '^Service=\|^BindHost=' <<<"$PLACE_SLEEPER")
EntryPoint=no
$(sed 's/^WithLibraries=yes$/WithLibraries=no/' <<<"$PLACE_DYN")" "$NS_DD"
reload
echo "after:"
show_libraries
check_eq "records of $DYN" '["program"]' \
    "$(jq -c --arg p "$DYN" '[.placements[] | select(.program == $p) | .role]' "$STATE")"
check_eq "loader copy removed" 0 "$(find "$ZONE/root" -name 'ld-linux*' | wc -l)"
check_eq "entry point of $DYN" "symbolic link" "$(stat -c %F "$ZONE/bin/$(basename "$DYN")")"
"$ZONE/bin/$(basename "$DYN")" 0 || fail "the entry point of $DYN does not run"
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"

step "drift: WithLibraries=no → yes"
echo "before:"
show_libraries
config "$(grep -v '^Service=\|^BindHost=' <<<"$PLACE_SLEEPER")
EntryPoint=no
$PLACE_DYN" "$NS_DD"
reload
echo "after:"
show_libraries
check_eq "files in the zone as at first" "$before_files" "$(find "$ZONE/root" -type f | wc -l)"
check_eq "loader placed" 1 "$(jq --arg p "$DYN" '[.placements[] | select(.program == $p and .role == "interpreter")] | length' "$STATE")"
"$ZONE/bin/$(basename "$DYN")" 0 || fail "the entry point of $DYN does not run"
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"

step "drift: the [Placement dyn] section removed"
echo "before:"
show_libraries
config "$(grep -v '^Service=\|^BindHost=' <<<"$PLACE_SLEEPER")
EntryPoint=no" "$NS_DD"
reload
echo "after:"
show_libraries
check_eq "entry point of $DYN" 0 "$(test -e "$ZONE/bin/$(basename "$DYN")" && echo 1 || echo 0)"
check_eq "its copy stays" 1 "$(test -f "$ZONE/root$DYN" && echo 1)"
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"
PLACE_LEFT="$(grep -v '^Service=\|^BindHost=' <<<"$PLACE_SLEEPER")
EntryPoint=no"

step "drift: Size= of namespace drift-dd 256M → 512M, without Destroy="
echo "before: $(show_ns region1)"
uuid0=$(show_ns region1 | jq -r '.[0].uuid')
# shellcheck disable=SC2001 # a line of a multi-line section, anchored by ^ and $
config "$PLACE_LEFT" "$(sed 's/^Size=256M$/Size=512M/' <<<"$NS_DD")"
line=$(grep -n '^Size=512M$' $CONF | tail -1 | cut -d: -f1)
reload
echo "after: $(show_ns region1)"
problem=$(mgr_prop Problems | jq -r '.. | strings | select(test("Namespace drift-dd is configured with a size"))' | head -1)
echo "problem: $problem"
case $problem in
    "conflict: $CONF:$line: Namespace drift-dd is configured with a size of 512 MiB but "*" in region1 is 256 MiB; a namespace cannot be resized without being destroyed; set Destroy=yes"*) ;;
    *) fail "no problem naming $CONF:$line for the size" ;;
esac
check_eq "the namespace is untouched (uuid)" "$uuid0" "$(show_ns region1 | jq -r '.[0].uuid')"

step "drift: Size=512M with Destroy=yes: destroyed and made again"
echo "before: $(show_ns region1)"
# shellcheck disable=SC2001 # a line of a multi-line section, anchored by ^ and $
config "$PLACE_LEFT" "$(sed 's/^Size=256M$/Size=512M\nDestroy=yes/' <<<"$NS_DD")"
reload
echo "after: $(show_ns region1)"
check_eq "drift-dd grew past 256 MiB (ndctl)" true "$(show_ns region1 | jq '.[0].raw_size > 268435456')"
[ "$(show_ns region1 | jq -r '.[0].uuid')" != "$uuid0" ] || fail "drift-dd was not made again"
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"

step "drift: Region= of drift-dd region1 → region0, without Destroy="
echo "before: region $(ns_region): $(show_ns "$(ns_region)")"
config "$PLACE_LEFT" "$(sed 's/^Size=256M$/Size=512M/; s/^Region=region1$/Region=region0/' <<<"$NS_DD")"
line=$(grep -n '^Region=region0$' $CONF | tail -1 | cut -d: -f1)
reload
echo "after: region $(ns_region): $(show_ns "$(ns_region)")"
problem=$(mgr_prop Problems | jq -r '.. | strings | select(test("Namespace drift-dd is configured with Region"))' | head -1)
echo "problem: $problem"
case $problem in
    "conflict: $CONF:$line: Namespace drift-dd is configured with Region=region0 but "*" is in region1; a namespace cannot move to another region without being destroyed; set Destroy=yes"*) ;;
    *) fail "no problem naming $CONF:$line for the region" ;;
esac
check_eq "drift-dd still in" region1 "$(ns_region)"

step "drift: Region=region0 with Destroy=yes: moved"
echo "before: region $(ns_region): $(show_ns "$(ns_region)")"
config "$PLACE_LEFT" "$(sed 's/^Size=256M$/Size=512M\nDestroy=yes/; s/^Region=region1$/Region=region0/' <<<"$NS_DD")"
reload
echo "after: region $(ns_region): $(show_ns "$(ns_region)")"
check_eq "drift-dd now in" region0 "$(ns_region)"
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"

step "the same program placed in a second zone, bound to the host from the first"
# The bind over the original is the first zone's: the second zone's placement (no BindHost=)
# must not plan to lift it on every reconcile (it never settled before 2026-12-05).
config "$PLACE_LEFT
BindHost=yes

[Zone apps2]
Namespace=drift
Directory=xip2

[Placement sleeper-too]
Zone=apps2
Program=$SLEEPER
EntryPoint=no" "$(sed 's/^Size=256M$/Size=512M\nDestroy=yes/; s/^Region=region1$/Region=region0/' <<<"$NS_DD")"
reload
check_eq "problems" "[]" "$(mgr_prop Problems | jq -c .)"
check_eq "pending steps" 0 "$(mgr_prop PendingSteps)"
check_eq "copies of $SLEEPER placed (state)" 2 \
    "$(jq --arg p "$SLEEPER" '[.placements[] | select(.source == $p)] | length' "$STATE")"
check_eq "the host bind shows the first zone's copy" "$(stat -c %d:%i "$ZONE/root$SLEEPER")" "$(stat -c %d:%i "$SLEEPER")"

step "converged: a second reconcile has nothing to do"
check_eq "pending steps" 0 "$(mgr_prop PendingSteps)"
daxmgr plan || true
journalctl -u daxmgrd --no-pager -o cat | grep -iE 'drop-in|bind|entry point|destroy|namespace "drift-dd"|Placed' | tail -30
