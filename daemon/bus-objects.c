/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The objects of org.daxmgr1 (docs/dbus/): the property list of each interface, which gives both
 * its PropDef table and the JSON of each object, rebuilt from the manager's state once per
 * event-loop iteration after bus_sync_objects() said it changed, the change signals its diff
 * gives, and the property getters, object finder and node enumerator that read it. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "elf-advice.h"
#include "log.h"
#include "manager.h"
#include "bus-internal.h"
#include "bus-options.h"

/* ---------------------------------------------------------------- the properties */

/* Each interface's properties, each written once: its name, its D-Bus signature and the JSON of
 * its value, an expression over the locals of the builder below that expands the list. The
 * same list makes the PropDef table that the vtable, the getter (which reads the JSON by the
 * signature) and tests/unit/test-bus.c (which compares them with docs/dbus/) use, so a name
 * cannot be in one and not the other, and the builder adds the properties in the documented
 * order. */

#define PROP_DEF(name, sig, value) { name, sig },
#define PROP_ADD(name, sig, value) add(o, name, value);

/* manager_json(): the locals state, files, warnings, problems, jobs, polled, tiers and devs */
#define MANAGER_PROPERTIES(X)                                                                               \
        X("Version", "s", jstr(PACKAGE_VERSION))                                                            \
        X("State", "s", jstr(state))                                                                        \
        X("ConfigFiles", "as", files)                                                                       \
        X("ConfigError", "s", jstr(m->config_error))                                                        \
        X("ConfigWarnings", "as", warnings)                                                                 \
        X("Problems", "as", problems)                                                                       \
        X("PendingSteps", "u", json_object_new_int64(m->plan ? (int64_t) m->plan->n_steps : 0))             \
        X("LastReconcileUSec", "t", ju64(m->last_reconcile_usec))                                           \
        X("LastReconcileResult", "s", jstr(m->last_reconcile_result))                                       \
        X("Jobs", "ao", jobs)                                                                               \
        X("Watches", "u", ju64(m->n_watches))                                                               \
        X("WatchLimit", "u", ju64(WATCH_MAX))                                                               \
        X("PolledPaths", "as", polled)                                                                      \
        X("PollIntervalUSec", "t", ju64(POLL_INTERVAL_USEC))                                                \
        X("MemoryAutoOnline", "s", jstr(m->memory ? m->memory->auto_online : NULL))                         \
        X("MemoryTiers", "as", tiers)                                                                       \
        X("DaxDevices", "as", devs)

/* region_json(): t, r and the locals dimms, serials and nss */
#define REGION_PROPERTIES(X)                                                                                \
        X("Device", "s", jstr(r->dev))                                                                      \
        X("Type", "s", jstr(r->type))                                                                       \
        X("Size", "t", ju64(r->size))                                                                       \
        X("AvailableSize", "t", ju64(r->available_size))                                                    \
        X("MaxAvailableExtent", "t", ju64(r->max_available_extent))                                         \
        X("Align", "t", ju64(r->align))                                                                     \
        X("InterleaveWays", "u", json_object_new_int64(r->interleave_ways))                                 \
        X("NumaNode", "i", json_object_new_int(r->numa_node))                                               \
        X("PersistenceDomain", "s", jstr(r->persistence_domain))                                            \
        X("Labelled", "b", json_object_new_boolean(r->labelled))                                            \
        X("ReadOnly", "b", json_object_new_boolean(r->read_only))                                           \
        X("Dimms", "as", dimms)                                                                             \
        X("DimmSerials", "as", serials)                                                                     \
        X("Namespaces", "ao", nss)                                                                          \
        X("Kind", "s", jstr(region_kind_to_string(r->kind)))                                                \
        X("Provider", "s", jstr(r->provider))                                                               \
        X("Flush", "s", jstr(region_flush(r->kind)))

