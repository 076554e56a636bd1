/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The worker's calls (worker.h): what the daemon asks of daxmgrd-worker that is not a job, so
 * that the daemon's own process loads none of the libraries it takes (libndctl, libelf,
 * libblkid, libmount). The request names the call ({"call": "topology", "name": "daxmgrd-topo"},
 * the name is the process's for ps); the answer is one JSON document on fd 3 (child-call.h), and
 * the worker exits 0 when it wrote one. The check writes JSON lines instead (watch.c reads them).
 *
 *   topology        a snapshot (manager_refresh())
 *   check           the check child (watch.c): hashes, closures, processes on superseded copies
 *   plan            GetPlan, VerifyProcess and VerifyPath (bus-calls.c): {"reply": TEXT},
 *   verify-process  {"error": NAME, "message": TEXT} or {"errno": N}
 *   verify-path */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bus-error.h"
#include "context.h"
#include "dax-mount.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "proc-maps.h"
#include "reconcile-run.h"
#include "strv.h"
#include "topology.h"
#include "worker.h"
#include "xip-verify.h"

static void ctx_log(void *userdata, int priority, const char *message) {
        log_full(priority, "%s", message);
}

struct json_object *worker_topology_json(char **ret_error) {
        _cleanup_dax_context_ DaxContext *c = NULL;
        _cleanup_topology_ Topology *t = NULL;
        int r;

        /* A fresh library context for each snapshot: objects reached through libdaxctl (the
         * device-dax instances of a namespace made after the context) could stay as first seen. */
        r = dax_context_new(&c);
        if (r < 0) {
                (void) error_set(ret_error, r, "cannot start libndctl: %s", strerror(-r));
                return NULL;
        }
        dax_context_set_log(c, ctx_log, NULL, LOG_WARNING);
        r = topology_snapshot(c, 0, &t, ret_error);
        if (r < 0)
                return NULL;
        return topology_to_json(t);
}

/* {"topology": {…}}, or {"errno": N, "message": "…"}: a snapshot the daemon could not take is a
 * sentence for its log, not a failed call. */
static struct json_object *call_topology(void) {
        _cleanup_free_ char *error = NULL;
        struct json_object *o = json_object_new_object(), *t;

        if (!o)
                return NULL;
        t = worker_topology_json(&error);
        if (t)
                json_object_object_add(o, "topology", t);
        else {
                json_object_object_add(o, "errno", json_object_new_int(ENODATA));
                json_object_object_add(o, "message", json_object_new_string(error_message(error, -ENODATA)));
        }
        return o;
}

/* ---------------------------------------------------------------- the check */

/* What the check works on: the daemon's placement state (read again from its directory), its
 * hash cache and the inodes of the copies it has seen. */
typedef struct CheckInput {
        PlaceState *state;
        PlaceHashCache hash_cache;
        CopyInode *copy_inodes;
        size_t n_copy_inodes;
} CheckInput;

static void emit(FILE *f, struct json_object *o) {
        fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
}

/* Is (@dev, @ino) the copy of @program in @zone now? */
static bool is_current_copy(const PlaceState *s, const char *zone, const char *program, uint64_t dev,
                            uint64_t ino) {
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                struct stat st;

                if (strcmp(p->zone, zone) == 0 && strcmp(p->program, program) == 0 &&
                    stat(p->copy, &st) >= 0 && (uint64_t) st.st_dev == dev && (uint64_t) st.st_ino == ino)
                        return true;
        }
        return false;
}

/* Processes that map a copy that is no longer the one placed (replaced by a refresh), or the copy
 * of a stale program. Found by device and inode, whatever path the process's maps show: a copy
 * bound over the original in a service (BindReadOnlyPaths=) shows the original's name, or none
 * that leads anywhere once the copy is replaced. */
