/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The planner's [Zone] and [Placement] sections, and the placements made by hand: zones
 * created on their namespaces' mounts, programs placed, refreshed and activated (drop-in,
 * entry point, host bind), stale copies deactivated under Refresh=manual (reconcile.h). Pure. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reconcile-internal.h"

int plan_zone(Planner *pl, size_t z) {
        const ConfigZone *cz = &pl->in->config->zones[z];
        const ConfigNamespace *cn = &pl->in->config->namespaces[cz->ns_index];
        const NamespaceOutcome *o = &pl->ns[cz->ns_index];
        _cleanup_free_ char *section = NULL;
        ReconcileStep *s;
        int r;

        if (asprintf(&section, "Zone %s", cz->name) < 0)
                return -ENOMEM;

        if (o->problem) {
                pl->zone_blocked[z] = true;
                return plan_problem(pl->plan, RECONCILE_BLOCKED, section, NULL,
                                    "Zone %s lives on Namespace %s, which is not ready (see its problem); "
                                    "the zone will be made at %s once it is",
                                    cz->name, cn->name, cz->path);
        }

        pl->zone_fresh[z] = o->fresh;
        /* A zone recorded in the state is checked again after a mount: the mount is what it is on. */
        if (!o->fresh && !o->mount_planned && pl->in->state && place_state_has_zone(pl->in->state, cz->path))
                return 0;

        r = plan_step(pl->plan, RECONCILE_CREATE_ZONE, section, &s);
        if (r < 0)
                return r;
        if (strdup_opt(cn->name, &s->namespace) < 0 || strdup_opt(cz->path, &s->zone) < 0)
                return -ENOMEM;
        return step_describe(s, "make the XIP zone %s on the mount of Namespace %s", cz->path, cn->name);
}

static bool program_placed(const PlaceState *st, const char *zone, const char *program) {
        for (size_t k = 0; st && k < st->n_placements; k++) {
                const Placement *p = &st->placements[k];

                if (p->role == PLACE_PROGRAM && p->zone && p->source && strcmp(p->zone, zone) == 0 &&
                    strcmp(p->source, program) == 0)
                        return true;
        }
        return false;
}

static const ReconcilePlacementFact *find_fact(const ReconcileInput *in, const char *zone,
                                               const char *program) {
        for (size_t k = 0; k < in->n_placement_facts; k++) {
                const ReconcilePlacementFact *f = &in->placement_facts[k];

                if (f->zone && f->program && strcmp(f->zone, zone) == 0 && strcmp(f->program, program) == 0)
                        return f;
        }
        return NULL;
}

static const char *base_name(const char *path) {
        const char *b = strrchr(path, '/');
        return b ? b + 1 : path;
}

/* What a placement wants, from its configuration section or from what the state remembers of a
 * placement made by hand. */
typedef struct PlacementWant {
        const char *section;
        const char *zone; /* the zone directory */
        const char *program;
        const ConfigSource *where; /* the Refresh= key or the section (configured only) */
        bool with_libraries, entry_point, bind_host, refresh_manual;
        const char *service;
        /* From a [Placement] section: what the machine shows beyond it (an entry point, a host
         * bind) is undone even when no record says the reconcile made it. */
        bool configured;
} PlacementWant;

