/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The planner's [DaxDevice] sections: owner, mode and system-RAM mode of dax devices daxmgr did
 * not make (soft-reserved memory, CXL volatile regions) (reconcile.h). Pure. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "parse-util.h"
#include "reconcile-internal.h"

static const ConfigSource *dd_where(const ConfigDaxDevice *d, ConfigDaxDeviceKey key) {
        return d->where[key].file ? &d->where[key] : &d->section;
}

static bool dax_matches(const ConfigDaxDevice *cd, const DaxDev *d) {
        return (cd->resource == UINT64_MAX || d->resource == cd->resource) &&
               (cd->target_node < 0 || d->target_node == cd->target_node) &&
               (cd->size == 0 || d->size == cd->size) &&
               (cd->provider < 0 || (int) d->provider == cd->provider);
}

/* "an hmem dax device at 0x140000000 on node 1 of 512 MiB": what the section matches on. */
static int dax_identity(const ConfigDaxDevice *cd, char **ret) {
        char res[48] = "", node[32] = "", size[48] = "";

        if (cd->resource != UINT64_MAX)
                (void) snprintf(res, sizeof(res), " at %#" PRIx64, cd->resource);
        if (cd->target_node >= 0)
                (void) snprintf(node, sizeof(node), " on node %d", cd->target_node);
        if (cd->size)
                (void) snprintf(size, sizeof(size), " of %s", SIZE_FMT(cd->size));
        return asprintf(ret, "%sdax device%s%s%s",
                        cd->provider < 0                    ? ""
                        : cd->provider == DAX_PROVIDER_HMEM ? "hmem "
                                                            : "cxl ",
                        res, node, size) < 0
                       ? -ENOMEM
                       : 0;
}

