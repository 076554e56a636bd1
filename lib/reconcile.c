/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The reconcile planner (reconcile.h): configuration × topology × state → steps and problems.
 * Everything here is pure: no I/O, no clock, no look-ups. The plan is built in three passes,
 * namespaces, zones, placements, each in configuration order, so that the steps of one object
 * always come after those of what it depends on. */

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "parse-util.h"
#include "reconcile-internal.h"
#include "string-table.h"

/* ---- string tables ------------------------------------------------------------------------ */

static const char *const reconcile_step_type_table[_RECONCILE_STEP_TYPE_MAX] = {
        [RECONCILE_CREATE_CXL_REGION] = "create-cxl-region",
        [RECONCILE_CREATE_NAMESPACE] = "create-namespace",
        [RECONCILE_RECONFIGURE] = "reconfigure",
        [RECONCILE_FORMAT] = "format",
        [RECONCILE_MOUNT] = "mount",
        [RECONCILE_DEVDAX_ACCESS] = "devdax-access",
        [RECONCILE_DEVDAX_MODE] = "devdax-mode",
        [RECONCILE_CREATE_ZONE] = "create-zone",
        [RECONCILE_PLACE] = "place",
        [RECONCILE_REFRESH] = "refresh",
        [RECONCILE_WRITE_DROPIN] = "write-dropin",
        [RECONCILE_WRITE_ENTRY_POINT] = "write-entry-point",
        [RECONCILE_BIND_HOST] = "bind-host",
        [RECONCILE_DEACTIVATE] = "deactivate",
        [RECONCILE_REMOVE_DROPIN] = "remove-dropin",
        [RECONCILE_REMOVE_ENTRY] = "remove-entry-point",
        [RECONCILE_UNBIND_HOST] = "unbind-host",
        [RECONCILE_DESTROY_NAMESPACE] = "destroy-namespace",
};
DEFINE_STRING_TABLE_LOOKUP(reconcile_step_type, ReconcileStepType)

static const char *const reconcile_problem_kind_table[_RECONCILE_PROBLEM_KIND_MAX] = {
        [RECONCILE_WAITING] = "waiting", [RECONCILE_CONFLICT] = "conflict", [RECONCILE_NO_ROOM] = "no-room",
        [RECONCILE_BLOCKED] = "blocked", [RECONCILE_STALE] = "stale",
};
DEFINE_STRING_TABLE_LOOKUP(reconcile_problem_kind, ReconcileProblemKind)

/* ---- the plan ------------------------------------------------------------------------------ */

static void step_done(ReconcileStep *s) {
        free(s->section);
        free(s->description);
        free(s->region);
        free(s->namespace);
        free(s->device);
        free(s->mount_point);
        free(s->mount_options);
        free(s->zone);
        free(s->program);
        free(s->service);
        free(s->memdevs);
        free(s->uuid);
}

ReconcilePlan *reconcile_plan_free(ReconcilePlan *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_steps; i++)
                step_done(&p->steps[i]);
        free(p->steps);
        for (size_t i = 0; i < p->n_problems; i++) {
                free(p->problems[i].section);
                free(p->problems[i].message);
        }
        free(p->problems);
        free(p);
        return NULL;
}

