/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <syslog.h>

#include <daxctl/libdaxctl.h>

#include "devdax.h"
#include "error.h"
#include "fileio.h"
#include "fs-util.h"
#include "holders.h"
#include "parse-util.h"

#define AUTO_ONLINE_BLOCKS "/sys/devices/system/memory/auto_online_blocks"

/* ---------------------------------------------------------------- libdaxctl */

typedef struct DaxctlSession {
        struct daxctl_ctx *ctx;
        char *last_error; /* libdaxctl's last error line, for our messages */
} DaxctlSession;

_printf_(6, 0) static void daxctl_log_capture(struct daxctl_ctx *ctx, int priority, const char *file,
                                              int line, const char *fn, const char *format, va_list args) {
        DaxctlSession *s = daxctl_get_userdata(ctx);
        char *m = NULL;

        if (!s || priority > LOG_ERR || vasprintf(&m, format, args) < 0)
                return;
        m[strcspn(m, "\n")] = '\0';
        free(s->last_error);
        s->last_error = m;
}

static void daxctl_session_done(DaxctlSession *s) {
        if (s->ctx)
                daxctl_unref(s->ctx);
        free(s->last_error);
        *s = (DaxctlSession){};
}

static int daxctl_session_open(DaxctlSession *s) {
        int r;

        *s = (DaxctlSession){};
        r = daxctl_new(&s->ctx);
        if (r < 0)
                return r;
        daxctl_set_userdata(s->ctx, s);
        daxctl_set_log_fn(s->ctx, daxctl_log_capture);
        daxctl_set_log_priority(s->ctx, LOG_ERR);
        return 0;
}

static struct daxctl_dev *daxctl_session_find(DaxctlSession *s, const char *name) {
        struct daxctl_region *region;
        struct daxctl_dev *dev;

        daxctl_region_foreach (s->ctx, region)
                daxctl_dev_foreach (region, dev) {
                        const char *n = daxctl_dev_get_devname(dev);
                        if (n && strcmp(n, name) == 0)
                                return dev;
                }
        return NULL;
}

/* libdaxctl's last words in parentheses, or "". */
static const char *said(const DaxctlSession *s, char *buf, size_t size) {
        if (!s->last_error || !*s->last_error)
                return "";
        (void) snprintf(buf, size, " (libdaxctl: %s)", s->last_error);
        return buf;
}

void devdax_state_done(DevdaxState *s) {
        if (!s)
                return;
        free(s->name);
        *s = (DevdaxState){};
}

static void dev_state(struct daxctl_dev *dev, DevdaxState *st) {
        struct daxctl_memory *mem = NULL;

        st->enabled = daxctl_dev_is_enabled(dev);
        st->size = daxctl_dev_get_size(dev);
        st->target_node = daxctl_dev_get_target_node(dev);
        st->mode = DEVDAX_MODE_DEVDAX;
        st->memory_blocks = st->online_blocks = 0;
        st->movable = false;
        if (st->enabled)
                mem = daxctl_dev_get_memory(dev);
        if (mem) {
                int n;

                st->mode = DEVDAX_MODE_SYSTEM_RAM;
                n = daxctl_memory_num_sections(mem);
                st->memory_blocks = n < 0 ? 0 : n;
                n = daxctl_memory_is_online(mem);
                st->online_blocks = n < 0 ? 0 : n;
                st->movable = st->online_blocks > 0 && st->online_blocks == st->memory_blocks &&
                              daxctl_memory_is_movable(mem) == 1;
        }
}

int devdax_get_state(const char *dev, DevdaxState *ret, char **ret_error) {
        DaxctlSession s __attribute__((cleanup(daxctl_session_done))) = {};
        _cleanup_free_ char *name = NULL;
        struct daxctl_dev *d;
        DevdaxState st = {};
        int r;

        if (!dev || !ret)
                return -EINVAL;
        if (devdax_name_normalize(dev, &name) < 0)
                return error_set(ret_error, -EINVAL,
                                 "\"%s\" is not a device-dax name (daxX.Y or /dev/daxX.Y).", dev);
        r = daxctl_session_open(&s);
        if (r < 0)
                return error_set(ret_error, r, "Cannot initialise libdaxctl: %s.", strerror(-r));
        d = daxctl_session_find(&s, name);
        if (!d)
                return error_set(ret_error, -ENODEV, "There is no device-dax device %s.", name);
        dev_state(d, &st);
        st.name = TAKE_PTR(name);
        *ret = st;
        return 0;
}