static int dax_step(Planner *pl, ReconcileStepType type, const char *section, const DaxDev *d,
                    ReconcileStep **ret) {
        ReconcileStep *s;
        int r;

        r = plan_step(pl->plan, type, section, &s);
        if (r < 0)
                return r;
        if (strdup_opt(d->parent ?: dax_provider_to_string(d->provider), &s->region) < 0 ||
            strdup_opt(d->name, &s->namespace) < 0 || strdup_opt(d->name, &s->device) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int plan_dax_access(Planner *pl, size_t i, const char *section, const DaxDev *d) {
        const ConfigDaxDevice *cd = &pl->in->config->dax_devices[i];
        uid_t uid = pl->in->dax_owner_uids ? pl->in->dax_owner_uids[i] : (uid_t) -1;
        gid_t gid = pl->in->dax_group_gids ? pl->in->dax_group_gids[i] : (gid_t) -1;
        const ReconcileDevNode *node = find_devnode(pl->in, d->name);
        _cleanup_free_ char *u = NULL, *g = NULL, *m = NULL;
        ReconcileStep *s;
        int r;

        if (uid == (uid_t) -1 && gid == (gid_t) -1 && cd->permissions == (mode_t) -1)
                return 0;
        if (node && !d->system_ram && (uid == (uid_t) -1 || uid == node->uid) &&
            (gid == (gid_t) -1 || gid == node->gid) &&
            (cd->permissions == (mode_t) -1 || (cd->permissions & 07777) == (node->mode & 07777)))
                return 0;
        if ((uid != (uid_t) -1 && asprintf(&u, "owner %u", (unsigned) uid) < 0) ||
            (gid != (gid_t) -1 && asprintf(&g, "group %u", (unsigned) gid) < 0) ||
            (cd->permissions != (mode_t) -1 && asprintf(&m, "mode %04o", (unsigned) cd->permissions) < 0))
                return -ENOMEM;
        r = dax_step(pl, RECONCILE_DEVDAX_ACCESS, section, d, &s);
        if (r < 0)
                return r;
        s->uid = uid;
        s->gid = gid;
        s->permissions = cd->permissions;
        return step_describe(s, "give /dev/%s %s%s%s%s%s", d->name, u ?: "", u && (g || m) ? ", " : "",
                             g ?: "", g && m ? ", " : "", m ?: "");
}

/* A [DaxDevice] section: the one non-nd dax device it matches gets the declared mode (and
 * access). Volatile memory (hmem, CXL RAM) loses nothing that survives a reboot, so no
 * Destroy=; a process that holds the device open still stops the change (devdax_set_mode()). */
int plan_dax_device(Planner *pl, size_t i) {
        const ConfigDaxDevice *cd = &pl->in->config->dax_devices[i];
        const MemoryPlatform *mp = pl->in->memory;
        _cleanup_free_ char *section = NULL, *ident = NULL, *msg = NULL;
        const DaxDev *d = NULL, *other = NULL, *nd = NULL;
        bool want_ram = cd->system_ram != CONFIG_SYSTEM_RAM_NO,
             want_movable = cd->system_ram == CONFIG_SYSTEM_RAM_ONLINE_MOVABLE;
        ReconcileStep *s;
        int r;

        if (asprintf(&section, "DaxDevice %s", cd->name) < 0 || dax_identity(cd, &ident) < 0)
                return -ENOMEM;
        for (size_t k = 0; mp && k < mp->n_devs; k++) {
                const DaxDev *x = &mp->devs[k];

                if (!dax_matches(cd, x))
                        continue;
                if (x->provider == DAX_PROVIDER_ND)
                        nd = nd ?: x;
                else if (!d)
                        d = x;
                else
                        other = other ?: x;
        }
        if (other)
                return plan_problem(
                        pl->plan, RECONCILE_CONFLICT, section, &cd->section,
                        "DaxDevice %s matches both %s and %s, so daxmgr cannot tell which one is "
                        "meant; add Resource= with the device's start (daxctl list shows it)",
                        cd->name, d->name, other->name);
        if (!d && nd)
                return plan_problem(
                        pl->plan, RECONCILE_CONFLICT, section, &cd->section,
                        "DaxDevice %s matches %s, which belongs to a namespace of %s: configure it "
                        "in that namespace's [Namespace NAME] section (Mode=devdax, SystemRAM=)",
                        cd->name, nd->name, nd->parent ?: "an nd region");
        if (!d)
                return plan_problem(pl->plan, RECONCILE_WAITING, section, NULL,
                                    "no %s is present; DaxDevice %s is applied when it appears", ident,
                                    cd->name);

        if (!d->driver || want_ram != d->system_ram ||
            (want_ram && (d->online == 0 || d->online != d->blocks ||
                          (want_movable ? d->movable != d->online : d->movable != 0)))) {
                const ReconcileModeRefusal *rf = d->system_ram && d->online > 0
                                                         ? find_refusal(pl->in, d->name, cd->system_ram)
                                                         : NULL;

                if (rf) {
                        r = refused_message(section, d->name, d->movable > 0 && d->movable == d->online,
                                            cd->system_ram, &msg);
                        if (r < 0)
                                return r;
                        return plan_problem(pl->plan, RECONCILE_CONFLICT, section,
                                            dd_where(cd, CONFIG_DAX_DEVICE_SYSTEM_RAM), "%s", msg);
                }
                if (want_movable && !d->system_ram && policy_onlines_elsewhere(pl->in->auto_online)) {
                        r = movable_blocked_message(section, d->name, pl->in->auto_online, &msg);
                        if (r < 0)
                                return r;
                        return plan_problem(pl->plan, RECONCILE_CONFLICT, section,
                                            dd_where(cd, CONFIG_DAX_DEVICE_SYSTEM_RAM), "%s", msg);
                }
                r = dax_step(pl, RECONCILE_DEVDAX_MODE, section, d, &s);
                if (r < 0)
                        return r;
                s->system_ram = cd->system_ram;
                if (want_ram)
                        r = step_describe(
                                s, "hand the memory of %s (%s, %s) to the kernel as system RAM, online%s",
                                d->name, dax_provider_to_string(d->provider), d->parent ?: "?",
                                want_movable ? " movable" : "");
                else
                        r = step_describe(s, "make %s (%s, %s) a devdax character device%s", d->name,
                                          dax_provider_to_string(d->provider), d->parent ?: "?",
                                          d->system_ram ? ", taking its memory back from the kernel" : "");
                if (r < 0)
                        return r;
        }
        return want_ram ? 0 : plan_dax_access(pl, i, section, d);
}
