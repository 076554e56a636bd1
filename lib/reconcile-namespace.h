/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the two files of the [Namespace] pass share: reconcile-namespace.c (the namespace a
 * section owns, creating a missing one, the steps that give a namespace its contents) and
 * reconcile-drift.c (a namespace that exists, compared with its section). Not for use outside
 * them. */

#include "reconcile-internal.h"

/* The FILE:LINE of @key of @ns, or of its section header when the key was not set. */
static inline const ConfigSource *ns_where(const ConfigNamespace *ns, ConfigNamespaceKey key) {
        return ns->where[key].file ? &ns->where[key] : &ns->section;
}

static inline uid_t want_uid(const ReconcileInput *in, size_t i) {
        return in->owner_uids ? in->owner_uids[i] : (uid_t) -1;
}

static inline gid_t want_gid(const ReconcileInput *in, size_t i) {
        return in->group_gids ? in->group_gids[i] : (gid_t) -1;
}

/* reconcile-namespace.c */

/* Appends a step of @type on a namespace; @key finds it when @device is NULL. */
int ns_step(Planner *pl, ReconcileStepType type, const char *section, const char *key, const char *region,
            const char *device, ReconcileStep **ret);
/* Appends a problem of namespace @i: what lives on it is blocked. */
int ns_problem(Planner *pl, size_t i, ReconcileProblemKind kind, const char *section,
               const ConfigSource *where, const char *message);
/* The steps for what a namespace holds; @device NULL: one this plan makes, found by @key. */
int plan_format(Planner *pl, size_t i, const char *section, const char *region, const char *device,
                const char *key, bool force, const char *over);
int plan_mount(Planner *pl, size_t i, const char *section, const char *region, const char *device,
               const char *key);
int plan_devdax_mode(Planner *pl, size_t i, const char *section, const char *region, const char *device,
                     const char *key);
int plan_devdax_access(Planner *pl, size_t i, const char *section, const char *region, const char *device,
                       const char *key);
/* Does the section ask for an owner, group or mode of its devdax device? */
bool access_configured(const ReconcileInput *in, size_t i);
int plan_new_contents(Planner *pl, size_t i, const char *section, const char *region, const char *key,
                      bool force);
/* The step that creates section @i's namespace in @region (@req, of @size bytes), then the
 * steps for its contents (plan_new_contents(), @force when it replaces a destroyed one). */
int plan_create_step(Planner *pl, size_t i, const char *section, const char *region,
                     const NamespaceRequest *req, uint64_t size, bool force);

/* reconcile-drift.c */

int plan_existing_namespace(Planner *pl, size_t i, const char *section, const TopoRegion *tr,
                            const TopoNamespace *tn);