/* namespace_json(): n and the locals region, map, blk, mps, chr and sec */
#define NAMESPACE_PROPERTIES(X)                                                                             \
        X("Device", "s", jstr(n->dev))                                                                      \
        X("Name", "s", jstr(n->name))                                                                       \
        X("UUID", "s", jstr(n->uuid))                                                                       \
        X("RawUUID", "s", jstr(n->raw_uuid))                                                                \
        X("Region", "o", jstr(region ?: "/"))                                                               \
        X("Mode", "s", jstr(namespace_mode_to_string(n->mode)))                                             \
        X("Map", "s", jstr(map))                                                                            \
        X("Size", "t", ju64(n->size))                                                                       \
        X("Align", "t", ju64(n->align))                                                                     \
        X("BlockDevice", "s", jstr(blk))                                                                    \
        X("Filesystem", "s", jstr(n->filesystem ? n->filesystem->type : NULL))                              \
        X("FilesystemUUID", "s", jstr(n->filesystem ? n->filesystem->uuid : NULL))                          \
        X("MountPoints", "as", mps)                                                                         \
        X("Dax", "s", jstr(n->n_mounts > 0 ? n->mounts[0].dax : NULL))                                      \
        X("CharDevice", "s", jstr(chr))                                                                     \
        X("DaxDeviceMode", "s", jstr(n->daxdev ? n->daxdev->mode : NULL))                                   \
        X("NumaNode", "i", json_object_new_int(n->numa_node))                                               \
        X("ConfigSection", "s", jstr(sec))

/* zone_json(): dir and the locals sec and pl */
#define ZONE_PROPERTIES(X)                                                                                  \
        X("Directory", "s", jstr(dir))                                                                      \
        X("ConfigSection", "s", jstr(sec))                                                                  \
        X("Mounted", "b", json_object_new_boolean(path_is_mounted_dax(m->topology, dir)))                   \
        X("Placements", "ao", pl)

/* placement_json(): p and the locals zone, files, size, stale, why, sec, manual, restart, pmd,
 * pmd_aligned, text, misaligned and raised */
#define PLACEMENT_PROPERTIES(X)                                                                             \
        X("Zone", "s", jstr(p->zone))                                                                       \
        X("ZoneObject", "o", jstr(zone ?: "/"))                                                             \
        X("Program", "s", jstr(p->source))                                                                  \
        X("Copy", "s", jstr(p->copy))                                                                       \
        X("Files", "as", files)                                                                             \
        X("Size", "t", ju64(size))                                                                          \
        X("Stale", "b", json_object_new_boolean(stale))                                                     \
        X("StaleReason", "s", jstr(stale ? why : NULL))                                                     \
        X("ConfigSection", "s", jstr(sec))                                                                  \
        X("RefreshPolicy", "s", jstr(manual ? "manual" : "auto"))                                           \
        X("RestartNeeded", "as", restart)                                                                   \
        X("PmdWindows", "t", ju64(pmd))                                                                     \
        X("PmdWindowsAligned", "t", ju64(pmd_aligned))                                                      \
        X("TextPmdCoverage", "d", json_object_new_double(elf_pmd_coverage(pmd, text)))                      \
        X("LayoutWarnings", "as", misaligned)                                                               \
        X("PAlignRaised", "as", raised)

/* job_json(): j */
#define JOB_PROPERTIES(X)                                                                                   \
        X("Id", "u", json_object_new_int64(j->id))                                                          \
        X("Operation", "s", jstr(job_type_to_string(j->type)))                                              \
        X("Target", "s", jstr(j->target))                                                                   \
        X("State", "s", jstr(job_state_to_string(j->state)))                                                \
        X("Progress", "d", json_object_new_double(j->progress))                                             \
        X("ProgressText", "s", jstr(j->progress_text))                                                      \
        X("Error", "s", jstr(j->error_name))                                                                \
        X("Message", "s", jstr(j->message))                                                                 \
        X("Result", "s", jstr(j->result))                                                                   \
        X("Caller", "u", json_object_new_int64(j->caller))                                                  \
        X("CreatedUSec", "t", ju64(j->created_usec))                                                        \
        X("FinishedUSec", "t", ju64(j->finished_usec))

