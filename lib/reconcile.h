/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The reconcile planner: configuration × topology × placement state × a few facts gathered by
 * the caller → the plan, an ordered list of steps that would make the system match the
 * configuration, plus the problems it will not fix by itself.
 *
 * Pure: no I/O, no clock, no look-ups (users, paths, sysfs). Everything it needs is in
 * ReconcileInput; the daemon gathers the facts, the unit tests feed captured ones. The same
 * input always gives the same plan, and a system that already matches gives an empty plan
 * (idempotence: a second reconcile does nothing).
 *
 * Safety (docs/CONFIG.md, ../DESIGN "nothing lost"):
 *  - Nothing is destroyed, reconfigured or formatted over existing data unless the namespace's
 *    section says Destroy=yes; otherwise the mismatch is a problem, reported, not "fixed".
 *  - A namespace is found by its label name (TopoNamespace.name == ConfigNamespace.name); on a
 *    label-less region, which holds exactly one namespace and no names, a section whose
 *    Region= is that region ("regionN") owns the region's namespace.
 *  - Namespaces without a section are never touched.
 *  - Steps of one object come in dependency order: create → format → mount → zone → place →
 *    activate. A step whose object cannot be reached (the region is missing, an earlier
 *    problem) is left out and the reason is a problem, except a missing region, which is
 *    "waiting" (not an error: it may be hot-added later). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "memory.h"
#include "place.h"
#include "size.h"
#include "topology.h"

struct json_object;

typedef enum ReconcileStepType {
        RECONCILE_CREATE_CXL_REGION, /* cxl_region_create(): a CXL pmem region from free capacity,
                                      * which the kernel then offers as an nd region */
        RECONCILE_CREATE_NAMESPACE,  /* namespace_create() */
        RECONCILE_RECONFIGURE,       /* namespace_reconfigure(): label-less mode change, or a
                                      * mode/map/align change with Destroy=yes */
        RECONCILE_FORMAT,            /* format_device() */
        RECONCILE_MOUNT,             /* dax_mount() */
        RECONCILE_DEVDAX_ACCESS,     /* devdax_set_access() */
        RECONCILE_DEVDAX_MODE,       /* devdax_set_mode(): system-ram / devdax */
        RECONCILE_CREATE_ZONE,       /* zone_create() + place_state_save() */
        RECONCILE_PLACE,             /* place_program() */
        RECONCILE_REFRESH,           /* placement_refresh() of every stale file of the program */
        RECONCILE_WRITE_DROPIN,      /* recorded for daxmgr-generator, systemd reloaded */
        RECONCILE_WRITE_ENTRY_POINT, /* place_write_entry_point() */
        RECONCILE_BIND_HOST,         /* place_bind_host() */
        RECONCILE_DEACTIVATE,        /* a stale copy under Refresh=manual: remove the drop-in (and
                                      * reload systemd), point the entry point at the original,
                                      * lift the host bind mount, so that no new process starts
                                      * the old copy */
        RECONCILE_REMOVE_DROPIN,     /* place_deactivate() of the drop-in of @service: Service=
                                      * changed or removed, or its [Placement] section gone */
        RECONCILE_REMOVE_ENTRY,      /* place_deactivate() of the entry point: EntryPoint=no now */
        RECONCILE_UNBIND_HOST,       /* place_deactivate() of the host bind: BindHost=no now */
        RECONCILE_DESTROY_NAMESPACE, /* namespace_destroy(): its Size= or Region= changed and the
                                      * section says Destroy=yes; a create-namespace follows */
        _RECONCILE_STEP_TYPE_MAX,
        _RECONCILE_STEP_TYPE_INVALID = -EINVAL,
} ReconcileStepType;

/* "create-cxl-region", "create-namespace", "reconfigure", "format", "mount", "devdax-access", "devdax-mode",
 * "create-zone", "place", "refresh", "write-dropin", "write-entry-point", "bind-host",
 * "deactivate", "remove-dropin", "remove-entry-point", "unbind-host", "destroy-namespace". */
const char *reconcile_step_type_to_string(ReconcileStepType t) _pure_;
ReconcileStepType reconcile_step_type_from_string(const char *s) _pure_;

