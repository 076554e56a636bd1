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

typedef struct ReconcileGathered {
        Topology *topology;
        PlaceState *state;
        uid_t *owner_uids;
        gid_t *group_gids;
        ReconcileDevNode *devnodes;
        size_t n_devnodes;
        ReconcilePlacementFact *placement_facts;
        size_t n_placement_facts;
        ReconcileModeRefusal *mode_refusals;
        size_t n_mode_refusals;
        MemoryPlatform *memory; /* read when the configuration has [DaxDevice] sections */
        uid_t *dax_owner_uids;
        gid_t *dax_group_gids;
        char *auto_online;    /* auto_online_blocks, NULL when the kernel has none */
        char **warnings;      /* an Owner= that names no user…: reported with the plan's problems */
        ReconcileInput input; /* points into the above */
} ReconcileGathered;

/* How the gathering decides that a placement is stale. NULL: hash what changed, and read the
 * library closures again (the worker, daxmgr-tool). The daemon's event loop passes a cache and
 * !may_hash (a changed file whose hash is not known yet counts as fresh until its check child has
 * hashed it), and the closure changes its check child found through @closure_why. */
typedef struct ReconcileStaleness {
        PlaceHashCache *cache;
        bool may_hash;
        /* optional: placement_closure_changed() for programs placed with their libraries (a
         * pointer, so that a planner that does not read closures does not link libelf) */
        int (*closure_changed)(const PlaceState *s, const char *zone, const char *program, char **ret_why);
        /* optional: a known change of the closure of @program in @zone (*ret_why NULL: none) */
        void (*closure_why)(void *userdata, const char *zone, const char *program, const char **ret_why);
        void *userdata;
        /* optional: placement_check() done already for every placement of @checked, with @cache
         * and @may_hash as above: stale[k] and stale_why[k] (may be NULL) are its results for
         * checked->placements[k], k < n_stale, used instead of checking again (the daemon checks
         * once per refresh). Another state, or k beyond, is checked. */
        const PlaceState *checked;
        const bool *stale;
        char *const *stale_why;
        size_t n_stale;
} ReconcileStaleness;

ReconcileGathered *reconcile_gathered_free(ReconcileGathered *g);
static inline void reconcile_gathered_freep(ReconcileGathered **g) {
        reconcile_gathered_free(*g);
}
#define _cleanup_reconcile_gathered_ _cleanup_(reconcile_gathered_freep)

/* With @topology (borrowed: a snapshot, topology_snapshot() or a worker's), loads the placement
 * state from @state_dir (or uses @state, borrowed) and gathers the facts (stat() of the devdax
 * nodes, staleness of placements, drop-ins, entry points and host binds). reconcile-gather.c. */
int reconcile_gather(const Config *config, const Topology *topology, const PlaceState *state,
                     const char *state_dir, const char *dropin_root, const ReconcileStaleness *how,
                     ReconcileGathered **ret, char **ret_error);

/* gather + reconcile_plan(), with the gathering's warnings added as problems. */
int reconcile_compute(const Config *config, const Topology *topology, const PlaceState *state,
                      const char *state_dir, const char *dropin_root, const ReconcileStaleness *how,
                      ReconcilePlan **ret, char **ret_error);

/* Is any file of @program in @zone stale (or its closure changed, with how->closure_changed)? *ret_why
 * (optional) says the first change. */
int reconcile_program_stale(const PlaceState *s, const char *zone, const char *program,
                            const ReconcileStaleness *how, bool *ret_stale, char **ret_why);

/* Copies again every stale file of @program in @zone (whatever its policy), or its whole closure
 * when ld.so would now load other libraries; a host bind mount is lifted first and made again
 * on the new copy. *ret_n (optional): how many files (or closures) were copied. */
int placement_refresh_program(PlaceState *st, const char *zone, const char *program, unsigned *ret_n,
                              char **ret_error);

/* While a placement is stale under Refresh=manual: no new process may start the copy. Clears
 * activation (a) in the state (saved; with @service, the drop-in the generator wrote goes at the
 * reload of systemd this asks for, and one in a test's @dropin_root is removed), points the entry
 * point at the original, lifts the host bind mount (refused while a process runs the bound copy:
 * the error names it). */
int placement_deactivate(PlaceState *st, const char *zone, const char *program, const char *service,
                         const char *dropin_root, char **ret_error);

/* Carries out one step. Namespace steps whose device is NULL find the namespace by name in
 * @topology. Placement steps load, change and save the state in @state_dir. Drop-ins are
 * written below @dropin_root and systemd is asked to reload over the bus. *ret_warnings
 * (optional, NULL on entry; set only by a placement step that succeeded; strv_free()) gets a
 * sentence for each copy the step wrote whose windows could not be primed
 * (placement_prime_warning()): not a failure, and not saved anywhere, so only the caller can
 * log it. */
int reconcile_step_execute(DaxContext *c, const Topology *topology, const ReconcileStep *s,
                           const char *state_dir, const char *dropin_root, char ***ret_warnings,
                           char **ret_error);

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

/* Forgets the mode changes the kernel refused (EBUSY) in this boot, so that the next plan tries
 * them again: an explicit reconcile (daxmgr reload, Reconcile()) calls it. Returns how many. */
int reconcile_clear_mode_refusals(const char *state_dir);

/* The section a step's section depends on: for "Zone Z" its namespace's ("Namespace N"), for
 * "Placement P" its zone's ("Zone Z"); *ret NULL for namespaces and unknown sections. */
int reconcile_section_parent(const Config *config, const char *section, char **ret);