/* Appends a zeroed step of @type for @section; the caller fills in the rest. */
int plan_step(ReconcilePlan *p, ReconcileStepType type, const char *section, ReconcileStep **ret) {
        ReconcileStep *a = reallocarray(p->steps, p->n_steps + 1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        p->steps = a;
        a = &p->steps[p->n_steps++];
        *a = (ReconcileStep){ .type = type };
        if (type == RECONCILE_DEVDAX_ACCESS) {
                a->uid = (uid_t) -1;
                a->gid = (gid_t) -1;
                a->permissions = (mode_t) -1;
        }
        if (strdup_opt(section, &a->section) < 0)
                return -ENOMEM;
        *ret = a;
        return 0;
}

int step_describe(ReconcileStep *s, const char *fmt, ...) {
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&s->description, fmt, ap);
        va_end(ap);
        if (k < 0) {
                s->description = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* Appends a problem; @where (optional) is the FILE:LINE the message starts with. */
int plan_problem(ReconcilePlan *p, ReconcileProblemKind kind, const char *section, const ConfigSource *where,
                 const char *fmt, ...) {
        _cleanup_free_ char *body = NULL;
        ReconcileProblem *a;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&body, fmt, ap);
        va_end(ap);
        if (k < 0) {
                body = NULL;
                return -ENOMEM;
        }

        a = reallocarray(p->problems, p->n_problems + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        p->problems = a;
        a = &p->problems[p->n_problems++];
        *a = (ReconcileProblem){ .kind = kind };
        if (strdup_opt(section, &a->section) < 0)
                return -ENOMEM;
        if (where && where->file)
                k = asprintf(&a->message, "%s:%u: %s", where->file, where->line, body);
        else {
                a->message = TAKE_PTR(body);
                k = 0;
        }
        if (k < 0) {
                a->message = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* ---- the planner --------------------------------------------------------------------------- */

/* The FILE:LINE of @key of @ns, or of its section header when the key was not set. */
static const ConfigSource *ns_where(const ConfigNamespace *ns, ConfigNamespaceKey key) {
        return ns->where[key].file ? &ns->where[key] : &ns->section;
}

static bool mode_is_pfn(NamespaceMode m) {
        return m == NAMESPACE_MODE_FSDAX || m == NAMESPACE_MODE_DEVDAX;
}

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
static int ns_step(Planner *pl, ReconcileStepType type, const char *section, const char *key,
                   const char *region, const char *device, ReconcileStep **ret) {
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

static const char *ns_key(const ConfigNamespace *cn, const TopoRegion *tr, const TopoNamespace *tn) {
        return tr->labelled ? cn->name : tn->dev;
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

static int plan_format(Planner *pl, size_t i, const char *section, const char *region, const char *device,
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

static int plan_mount(Planner *pl, size_t i, const char *section, const char *region, const char *device,
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

static int ns_problem(Planner *pl, size_t i, ReconcileProblemKind kind, const char *section,
                      const ConfigSource *where, const char *message);

/* Would the kernel's auto-online policy online a device's memory outside ZONE_MOVABLE the moment
 * it becomes system RAM? ("online", "online_kernel"; "offline" and "online_movable" do not.) */
bool policy_onlines_elsewhere(const char *policy) {
        return policy && (strcmp(policy, "online") == 0 || strcmp(policy, "online_kernel") == 0);
}

/* The sentence for SystemRAM=online-movable under such a policy: what, why, what to do. */
int movable_blocked_message(const char *what, const char *device, const char *policy, char **ret) {
        if (asprintf(ret,
                     "%s: SystemRAM=online-movable cannot be done while the kernel's memory auto-online "
                     "policy is '%s' (/sys/devices/system/memory/auto_online_blocks): the kernel would "
                     "online the memory of %s outside ZONE_MOVABLE the moment it became system RAM, "
                     "where it may never give it back, so it stays devdax; boot with "
                     "memhp_default_state=offline (or write offline to that file and run 'daxmgr "
                     "reload'), or use SystemRAM=online",
                     what, policy, device ?: "its device") < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int plan_devdax_mode(Planner *pl, size_t i, const char *section, const char *region,
                            const char *device, const char *key) {
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

static uid_t want_uid(const ReconcileInput *in, size_t i) {
        return in->owner_uids ? in->owner_uids[i] : (uid_t) -1;
}

static gid_t want_gid(const ReconcileInput *in, size_t i) {
        return in->group_gids ? in->group_gids[i] : (gid_t) -1;
}

static int plan_devdax_access(Planner *pl, size_t i, const char *section, const char *region,
                              const char *device, const char *key) {
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

static bool access_configured(const ReconcileInput *in, size_t i) {
        return want_uid(in, i) != (uid_t) -1 || want_gid(in, i) != (gid_t) -1 ||
               in->config->namespaces[i].permissions != (mode_t) -1;
}

/* The steps that give a namespace made (or reconfigured) by this plan its contents: its device
 * is not known yet (NULL), the executor finds it by name, or as its region's only namespace. */
static int plan_new_contents(Planner *pl, size_t i, const char *section, const char *region, const char *key,
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

static int ns_problem(Planner *pl, size_t i, ReconcileProblemKind kind, const char *section,
                      const ConfigSource *where, const char *message) {
        pl->ns[i].problem = true;
        return plan_problem(pl->plan, kind, section, where, "%s", message);
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
        ReconcileStep *s;
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

        r = ns_step(pl, RECONCILE_CREATE_NAMESPACE, section, cn->name, picked->dev, NULL, &s);
        if (r < 0)
                return r;
        s->ns = req;
        r = step_describe(s, "create %s namespace \"%s\" of %s in %s", namespace_mode_to_string(cn->mode),
                          cn->name, SIZE_FMT(np.size), picked->dev);
        if (r < 0)
                return r;
        return plan_new_contents(pl, i, section, picked->dev, cn->name, false);
}

/* The first difference between what the section asks and what the namespace is, or -1. */
static ConfigNamespaceKey ns_layout_differs(const ConfigNamespace *cn, const TopoNamespace *tn) {
        if (tn->mode != cn->mode)
                return CONFIG_NAMESPACE_MODE;
        if (mode_is_pfn(cn->mode) && cn->where[CONFIG_NAMESPACE_MAP].file && tn->map != cn->map)
                return CONFIG_NAMESPACE_MAP;
        if (mode_is_pfn(cn->mode) && cn->align != 0 && tn->align != cn->align)
                return CONFIG_NAMESPACE_ALIGN;
        return _CONFIG_NAMESPACE_KEY_INVALID;
}

/* Why a namespace cannot be changed even with Destroy=yes (daxmgr never unmounts or offlines
 * memory by itself), or NULL. */
static int ns_in_use(const TopoNamespace *tn, char **ret) {
        int k = 0;

        *ret = NULL;
        if (tn->n_mounts > 0)
                k = asprintf(ret, "it is mounted at %s; daxmgr never unmounts: unmount it first",
                             tn->mounts[0].target ?: "?");
        else if (tn->daxdev && tn->daxdev->mode && strcmp(tn->daxdev->mode, "system-ram") == 0 &&
                 tn->daxdev->online)
                k = asprintf(ret, "its memory is online as system RAM; take it offline first (SystemRAM=no "
                                  "on a devdax namespace does that)");
        return k < 0 ? -ENOMEM : 0;
}

static int plan_layout_change(Planner *pl, size_t i, const char *section, const TopoRegion *tr,
                              const TopoNamespace *tn, ConfigNamespaceKey key) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        _cleanup_free_ char *busy = NULL, *msg = NULL, *want = NULL, *have = NULL;
        bool allowed;
        ReconcileStep *s;
        int r;

        if (key == CONFIG_NAMESPACE_MAP)
                r = asprintf(&want, "with Map=%s", pfn_map_to_string(cn->map)) < 0 ||
                    asprintf(&have, "has map=%s", pfn_map_to_string(tn->map) ?: "none") < 0;
        else if (key == CONFIG_NAMESPACE_ALIGN)
                r = asprintf(&want, "with Align=%s", SIZE_FMT(cn->align)) < 0 ||
                    asprintf(&have, "is aligned to %s", SIZE_FMT(tn->align)) < 0;
        else
                r = asprintf(&want, "as %s", namespace_mode_to_string(cn->mode)) < 0 ||
                    asprintf(&have, "is %s", namespace_mode_to_string(tn->mode) ?: "of an unknown mode") < 0;
        if (r)
                return -ENOMEM;

        r = ns_in_use(tn, &busy);
        if (r < 0)
                return r;

        /* A label-less region's namespace can be changed without Destroy= only while it visibly
         * holds nothing: no signature on its block device. A devdax one has no block device, so
         * what it holds cannot be seen: it needs Destroy=yes. */
        allowed = cn->destroy || (!tr->labelled && !tn->filesystem && tn->mode != NAMESPACE_MODE_DEVDAX);

        if (busy || !allowed) {
                const char *dev = tn->dev ?: "the namespace";

                if (busy && cn->destroy)
                        r = asprintf(&msg, "Namespace %s is configured %s but %s %s, and %s", cn->name, want,
                                     dev, have, busy);
                else if (busy)
                        r = asprintf(
                                &msg,
                                "Namespace %s is configured %s but %s %s, and %s, and set Destroy=yes to "
                                "let daxmgr reconfigure it (its data is lost), or change %s=",
                                cn->name, want, dev, have, busy, config_namespace_key_to_string(key));
                else if (tn->filesystem)
                        r = asprintf(&msg,
                                     "Namespace %s is configured %s but %s %s and holds %s; set "
                                     "Destroy=yes to let daxmgr reconfigure it (its data is lost), or "
                                     "change %s=",
                                     cn->name, want, dev, have, tn->filesystem->type ?: "data",
                                     config_namespace_key_to_string(key));
                else
                        r = asprintf(&msg,
                                     "Namespace %s is configured %s but %s %s and may hold data; set "
                                     "Destroy=yes to let daxmgr reconfigure it (its data is lost), or "
                                     "change %s=",
                                     cn->name, want, dev, have, config_namespace_key_to_string(key));
                if (r < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, key), msg);
        }

        r = ns_step(pl, RECONCILE_RECONFIGURE, section, ns_key(cn, tr, tn), tr->dev, tn->dev, &s);
        if (r < 0)
                return r;
        s->ns = (NamespaceRequest){ .mode = cn->mode, .map = cn->map, .align = cn->align }; /* same size */
        s->force = cn->destroy;
        if (key == CONFIG_NAMESPACE_MAP)
                /* Same mode, the struct pages elsewhere: name the maps, not "fsdax to fsdax". */
                r = step_describe(s, "reconfigure %s of %s from %s map=%s to map=%s%s",
                                  tn->dev ?: "the namespace", tr->dev,
                                  namespace_mode_to_string(tn->mode) ?: "?",
                                  pfn_map_to_string(tn->map) ?: "?", pfn_map_to_string(cn->map),
                                  cn->destroy ? ", destroying what it holds (Destroy=yes)" : "");
        else if (key == CONFIG_NAMESPACE_ALIGN)
                r = step_describe(
                        s, "reconfigure %s of %s from %s aligned to %s to %s%s", tn->dev ?: "the namespace",
                        tr->dev, namespace_mode_to_string(tn->mode) ?: "?", SIZE_FMT(tn->align),
                        SIZE_FMT(cn->align), cn->destroy ? ", destroying what it holds (Destroy=yes)" : "");
        else
                r = step_describe(s, "reconfigure %s of %s from %s to %s%s", tn->dev ?: "the namespace",
                                  tr->dev, namespace_mode_to_string(tn->mode) ?: "?",
                                  namespace_mode_to_string(cn->mode),
                                  cn->destroy ? ", destroying what it holds (Destroy=yes)" : "");
        if (r < 0)
                return r;
        return plan_new_contents(pl, i, section, tr->dev, ns_key(cn, tr, tn), cn->destroy);
}

static const char *mount_dax(const TopoMount *m) {
        /* No dax option shown is dax=inode, the default of ext4 and xfs (mount-util.h). */
        return m->dax ?: "inode";
}

static int plan_existing_fsdax(Planner *pl, size_t i, const char *section, const TopoRegion *tr,
                               const TopoNamespace *tn) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const char *want_fs = fs_type_to_string(cn->filesystem);
        _cleanup_free_ char *device = NULL, *msg = NULL;
        const TopoMount *at = NULL;
        int r;

        if (cn->filesystem == FS_TYPE_NONE)
                return 0; /* left alone, whatever it holds; the parser refuses a MountPoint with it */

        if (tn->blockdev && asprintf(&device, "/dev/%s", tn->blockdev) < 0)
                return -ENOMEM;

        if (!tn->filesystem && tn->n_mounts == 0) {
                r = plan_format(pl, i, section, tr->dev, device, ns_key(cn, tr, tn), false, NULL);
                if (r < 0)
                        return r;
        } else if (tn->filesystem && (!tn->filesystem->type || strcmp(tn->filesystem->type, want_fs) != 0)) {
                const char *have = tn->filesystem->type ?: "an unknown signature";
                FsType have_fs = fs_type_from_string(tn->filesystem->type);
                _cleanup_free_ char *busy = NULL;

                r = ns_in_use(tn, &busy);
                if (r < 0)
                        return r;
                if (cn->destroy && !busy)
                        r = plan_format(pl, i, section, tr->dev, device, ns_key(cn, tr, tn), true, have);
                else {
                        if (cn->destroy)
                                r = asprintf(&msg, "Namespace %s should hold %s but %s holds %s, and %s",
                                             cn->name, want_fs, device ?: tn->dev, have, busy);
                        else
                                r = asprintf(&msg,
                                             "Namespace %s should hold %s but %s holds %s; set Destroy=yes "
                                             "to let daxmgr reformat it (its data is lost)%s%s",
                                             cn->name, want_fs, device ?: tn->dev, have,
                                             have_fs >= 0 ? ", or set Filesystem=" : "",
                                             have_fs >= 0 ? tn->filesystem->type : "");
                        if (r < 0)
                                return -ENOMEM;
                        r = ns_problem(pl, i, RECONCILE_CONFLICT, section,
                                       ns_where(cn, CONFIG_NAMESPACE_FILESYSTEM), msg);
                        return r;
                }
                if (r < 0)
                        return r;
        }

        if (!cn->mount_point)
                return 0;
        if (tn->n_mounts == 0)
                return plan_mount(pl, i, section, tr->dev, device, ns_key(cn, tr, tn));

        for (size_t k = 0; k < tn->n_mounts && !at; k++)
                if (tn->mounts[k].target && strcmp(tn->mounts[k].target, cn->mount_point) == 0)
                        at = &tn->mounts[k];
        if (!at) {
                if (asprintf(&msg,
                             "Namespace %s should be mounted at %s but %s is mounted at %s; daxmgr never "
                             "unmounts: unmount it, or set MountPoint=%s",
                             cn->name, cn->mount_point, device ?: tn->dev, tn->mounts[0].target ?: "?",
                             tn->mounts[0].target ?: "?") < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section,
                                  ns_where(cn, CONFIG_NAMESPACE_MOUNT_POINT), msg);
        }
        if (strcmp(mount_dax(at), dax_mode_to_string(cn->dax)) != 0) {
                if (asprintf(&msg,
                             "Namespace %s should be mounted with dax=%s but %s is mounted with dax=%s; "
                             "daxmgr never unmounts: unmount it and daxmgr will mount it as configured, "
                             "or set DAX=%s",
                             cn->name, dax_mode_to_string(cn->dax), cn->mount_point, mount_dax(at),
                             mount_dax(at)) < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, CONFIG_NAMESPACE_DAX),
                                  msg);
        }
        return 0;
}

const ReconcileDevNode *find_devnode(const ReconcileInput *in, const char *chardev) {
        for (size_t k = 0; chardev && k < in->n_devnodes; k++)
                if (in->devnodes[k].chardev && strcmp(in->devnodes[k].chardev, chardev) == 0)
                        return &in->devnodes[k];
        return NULL;
}

const ReconcileModeRefusal *find_refusal(const ReconcileInput *in, const char *chardev,
                                         ConfigSystemRam want) {
        for (size_t k = 0; chardev && k < in->n_mode_refusals; k++)
                if (in->mode_refusals[k].chardev && strcmp(in->mode_refusals[k].chardev, chardev) == 0 &&
                    in->mode_refusals[k].system_ram == want)
                        return &in->mode_refusals[k];
        return NULL;
}

/* The sentence for a mode change the kernel refused (EBUSY): what, why, what to do. */
int refused_message(const char *section, const char *chardev, bool movable, ConfigSystemRam want,
                    char **ret) {
        const char *zone = movable ? "ZONE_MOVABLE" : "ZONE_NORMAL";
        int k;

        if (want == CONFIG_SYSTEM_RAM_NO)
                k = asprintf(
                        ret,
                        "%s: the memory of %s is online in %s and the kernel refused to take it offline "
                        "(EBUSY), so it stays system RAM until a reboot; reboot to get the device back "
                        "(daxmgr then keeps it devdax), and for memory you want back later use "
                        "SystemRAM=online-movable and boot with memhp_default_state=offline so that "
                        "nothing onlines it into %s before daxmgr runs ('daxmgr reload' tries again)",
                        section, chardev, zone, zone);
        else
                k = asprintf(
                        ret,
                        "%s: the memory of %s is already online in %s (onlined before daxmgr ran: the "
                        "kernel's memory auto-onlining or a udev rule) and the kernel refused to take it "
                        "offline (EBUSY) to online it as SystemRAM=%s asks; boot with "
                        "memhp_default_state=offline (or keep daxctl's udev rule from reconfiguring the "
                        "device) so that daxmgr onlines it first, then reboot ('daxmgr reload' tries "
                        "again)",
                        section, chardev, zone, config_system_ram_to_string(want));
        if (k < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* The kernel refused this very change before (EBUSY): one problem, no step, until someone asks
 * again (daxmgr reload) or the device changes. */
static int plan_mode_refused(Planner *pl, size_t i, const char *section, const TopoDaxDevice *d) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        _cleanup_free_ char *msg = NULL;
        int r;

        r = refused_message(section, d->chardev, d->movable, cn->system_ram, &msg);
        if (r < 0)
                return r;
        return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, CONFIG_NAMESPACE_SYSTEM_RAM),
                          msg);
}

/* devdax → system-ram gives the device's capacity to the kernel, which overwrites it: refused
 * unless the namespace visibly holds nothing or the section says Destroy=yes. */
static int plan_ram_over_data(Planner *pl, size_t i, const char *section, const TopoDaxDevice *d) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const ReconcileDevNode *node = find_devnode(pl->in, d ? d->chardev : NULL);
        bool data = node && node->content == RECONCILE_CONTENT_DATA;
        const char *dev = d && d->chardev ? d->chardev : "its device";
        _cleanup_free_ char *msg = NULL;
        int k;

        k = asprintf(
                &msg,
                "Namespace %s: SystemRAM=%s would hand %s to the kernel as memory, which overwrites what "
                "it holds, and %s; set Destroy=yes in its section to let daxmgr do it (%s data is lost), "
                "or SystemRAM=no",
                cn->name, config_system_ram_to_string(cn->system_ram), dev,
                data ? "it holds data (its first 2 MiB are not blank)"
                     : "daxmgr cannot read it to see that it is blank",
                data ? "the" : "any");
        if (k < 0)
                return -ENOMEM;
        return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, CONFIG_NAMESPACE_SYSTEM_RAM),
                          msg);
}

static int plan_existing_devdax(Planner *pl, size_t i, const char *section, const TopoRegion *tr,
                                const TopoNamespace *tn) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const TopoDaxDevice *d = tn->daxdev;
        const char *chardev = d ? d->chardev : NULL;
        const char *have = d && d->mode ? d->mode : "devdax";
        bool want_ram = cn->system_ram != CONFIG_SYSTEM_RAM_NO, is_ram = strcmp(have, "system-ram") == 0;
        const ReconcileDevNode *node;
        uid_t uid = want_uid(pl->in, i);
        gid_t gid = want_gid(pl->in, i);
        int r;

        if (want_ram != is_ram ||
            (want_ram &&
             (!d->online || d->movable != (cn->system_ram == CONFIG_SYSTEM_RAM_ONLINE_MOVABLE)))) {
                if (want_ram && !is_ram) {
                        const ReconcileDevNode *n = find_devnode(pl->in, chardev);

                        if (!cn->destroy && (!n || n->content != RECONCILE_CONTENT_BLANK))
                                return plan_ram_over_data(pl, i, section, d);
                } else if (d && d->online && find_refusal(pl->in, chardev, cn->system_ram))
                        return plan_mode_refused(pl, i, section, d);
                r = plan_devdax_mode(pl, i, section, tr->dev, chardev, ns_key(cn, tr, tn));
                if (r < 0)
                        return r;
        }
        if (want_ram || !access_configured(pl->in, i))
                return 0;

        node = find_devnode(pl->in, chardev);
        if (node && (uid == (uid_t) -1 || uid == node->uid) && (gid == (gid_t) -1 || gid == node->gid) &&
            (cn->permissions == (mode_t) -1 || (cn->permissions & 07777) == (node->mode & 07777)))
                return 0;
        return plan_devdax_access(pl, i, section, tr->dev, chardev, ns_key(cn, tr, tn));
}

/* A namespace cannot be resized or moved to another region: only destroyed and created again.
 * Which of Region= and Size= the namespace no longer matches (in that order), or -1; *ret_size
 * gets the size the section asks for in its region. Only in a labelled region: a label-less one
 * holds one namespace spanning it, found by its Region=. A Size= not set, or "rest", matches any
 * size. */
static ConfigNamespaceKey ns_place_differs(const Topology *t, const ConfigNamespace *cn,
                                           const TopoRegion *tr, const TopoNamespace *tn,
                                           uint64_t *ret_size) {
        NamespaceRequest req = config_namespace_request(cn);
        RegionShape shape = topo_region_shape(tr);
        NamespacePlan np;

        *ret_size = 0;
        if (!tr->labelled)
                return _CONFIG_NAMESPACE_KEY_INVALID;
        if (cn->region.kind != CONFIG_REGION_ANY && !topo_region_matches(t, tr, &cn->region))
                return CONFIG_NAMESPACE_REGION;
        if (!cn->where[CONFIG_NAMESPACE_SIZE].file || cn->size.kind == SIZE_REST || tn->raw_size == 0)
                return _CONFIG_NAMESPACE_KEY_INVALID;
        /* The size it would be given in this region, as if it were empty: what was asked when it
         * was created, rounded as then. */
        shape.available = shape.largest_extent = shape.size;
        if (namespace_plan_size(&shape, &req, &np, NULL) < 0) {
                /* More than the whole region: certainly not what it is. */
                if (cn->size.kind != SIZE_BYTES || cn->size.bytes <= shape.size)
                        return _CONFIG_NAMESPACE_KEY_INVALID;
                np.size = cn->size.bytes;
        }
        if (np.size == tn->raw_size)
                return _CONFIG_NAMESPACE_KEY_INVALID;
        *ret_size = np.size;
        return CONFIG_NAMESPACE_SIZE;
}

/* Size= or Region= changed: a problem unless Destroy=yes; then the namespace is destroyed and
 * made again as configured, but only when the new one has room (else nothing is destroyed). */
static int plan_relocate(Planner *pl, size_t i, const char *section, const TopoRegion *tr,
                         const TopoNamespace *tn, ConfigNamespaceKey key, uint64_t want_size) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const Topology *t = pl->in->topology;
        NamespaceRequest req = config_namespace_request(cn);
        _cleanup_free_ char *busy = NULL, *msg = NULL, *spec = NULL, *what = NULL;
        _cleanup_(region_pick_done) RegionPick pick = {};
        const TopoRegion *to = tr;
        const char *dev = tn->dev ?: "the namespace";
        NamespacePlan np;
        ReconcileStep *s;
        int r;

        if (key == CONFIG_NAMESPACE_REGION) {
                r = config_region_format(&cn->region, &spec);
                if (r < 0)
                        return r;
                r = asprintf(&what,
                             "configured with Region=%s but %s is in %s; a namespace cannot move to another "
                             "region without being destroyed",
                             spec, dev, tr->dev);
        } else
                r = asprintf(
                        &what,
                        "configured with a size of %s but %s in %s is %s; a namespace cannot be resized "
                        "without being destroyed",
                        SIZE_FMT(want_size), dev, tr->dev, SIZE_FMT(tn->raw_size));
        if (r < 0)
                return -ENOMEM;

        if (!cn->destroy) {
                if (asprintf(&msg,
                             "Namespace %s is %s; set Destroy=yes to let daxmgr destroy it and create it "
                             "again (its data is lost), or change %s= back",
                             cn->name, what, config_namespace_key_to_string(key)) < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, key), msg);
        }
        r = ns_in_use(tn, &busy);
        if (r < 0)
                return r;
        if (busy) {
                if (asprintf(&msg, "Namespace %s is %s, and %s", cn->name, what, busy) < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, key), msg);
        }

        /* Where the new one goes, and that it fits there, before anything is destroyed. */
        if (key == CONFIG_NAMESPACE_REGION) {
                r = topology_pick_region(t, &cn->region, &req, &pick);
                if (r < 0)
                        return r;
                to = pick.region;
                if (!to) {
                        if (asprintf(&msg, "Namespace %s is %s, and cannot be made again: %s", cn->name,
                                     what, pick.why ?: "no region matches") < 0)
                                return -ENOMEM;
                        return ns_problem(pl, i, pick.n_candidates ? RECONCILE_NO_ROOM : RECONCILE_WAITING,
                                          section, ns_where(cn, key), msg);
                }
                np = pick.plan;
        } else {
                RegionShape shape = topo_region_shape(tr);
                _cleanup_free_ char *why = NULL;

                /* Its own space comes free; whether the extent is large enough, namespace_create()
                 * tells. */
                shape.available += tn->raw_size ?: tn->size;
                shape.largest_extent = shape.available;
                r = namespace_plan_size(&shape, &req, &np, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (asprintf(&msg, "Namespace %s is %s, and cannot be made again: %s", cn->name,
                                     what, why ?: strerror(-r)) < 0)
                                return -ENOMEM;
                        return ns_problem(pl, i, RECONCILE_NO_ROOM, section, ns_where(cn, key), msg);
                }
        }

        r = ns_step(pl, RECONCILE_DESTROY_NAMESPACE, section, ns_key(cn, tr, tn), tr->dev, tn->dev, &s);
        if (r < 0)
                return r;
        s->force = true;
        r = step_describe(s, "destroy %s of %s (%s), and what it holds, to make it again (Destroy=yes)", dev,
                          tr->dev, SIZE_FMT(tn->raw_size ?: tn->size));
        if (r < 0)
                return r;
        r = ns_step(pl, RECONCILE_CREATE_NAMESPACE, section, cn->name, to->dev, NULL, &s);
        if (r < 0)
                return r;
        s->ns = req;
        r = step_describe(s, "create %s namespace \"%s\" of %s in %s", namespace_mode_to_string(cn->mode),
                          cn->name, SIZE_FMT(np.size), to->dev);
        if (r < 0)
                return r;
        return plan_new_contents(pl, i, section, to->dev, cn->name, true);
}

static int plan_namespace(Planner *pl, size_t i) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const TopoNamespace *tn = NULL, *other = NULL;
        const TopoRegion *tr = NULL;
        _cleanup_free_ char *section = NULL, *msg = NULL;
        ConfigNamespaceKey key;
        uint64_t want_size;
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

        key = ns_place_differs(pl->in->topology, cn, tr, tn, &want_size);
        if (key >= 0)
                return plan_relocate(pl, i, section, tr, tn, key, want_size);
        key = ns_layout_differs(cn, tn);
        if (key >= 0)
                return plan_layout_change(pl, i, section, tr, tn, key);

        switch (cn->mode) {
        case NAMESPACE_MODE_FSDAX:
                return plan_existing_fsdax(pl, i, section, tr, tn);
        case NAMESPACE_MODE_DEVDAX:
                return plan_existing_devdax(pl, i, section, tr, tn);
        case NAMESPACE_MODE_RAW:
        case NAMESPACE_MODE_SECTOR:
        case _NAMESPACE_MODE_MAX:
        case _NAMESPACE_MODE_INVALID:
                break;
        }
        return 0;
}