typedef struct ReconcileStep {
        ReconcileStepType type;
        char *section;     /* "Namespace pm0", "Zone tools", "Placement py": the config section */
        char *description; /* one sentence for people: "create fsdax namespace \"pm0\" of 1 GiB
                            * in region0", "mount /dev/pmem0 at /mnt/pm0 with dax=always" */

        /* The fields a step type uses; the rest are 0/NULL. Strings are owned by the step. */
        char *region;        /* all namespace steps: the region it is (CREATE_NAMESPACE: will be) in;
                              * CREATE_CXL_REGION: the root decoder ("decoder0.0") it is made in */
        char *namespace;     /* all namespace steps: the key to find it with topology_find_namespace():
                              * its name (label) in a labelled region, its kernel device
                              * ("namespace0.0") in a label-less one, which keeps no names.
                              * CREATE_ZONE: the name of the namespace whose mount holds the zone */
        char *device;        /* RECONFIGURE: "namespace0.0"; FORMAT/MOUNT: "/dev/pmem0";
                              * DEVDAX_*: "dax0.0". NULL when a step before in this plan creates or
                              * reconfigures the namespace (its device is not known yet): the
                              * executor looks it up with @namespace */
        NamespaceRequest ns; /* CREATE_NAMESPACE; RECONFIGURE: its mode, map and align */
        FsType fs;           /* FORMAT */
        bool force;          /* FORMAT/RECONFIGURE over existing data (Destroy=yes) */
        char *mount_point;   /* MOUNT */
        DaxMode dax;         /* MOUNT */
        char *mount_options; /* MOUNT: NULL for none */
        uid_t uid;           /* DEVDAX_ACCESS: (uid_t) -1 leave */
        gid_t gid;           /* (gid_t) -1 leave */
        mode_t permissions;  /* (mode_t) -1 leave */
        ConfigSystemRam system_ram; /* DEVDAX_MODE */
        char *zone;                 /* CREATE_ZONE, PLACE, REFRESH, activation: the zone directory */
        char *program;              /* PLACE, REFRESH, activation */
        bool with_libraries;        /* PLACE (of a placed program: its libraries placed or removed) */
        char *service;              /* WRITE_DROPIN, DEACTIVATE, REMOVE_DROPIN: the unit */
        char *memdevs;              /* CREATE_CXL_REGION: "mem0 mem1", in interleave position order */
        uint64_t bytes;             /* CREATE_CXL_REGION: the region's size */
        char *uuid;                 /* CREATE_CXL_REGION: the uuid it gets (from its section's name) */
} ReconcileStep;

typedef enum ReconcileProblemKind {
        RECONCILE_WAITING,  /* the region is not there (yet); not an error */
        RECONCILE_CONFLICT, /* the system holds something else and Destroy= does not allow fixing it */
        RECONCILE_NO_ROOM,  /* no region that the section allows has room (namespace_plan_size's words) */
        RECONCILE_BLOCKED,  /* depends on something that has a problem */
        RECONCILE_STALE,    /* a placed original changed and its policy is Refresh=manual */
        _RECONCILE_PROBLEM_KIND_MAX,
        _RECONCILE_PROBLEM_KIND_INVALID = -EINVAL,
} ReconcileProblemKind;

/* "waiting", "conflict", "no-room", "blocked", "stale". */
const char *reconcile_problem_kind_to_string(ReconcileProblemKind k) _pure_;
ReconcileProblemKind reconcile_problem_kind_from_string(const char *s) _pure_;

typedef struct ReconcileProblem {
        ReconcileProblemKind kind;
        char *section; /* "Namespace pm0" */
        char *message; /* one sentence: what, where (FILE:LINE of the key at fault when there is
                        * one), why, what to do: "/etc/daxmgr/daxmgr.conf:4: Namespace pm0 is
                        * configured as fsdax but namespace0.0 is devdax and holds data; set
                        * Destroy=yes to let daxmgr reconfigure it, or change Mode=" */
} ReconcileProblem;

typedef struct ReconcilePlan {
        ReconcileStep *steps;
        size_t n_steps;
        ReconcileProblem *problems;
        size_t n_problems;
} ReconcilePlan;

ReconcilePlan *reconcile_plan_free(ReconcilePlan *p);
static inline void reconcile_plan_freep(ReconcilePlan **p) {
        reconcile_plan_free(*p);
}
#define _cleanup_reconcile_plan_ _cleanup_(reconcile_plan_freep)

/* Does a devdax device hold data? A devdax device has no block device, so libblkid cannot
 * tell; daxmgr reads its first 2 MiB (devdax_probe_content()): an application that uses the
 * device (a PMDK pool, a database, a key-value store) writes its header there, and a new
 * namespace on blank media reads as zeros. What cannot be read counts as data. */
typedef enum ReconcileContent {
        RECONCILE_CONTENT_UNKNOWN, /* not read (no node, an error): treated as data */
        RECONCILE_CONTENT_BLANK,   /* the first 2 MiB are zeros */
        RECONCILE_CONTENT_DATA,    /* something was written there */
        _RECONCILE_CONTENT_MAX,
        _RECONCILE_CONTENT_INVALID = -EINVAL,
} ReconcileContent;