static const PropDef manager_props[] = { MANAGER_PROPERTIES(PROP_DEF){} };
static const PropDef region_props[] = { REGION_PROPERTIES(PROP_DEF){} };
static const PropDef namespace_props[] = { NAMESPACE_PROPERTIES(PROP_DEF){} };
static const PropDef zone_props[] = { ZONE_PROPERTIES(PROP_DEF){} };
static const PropDef placement_props[] = { PLACEMENT_PROPERTIES(PROP_DEF){} };
static const PropDef job_props[] = { JOB_PROPERTIES(PROP_DEF){} };

const BusKind kinds[_BUS_OBJECT_KIND_MAX] = {
        [BUS_OBJECT_MANAGER] = { "org.daxmgr1.Manager", NULL, manager_props },
        [BUS_OBJECT_REGION] = { "org.daxmgr1.Region", ROOT_PATH "/region", region_props },
        [BUS_OBJECT_NAMESPACE] = { "org.daxmgr1.Namespace", ROOT_PATH "/namespace", namespace_props },
        [BUS_OBJECT_ZONE] = { "org.daxmgr1.Zone", ROOT_PATH "/zone", zone_props },
        [BUS_OBJECT_PLACEMENT] = { "org.daxmgr1.Placement", ROOT_PATH "/placement", placement_props },
        [BUS_OBJECT_JOB] = { "org.daxmgr1.Job", ROOT_PATH "/job", job_props },
};

/* ---------------------------------------------------------------- paths */

static char *object_path(const char *prefix, const char *key) {
        char *p = NULL;

        if (sd_bus_path_encode(prefix, key, &p) < 0)
                return NULL;
        return p;
}

char *placement_key(const char *zone, const char *program) {
        char *k = NULL;

        return asprintf(&k, "%s:%s", zone, program) < 0 ? NULL : k;
}

/* ---------------------------------------------------------------- JSON of each object */

static void array_add_path(struct json_object *a, const char *prefix, const char *key) {
        _cleanup_free_ char *p = object_path(prefix, key);

        if (p)
                json_object_array_add(a, json_object_new_string(p));
}

static struct json_object *region_json(const Topology *t, const TopoRegion *r) {
        struct json_object *o = json_object_new_object(), *dimms = json_object_new_array(),
                           *serials = json_object_new_array(), *nss = json_object_new_array();

        for (size_t i = 0; i < r->n_dimms; i++) {
                const char *serial = NULL;

                json_object_array_add(dimms, jstr(r->dimms[i]));
                for (size_t k = 0; k < t->n_dimms; k++)
                        if (t->dimms[k].dev && strcmp(t->dimms[k].dev, r->dimms[i]) == 0)
                                serial = t->dimms[k].serial;
                json_object_array_add(serials, jstr(serial));
        }
        for (size_t i = 0; i < r->n_namespaces; i++)
                array_add_path(nss, ROOT_PATH "/namespace", r->namespaces[i].dev);
        REGION_PROPERTIES(PROP_ADD);
        return o;
}

static struct json_object *namespace_json(Manager *m, const TopoRegion *r, const TopoNamespace *n) {
        struct json_object *o = json_object_new_object(), *mps = json_object_new_array();
        _cleanup_free_ char *region = object_path(ROOT_PATH "/region", r->dev), *blk = NULL, *chr = NULL;
        const ConfigNamespace *owner = reconcile_namespace_owner(m->config, m->topology, n);
        const char *section = owner ? owner->name : NULL;
        const char *map = n->mode == NAMESPACE_MODE_FSDAX || n->mode == NAMESPACE_MODE_DEVDAX
                                  ? pfn_map_to_string(n->map)
                                  : NULL;
        _cleanup_free_ char *sec = NULL;

        if (n->blockdev)
                blk = asprintf_safe("/dev/%s", n->blockdev);
        if (n->daxdev && n->daxdev->chardev)
                chr = asprintf_safe("/dev/%s", n->daxdev->chardev);
        if (section)
                sec = asprintf_safe("Namespace %s", section);
        if ((n->blockdev && !blk) || (n->daxdev && n->daxdev->chardev && !chr) || (section && !sec)) {
                /* Out of memory: no object rather than one with empty properties
                 * (objects_push() drops a NULL, as for any other allocation failure). */
                json_object_put(mps);
                json_object_put(o);
                return NULL;
        }
        for (size_t i = 0; i < n->n_mounts; i++)
                json_object_array_add(mps, jstr(n->mounts[i].target));
        NAMESPACE_PROPERTIES(PROP_ADD);
        return o;
}

