/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The reconcile planner (reconcile.h): configuration × topology × state → steps and problems.
 * Everything in it is pure: no I/O, no clock, no look-ups. The plan is built in passes, CXL
 * regions, namespaces, zones, placements, dax devices, each in configuration order, so that the
 * steps of one object always come after those of what it depends on. This file holds the plan
 * itself (its steps and problems), the facts and sentences the namespace and [DaxDevice] passes
 * share, and reconcile_plan(), which runs the passes; the passes are in reconcile-namespace.c and
 * reconcile-drift.c, reconcile-placement.c, reconcile-cxl.c and reconcile-dax.c, sharing
 * reconcile-internal.h. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
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

/* ---- shared by the namespace and [DaxDevice] passes ------------------------------------- */

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