static void scan_processes(CheckInput *m, FILE *out, char **stale_programs) {
        const PlaceState *s = m->state;
        DIR *d = opendir("/proc");

        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_(maps_freep) Maps *maps = NULL;
                char **seen = NULL;
                pid_t pid;
                char *end;
                long v = strtol(de->d_name, &end, 10);

                if (*end || v <= 0 || v == (long) getpid())
                        continue;
                pid = (pid_t) v;
                if (maps_read(pid, &maps) < 0)
                        continue;
                for (size_t i = 0; i < maps->n; i++) {
                        const MapsEntry *e = &maps->entries[i];
                        uint64_t dev = (uint64_t) makedev(e->dev_major, e->dev_minor);

                        if (e->inode == 0)
                                continue;
                        for (size_t k = 0; k < m->n_copy_inodes; k++) {
                                const CopyInode *c = &m->copy_inodes[k];
                                _cleanup_free_ char *key = NULL, *unit = NULL, *comm = NULL, *cpath = NULL;
                                struct json_object *o;

                                if (c->dev != dev || c->ino != e->inode)
                                        continue;
                                if (is_current_copy(s, c->zone, c->program, dev, e->inode) &&
                                    !strv_contains(stale_programs, c->program))
                                        continue;
                                if (asprintf(&key, "%s\n%s", c->zone, c->program) < 0 ||
                                    strv_contains(seen, key))
                                        continue;
                                (void) strv_extend(&seen, key);
                                unit = pid_unit(pid);
                                if (asprintf(&cpath, "/proc/%d/comm", (int) pid) >= 0 &&
                                    read_full_file(cpath, 4096, &comm, NULL) >= 0)
                                        comm[strcspn(comm, "\n")] = '\0';
                                o = json_object_new_object();
                                json_object_object_add(o, "restart", json_object_new_boolean(true));
                                json_object_object_add(o, "zone", json_object_new_string(c->zone));
                                json_object_object_add(o, "program", json_object_new_string(c->program));
                                json_object_object_add(o, "pid", json_object_new_int((int) pid));
                                json_object_object_add(o, "unit", json_object_new_string(unit ?: "-"));
                                json_object_object_add(o, "comm", json_object_new_string(comm ?: "?"));
                                json_object_object_add(o, "file", json_object_new_string(e->path ?: ""));
                                emit(out, o);
                        }
                }
                strv_free(seen);
        }
        (void) closedir(d);
}

/* One entry of the hash cache, for the daemon's. */
static void emit_hash(FILE *out, const PlaceHashEntry *e) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "dev", json_object_new_uint64(e->dev));
        json_object_object_add(o, "ino", json_object_new_uint64(e->ino));
        json_object_object_add(o, "size", json_object_new_uint64(e->size));
        json_object_object_add(o, "mtime_ns", json_object_new_int64(e->mtime_ns));
        json_object_object_add(o, "ctime_ns", json_object_new_int64(e->ctime_ns));
        json_object_object_add(o, "sha256", json_object_new_string(e->sha256));
        emit(out, o);
}