bool path_is_mounted_dax(const Topology *t, const char *dir) {
        for (size_t i = 0; t && i < t->n_regions; i++)
                for (size_t j = 0; j < t->regions[i].n_namespaces; j++) {
                        const TopoNamespace *n = &t->regions[i].namespaces[j];

                        for (size_t k = 0; k < n->n_mounts; k++) {
                                size_t l = strlen(n->mounts[k].target);

                                if (strncmp(dir, n->mounts[k].target, l) == 0 &&
                                    (dir[l] == '/' || dir[l] == 0 || l == 1))
                                        return true;
                        }
                }
        return false;
}

static struct json_object *zone_json(Manager *m, const char *dir) {
        struct json_object *o = json_object_new_object(), *pl = json_object_new_array();
        _cleanup_free_ char *sec = NULL;

        for (size_t i = 0; m->config && i < m->config->n_zones; i++)
                if (strcmp(m->config->zones[i].path, dir) == 0) {
                        free(sec);
                        sec = asprintf_safe("Zone %s", m->config->zones[i].name);
                        if (!sec) { /* out of memory: dropped by objects_push() */
                                json_object_put(pl);
                                json_object_put(o);
                                return NULL;
                        }
                }
        for (size_t i = 0; m->state && i < m->state->n_placements; i++) {
                const Placement *p = &m->state->placements[i];
                _cleanup_free_ char *key = NULL;

                if (p->role != PLACE_PROGRAM || strcmp(p->zone, dir) != 0)
                        continue;
                key = placement_key(p->zone, p->source);
                if (key)
                        array_add_path(pl, ROOT_PATH "/placement", key);
        }
        ZONE_PROPERTIES(PROP_ADD);
        return o;
}

static struct json_object *placement_json(Manager *m, const Placement *p) {
        struct json_object *o = json_object_new_object(), *files = json_object_new_array(),
                           *restart = json_object_new_array(), *misaligned = json_object_new_array(),
                           *raised = json_object_new_array();
        _cleanup_free_ char *zone = object_path(ROOT_PATH "/zone", p->zone), *sec = NULL;
        const char *why = NULL;
        uint64_t size = 0, pmd = 0, pmd_aligned = 0, text = 0;
        bool stale = false, manual = false, configured = false;