/* Brings all memory blocks of a kmem-bound device online in the wanted zone. */
static int online_memory(DaxctlSession *s, struct daxctl_dev *dev, const char *name, bool movable,
                         char **ret_error) {
        const char *zone = movable ? "ZONE_MOVABLE" : "ZONE_NORMAL";
        struct daxctl_memory *mem = daxctl_dev_get_memory(dev);
        int total, online, r;
        char buf[512];

        if (!mem)
                return error_set(ret_error, -ENXIO,
                                 "%s is bound to kmem but libdaxctl finds no memory for it%s.", name,
                                 said(s, buf, sizeof(buf)));
        total = daxctl_memory_num_sections(mem);
        if (total <= 0)
                return error_set(ret_error, total < 0 ? total : -ERANGE,
                                 "%s covers no whole memory block (blocks are %lu MiB): it is too small or "
                                 "misaligned to become system RAM%s.",
                                 name, daxctl_memory_get_block_size(mem) >> 20, said(s, buf, sizeof(buf)));

        online = daxctl_memory_is_online(mem);
        if (online == total && daxctl_memory_is_movable(mem) == (int) movable)
                return 1; /* nothing to do */

        if (online > 0 && online == total && daxctl_memory_is_movable(mem) != (int) movable) {
                /* The kernel onlined it by itself (auto_online_blocks) into the other zone. */
                r = daxctl_memory_offline(mem);
                if (r < 0 || daxctl_memory_is_online(mem) > 0)
                        return error_set(
                                ret_error, -EBUSY,
                                "%s's memory was onlined before daxmgr (the kernel's memory auto-onlining, "
                                "/sys/devices/system/memory/auto_online_blocks, or a udev rule) outside %s, "
                                "and the kernel could not offline it to move it there%s; boot with "
                                "memhp_default_state=offline so that daxmgr onlines it first.",
                                name, zone, said(s, buf, sizeof(buf)));
        }

        r = movable ? daxctl_memory_online(mem) : daxctl_memory_online_no_movable(mem);
        online = daxctl_memory_is_online(mem);
        if (online != total)
                return error_set(
                        ret_error, r < 0 ? r : -EIO,
                        "Onlining the memory of %s into %s failed: %d of %d memory blocks are online%s.",
                        name, zone, online < 0 ? 0 : online, total, said(s, buf, sizeof(buf)));
        if (daxctl_memory_is_movable(mem) != (int) movable)
                return error_set(
                        ret_error, -EBUSY,
                        "The memory of %s is online, but not all of it in %s (another agent, such as a "
                        "udev rule, onlined some blocks first)%s.",
                        name, zone, said(s, buf, sizeof(buf)));
        return 0;
}

static int to_system_ram(DaxctlSession *s, struct daxctl_dev *dev, const char *name, bool movable,
                         char **ret_error) {
        _cleanup_holders_ Holders *holders = NULL;
        _cleanup_free_ char *node = NULL, *who = NULL;
        char buf[512];
        int r;

        if (daxctl_dev_is_enabled(dev) && daxctl_dev_get_memory(dev))
                return online_memory(s, dev, name, movable, ret_error); /* 1: already as asked */

        if (daxctl_dev_get_size(dev) == 0)
                return error_set(ret_error, -ENXIO,
                                 "%s has no capacity (size 0): nothing to hand to the kernel.", name);

        /* Never pull the memory from under a process that has the device open or mapped. */
        if (asprintf(&node, "/dev/%s", name) < 0)
                return -ENOMEM;
        if (holders_of_node(node, &holders) >= 0 && holders->n > 0) {
                (void) holders_describe(holders, 8, &who);
                return error_set(
                        ret_error, -EBUSY,
                        "Refusing to switch %s to system-ram: it is in use by %s. Stop those processes "
                        "first.",
                        name, who ?: "some processes");
        }

        /* The kernel's memory auto-online policy onlines the memory the moment kmem takes the
         * device; "online" and "online_kernel" put it outside ZONE_MOVABLE, from where the kernel
         * may never give it back (Debian 13's kernel is built so). Refuse, as daxctl does, while
         * nothing has changed yet. */
        if (movable) {
                _cleanup_free_ char *policy = NULL;

                if (read_one_line_at(AT_FDCWD, AUTO_ONLINE_BLOCKS, &policy) >= 0 &&
                    strcmp(policy, "offline") != 0 && strcmp(policy, "online_movable") != 0)
                        return error_set(
                                ret_error, -EBUSY,
                                "Refusing to switch %s to system-ram in ZONE_MOVABLE: the kernel's memory "
                                "auto-online policy (%s: %s) would online its memory outside ZONE_MOVABLE "
                                "first, where the kernel may never give it back. %s stays devdax. Boot "
                                "with memhp_default_state=offline (or write offline to that file), or "
                                "ask for system-ram without movable (SystemRAM=online).",
                                name, AUTO_ONLINE_BLOCKS, policy, name);
        }

        if (daxctl_dev_is_enabled(dev)) {
                r = daxctl_dev_disable(dev);
                if (r < 0)
                        return error_set(ret_error, r, "Cannot detach %s from the device_dax driver: %s%s.",
                                         name, strerror(-r), said(s, buf, sizeof(buf)));
        }
        r = daxctl_dev_enable_ram(dev);
        if (r < 0) {
                int k = daxctl_dev_enable_devdax(dev);

                return error_set(ret_error, r,
                                 "Cannot hand %s to the kmem driver (system-ram): %s%s. The kernel needs "
                                 "CONFIG_DEV_DAX_KMEM and memory hot-plug. %s",
                                 name, strerror(-r), said(s, buf, sizeof(buf)),
                                 k < 0 ? "Re-enabling it as devdax failed too: it is now disabled."
                                       : "It is devdax again.");
        }
        r = online_memory(s, dev, name, movable, ret_error);
        return r < 0 ? r : 0;
}

