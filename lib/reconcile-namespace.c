/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The planner's [Namespace] sections (reconcile.h): the namespace a section owns, a missing one
 * created in a region with room, and the steps that give a namespace its contents (format,
 * mount, devdax mode and access), which reconcile-drift.c also uses for a namespace that exists.
 * Pure. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "reconcile-namespace.h"

/* The namespace a section owns: the one carrying its name in any region, or, for a section
 * whose Region= names a label-less region, that region's single namespace. Returns 0 (found
 * or not), or -ENOTUNIQ when several carry the name (*ret_other is the second). */
static int find_owned(const Topology *t, const ConfigNamespace *cn, const TopoRegion **ret_region,
                      const TopoNamespace **ret_ns, const TopoNamespace **ret_other) {
        const TopoRegion *found_r = NULL;
        const TopoNamespace *found = NULL;

        for (size_t i = 0; i < t->n_regions; i++)
                for (size_t j = 0; j < t->regions[i].n_namespaces; j++) {
                        const TopoNamespace *n = &t->regions[i].namespaces[j];

                        if (!n->name || strcmp(n->name, cn->name) != 0)
                                continue;
                        if (found) {
                                *ret_ns = found;
                                *ret_other = n;
                                return -ENOTUNIQ;
                        }
                        found_r = &t->regions[i];
                        found = n;
                }

        if (!found && cn->region.kind == CONFIG_REGION_ID)
                for (size_t i = 0; i < t->n_regions; i++) {
                        const TopoRegion *r = &t->regions[i];

                        if (topo_region_is(r, cn->region.number) && !r->labelled && r->n_namespaces > 0) {
                                found_r = r;
                                found = &r->namespaces[0];
                        }
                }

        *ret_region = found_r;
        *ret_ns = found;
        return 0;
}

const ConfigNamespace *reconcile_namespace_owner(const Config *config, const Topology *t,
                                                 const TopoNamespace *n) {
        for (size_t i = 0; config && t && n && i < config->n_namespaces; i++) {
                const ConfigNamespace *cn = &config->namespaces[i];
                const TopoRegion *found_r = NULL;
                const TopoNamespace *found = NULL, *other = NULL;

                if (n->name && strcmp(n->name, cn->name) == 0)
                        return cn;
                if (find_owned(t, cn, &found_r, &found, &other) == 0 && found == n)
                        return cn;
        }
        return NULL;
}

/* @key is how the executor finds the namespace when @device is NULL: its name in a labelled
 * region, its kernel device ("namespace0.0") in a label-less one, which keeps no names. */
int ns_step(Planner *pl, ReconcileStepType type, const char *section, const char *key, const char *region,
            const char *device, ReconcileStep **ret) {
        ReconcileStep *s;
        int r;

        r = plan_step(pl->plan, type, section, &s);
        if (r < 0)
                return r;
        if (strdup_opt(region, &s->region) < 0 || strdup_opt(key, &s->namespace) < 0 ||
            strdup_opt(device, &s->device) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int ns_problem(Planner *pl, size_t i, ReconcileProblemKind kind, const char *section,
               const ConfigSource *where, const char *message) {
        pl->ns[i].problem = true;
        return plan_problem(pl->plan, kind, section, where, "%s", message);
}

/* How a step names its object in a description: the device when known, else the namespace. */
static int target_phrase(const ConfigNamespace *cn, const char *key, const char *device, char **ret) {
        int k;

        if (device)
                k = asprintf(ret, "%s", device);
        else if (key == cn->name)
                k = asprintf(ret, "namespace \"%s\"", cn->name);
        else
                k = asprintf(ret, "%s", key);
        if (k < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

int plan_format(Planner *pl, size_t i, const char *section, const char *region, const char *device,
                const char *key, bool force, const char *over) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        _cleanup_free_ char *what = NULL;
        ReconcileStep *s;
        int r;

        r = target_phrase(cn, key, device, &what);
        if (r < 0)
                return r;
        r = ns_step(pl, RECONCILE_FORMAT, section, key, region, device, &s);
        if (r < 0)
                return r;
        s->fs = cn->filesystem;
        s->force = force;
        pl->ns[i].fresh = true;
        if (over)
                return step_describe(s,
                                     "make an %s file system on %s, erasing the %s it holds (Destroy=yes)",
                                     fs_type_to_string(cn->filesystem), what, over);
        return step_describe(s, "make an %s file system on %s", fs_type_to_string(cn->filesystem), what);
}

int plan_mount(Planner *pl, size_t i, const char *section, const char *region, const char *device,
               const char *key) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        _cleanup_free_ char *what = NULL;
        ReconcileStep *s;
        int r;

        r = target_phrase(cn, key, device, &what);
        if (r < 0)
                return r;
        r = ns_step(pl, RECONCILE_MOUNT, section, key, region, device, &s);
        if (r < 0)
                return r;
        if (strdup_opt(cn->mount_point, &s->mount_point) < 0 ||
            strdup_opt(cn->mount_options, &s->mount_options) < 0)
                return -ENOMEM;
        s->dax = cn->dax;
        pl->ns[i].mount_planned = true;
        return step_describe(s, "mount %s at %s with dax=%s%s%s", what, cn->mount_point,
                             dax_mode_to_string(cn->dax), cn->mount_options ? "," : "",
                             cn->mount_options ?: "");
}

int plan_devdax_mode(Planner *pl, size_t i, const char *section, const char *region, const char *device,
                     const char *key) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        _cleanup_free_ char *what = NULL, *blocked = NULL, *name = NULL;
        ReconcileStep *s;
        int r;

        /* Only ever called to change the mode: a device that is system RAM already is not turned
         * into system RAM again, so "movable" here means from devdax. */
        if (cn->system_ram == CONFIG_SYSTEM_RAM_ONLINE_MOVABLE &&
            policy_onlines_elsewhere(pl->in->auto_online)) {
                if (asprintf(&name, "Namespace %s", cn->name) < 0)
                        return -ENOMEM;
                r = movable_blocked_message(name, device, pl->in->auto_online, &blocked);
                if (r < 0)
                        return r;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section,
                                  ns_where(cn, CONFIG_NAMESPACE_SYSTEM_RAM), blocked);
        }
        r = target_phrase(cn, key, device, &what);
        if (r < 0)
                return r;
        r = ns_step(pl, RECONCILE_DEVDAX_MODE, section, key, region, device, &s);
        if (r < 0)
                return r;
        s->system_ram = cn->system_ram;
        switch (cn->system_ram) {
        case CONFIG_SYSTEM_RAM_NO:
                return step_describe(s,
                                     "make %s a devdax character device again, taking its memory back "
                                     "from the kernel",
                                     what);
        case CONFIG_SYSTEM_RAM_ONLINE:
                return step_describe(s, "hand the memory of %s to the kernel as system RAM, online", what);
        case CONFIG_SYSTEM_RAM_ONLINE_MOVABLE:
                return step_describe(s, "hand the memory of %s to the kernel as system RAM, online movable",
                                     what);
        case _CONFIG_SYSTEM_RAM_MAX:
        case _CONFIG_SYSTEM_RAM_INVALID:
                break;
        }
        return -EINVAL;
}