        for (size_t i = 0; i < m->state->n_placements; i++) {
                const Placement *q = &m->state->placements[i];

                if (strcmp(q->zone, p->zone) != 0 || !q->program || strcmp(q->program, p->source) != 0)
                        continue;
                json_object_array_add(files, jstr(q->source));
                size += q->size;
                /* As recorded when the copy was written: nothing is read here. */
                if (q->layout_known) {
                        _cleanup_free_ char *w = NULL;

                        pmd += q->layout.windows;
                        pmd_aligned += q->layout.aligned_windows;
                        text += q->layout.text_bytes;
                        if (placement_layout_warning(q->copy, &q->layout, &w) >= 0 && w)
                                json_object_array_add(misaligned, jstr(w));
                }
                /* Computed once per refresh (manager_update_staleness()): it may hash. */
                if (!stale && i < m->n_placement_stale && m->placement_stale[i]) {
                        stale = true;
                        why = m->placement_stale_why[i];
                }
        }
        if (!stale) {
                watch_closure_why(m, p->zone, p->source, &why);
                stale = why != NULL;
        }
        for (size_t i = 0; m->config && i < m->config->n_placements; i++) {
                const ConfigPlacement *c = &m->config->placements[i];

                if (strcmp(c->program, p->source) == 0 &&
                    strcmp(m->config->zones[c->zone_index].path, p->zone) == 0) {
                        free(sec);
                        sec = asprintf_safe("Placement %s", c->name);
                        if (!sec) { /* out of memory: dropped by objects_push() */
                                json_object_put(files);
                                json_object_put(restart);
                                json_object_put(misaligned);
                                json_object_put(raised);
                                json_object_put(o);
                                return NULL;
                        }
                        manual = c->refresh_manual;
                        configured = true;
                }
        }
        if (!configured && p->has_activation)
                manual = p->refresh_manual;
        /* The program headers of the program's copy whose p_align was raised to 2 MiB, as
         * recorded ("PHDR WAS"): only a program's copy has them (place_copy_align_pmd()). */
        for (size_t k = 0; k < p->n_aligned; k++) {
                _cleanup_free_ char *s =
                        asprintf_safe("%" PRIu32 " %" PRIu64, p->aligned[k].phdr, p->aligned[k].was);

                if (s)
                        json_object_array_add(raised, jstr(s));
        }
        for (size_t i = 0; i < m->n_restart; i++) {
                _cleanup_free_ char *s = NULL;

                if (strcmp(m->restart[i].zone, p->zone) != 0 ||
                    strcmp(m->restart[i].program, p->source) != 0)
                        continue;
                s = asprintf_safe("%d %s %s", (int) m->restart[i].pid, m->restart[i].unit,
                                  m->restart[i].comm);
                if (s)
                        json_object_array_add(restart, jstr(s));
        }
        PLACEMENT_PROPERTIES(PROP_ADD);
        return o;
}

static struct json_object *job_json(const Job *j) {
        struct json_object *o = json_object_new_object();

        JOB_PROPERTIES(PROP_ADD);
        return o;
}

/* The platform's memory facts (lib/memory.h): the memory tiers ("memory_tier4 0-1": the tier and
 * its nodes) and every dax device, daxmgr's or not, one line each (dax_dev_describe()). */
static struct json_object *memory_tiers_json(const MemoryPlatform *mp) {
        struct json_object *tiers = json_object_new_array();

        for (size_t i = 0; mp && i < mp->n_tiers; i++) {
                _cleanup_free_ char *s =
                        asprintf_safe("memory_tier%u %s", mp->tiers[i].id, mp->tiers[i].nodelist);

                if (s)
                        json_object_array_add(tiers, jstr(s));
        }
        return tiers;
}

static struct json_object *dax_devices_json(const MemoryPlatform *mp) {
        struct json_object *devs = json_object_new_array();

        for (size_t i = 0; mp && i < mp->n_devs; i++) {
                _cleanup_free_ char *s = NULL;

                if (dax_dev_describe(&mp->devs[i], &s) >= 0)
                        json_object_array_add(devs, jstr(s));
        }
        return devs;
}

static struct json_object *manager_json(Manager *m) {
        struct json_object *o = json_object_new_object(), *files = json_object_new_array(),
                           *warnings = json_object_new_array(), *problems = json_object_new_array(),
                           *jobs = json_object_new_array(), *polled = json_object_new_array(),
                           *tiers = memory_tiers_json(m->memory), *devs = dax_devices_json(m->memory);
        const char *state;

        if (!m->started)
                state = "starting";
        else if (m->running)
                state = "busy";
        else if (m->config_error || m->plan_error)
                state = "degraded";
        else {
                state = "idle";
                /* Waiting for a region (and what waits on it) is normal; a conflict or a
                 * region without room needs someone. */
                for (size_t i = 0; m->plan && i < m->plan->n_problems; i++)
                        if (m->plan->problems[i].kind == RECONCILE_CONFLICT ||
                            m->plan->problems[i].kind == RECONCILE_NO_ROOM ||
                            m->plan->problems[i].kind == RECONCILE_STALE)
                                state = "degraded";
        }
        for (size_t i = 0; m->config && i < m->config->n_files; i++)
                json_object_array_add(files, jstr(m->config->files[i]));
        for (size_t i = 0; m->config_warnings && m->config_warnings[i]; i++)
                json_object_array_add(warnings, jstr(m->config_warnings[i]));
        if (m->plan_error) {
                _cleanup_free_ char *s = NULL;

                s = asprintf_safe("error: %s", m->plan_error);
                json_object_array_add(problems, jstr(s ?: m->plan_error));
        }
        for (size_t i = 0; m->plan && i < m->plan->n_problems; i++) {
                _cleanup_free_ char *s = NULL;

                s = asprintf_safe("%s: %s", reconcile_problem_kind_to_string(m->plan->problems[i].kind),
                                  m->plan->problems[i].message);
                json_object_array_add(problems, jstr(s ?: m->plan->problems[i].message));
        }
        for (size_t i = 0; i < m->n_jobs; i++)
                json_object_array_add(jobs, jstr(m->jobs[i]->path));
        for (size_t i = 0; m->polled && m->polled[i]; i++)
                json_object_array_add(polled, jstr(m->polled[i]));
        MANAGER_PROPERTIES(PROP_ADD);
        return o;
}