static int to_devdax(DaxctlSession *s, struct daxctl_dev *dev, const char *name, char **ret_error) {
        struct daxctl_memory *mem;
        char buf[512];
        int r;

        if (!daxctl_dev_is_enabled(dev)) {
                r = daxctl_dev_enable_devdax(dev);
                if (r < 0)
                        return error_set(ret_error, r, "Cannot enable %s as devdax: %s%s.", name,
                                         strerror(-r), said(s, buf, sizeof(buf)));
                return 0;
        }
        mem = daxctl_dev_get_memory(dev);
        if (!mem)
                return 1; /* already devdax */

        if (daxctl_memory_is_online(mem) > 0) {
                int total = daxctl_memory_num_sections(mem), left;
                bool was_movable = daxctl_memory_is_movable(mem) == 1;

                r = daxctl_memory_offline(mem);
                left = daxctl_memory_is_online(mem);
                if (r < 0 || left != 0) {
                        /* Leave it as it was: whatever got offlined goes back online. */
                        (void) (was_movable ? daxctl_memory_online(mem)
                                            : daxctl_memory_online_no_movable(mem));
                        return error_set(
                                ret_error, -EBUSY,
                                "Cannot switch %s back to devdax: the kernel could not offline %d of its %d "
                                "memory blocks%s%s. Memory in ZONE_NORMAL often holds kernel allocations "
                                "that cannot move; memory in ZONE_MOVABLE can be offlined when there is "
                                "room elsewhere. %s stays system-ram with its memory online%s",
                                name, left < 0 ? total : left, total, r < 0 ? ": " : "",
                                r < 0 ? strerror(-r) : "", name,
                                was_movable ? "; free memory elsewhere and try again."
                                            : " until a reboot; online memory you want back later as "
                                              "movable (ZONE_MOVABLE), and boot with "
                                              "memhp_default_state=offline so that nothing onlines it "
                                              "into ZONE_NORMAL first.");
                }
        }

        r = daxctl_dev_disable(dev);
        if (r < 0)
                return error_set(
                        ret_error, r,
                        "Cannot detach %s from the kmem driver: %s%s. Its memory is offline; it is still "
                        "bound to kmem.",
                        name, strerror(-r), said(s, buf, sizeof(buf)));
        r = daxctl_dev_enable_devdax(dev);
        if (r < 0)
                return error_set(
                        ret_error, r,
                        "Cannot enable %s as devdax after taking it back from the kernel: %s%s. It is "
                        "disabled now.",
                        name, strerror(-r), said(s, buf, sizeof(buf)));
        return 0;
}

int devdax_set_mode(const char *dev, DevdaxMode mode, bool movable, char **ret_error) {
        DaxctlSession s __attribute__((cleanup(daxctl_session_done))) = {};
        _cleanup_free_ char *name = NULL;
        struct daxctl_dev *d;
        int r;

        if (!dev)
                return -EINVAL;
        if (devdax_name_normalize(dev, &name) < 0)
                return error_set(ret_error, -EINVAL,
                                 "\"%s\" is not a device-dax name (daxX.Y or /dev/daxX.Y).", dev);
        if (mode < 0 || mode >= _DEVDAX_MODE_MAX)
                return error_set(ret_error, -EINVAL, "Unknown mode for %s: use devdax or system-ram.", name);
        r = daxctl_session_open(&s);
        if (r < 0)
                return error_set(ret_error, r, "Cannot initialise libdaxctl: %s.", strerror(-r));
        d = daxctl_session_find(&s, name);
        if (!d)
                return error_set(ret_error, -ENODEV,
                                 "There is no device-dax device %s (is its namespace in devdax mode?).",
                                 name);

        switch (mode) {
        case DEVDAX_MODE_SYSTEM_RAM:
                return to_system_ram(&s, d, name, movable, ret_error);
        case DEVDAX_MODE_DEVDAX:
                return to_devdax(&s, d, name, ret_error);
        case _DEVDAX_MODE_MAX:
        case _DEVDAX_MODE_INVALID:
                break;
        }
        return -EINVAL;
}
