/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The impure half of reconciling: gather what the planner (reconcile.h) needs from the system,
 * and carry out one step of a plan. The daemon's worker runs a reconcile as
 *     repeat: gather → plan → execute the first step not yet failed
 * so that every step sees the system as the steps before it left it (a namespace created a
 * moment ago has a device name now), and a reconcile interrupted at any point (SIGKILL, power
 * cut) simply continues where the system is when it runs again. */

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "context.h"
#include "format.h"
#include "place.h"
#include "reconcile.h"
#include "topology.h"

#define RECONCILE_DROPIN_ROOT "/etc/systemd/system"

typedef struct ReconcileGathered {
        Topology *topology;
        PlaceState *state;
        uid_t *owner_uids;
        gid_t *group_gids;
        ReconcileDevNode *devnodes;
        size_t n_devnodes;
        ReconcilePlacementFact *placement_facts;
        size_t n_placement_facts;
        char **warnings;      /* an Owner= that names no user…: reported with the plan's problems */
        ReconcileInput input; /* points into the above */
} ReconcileGathered;

ReconcileGathered *reconcile_gathered_free(ReconcileGathered *g);
static inline void reconcile_gathered_freep(ReconcileGathered **g) {
        reconcile_gathered_free(*g);
}
#define _cleanup_reconcile_gathered_ _cleanup_(reconcile_gathered_freep)

/* Takes a topology snapshot (or uses @topology, borrowed, when non-NULL), loads the placement
 * state from @state_dir (or uses @state, borrowed) and gathers the facts (stat() of the devdax
 * nodes, staleness of placements, drop-ins, entry points and host binds). */
int reconcile_gather(DaxContext *c, const Config *config, const Topology *topology, const PlaceState *state,
                     const char *state_dir, const char *dropin_root, ReconcileGathered **ret,
                     char **ret_error);

/* gather + reconcile_plan(), with the gathering's warnings added as problems. */
int reconcile_compute(DaxContext *c, const Config *config, const Topology *topology, const PlaceState *state,
                      const char *state_dir, const char *dropin_root, ReconcilePlan **ret, char **ret_error);

/* Carries out one step. Namespace steps whose device is NULL find the namespace by name in
 * @topology. Placement steps load, change and save the state in @state_dir. Drop-ins are
 * written below @dropin_root and systemd is asked to reload over the bus. */
int reconcile_step_execute(DaxContext *c, const Topology *topology, const ReconcileStep *s,
                           const char *state_dir, const char *dropin_root, char **ret_error);

/* mkfs through format_device() with a marker in @state_dir for the time it runs, so that an
 * interrupted mkfs is found by reconcile_recover(). */
int reconcile_format(const TopoNamespace *n, const char *device, const FormatOptions *o,
                     const char *state_dir, char **ret_uuid, char **ret_error);

/* Undoes what an interrupted namespace create or mkfs left (markers in @state_dir): the
 * half-made namespace is destroyed, the half-written file system's signatures are wiped, so
 * that the plan makes them again. Only ever touches what daxmgr was making. *ret_done gets a
 * sentence per recovery (NULL if none). */
int reconcile_recover(DaxContext *c, const char *state_dir, char ***ret_done, char **ret_error);

/* Is there anything for reconcile_recover() to do (a marker, a temporary of the state)? The
 * daemon reconciles at start when there is, even with nothing else to do: a marker left by a
 * namespace create that was killed after the namespace was whole would otherwise wait for some
 * later reconcile, which would destroy the namespace by then in use. */
bool reconcile_needs_recovery(const char *state_dir);

/* The section a step's section depends on: for "Zone Z" its namespace's ("Namespace N"), for
 * "Placement P" its zone's ("Zone Z"); *ret NULL for namespaces and unknown sections. */
int reconcile_section_parent(const Config *config, const char *section, char **ret);