/* ---------------------------------------------------------------- sync and change signals */

static int objects_push(BusObject **a, size_t *n, char *path, BusObjectKind kind,
                        struct json_object *props) {
        BusObject *na;

        if (!path || !props) {
                free(path);
                json_object_put(props);
                return -ENOMEM;
        }
        na = realloc(*a, (*n + 1) * sizeof(BusObject));
        if (!na) {
                free(path);
                json_object_put(props);
                return -ENOMEM;
        }
        *a = na;
        na[(*n)++] = (BusObject){ .path = path, .kind = kind, .props = props };
        return 0;
}

static const BusObject *objects_find(const BusObject *a, size_t n, const char *path) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(a[i].path, path) == 0)
                        return &a[i];
        return NULL;
}

static void objects_free(BusObject *a, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(a[i].path);
                json_object_put(a[i].props);
        }
        free(a);
}

void bus_flush_objects(Manager *m) {
        BusObject *a = NULL, *old;
        size_t n = 0, n_old;

        if (!m->objects_dirty)
                return;
        m->objects_dirty = false;
        if (m->sync_source)
                (void) sd_event_source_set_enabled(m->sync_source, SD_EVENT_OFF);
        m->n_syncs++;
        old = m->objects;
        n_old = m->n_objects;

        (void) objects_push(&a, &n, strdup(ROOT_PATH), BUS_OBJECT_MANAGER, manager_json(m));
        for (size_t i = 0; m->topology && i < m->topology->n_regions; i++) {
                const TopoRegion *r = &m->topology->regions[i];

                (void) objects_push(&a, &n, object_path(ROOT_PATH "/region", r->dev), BUS_OBJECT_REGION,
                                    region_json(m->topology, r));
                for (size_t k = 0; k < r->n_namespaces; k++)
                        (void) objects_push(&a, &n,
                                            object_path(ROOT_PATH "/namespace", r->namespaces[k].dev),
                                            BUS_OBJECT_NAMESPACE, namespace_json(m, r, &r->namespaces[k]));
        }
        for (size_t i = 0; m->state && i < m->state->n_zones; i++)
                (void) objects_push(&a, &n, object_path(ROOT_PATH "/zone", m->state->zones[i]),
                                    BUS_OBJECT_ZONE, zone_json(m, m->state->zones[i]));
        for (size_t i = 0; m->state && i < m->state->n_placements; i++) {
                const Placement *p = &m->state->placements[i];
                _cleanup_free_ char *key = NULL;

                if (p->role != PLACE_PROGRAM)
                        continue;
                key = placement_key(p->zone, p->source);
                if (key)
                        (void) objects_push(&a, &n, object_path(ROOT_PATH "/placement", key),
                                            BUS_OBJECT_PLACEMENT, placement_json(m, p));
        }
        for (size_t i = 0; i < m->n_jobs; i++)
                (void) objects_push(&a, &n, strdup(m->jobs[i]->path), BUS_OBJECT_JOB, job_json(m->jobs[i]));

        m->objects = a;
        m->n_objects = n;

        if (m->bus) {
                for (size_t i = 0; i < n_old; i++)
                        if (!objects_find(a, n, old[i].path) && old[i].kind != BUS_OBJECT_MANAGER) {
                                (void) sd_bus_emit_interfaces_removed(m->bus, old[i].path,
                                                                      kinds[old[i].kind].interface, NULL);
                                m->n_sync_signals++;
                        }
                for (size_t i = 0; i < n; i++) {
                        const BusObject *o = objects_find(old, n_old, a[i].path);
                        const char *changed[32];
                        size_t n_changed = 0;

                        if (!o) {
                                if (a[i].kind != BUS_OBJECT_MANAGER) {
                                        (void) sd_bus_emit_interfaces_added(
                                                m->bus, a[i].path, kinds[a[i].kind].interface, NULL);
                                        m->n_sync_signals++;
                                }
                                continue;
                        }
                        json_object_object_foreach(a[i].props, key, value) {
                                struct json_object *ov = NULL;

                                if (n_changed + 1 >= ELEMENTSOF(changed))
                                        break;
                                if (!json_object_object_get_ex(o->props, key, &ov) ||
                                    !json_object_equal(ov, value))
                                        changed[n_changed++] = key;
                        }
                        changed[n_changed] = NULL;
                        if (n_changed > 0) {
                                (void) sd_bus_emit_properties_changed_strv(
                                        m->bus, a[i].path, kinds[a[i].kind].interface, (char **) changed);
                                m->n_sync_signals++;
                        }
                }
        }
        objects_free(old, n_old);
        metrics_textfile_changed(m);
}