static int want_step(Planner *pl, ReconcileStepType type, const PlacementWant *w, ReconcileStep **ret) {
        ReconcileStep *s;
        int r;

        r = plan_step(pl->plan, type, w->section, &s);
        if (r < 0)
                return r;
        if (strdup_opt(w->zone, &s->zone) < 0 || strdup_opt(w->program, &s->program) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* The activations of a placed program that are no longer wanted, undone: the drop-in of a unit
 * the reconcile wrote one for (its record) that Service= no longer names, an entry point or a host
 * bind that EntryPoint= or BindHost= no longer asks for. @rebind: the host bind is lifted even
 * when wanted, since the files it binds change. */
static int plan_undo(Planner *pl, const PlacementWant *w, const ReconcilePlacementFact *fact, bool rebind) {
        const Placement *rec = place_state_find_program(pl->in->state, w->zone, w->program);
        bool bound = fact ? fact->bound : rec && rec->applied_bind_host;
        bool entry = fact ? fact->entry_present : rec && rec->applied_entry_point;
        ReconcileStep *s;
        int r;

        if (rec && rec->applied_service && !(w->service && strcmp(w->service, rec->applied_service) == 0)) {
                r = want_step(pl, RECONCILE_REMOVE_DROPIN, w, &s);
                if (r < 0)
                        return r;
                if (strdup_opt(rec->applied_service, &s->service) < 0)
                        return -ENOMEM;
                r = step_describe(s, "remove the drop-in that makes %s run %s from %s%s",
                                  rec->applied_service, w->program, w->zone,
                                  !w->configured ? ": its [Placement] section is gone"
                                  : w->service   ? ": Service= names another unit now"
                                                 : ": no Service= asks for it any more");
                if (r < 0)
                        return r;
        }
        if (bound && (rebind || !w->bind_host) && (w->configured || (rec && rec->applied_bind_host))) {
                r = want_step(pl, RECONCILE_UNBIND_HOST, w, &s);
                if (r < 0)
                        return r;
                r = step_describe(s, "lift the host bind mounts of the copies in %s over %s%s", w->zone,
                                  w->program,
                                  !w->configured ? ": its [Placement] section is gone"
                                  : w->bind_host ? ", to bind the files placed now"
                                                 : ": BindHost= is no longer yes");
                if (r < 0)
                        return r;
        }
        if (entry && !w->entry_point && (w->configured || (rec && rec->applied_entry_point))) {
                r = want_step(pl, RECONCILE_REMOVE_ENTRY, w, &s);
                if (r < 0)
                        return r;
                r = step_describe(s, "remove the entry point %s/bin/%s: %s", w->zone, base_name(w->program),
                                  w->configured ? "EntryPoint= is no longer yes"
                                                : "its [Placement] section is gone");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A placed program: refreshed when stale (Refresh=auto), or reported and deactivated
 * (Refresh=manual); its activations written where they are missing, undone where no longer
 * wanted. */
static int plan_placed(Planner *pl, const PlacementWant *w) {
        const ReconcilePlacementFact *fact = find_fact(pl->in, w->zone, w->program);
        bool dropin, entry, bind, stale = fact && fact->stale;
        ReconcileStep *s;
        int r;

        r = plan_undo(pl, w, fact, false);
        if (r < 0)
                return r;

        if (stale && w->refresh_manual) {
                r = plan_problem(pl->plan, RECONCILE_STALE, w->section, w->where,
                                 "%s: the copy in %s is stale and Refresh=manual: %s. New starts run the "
                                 "original; run 'daxmgr refresh %s' to copy it again",
                                 w->program, w->zone, fact->stale_why ?: "the original changed", w->program);
                if (r < 0)
                        return r;
                if (fact->dropin_present || (fact->entry_present && !fact->entry_fallback) || fact->bound) {
                        r = want_step(pl, RECONCILE_DEACTIVATE, w, &s);
                        if (r < 0)
                                return r;
                        if (strdup_opt(fact->dropin_present ? w->service : NULL, &s->service) < 0)
                                return -ENOMEM;
                        r = step_describe(
                                s, "stop handing the stale copy of %s in %s to new processes%s%s%s",
                                w->program, w->zone, fact->dropin_present ? " (drop-in of " : "",
                                fact->dropin_present ? w->service : "", fact->dropin_present ? ")" : "");
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        if (stale) {
                r = want_step(pl, RECONCILE_REFRESH, w, &s);
                if (r < 0)
                        return r;
                r = step_describe(s, "copy %s into %s again: %s", w->program, w->zone,
                                  fact->stale_why ?: "the original changed since it was placed");
                if (r < 0)
                        return r;
        }
        /* Without a fact nothing is known of the activation: write it again (idempotent). */
        dropin = w->service && !(fact && fact->dropin_present);
        entry = w->entry_point && !(fact && fact->entry_present && !fact->entry_fallback);
        bind = w->bind_host && !(fact && fact->bound);
        if (dropin) {
                r = want_step(pl, RECONCILE_WRITE_DROPIN, w, &s);
                if (r < 0)
                        return r;
                if (strdup_opt(w->service, &s->service) < 0)
                        return -ENOMEM;
                r = step_describe(s, "write a drop-in that makes %s run %s from %s", w->service, w->program,
                                  w->zone);
                if (r < 0)
                        return r;
        }
        if (entry) {
                r = want_step(pl, RECONCILE_WRITE_ENTRY_POINT, w, &s);
                if (r < 0)
                        return r;
                r = step_describe(s, "write the entry point %s/bin/%s", w->zone, base_name(w->program));
                if (r < 0)
                        return r;
        }
        if (bind) {
                r = want_step(pl, RECONCILE_BIND_HOST, w, &s);
                if (r < 0)
                        return r;
                r = step_describe(s,
                                  "bind the copies in %s read-only over %s and its files for the whole host",
                                  w->zone, w->program);
                if (r < 0)
                        return r;
        }
        return 0;
}

int plan_placement(Planner *pl, size_t k) {
        const ConfigPlacement *cp = &pl->in->config->placements[k];
        const ConfigZone *cz = &pl->in->config->zones[cp->zone_index];
        _cleanup_free_ char *section = NULL;
        bool replace = false;
        PlacementWant w;
        ReconcileStep *s;
        int r;

        if (asprintf(&section, "Placement %s", cp->name) < 0)
                return -ENOMEM;

        if (pl->zone_blocked[cp->zone_index])
                return plan_problem(pl->plan, RECONCILE_BLOCKED, section, NULL,
                                    "Placement %s needs Zone %s, which cannot be made yet (see its "
                                    "namespace's problem); %s will be placed once it is",
                                    cp->name, cz->name, cp->program);

        w = (PlacementWant){
                .section = section,
                .zone = cz->path,
                .program = cp->program,
                .where = cp->where[CONFIG_PLACEMENT_REFRESH].file ? &cp->where[CONFIG_PLACEMENT_REFRESH]
                                                                  : &cp->section,
                .with_libraries = cp->with_libraries,
                .entry_point = cp->entry_point,
                .bind_host = cp->bind_host,
                .refresh_manual = cp->refresh_manual,
                .service = cp->service,
                .configured = true,
        };
        /* A new file system holds none of the copies the state remembers. */
        if (!pl->zone_fresh[cp->zone_index] && program_placed(pl->in->state, cz->path, cp->program)) {
                if (place_state_with_libraries(pl->in->state, cz->path, cp->program) == cp->with_libraries)
                        return plan_placed(pl, &w);
                /* WithLibraries= changed: placed again with or without them, and every
                 * activation written again for the files placed now. */
                replace = true;
                r = plan_undo(pl, &w, find_fact(pl->in, cz->path, cp->program), true);
                if (r < 0)
                        return r;
        }

        r = want_step(pl, RECONCILE_PLACE, &w, &s);
        if (r < 0)
                return r;
        s->with_libraries = cp->with_libraries;
        if (replace)
                r = step_describe(s, "place %s again %s its loader and libraries in the XIP zone %s%s",
                                  cp->program, cp->with_libraries ? "with" : "without", cz->path,
                                  cp->with_libraries ? "" : ", removing their copies");
        else
                r = step_describe(s, "place %s%s in the XIP zone %s", cp->program,
                                  cp->with_libraries ? " with its loader and libraries" : "", cz->path);
        if (r < 0)
                return r;
        if (cp->service) {
                r = want_step(pl, RECONCILE_WRITE_DROPIN, &w, &s);
                if (r < 0)
                        return r;
                if (strdup_opt(cp->service, &s->service) < 0)
                        return -ENOMEM;
                r = step_describe(s, "write a drop-in that makes %s run %s from %s", cp->service,
                                  cp->program, cz->path);
                if (r < 0)
                        return r;
        }
        if (cp->entry_point) {
                r = want_step(pl, RECONCILE_WRITE_ENTRY_POINT, &w, &s);
                if (r < 0)
                        return r;
                r = step_describe(s, "write the entry point %s/bin/%s", cz->path, base_name(cp->program));
                if (r < 0)
                        return r;
        }
        if (cp->bind_host) {
                r = want_step(pl, RECONCILE_BIND_HOST, &w, &s);
                if (r < 0)
                        return r;
                r = step_describe(s,
                                  "bind the copies in %s read-only over %s and its files for the whole host",
                                  cz->path, cp->program);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool configured(const Config *c, const char *zone, const char *program) {
        for (size_t k = 0; k < c->n_placements; k++)
                if (c->placements[k].program && strcmp(c->placements[k].program, program) == 0 &&
                    c->placements[k].zone_index < c->n_zones && c->zones[c->placements[k].zone_index].path &&
                    strcmp(c->zones[c->placements[k].zone_index].path, zone) == 0)
                        return true;
        return false;
}

/* Placements made by hand that remember their activation (newer states). */
int plan_hand_placements(Planner *pl) {
        const PlaceState *st = pl->in->state;

        for (size_t i = 0; st && i < st->n_placements; i++) {
                const Placement *p = &st->placements[i];
                _cleanup_free_ char *section = NULL;
                PlacementWant w;
                int r;

                if (p->role != PLACE_PROGRAM || !p->has_activation || !p->zone || !p->source ||
                    configured(pl->in->config, p->zone, p->source))
                        continue;
                if (asprintf(&section, "Placed %s", p->source) < 0)
                        return -ENOMEM;
                w = (PlacementWant){
                        .section = section,
                        .zone = p->zone,
                        .program = p->source,
                        .with_libraries = place_state_with_libraries(st, p->zone, p->source),
                        .entry_point = p->entry_point,
                        .bind_host = p->bind_host,
                        .refresh_manual = p->refresh_manual,
                        .service = p->service,
                };
                r = plan_placed(pl, &w);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Programs the reconcile activated for a [Placement] section that is gone: what it made for them
 * (their records' applied_*) is undone. The copies stay placed ('daxmgr unplace' removes them). */
int plan_unconfigured_placements(Planner *pl) {
        const PlaceState *st = pl->in->state;

        for (size_t i = 0; st && i < st->n_placements; i++) {
                const Placement *p = &st->placements[i];
                _cleanup_free_ char *section = NULL;
                PlacementWant w;
                int r;

                if (p->role != PLACE_PROGRAM || p->has_activation || !p->zone || !p->source ||
                    !(p->applied_service || p->applied_entry_point || p->applied_bind_host) ||
                    configured(pl->in->config, p->zone, p->source))
                        continue;
                if (asprintf(&section, "Placed %s", p->source) < 0)
                        return -ENOMEM;
                w = (PlacementWant){ .section = section, .zone = p->zone, .program = p->source };
                r = plan_undo(pl, &w, find_fact(pl->in, p->zone, p->source), false);
                if (r < 0)
                        return r;
        }
        return 0;
}