/* A /dev/daxX.Y as it is now (stat()). */
typedef struct ReconcileDevNode {
        const char *chardev; /* "dax0.0" */
        uid_t uid;
        gid_t gid;
        mode_t mode;              /* permission bits only */
        ReconcileContent content; /* read only for a devdax device that a section wants as system RAM */
} ReconcileDevNode;

/* A mode change the kernel refused with EBUSY (memory it would not take offline), recorded by
 * the executor (reconcile_step_execute()) so that the plan shows it as a problem instead of
 * trying again and again. Cleared by an explicit reconcile (daxmgr reload, Reconcile()) or a
 * reboot, and ignored once the device is no longer in the mode it was refused in. */
typedef struct ReconcileModeRefusal {
        const char *chardev;        /* "dax0.0" */
        ConfigSystemRam system_ram; /* what was asked */
        const char *message;        /* the kernel's refusal as devdax_set_mode() put it */
} ReconcileModeRefusal;

/* What the caller knows of a placed program beyond placements.json. */
typedef struct ReconcilePlacementFact {
        const char *zone;      /* zone directory */
        const char *program;   /* absolute path of the original */
        bool stale;            /* placement_is_stale() of any of its files, or its library closure
                                * changed (placement_closure_changed()) */
        const char *stale_why; /* what changed (optional) */
        bool dropin_present;   /* the service's drop-in exists and names this program's copies */
        bool entry_present;    /* <zone>/bin/<basename> exists */
        bool entry_fallback;   /* …and is the fallback: a symbolic link to the original */
        bool bound;            /* bind-mounted over the original from this copy (mountinfo, stat) */
} ReconcilePlacementFact;

typedef struct ReconcileInput {
        const Config *config;
        const Topology *topology; /* with filesystems and mounts (not TOPOLOGY_NO_FILESYSTEMS) */
        const PlaceState *state;  /* placements.json; NULL: empty */
        /* Owner=/Group= of each config namespace resolved to numbers, indexed like
         * config->namespaces; (uid_t)/(gid_t) -1 where unset. An unresolvable name is the
         * caller's problem (it reports it and passes -1). NULL: all unset. */
        const uid_t *owner_uids;
        const gid_t *group_gids;
        const ReconcileDevNode *devnodes;
        size_t n_devnodes;
        /* One per program placed (state), configured or by hand. A placement made by hand
         * (daxmgr place, not in the configuration) takes part in the plan through what its
         * program record remembers (Placement.has_activation): refreshed or deactivated when
         * stale, its activation restored after a refresh. */
        const ReconcilePlacementFact *placement_facts;
        size_t n_placement_facts;
        const ReconcileModeRefusal *mode_refusals;
        size_t n_mode_refusals;
        /* Every dax device (lib/memory.h), for [DaxDevice] sections; NULL: none known. Their
         * Owner=/Group= resolved like the namespaces', indexed like config->dax_devices. */
        const MemoryPlatform *memory;
        const uid_t *dax_owner_uids;
        const gid_t *dax_group_gids;
        /* The kernel's memory auto-online policy (/sys/devices/system/memory/auto_online_blocks);
         * NULL: unknown. While it is "online" or "online_kernel" the kernel onlines a device's
         * memory outside ZONE_MOVABLE the moment it becomes system RAM, so SystemRAM=online-movable
         * of a devdax device is a problem, not a step (devdax_set_mode() refuses it too). */
        const char *auto_online;
} ReconcileInput;

int reconcile_plan(const ReconcileInput *in, ReconcilePlan **ret, char **ret_error);

/* The [Namespace] section of @config that owns @n (a namespace of @t), as the planner decides
 * it: the section named as its label (each of several that carry one name), else, in a
 * label-less region, the section whose Region= names that region. NULL: none. The bus's
 * "ConfigSection" and the planner give the same answer. */
const ConfigNamespace *reconcile_namespace_owner(const Config *config, const Topology *t,
                                                 const TopoNamespace *n);

/* {"steps": [{"type": "create-namespace", "section": …, "description": …, <the used fields
 *   with D-Bus style names: "region", "memdevs", "bytes", "uuid", "namespace", "device", "mode", "map",
 * "align", "size" (string as in the config), "filesystem", "force", "mount_point", "dax", "mount_options",
 *   "uid", "gid", "permissions" ("0660"), "system_ram", "zone", "program", "with_libraries",
 *   "service">}],
 *  "problems": [{"kind": "conflict", "section": …, "message": …}]} */
int reconcile_plan_to_json(const ReconcilePlan *p, struct json_object **ret);
int reconcile_plan_from_json(struct json_object *j, ReconcilePlan **ret, char **ret_error);