static int on_sync(sd_event_source *s, void *userdata) {
        bus_flush_objects(userdata);
        return 0;
}

/* As systemd's dispatch queues: a change marks the objects dirty, and one deferred event source
 * rebuilds them once for everything the current callback changed (all the progress lines one
 * read brought, a job's end and the refresh after it). It comes before the bus's own source
 * (SD_EVENT_PRIORITY_NORMAL), so a method call or property read that follows a change is
 * answered from the objects that include it; what emits a signal of its own (JobNew, Completed,
 * JobRemoved, Reconciled) flushes first, so PropertiesChanged keeps its place before them. */
void bus_sync_objects(Manager *m) {
        int r;

        m->n_sync_requests++;
        m->objects_dirty = true;
        /* No event loop serves the bus (the unit test pumps a socket pair by hand): now. */
        if (!m->event || (m->bus && sd_bus_get_event(m->bus) != m->event)) {
                bus_flush_objects(m);
                return;
        }
        if (!m->sync_source) {
                r = sd_event_add_defer(m->event, &m->sync_source, on_sync, m);
                if (r < 0) {
                        bus_flush_objects(m);
                        return;
                }
                (void) sd_event_source_set_priority(m->sync_source, SD_EVENT_PRIORITY_NORMAL - 10);
                (void) sd_event_source_set_description(m->sync_source, "bus-sync");
        }
        (void) sd_event_source_set_enabled(m->sync_source, SD_EVENT_ONESHOT);
}

void bus_job_new(Manager *m, Job *j) {
        bus_flush_objects(m);
        if (m->bus)
                (void) sd_bus_emit_signal(m->bus, ROOT_PATH, "org.daxmgr1.Manager", "JobNew", "uos", j->id,
                                          j->path, job_type_to_string(j->type));
}

void bus_job_completed(Manager *m, Job *j) {
        bus_flush_objects(m);
        log_debug("Job %" PRIu32 " completed; the bus objects so far: %" PRIu64 " changes, %" PRIu64
                  " rebuilds, %" PRIu64 " change signals.",
                  j->id, m->n_sync_requests, m->n_syncs, m->n_sync_signals);
        if (!m->bus)
                return;
        (void) sd_bus_emit_signal(m->bus, j->path, "org.daxmgr1.Job", "Completed", "bss",
                                  j->state == JOB_DONE, j->error_name ?: "", j->message ?: "");
        (void) sd_bus_emit_signal(m->bus, ROOT_PATH, "org.daxmgr1.Manager", "JobRemoved", "uos", j->id,
                                  j->path, j->state == JOB_DONE ? "done" : "failed");
}