/* ---- the plan as a whole ---------------------------------------------------------------- */

static int check_input(const ReconcileInput *in, char **ret_error) {
        const Config *c = in->config;

        if (!in->config || !in->topology)
                return error_set(ret_error, -EINVAL, "the planner needs a configuration and a topology");
        for (size_t z = 0; z < c->n_zones; z++)
                if (c->zones[z].ns_index >= c->n_namespaces || !c->zones[z].path)
                        return error_set(ret_error, -EINVAL, "Zone %s refers to no configured namespace",
                                         c->zones[z].name);
        for (size_t k = 0; k < c->n_placements; k++)
                if (c->placements[k].zone_index >= c->n_zones || !c->placements[k].program)
                        return error_set(ret_error, -EINVAL, "Placement %s refers to no configured zone",
                                         c->placements[k].name);
        return 0;
}

int reconcile_plan(const ReconcileInput *in, ReconcilePlan **ret, char **ret_error) {
        _cleanup_reconcile_plan_ ReconcilePlan *plan = NULL;
        _cleanup_free_ NamespaceOutcome *ns = NULL;
        _cleanup_free_ bool *zone_blocked = NULL, *zone_fresh = NULL;
        const Config *c;
        Planner pl;
        int r;

        if (!in || !ret)
                return -EINVAL;
        r = check_input(in, ret_error);
        if (r < 0)
                return r;
        c = in->config;

        plan = calloc(1, sizeof(*plan));
        ns = calloc(c->n_namespaces ?: 1, sizeof(*ns));
        zone_blocked = calloc(c->n_zones ?: 1, sizeof(bool));
        zone_fresh = calloc(c->n_zones ?: 1, sizeof(bool));
        if (!plan || !ns || !zone_blocked || !zone_fresh)
                return -ENOMEM;
        pl = (Planner){
                .in = in, .plan = plan, .ns = ns, .zone_blocked = zone_blocked, .zone_fresh = zone_fresh
        };

        for (size_t k = 0; k < c->n_cxl_regions; k++) {
                r = plan_cxl_region(&pl, k);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_namespaces; i++) {
                r = plan_namespace(&pl, i);
                if (r < 0)
                        return r;
        }
        for (size_t z = 0; z < c->n_zones; z++) {
                r = plan_zone(&pl, z);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < c->n_placements; k++) {
                r = plan_placement(&pl, k);
                if (r < 0)
                        return r;
        }
        r = plan_hand_placements(&pl);
        if (r < 0)
                return r;
        r = plan_unconfigured_placements(&pl);
        if (r < 0)
                return r;
        for (size_t k = 0; k < c->n_dax_devices; k++) {
                r = plan_dax_device(&pl, k);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(plan);
        return 0;
}