_Noreturn static void check_child(CheckInput *m, int fd) {
        FILE *out = fdopen(fd, "w");
        const PlaceState *s = m->state;
        char **stale = NULL;

        if (!out || !s)
                _exit(out ? 0 : 1);
        /* Hash what changed identity (each identity once: the parent's cache came with the fork),
         * and the copy of a placement whose hash is pending, which the comparison then needs. */
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                const PlaceHashEntry *e;
                char sha[65];
                struct stat st, cst;
                PlaceCheck c;

                if (stat(p->source, &st) < 0)
                        continue;
                if ((uint64_t) st.st_ino == p->ino && (uint64_t) st.st_dev == p->dev &&
                    (uint64_t) st.st_size == p->size &&
                    (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec == p->mtime_ns &&
                    (p->ctime_ns == 0 ||
                     (int64_t) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec == p->ctime_ns))
                        continue;
                if (place_hash_cache_find(&m->hash_cache, &st) &&
                    (!p->hash_pending || placement_copy_hash(p, &m->hash_cache, false, sha, NULL) != 0))
                        continue;
                if (placement_check(p, &m->hash_cache, true, &c, NULL) < 0)
                        continue;
                if ((e = place_hash_cache_find(&m->hash_cache, &st)))
                        emit_hash(out, e);
                if (p->hash_pending && placement_copy_hash(p, &m->hash_cache, false, sha, &cst) > 0 &&
                    (e = place_hash_cache_find(&m->hash_cache, &cst)))
                        emit_hash(out, e);
        }
        /* Library closures, and which programs are stale now. */
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *why = NULL;
                bool st = false;

                if (p->role != PLACE_PROGRAM)
                        continue;
                if (placement_closure_changed(s, p->zone, p->source, &why) >= 0 && why) {
                        struct json_object *o = json_object_new_object();

                        json_object_object_add(o, "closure", json_object_new_string(why));
                        json_object_object_add(o, "zone", json_object_new_string(p->zone));
                        json_object_object_add(o, "program", json_object_new_string(p->source));
                        emit(out, o);
                }
                if (why || (reconcile_program_stale(
                                    s, p->zone, p->source,
                                    &(ReconcileStaleness){ .cache = &m->hash_cache, .may_hash = true }, &st,
                                    NULL) >= 0 &&
                            st))
                        (void) strv_extend(&stale, p->source);
        }
        scan_processes(m, out, stale);
        (void) fflush(out);
        _exit(0);
}

_Noreturn static void call_check(struct json_object *request, int fd) {
        CheckInput in = {};
        struct json_object *v;
        const char *state_dir = NULL;

        if (json_object_object_get_ex(request, "state_dir", &v))
                state_dir = json_object_get_string(v);
        if (!state_dir || place_state_load(state_dir, &in.state, NULL) < 0)
                in.state = NULL; /* nothing to check */
        if (worker_hashes_from_json(request, &in.hash_cache) < 0)
                _exit(EXIT_FAILURE);
        if (json_object_object_get_ex(request, "copy_inodes", &v) &&
            json_object_is_type(v, json_type_array)) {
                size_t n = json_object_array_length(v);

                in.copy_inodes = calloc(n ?: 1, sizeof(CopyInode));
                if (!in.copy_inodes)
                        _exit(EXIT_FAILURE);
                for (size_t i = 0; i < n; i++) {
                        struct json_object *c = json_object_array_get_idx(v, i);

                        if (!json_object_is_type(c, json_type_array) || json_object_array_length(c) != 4)
                                continue;
                        in.copy_inodes[in.n_copy_inodes++] = (CopyInode){
                                .dev = json_object_get_uint64(json_object_array_get_idx(c, 0)),
                                .ino = json_object_get_uint64(json_object_array_get_idx(c, 1)),
                                .zone = (char *) json_object_get_string(json_object_array_get_idx(c, 2)),
                                .program = (char *) json_object_get_string(json_object_array_get_idx(c, 3)),
                        };
                        if (!in.copy_inodes[in.n_copy_inodes - 1].zone ||
                            !in.copy_inodes[in.n_copy_inodes - 1].program)
                                in.n_copy_inodes--;
                }
        }
        check_child(&in, fd);
}

/* ---------------------------------------------------------------- the bus calls */

/* The answer of a method, as bus-calls.c replies it. */
static struct json_object *reply_doc(int r, const char *error, struct json_object *result) {
        struct json_object *doc = json_object_new_object();

        if (!doc) {
                json_object_put(result);
                return NULL;
        }
        if (r >= 0 && result)
                json_object_object_add(
                        doc, "reply",
                        json_object_new_string(
                                json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY) ?: "null"));
        else if (r >= 0)
                json_object_object_add(doc, "errno", json_object_new_int(-ENOMEM));
        else {
                json_object_object_add(doc, "error", json_object_new_string(bus_error_name_for_errno(r)));
                json_object_object_add(doc, "message", json_object_new_string(error_message(error, r)));
        }
        json_object_put(result);
        return doc;
}