void bus_emit_reconciled(Manager *m, unsigned steps, unsigned problems) {
        bus_flush_objects(m);
        if (m->bus)
                (void) sd_bus_emit_signal(m->bus, ROOT_PATH, "org.daxmgr1.Manager", "Reconciled", "uu",
                                          steps, problems);
}

/* ---------------------------------------------------------------- getters, find, enumerate */

static const BusObject *object_lookup(Manager *m, const char *path, BusObjectKind kind) {
        const BusObject *o = objects_find(m->objects, m->n_objects, path);

        return o && o->kind == kind ? o : NULL;
}

static BusObjectKind kind_of_interface(const char *interface) {
        for (BusObjectKind k = 0; k < _BUS_OBJECT_KIND_MAX; k++)
                if (strcmp(kinds[k].interface, interface) == 0)
                        return k;
        return _BUS_OBJECT_KIND_MAX;
}

/* A string that came from the disk (a file name, a message with one) need not be UTF-8, which
 * sd-bus refuses to send: such bytes go out as '?'. */
static int append_string(sd_bus_message *reply, char type, const char *s) {
        _cleanup_free_ char *copy = NULL;

        if (type == 's' && s) {
                copy = strdup(s);
                if (!copy)
                        return -ENOMEM;
                s = utf8_make_valid(copy);
        }
        return sd_bus_message_append_basic(reply, type, s);
}

/* Replies with @j as JSON text, made valid UTF-8 (see append_string()). */
int reply_json(sd_bus_message *msg, struct json_object *j) {
        _cleanup_free_ char *s =
                strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY) ?: "null");

        if (!s)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "s", utf8_make_valid(s));
}

int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        BusObjectKind k = kind_of_interface(interface);
        const BusObject *o;
        struct json_object *v;
        const char *sig = NULL;

        if (k == _BUS_OBJECT_KIND_MAX || !(o = object_lookup(m, path, k)))
                return bus_error_setf_utf8(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "No object %s", path);
        for (const PropDef *p = kinds[k].props; p->name; p++)
                if (strcmp(p->name, property) == 0)
                        sig = p->sig;
        if (!sig || !json_object_object_get_ex(o->props, property, &v))
                return bus_error_setf_utf8(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "No property %s", property);

        switch (sig[0]) {
        case 's':
                return append_string(reply, 's', json_object_get_string(v));
        case 'o':
                return sd_bus_message_append(reply, "o", json_object_get_string(v));
        case 'b':
                return sd_bus_message_append(reply, "b", (int) json_object_get_boolean(v));
        case 't':
                return sd_bus_message_append(reply, "t", json_object_get_uint64(v));
        case 'u':
                return sd_bus_message_append(reply, "u", (uint32_t) json_object_get_int64(v));
        case 'i':
                return sd_bus_message_append(reply, "i", (int32_t) json_object_get_int(v));
        case 'd':
                return sd_bus_message_append(reply, "d", json_object_get_double(v));
        case 'a': {
                int r = sd_bus_message_open_container(reply, 'a', sig + 1);

                for (size_t i = 0; r >= 0 && i < json_object_array_length(v); i++)
                        r = append_string(reply, sig[1],
                                          json_object_get_string(json_object_array_get_idx(v, i)));
                return r < 0 ? r : sd_bus_message_close_container(reply);
        }
        }
        return -EINVAL;
}

int object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                sd_bus_error *error) {
        Manager *m = userdata;
        BusObjectKind k = kind_of_interface(interface);

        if (k == _BUS_OBJECT_KIND_MAX || !object_lookup(m, path, k))
                return 0;
        *found = m;
        return 1;
}

int object_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        size_t n = 0, len = strlen(prefix);
        char **l = calloc(m->n_objects + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_objects; i++)
                if (strncmp(m->objects[i].path, prefix, len) == 0 && m->objects[i].path[len] == '/') {
                        l[n] = strdup(m->objects[i].path);
                        if (!l[n]) {
                                strv_free(l);
                                return -ENOMEM;
                        }
                        n++;
                }
        *nodes = l;
        return 0;
}