int plan_devdax_access(Planner *pl, size_t i, const char *section, const char *region, const char *device,
                       const char *key) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        _cleanup_free_ char *what = NULL, *u = NULL, *g = NULL, *m = NULL;
        uid_t uid = want_uid(pl->in, i);
        gid_t gid = want_gid(pl->in, i);
        ReconcileStep *s;
        int r;

        if (device)
                r = asprintf(&what, "/dev/%s", device) < 0 ? -ENOMEM : 0;
        else
                r = target_phrase(cn, key, device, &what);
        if (r < 0)
                return r;
        if ((uid != (uid_t) -1 && asprintf(&u, "owner %u", (unsigned) uid) < 0) ||
            (gid != (gid_t) -1 && asprintf(&g, "group %u", (unsigned) gid) < 0) ||
            (cn->permissions != (mode_t) -1 && asprintf(&m, "mode %04o", (unsigned) cn->permissions) < 0))
                return -ENOMEM;

        r = ns_step(pl, RECONCILE_DEVDAX_ACCESS, section, key, region, device, &s);
        if (r < 0)
                return r;
        s->uid = uid;
        s->gid = gid;
        s->permissions = cn->permissions;
        return step_describe(s, "give %s %s%s%s%s%s", what, u ?: "", u && (g || m) ? ", " : "", g ?: "",
                             g && m ? ", " : "", m ?: "");
}

bool access_configured(const ReconcileInput *in, size_t i) {
        return want_uid(in, i) != (uid_t) -1 || want_gid(in, i) != (gid_t) -1 ||
               in->config->namespaces[i].permissions != (mode_t) -1;
}

int plan_create_step(Planner *pl, size_t i, const char *section, const char *region,
                     const NamespaceRequest *req, uint64_t size, bool force) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        ReconcileStep *s;
        int r;

        r = ns_step(pl, RECONCILE_CREATE_NAMESPACE, section, cn->name, region, NULL, &s);
        if (r < 0)
                return r;
        s->ns = *req;
        r = step_describe(s, "create %s namespace \"%s\" of %s in %s", namespace_mode_to_string(cn->mode),
                          cn->name, SIZE_FMT(size), region);
        if (r < 0)
                return r;
        return plan_new_contents(pl, i, section, region, cn->name, force);
}

/* The steps that give a namespace made (or reconfigured) by this plan its contents: its device
 * is not known yet (NULL), the executor finds it by name, or as its region's only namespace. */
int plan_new_contents(Planner *pl, size_t i, const char *section, const char *region, const char *key,
                      bool force) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        int r;

        pl->ns[i].fresh = true;
        switch (cn->mode) {
        case NAMESPACE_MODE_FSDAX:
                if (cn->filesystem == FS_TYPE_NONE)
                        return 0;
                r = plan_format(pl, i, section, region, NULL, key, force, NULL);
                if (r < 0)
                        return r;
                if (cn->mount_point)
                        return plan_mount(pl, i, section, region, NULL, key);
                return 0;
        case NAMESPACE_MODE_DEVDAX:
                if (cn->system_ram != CONFIG_SYSTEM_RAM_NO)
                        return plan_devdax_mode(pl, i, section, region, NULL, key);
                if (access_configured(pl->in, i))
                        return plan_devdax_access(pl, i, section, region, NULL, key);
                return 0;
        case NAMESPACE_MODE_RAW:
        case NAMESPACE_MODE_SECTOR:
        case _NAMESPACE_MODE_MAX:
        case _NAMESPACE_MODE_INVALID:
                break;
        }
        return 0;
}