/* The closures the daemon's check found changed: [[zone, program, why], …]. */
static void closure_why(void *userdata, const char *zone, const char *program, const char **ret_why) {
        struct json_object *closures = userdata;

        *ret_why = NULL;
        for (size_t i = 0; closures && i < json_object_array_length(closures); i++) {
                struct json_object *c = json_object_array_get_idx(closures, i);
                const char *z = json_object_get_string(json_object_array_get_idx(c, 0)),
                           *p = json_object_get_string(json_object_array_get_idx(c, 1));

                if (z && p && strcmp(z, zone) == 0 && strcmp(p, program) == 0)
                        *ret_why = json_object_get_string(json_object_array_get_idx(c, 2));
        }
}

static const char *request_str(struct json_object *request, const char *key) {
        struct json_object *v;

        return json_object_object_get_ex(request, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

/* GetPlan: a new plan, not the daemon's (a call sees what no event announces), with the
 * daemon's configuration, topology, hash cache and closures: staleness as the daemon decides it,
 * by stat() and the cache only. */
static struct json_object *call_plan(struct json_object *request) {
        _cleanup_reconcile_plan_ ReconcilePlan *p = NULL;
        _cleanup_topology_ Topology *t = NULL;
        _cleanup_config_ Config *config = NULL;
        _cleanup_free_ char *error = NULL;
        struct json_object *v, *closures = NULL, *result = NULL;
        PlaceHashCache cache = {};
        int r;

        r = worker_config_from_json(request, &config, &error);
        if (r >= 0)
                r = worker_hashes_from_json(request, &cache);
        if (r >= 0 && !json_object_object_get_ex(request, "topology", &v))
                r = error_set(&error, -EINVAL, "the request has no topology");
        if (r >= 0)
                r = topology_from_json(v, &t, &error);
        if (r >= 0 && json_object_object_get_ex(request, "closures", &v) &&
            json_object_is_type(v, json_type_array))
                closures = v;
        if (r >= 0)
                r = reconcile_compute(config ?: &(Config){}, t, NULL, request_str(request, "state_dir"),
                                      request_str(request, "dropin_root"),
                                      &(ReconcileStaleness){ .cache = &cache,
                                                             .closure_why = closure_why,
                                                             .userdata = closures },
                                      &p, &error);
        if (r >= 0)
                r = reconcile_plan_to_json(p, &result);
        place_hash_cache_done(&cache);
        return reply_doc(r, error, result);
}

static struct json_object *call_verify_process(struct json_object *request) {
        _cleanup_(xip_report_freep) XipReport *report = NULL;
        _cleanup_free_ char *error = NULL;
        struct json_object *v;
        int r;

        if (!json_object_object_get_ex(request, "pid", &v) || !json_object_is_type(v, json_type_int))
                return reply_doc(-EINVAL, "the request has no pid", NULL);
        r = xip_verify_process((pid_t) json_object_get_int(v), NULL, &report, &error);
        return reply_doc(r, error, r >= 0 ? xip_report_to_json(report) : NULL);
}

/* As the daemon's bus-internal.h: a missing string is "", as the methods answered before. */
static struct json_object *jstr(const char *s) {
        return json_object_new_string(s ?: "");
}

/* The region (and its kind) whose namespace's block device is @blockdev: what MAP_SYNC's answer
 * comes from. Returns the kind (REGION_KIND_UNKNOWN when no region has that device). */
static RegionKind path_region_json(const Topology *t, const char *blockdev, struct json_object *j) {
        const TopoRegion *found = NULL;

        for (size_t i = 0; blockdev && t && i < t->n_regions && !found; i++)
                for (size_t k = 0; k < t->regions[i].n_namespaces; k++) {
                        const TopoNamespace *n = &t->regions[i].namespaces[k];

                        if (n->blockdev && strcmp(n->blockdev, blockdev) == 0) {
                                found = &t->regions[i];
                                break;
                        }
                }
        json_object_object_add(j, "region", found ? jstr(found->dev) : NULL);
        json_object_object_add(j, "kind", found ? jstr(region_kind_to_string(found->kind)) : NULL);
        json_object_object_add(j, "flush", found ? jstr(region_flush(found->kind)) : NULL);
        return found ? found->kind : REGION_KIND_UNKNOWN;
}

static struct json_object *call_verify_path(struct json_object *request) {
        _cleanup_topology_ Topology *t = NULL;
        _cleanup_free_ char *error = NULL;
        const char *path = request_str(request, "path");
        struct json_object *j, *v;
        DaxPathInfo i = {};
        RegionKind kind;
        int r;

        if (!path)
                return reply_doc(-EINVAL, "the request has no path", NULL);
        if (json_object_object_get_ex(request, "topology", &v) && topology_from_json(v, &t, NULL) < 0)
                t = NULL;
        r = dax_path_check(path, &i, &error);
        if (r < 0)
                return reply_doc(r, error, NULL);
        j = json_object_new_object();
        if (!j) {
                dax_path_info_done(&i);
                return reply_doc(-ENOMEM, NULL, NULL);
        }
        json_object_object_add(j, "path", jstr(i.path));
        json_object_object_add(j, "type", jstr(i.is_dir ? "directory" : "file"));
        json_object_object_add(j, "dax", json_object_new_boolean(i.dax));
        json_object_object_add(j, "fs", jstr(i.fstype));
        json_object_object_add(j, "source", jstr(i.source));
        json_object_object_add(j, "mountpoint", jstr(i.mountpoint));
        json_object_object_add(j, "dax_mode", jstr(dax_mode_to_string(i.dax_mode)));
        json_object_object_add(j, "device", jstr(i.device));
        json_object_object_add(j, "why_not", jstr(i.why_not));
        json_object_object_add(j, "map_sync",
                               i.map_sync < 0 ? NULL : json_object_new_boolean(i.map_sync > 0));
        kind = path_region_json(t, i.device, j);
        /* The kernel's answer is reported as it is; where it contradicts the region's kind
         * (MAP_SYNC granted on virtio-pmem), what that means is said next to it. */
        json_object_object_add(j, "map_sync_warning",
                               jstr(region_kind_map_sync_contradiction(kind, i.map_sync)));
        dax_path_info_done(&i);
        return reply_doc(0, NULL, j);
}

_Noreturn void worker_call_run(struct json_object *request, int fd) {
        struct json_object *v, *result = NULL;
        const char *call = NULL;
        const char *s;

        if (json_object_object_get_ex(request, "log_level", &v) && json_object_is_type(v, json_type_int))
                log_max_priority = json_object_get_int(v);
        if (json_object_object_get_ex(request, "name", &v) && json_object_is_type(v, json_type_string))
                (void) prctl(PR_SET_NAME, json_object_get_string(v));
        if (json_object_object_get_ex(request, "call", &v) && json_object_is_type(v, json_type_string))
                call = json_object_get_string(v);
        if (call && strcmp(call, "topology") == 0)
                result = call_topology();
        else if (call && strcmp(call, "check") == 0)
                call_check(request, fd);
        else if (call && strcmp(call, "plan") == 0)
                result = call_plan(request);
        else if (call && strcmp(call, "verify-process") == 0)
                result = call_verify_process(request);
        else if (call && strcmp(call, "verify-path") == 0)
                result = call_verify_path(request);
        else
                log_error("The worker has no call \"%s\".", call ?: "?");
        s = result ? json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN) : NULL;
        _exit(s && write_string_fd(fd, s) >= 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
