/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the planner's files share (reconcile.c: the plan, namespaces, zones and placements;
 * reconcile-cxl.c: [CXLRegion] sections; reconcile-dax.c: [DaxDevice] sections). Not for use
 * outside the planner. */

#include "reconcile.h"

typedef struct NamespaceOutcome {
        bool problem;       /* a problem was reported: what lives on it is blocked */
        bool fresh;         /* the plan makes a new namespace or file system: nothing recorded on it
                             * survives */
        bool mount_planned; /* the plan mounts it */
} NamespaceOutcome;

typedef struct Planner {
        const ReconcileInput *in;
        ReconcilePlan *plan;
        NamespaceOutcome *ns; /* indexed like config->namespaces */
        bool *zone_blocked;   /* indexed like config->zones */
        bool *zone_fresh;
} Planner;

/* Appends a zeroed step of @type for @section; the caller fills in the rest. */
int plan_step(ReconcilePlan *p, ReconcileStepType type, const char *section, ReconcileStep **ret);
/* The step's sentence for people. */
int step_describe(ReconcileStep *s, const char *fmt, ...) _printf_(2, 3);
/* Appends a problem; @where (optional) is the FILE:LINE the message starts with. */
int plan_problem(ReconcilePlan *p, ReconcileProblemKind kind, const char *section, const ConfigSource *where,
                 const char *fmt, ...) _printf_(5, 6);

/* Does the kernel's auto-online policy online hot-added memory outside ZONE_MOVABLE? */
bool policy_onlines_elsewhere(const char *policy);
int movable_blocked_message(const char *what, const char *device, const char *policy, char **ret);
const ReconcileDevNode *find_devnode(const ReconcileInput *in, const char *chardev);
const ReconcileModeRefusal *find_refusal(const ReconcileInput *in, const char *chardev,
                                         ConfigSystemRam want);
int refused_message(const char *section, const char *chardev, bool movable, ConfigSystemRam want,
                    char **ret);

/* The passes over the sections of one type. */
int plan_cxl_region(Planner *pl, size_t k);
int plan_dax_device(Planner *pl, size_t i);
int plan_zone(Planner *pl, size_t z);
int plan_placement(Planner *pl, size_t k);
int plan_hand_placements(Planner *pl);
int plan_unconfigured_placements(Planner *pl);
