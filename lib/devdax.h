/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Device-DAX (/dev/daxX.Y): who may open it, and which driver owns it.
 *
 * Ownership and mode are set on the device node itself. udev owns /dev: it may reset owner
 * and mode on the next event for the device (a "change", a re-bind, a reboot), so the daemon
 * re-applies them whenever it sees an event for a device it manages; a udev rule is the
 * persistent alternative.
 *
 * Modes, through libdaxctl: "devdax" (the device_dax driver: a character device to mmap) or
 * "system-ram" (the kmem driver: the capacity becomes hot-plugged memory, onlined as movable
 * or not). Going back to devdax offlines that memory first; if the kernel cannot offline all
 * of it (unmovable allocations in it), the device is left as it was and the caller is told. */

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"
#include "model.h"

/* "dax0.0" or "/dev/dax0.0" → "dax0.0"; -EINVAL for anything else. */
int devdax_name_normalize(const char *s, char **ret);

/* A user or group by name (through NSS) or number. -ESRCH when there is no such name,
 * -EINVAL for a malformed one or the reserved id -1. */
int devdax_parse_user(const char *s, uid_t *ret);
int devdax_parse_group(const char *s, gid_t *ret);
/* An octal permission mode: "0660", "660", "600". Only permission bits (at most 0777). */
int devdax_parse_mode(const char *s, mode_t *ret);

/* Sets owner, group and mode of /dev/@dev; (uid_t) -1, (gid_t) -1 and (mode_t) -1 leave that
 * part alone. Refuses a node that is not a device-dax character device. */
int devdax_set_access(const char *dev, uid_t uid, gid_t gid, mode_t mode, char **ret_error);

/* Does /dev/@dev hold data? Maps its first 2 MiB read-only (a device-dax device has no read())
 * and looks for a non-zero byte: an application that used the device wrote its header there,
 * and a new namespace on blank media reads as zeros. 1 data, 0 blank, or a negative errno with a
 * sentence (the caller then counts it as data). */
int devdax_probe_content(const char *dev, char **ret_error);

typedef struct DevdaxState {
        char *name;
        bool enabled;    /* bound to a driver */
        DevdaxMode mode; /* meaningful when enabled */
        unsigned long long size;
        int target_node;
        int memory_blocks; /* system-ram: memory blocks of the device, else 0 */
        int online_blocks; /* … of which online */
        bool movable;      /* all online blocks in ZONE_MOVABLE */
} DevdaxState;

void devdax_state_done(DevdaxState *s);

int devdax_get_state(const char *dev, DevdaxState *ret, char **ret_error);

/* Switches @dev to @mode. For system-ram, the memory is onlined into ZONE_MOVABLE if
 * @movable (it can be offlined again later, but kernel allocations cannot use it) or
 * ZONE_NORMAL otherwise (usable by the kernel, but then usually impossible to offline).
 * Refuses to take a device that a process has open or mapped. Returns 0 when switched, 1
 * when already in that mode (memory online as asked), or a negative errno with a sentence
 * (-ENODEV no such device, -EBUSY in use or memory that cannot be offlined). */
int devdax_set_mode(const char *dev, DevdaxMode mode, bool movable, char **ret_error);