/* A namespace that does not exist yet: pick its region, create it. */
static int plan_create(Planner *pl, size_t i, const char *section) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const Topology *t = pl->in->topology;
        NamespaceRequest req = config_namespace_request(cn);
        _cleanup_free_ char *why = NULL, *msg = NULL, *spec = NULL;
        const TopoRegion *picked;
        RegionPick pick = {};
        NamespacePlan np;
        size_t n_candidates, n_unknown;
        int r;

        r = topology_pick_region(t, &cn->region, &req, &pick);
        if (r < 0)
                return r;
        picked = pick.region;
        np = pick.plan;
        n_candidates = pick.n_candidates;
        n_unknown = pick.n_unknown;
        why = TAKE_PTR(pick.why);

        if (n_candidates == 0) {
                r = config_region_format(&cn->region, &spec);
                if (r < 0)
                        return r;
                switch (cn->region.kind) {
                case CONFIG_REGION_ANY:
                        r = asprintf(&msg,
                                     "no pmem region is present; Namespace %s will be created when one "
                                     "appears",
                                     cn->name);
                        break;
                case CONFIG_REGION_ID:
                        r = asprintf(&msg, "%s is not present; Namespace %s will be created when it appears",
                                     spec, cn->name);
                        break;
                case CONFIG_REGION_NUMA:
                        r = asprintf(&msg,
                                     "no pmem region on NUMA node %" PRIu32 " is present; Namespace %s will "
                                     "be created when one appears",
                                     cn->region.number, cn->name);
                        break;
                case CONFIG_REGION_DIMM:
                        r = asprintf(&msg,
                                     "no region with the DIMM of serial %#" PRIx32
                                     " is present; Namespace %s "
                                     "will be created when it appears",
                                     cn->region.number, cn->name);
                        break;
                case CONFIG_REGION_CXL:
                        r = asprintf(
                                &msg,
                                "the CXL region of [CXLRegion %s] has no nd region yet; Namespace %s will "
                                "be created when it appears",
                                cn->region.cxl, cn->name);
                        break;
                case _CONFIG_REGION_KIND_MAX:
                case _CONFIG_REGION_KIND_INVALID:
                        return -EINVAL;
                }
                if (r < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_WAITING, section, NULL, msg);
        }

        if (!picked && n_unknown == n_candidates && cn->region.kind != CONFIG_REGION_ID) {
                /* Only regions daxmgr leaves alone: as if none were there (yet). */
                if (asprintf(&msg,
                             "no pmem region daxmgr manages is present (%s); Namespace %s will be created "
                             "when one appears",
                             why, cn->name) < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_WAITING, section, NULL, msg);
        }
        if (!picked && n_unknown == n_candidates) {
                if (asprintf(&msg, "Namespace %s cannot be created: %s", cn->name, why) < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, CONFIG_NAMESPACE_REGION),
                                  msg);
        }
        if (!picked) {
                if (asprintf(&msg, "Namespace %s cannot be created: %s", cn->name, why) < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_NO_ROOM, section, ns_where(cn, CONFIG_NAMESPACE_SIZE),
                                  msg);
        }

        return plan_create_step(pl, i, section, picked->dev, &req, np.size, false);
}

int plan_namespace(Planner *pl, size_t i) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const TopoNamespace *tn = NULL, *other = NULL;
        const TopoRegion *tr = NULL;
        _cleanup_free_ char *section = NULL, *msg = NULL;
        int r;

        if (asprintf(&section, "Namespace %s", cn->name) < 0)
                return -ENOMEM;

        r = find_owned(pl->in->topology, cn, &tr, &tn, &other);
        if (r == -ENOTUNIQ) {
                if (asprintf(&msg,
                             "Namespace %s: both %s and %s carry the name \"%s\", so daxmgr cannot tell "
                             "which "
                             "one is meant; rename or destroy one of them with ndctl",
                             cn->name, tn->dev ?: "?", other->dev ?: "?", cn->name) < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, &cn->section, msg);
        }
        if (!tn)
                return plan_create(pl, i, section);
        if (tr->kind == REGION_KIND_UNKNOWN) {
                /* Its namespace carries the section's name, but daxmgr changes nothing there. */
                if (asprintf(&msg,
                             "Namespace %s is %s in %s, a region of a kind daxmgr does not know (nd bus "
                             "provider \"%s\"): daxmgr leaves it as it is; manage it with ndctl, or remove "
                             "the section",
                             cn->name, tn->dev ?: "?", tr->dev, tr->provider ?: "?") < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, &cn->section, msg);
        }
        return plan_existing_namespace(pl, i, section, tr, tn);
}
