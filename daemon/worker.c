/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The worker (worker.h): one job, in its own process, exec'd by the daemon. It reports to the
 * daemon over fd 3, one JSON object per line: {"progress": 0.4, "text": "…"} while it works,
 * {"log": {"priority": 6, "text": "…", "fields": {"MESSAGE_ID": "…", …}}} for a key event the
 * daemon logs, then exactly one {"ok": true, "result": {…}} or {"ok": false, "errno": N,
 * "message": "…"}. A worker that dies without the last line (killed, crashed) is a failed job;
 * the next reconcile converges from whatever it left, since every lib operation is atomic or
 * undone on failure. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libmount.h>

#include "dax-mount.h"
#include "error.h"
#include "format.h"
#include "log.h"
#include "manager.h"
#include "messages.h"
#include "mount-util.h"
#include "namespace.h"
#include "reconcile-run.h"
#include "strv.h"
#include "worker.h"

#define RECONCILE_MAX_ROUNDS 256

/* Writes all of @s, or stops at the first error: the daemon reading the other end is gone, and
 * a worker has no one else to tell. */
static void write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, s, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                s += k;
                n -= (size_t) k;
        }
}

static void emit(int fd, struct json_object *o) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

        /* Lines are short; a pipe write of less than PIPE_BUF is atomic. */
        write_all(fd, s, strlen(s));
        write_all(fd, "\n", 1);
        json_object_put(o);
}

static void progress(int fd, double fraction, const char *fmt, ...) _printf_(3, 4);
static void progress(int fd, double fraction, const char *fmt, ...) {
        struct json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                text = NULL;
        va_end(ap);
        json_object_object_add(o, "progress", json_object_new_double(fraction));
        json_object_object_add(o, "text", json_object_new_string(text ?: ""));
        emit(fd, o);
}

/* A key event of the job, with its journal fields (messages.h): the daemon logs it from its own
 * process with the job's (job_handle_line()), so that the journal files it under the unit even
 * when this worker has exited before journald reads it (log.c). */
static void event(int fd, int priority, const LogField *fields, const char *fmt, ...) _printf_(4, 5);
static void event(int fd, int priority, const LogField *fields, const char *fmt, ...) {
        struct json_object *o, *l, *f;
        _cleanup_free_ char *text = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                text = NULL;
        va_end(ap);
        if (!text)
                return; /* out of memory: the job's own lines still say what happened */
        o = json_object_new_object();
        l = json_object_new_object();
        f = json_object_new_object();
        for (size_t i = 0; fields && fields[i].name; i++)
                if (fields[i].value)
                        json_object_object_add(f, fields[i].name, json_object_new_string(fields[i].value));
        json_object_object_add(l, "priority", json_object_new_int(priority));
        json_object_object_add(l, "text", json_object_new_string(text));
        json_object_object_add(l, "fields", f);
        json_object_object_add(o, "log", l);
        emit(fd, o);
}

/* @dev is NULL when the new namespace was not found again: then it is named by @name. */
static void event_namespace_created(int fd, const char *dev, const char *name, const char *region,
                                    NamespaceMode mode) {
        event(fd, LOG_INFO,
              LOG_FIELDS({ "MESSAGE_ID", DAXMGR_MESSAGE_NAMESPACE_CREATED }, { "DAXMGR_NAMESPACE", dev },
                         { "DAXMGR_NAMESPACE_NAME", name }, { "DAXMGR_REGION", region }),
              "Created %s namespace %s%s%s%s%s in %s.", namespace_mode_to_string(mode) ?: "?", dev ?: "",
              dev && name ? " " : "", name ? "\"" : "", name ?: "", name ? "\"" : "", region ?: "?");
}

/* @n: the namespace as found before the mount (NULL if it was not). */
static void event_dax_mount(int fd, int r, const char *error, const TopoNamespace *n, const char *blockdev,
                            const char *mount_point, DaxMode dax) {
        const LogField *f = LOG_FIELDS(
                { "MESSAGE_ID", r >= 0 ? DAXMGR_MESSAGE_DAX_MOUNTED : DAXMGR_MESSAGE_DAX_REFUSED },
                { "DAXMGR_NAMESPACE", n ? n->dev : NULL }, { "DAXMGR_NAMESPACE_NAME", n ? n->name : NULL },
                { "DAXMGR_MOUNT_POINT", mount_point });

        if (r >= 0)
                event(fd, LOG_INFO, f, "Mounted %s (%s) at %s with dax=%s: DAX is in effect.",
                      blockdev ?: "?", n ? n->dev : "?", mount_point ?: "?", dax_mode_to_string(dax));
        else
                event(fd, LOG_ERR, f, "%s", error_message(error, r));
}

static void event_zone_ready(int fd, const char *zone, const TopoNamespace *n) {
        event(fd, LOG_INFO,
              LOG_FIELDS({ "MESSAGE_ID", DAXMGR_MESSAGE_ZONE_READY }, { "DAXMGR_ZONE", zone },
                         { "DAXMGR_NAMESPACE", n ? n->dev : NULL }),
              "Zone %s is ready: new files in it are DAX.", zone);
}

static void event_placed(int fd, const char *zone, const char *program, bool with_libraries) {
        event(fd, LOG_INFO,
              LOG_FIELDS({ "MESSAGE_ID", DAXMGR_MESSAGE_PROGRAM_PLACED }, { "DAXMGR_ZONE", zone },
                         { "DAXMGR_PROGRAM", program }),
              "Placed %s%s in zone %s.", program, with_libraries ? " with its libraries" : "", zone);
}

/* A warning for each copy of @program in @zone whose 2 MiB windows of text do not all lie
 * aligned on the device (the layout recorded when it was copied), or could not be primed. */
static void event_layout_warnings(int fd, const PlaceState *s, const char *zone, const char *program) {
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *w = NULL;

                if (strcmp(p->zone, zone) != 0 || strcmp(p->program, program) != 0)
                        continue;
                if (p->layout_known && placement_layout_warning(p->copy, &p->layout, &w) >= 0 && w)
                        event(fd, LOG_WARNING,
                              LOG_FIELDS({ "DAXMGR_ZONE", zone }, { "DAXMGR_PROGRAM", program }), "%s.", w);
                w = mfree(w);
                if (placement_prime_warning(p, &w) >= 0 && w)
                        event(fd, LOG_WARNING,
                              LOG_FIELDS({ "DAXMGR_ZONE", zone }, { "DAXMGR_PROGRAM", program }), "%s.", w);
        }
}

/* The event of a reconcile step that succeeded, if it is one; @t is the snapshot it was planned on. */
static void event_step(int fd, DaxContext *c, const Topology *t, const ReconcileStep *s) {
        const TopoNamespace *n = NULL;

        if (s->namespace)
                (void) topology_find_namespace(t, s->namespace, NULL, &n);

        switch (s->type) {
        case RECONCILE_CREATE_NAMESPACE: {
                /* Its kernel name, which only a new look shows. */
                _cleanup_topology_ Topology *after = NULL;

                dax_context_invalidate(c);
                n = NULL;
                if (topology_snapshot(c, TOPOLOGY_NO_FILESYSTEMS, &after, NULL) >= 0)
                        (void) topology_find_namespace(after, s->namespace, NULL, &n);
                event_namespace_created(fd, n ? n->dev : NULL, s->namespace, s->region, s->ns.mode);
                break;
        }
        case RECONCILE_MOUNT: {
                _cleanup_free_ char *blockdev = NULL;

                if (!s->device && n && n->blockdev)
                        blockdev = asprintf_safe("/dev/%s", n->blockdev);
                event_dax_mount(fd, 0, NULL, n, s->device ?: blockdev, s->mount_point, s->dax);
                break;
        }
        case RECONCILE_CREATE_ZONE:
                event_zone_ready(fd, s->zone, n);
                break;
        case RECONCILE_PLACE:
                event_placed(fd, s->zone, s->program, s->with_libraries);
                break;
        case RECONCILE_CREATE_CXL_REGION:
        case RECONCILE_RECONFIGURE:
        case RECONCILE_FORMAT:
        case RECONCILE_DEVDAX_ACCESS:
        case RECONCILE_DEVDAX_MODE:
        case RECONCILE_REFRESH:
        case RECONCILE_WRITE_DROPIN:
        case RECONCILE_WRITE_ENTRY_POINT:
        case RECONCILE_BIND_HOST:
        case RECONCILE_DEACTIVATE:
        case RECONCILE_REMOVE_DROPIN:
        case RECONCILE_REMOVE_ENTRY:
        case RECONCILE_UNBIND_HOST:
        case RECONCILE_DESTROY_NAMESPACE:
        case _RECONCILE_STEP_TYPE_MAX:
        case _RECONCILE_STEP_TYPE_INVALID:
                break;
        }
}

_Noreturn static void finish(int fd, int r, const char *error, struct json_object *result) {
        struct json_object *o = json_object_new_object(), *t;

        /* The topology as the job left it, for the daemon's refresh after the job: the daemon
         * takes no snapshot itself. Without one, it asks for one (worker-call.c). */
        t = worker_topology_json(NULL);
        if (t) {
                struct json_object *line = json_object_new_object();

                json_object_object_add(line, "topology", t);
                emit(fd, line);
        }

        json_object_object_add(o, "ok", json_object_new_boolean(r >= 0));
        if (r >= 0)
                json_object_object_add(o, "result", result ?: json_object_new_object());
        else {
                json_object_object_add(o, "errno", json_object_new_int(-r));
                json_object_object_add(o, "message", json_object_new_string(error_message(error, r)));
                json_object_put(result);
        }
        emit(fd, o);
        _exit(r >= 0 ? 0 : 1);
}

static const char *arg_str(struct json_object *a, const char *key) {
        struct json_object *v;

        return json_object_object_get_ex(a, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

static bool arg_bool(struct json_object *a, const char *key, bool def) {
        struct json_object *v;

        return json_object_object_get_ex(a, key, &v) ? json_object_get_boolean(v) : def;
}

static uint64_t arg_u64(struct json_object *a, const char *key) {
        struct json_object *v;

        return json_object_object_get_ex(a, key, &v) ? json_object_get_uint64(v) : 0;
}

/* Has this section, or one it depends on, failed in this run? */
static bool section_failed(const Config *config, char **failed, const char *section) {
        _cleanup_free_ char *parent = NULL;

        if (!section)
                return false;
        if (strv_contains(failed, section))
                return true;
        if (reconcile_section_parent(config, section, &parent) < 0 || !parent)
                return false;
        return section_failed(config, failed, parent);
}

_Noreturn static void run_reconcile(WorkerJob *w, DaxContext *c, int fd) {
        _cleanup_free_ char *failures = NULL, *last = NULL;
        char **failed = NULL;
        unsigned done = 0, repeats = 0, n_failed = 0;
        int first_error = 0;

        {
                _cleanup_free_ char *error = NULL;
                char **recovered = NULL;
                int r;

                r = reconcile_recover(c, w->state_dir, &recovered, &error);
                if (r < 0)
                        finish(fd, r, error, NULL);
                for (size_t i = 0; recovered && recovered[i]; i++)
                        log_warning("%s", recovered[i]);
                strv_free(recovered);
        }

        for (unsigned round = 0; round < RECONCILE_MAX_ROUNDS; round++) {
                _cleanup_reconcile_plan_ ReconcilePlan *p = NULL;
                _cleanup_topology_ Topology *t = NULL;
                _cleanup_free_ char *error = NULL;
                _cleanup_strv_free_ char **warnings = NULL;
                const ReconcileStep *s = NULL;
                unsigned remaining = 0;
                int r;

                dax_context_invalidate(c);
                r = topology_snapshot(c, 0, &t, &error);
                if (r >= 0)
                        r = reconcile_compute(
                                w->config ?: &(Config){}, t, NULL, w->state_dir, w->dropin_root,
                                &(ReconcileStaleness){ .cache = &w->hash_cache,
                                                       .may_hash = true,
                                                       .closure_changed = placement_closure_changed },
                                &p, &error);
                if (r < 0)
                        finish(fd, r, error, NULL);

                for (size_t i = 0; i < p->n_steps; i++)
                        if (!section_failed(w->config, failed, p->steps[i].section)) {
                                if (!s)
                                        s = &p->steps[i];
                                remaining++;
                        }
                if (!s)
                        break;

                /* A step that succeeds but leaves the same plan behind makes no progress. */
                if (last && strcmp(last, s->description) == 0) {
                        if (++repeats >= 2) {
                                (void) strv_extend(&failed, s->section ?: "");
                                n_failed++;
                                if (!first_error)
                                        first_error = -EAGAIN;
                                log_error("%s: \"%s\" succeeded but changed nothing; giving up on it",
                                          s->section ?: "?", s->description);
                                continue;
                        }
                } else
                        repeats = 0;
                free(last);
                last = strdup(s->description ?: "");

                progress(fd, (double) done / (done + remaining), "%s (%u/%u)", s->description, done + 1,
                         done + remaining);
                r = reconcile_step_execute(c, t, s, w->state_dir, w->dropin_root, &warnings, &error);
                if (r < 0) {
                        const char *msg = error_message(error, r);
                        char *nf = NULL;

                        if (s->type == RECONCILE_MOUNT && r == -EOPNOTSUPP) {
                                /* DAX refused: the same line, with the event's fields. */
                                const TopoNamespace *n = NULL;

                                if (s->namespace)
                                        (void) topology_find_namespace(t, s->namespace, NULL, &n);
                                event(fd, LOG_ERR,
                                      LOG_FIELDS({ "MESSAGE_ID", DAXMGR_MESSAGE_DAX_REFUSED },
                                                 { "DAXMGR_NAMESPACE", n ? n->dev : NULL },
                                                 { "DAXMGR_NAMESPACE_NAME", n ? n->name : NULL },
                                                 { "DAXMGR_MOUNT_POINT", s->mount_point }),
                                      "%s: %s", s->section ?: "?", msg);
                        } else
                                log_error("%s: %s", s->section ?: "?", msg);
                        nf = asprintf_safe("%s%s%s: %s", failures ?: "", failures ? "; " : "",
                                           s->section ?: "?", msg);
                        if (nf) { /* out of memory: keep the failures listed so far */
                                free(failures);
                                failures = nf;
                        }
                        (void) strv_extend(&failed, s->section ?: "");
                        n_failed++;
                        if (!first_error)
                                first_error = r;
                        continue;
                }
                event_step(fd, c, t, s);
                /* Copies this step wrote that could not be primed: the Place job's warning
                 * (event_layout_warnings()), with its fields, the program by the file it
                 * resolves to. */
                if (warnings) {
                        _cleanup_free_ char *real = s->program ? realpath(s->program, NULL) : NULL;

                        for (size_t i = 0; warnings[i]; i++)
                                event(fd, LOG_WARNING,
                                      LOG_FIELDS({ "DAXMGR_ZONE", s->zone },
                                                 { "DAXMGR_PROGRAM", real ?: s->program }),
                                      "%s.", warnings[i]);
                }
                done++;
        }

        strv_free(failed);
        if (n_failed > 0) {
                _cleanup_free_ char *msg = NULL;

                msg = asprintf_safe("%u step(s) done, %u section(s) failed: %s", done, n_failed,
                                    failures ?: "a step made no progress");
                /* Without memory for the summary, the failures alone (or the errno's words). */
                finish(fd, first_error, msg ?: failures, NULL);
        }
        {
                struct json_object *res = json_object_new_object();

                json_object_object_add(res, "steps", json_object_new_int((int) done));
                finish(fd, 0, NULL, res);
        }
}

/* The namespace @key names, in a fresh snapshot (*ret_t), and its block device. */
static int find_blockdev(DaxContext *c, const char *key, Topology **ret_t, const TopoNamespace **ret_n,
                         char **ret, char **ret_error) {
        _cleanup_topology_ Topology *t = NULL;
        const TopoNamespace *n;
        const TopoRegion *tr;
        int r;

        r = topology_snapshot(c, TOPOLOGY_NO_FILESYSTEMS, &t, ret_error);
        if (r < 0)
                return r;
        r = topology_lookup_namespace(t, key, &tr, &n, ret_error);
        if (r < 0)
                return r;
        /* Format and mount: a namespace of a region daxmgr does not know is left alone. */
        r = topo_region_check_managed(tr, "format or mount a namespace of", ret_error);
        if (r < 0)
                return r;
        if (!n->blockdev)
                return error_set(ret_error, -ENODEV,
                                 "namespace %s is %s and has no block device; only fsdax "
                                 "namespaces hold file systems",
                                 n->dev, namespace_mode_to_string(n->mode));
        if (asprintf(ret, "/dev/%s", n->blockdev) < 0)
                return -ENOMEM;
        if (ret_n)
                *ret_n = n;
        if (ret_t)
                *ret_t = TAKE_PTR(t);
        return 0;
}

static bool mount_is_target(const char *path) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *t = NULL;

        return mount_table_load(NULL, &t) >= 0 && mount_table_find_target(t, path);
}

/* The progress of a Place job, in the words the job has always used. */
static void place_progress(PlaceActivateStep step, const PlaceActivation *a, void *userdata) {
        int fd = *(const int *) userdata;
        unsigned total = 2 + !!a->service + a->bind_host;

        switch (step) {
        case PLACE_ACTIVATE_PLACE:
                progress(fd, 0, "placing %s%s in %s", a->program,
                         a->with_libraries ? " with its libraries" : "", a->zone);
                break;
        case PLACE_ACTIVATE_ENTRY_POINT:
                progress(fd, 1.0 / total, "writing the entry point of %s", a->program);
                break;
        case PLACE_ACTIVATE_DROPIN:
                progress(fd, 2.0 / total, "writing a drop-in for %s", a->service);
                break;
        case PLACE_ACTIVATE_BIND_HOST:
                progress(fd, (total - 1.0) / total, "binding %s over %s", a->program, a->program);
                break;
        case _PLACE_ACTIVATE_STEP_MAX:
                break;
        }
}

static int job_create_namespace(DaxContext *c, struct json_object *a, int fd, struct json_object *res,
                                char **error) {
        _cleanup_free_ char *dev = NULL, *uuid = NULL, *raw_uuid = NULL;
        NamespaceCreate req = {
                .region = arg_str(a, "region"),
                .ns.mode = namespace_mode_from_string(arg_str(a, "mode") ?: "fsdax"),
                .ns.map = pfn_map_from_string(arg_str(a, "map") ?: "dev"),
                .ns.align = arg_u64(a, "align"),
                .name = arg_str(a, "name"),
        };
        int r;

        r = size_spec_parse(arg_str(a, "size") ?: "rest", &req.ns.size, error);
        if (r < 0)
                return r;
        progress(fd, 0, "creating a %s namespace in %s", namespace_mode_to_string(req.ns.mode),
                 req.region ?: "the first region with room");
        r = namespace_create(c, &req, &dev, &uuid, &raw_uuid, error);
        if (r >= 0) {
                /* Picked by namespace_create(): namespaceX.Y is in regionX. */
                _cleanup_free_ char *picked =
                        !req.region && strncmp(dev, "namespace", 9) == 0
                                ? asprintf_safe("region%.*s", (int) strcspn(dev + 9, "."), dev + 9)
                                : NULL;

                event_namespace_created(fd, dev, req.name, req.region ?: picked, req.ns.mode);
                json_object_object_add(res, "device", json_object_new_string(dev));
                if (uuid)
                        json_object_object_add(res, "uuid", json_object_new_string(uuid));
                if (raw_uuid)
                        json_object_object_add(res, "raw_uuid", json_object_new_string(raw_uuid));
        }
        return r;
}

static int job_destroy_namespace(DaxContext *c, const WorkerJob *w, int fd, char **error) {
        _cleanup_topology_ Topology *t = NULL;
        const TopoNamespace *n = NULL;
        struct json_object *a = w->args;
        const char *key = arg_str(a, "namespace");
        int r;

        /* Its kernel name and label name for the journal: the key is its uuid (worker_key()). */
        if (key && topology_snapshot(c, TOPOLOGY_NO_FILESYSTEMS, &t, NULL) >= 0)
                (void) topology_find_namespace(t, key, NULL, &n);
        progress(fd, 0, "destroying namespace %s", w->target);
        r = namespace_destroy(c, key, arg_bool(a, "force", false), error);
        if (r >= 0)
                event(fd, LOG_INFO,
                      LOG_FIELDS({ "MESSAGE_ID", DAXMGR_MESSAGE_NAMESPACE_DESTROYED },
                                 { "DAXMGR_NAMESPACE", n ? n->dev : NULL },
                                 { "DAXMGR_NAMESPACE_NAME", n ? n->name : NULL }),
                      "Destroyed namespace %s%s%s%s.", n ? n->dev : w->target, n && n->name ? " \"" : "",
                      n && n->name ? n->name : "", n && n->name ? "\"" : "");
        return r;
}

static int job_format(WorkerJob *w, DaxContext *c, struct json_object *a, int fd, struct json_object *res,
                      char **error) {
        FormatOptions o = {
                .fs = fs_type_from_string(arg_str(a, "filesystem") ?: "xfs"),
                .label = arg_str(a, "label"),
                .force = arg_bool(a, "force", false),
        };
        _cleanup_topology_ Topology *t = NULL;
        const TopoNamespace *n = NULL;
        _cleanup_free_ char *dev = NULL, *uuid = NULL;
        int r;

        r = find_blockdev(c, arg_str(a, "namespace"), &t, &n, &dev, error);
        if (r < 0)
                return r;
        progress(fd, 0, "formatting %s with %s", dev, fs_type_to_string(o.fs));
        r = reconcile_format(n, dev, &o, w->state_dir, &uuid, error);
        if (r >= 0 && uuid)
                json_object_object_add(res, "uuid", json_object_new_string(uuid));
        return r;
}

static int job_mount(DaxContext *c, struct json_object *a, int fd, char **error) {
        DaxMode dax = dax_mount_mode_from_string(arg_str(a, "dax")); /* the bus checked it */
        DaxMountRequest req = {
                .dax = dax < 0 ? DAX_MODE_ALWAYS : dax,
                .options = arg_str(a, "options"),
        };
        _cleanup_topology_ Topology *t = NULL;
        const TopoNamespace *n = NULL;
        _cleanup_free_ char *dev = NULL;
        int r;

        r = find_blockdev(c, arg_str(a, "namespace"), &t, &n, &dev, error);
        if (r < 0)
                return r;
        progress(fd, 0, "mounting %s at %s with dax=%s", dev, arg_str(a, "mount_point"),
                 dax_mode_to_string(req.dax));
        r = dax_mount(dev, arg_str(a, "mount_point"), &req, error);
        /* 1: already mounted so, no event. */
        if (r == 0 || r == -EOPNOTSUPP)
                event_dax_mount(fd, r, *error, n, dev, arg_str(a, "mount_point"), req.dax);
        return r;
}

/* Returns only on failure: on success it goes on to reconcile, which finishes the worker. */
static int job_refresh(WorkerJob *w, DaxContext *c, struct json_object *a, int fd, struct json_object *res,
                       char **error) {
        /* Copies again what changed, whatever the placement's policy, then reconciles:
         * what a stale Refresh=manual placement had deactivated comes back. */
        _cleanup_place_state_ PlaceState *s = NULL;
        const char *program = arg_str(a, "program"), *zone = arg_str(a, "zone");
        unsigned total = 0;
        int r;

        r = place_state_load(w->state_dir, &s, error);
        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < s->n_placements; i++) {
                _cleanup_free_ char *pz = NULL, *pp = NULL;
                unsigned n = 0;

                if (s->placements[i].role != PLACE_PROGRAM ||
                    (program && *program && strcmp(s->placements[i].source, program) != 0) ||
                    (zone && strcmp(s->placements[i].zone, zone) != 0))
                        continue;
                /* The array may move while the program is placed again. */
                pz = strdup(s->placements[i].zone);
                pp = strdup(s->placements[i].source);
                if (!pz || !pp) {
                        r = -ENOMEM;
                        break;
                }
                progress(fd, 0, "checking %s in %s", pp, pz);
                r = placement_refresh_program(s, pz, pp, &n, error);
                if (r >= 0 && n > 0)
                        log_info("Refreshed %s in %s (%u file(s) copied again).", pp, pz, n);
                total += n;
        }
        /* The copies written here that could not be primed, as a Place job or a reconcile says. */
        for (size_t i = 0; r >= 0 && i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *pw = NULL;

                if (placement_prime_warning(p, &pw) >= 0 && pw)
                        event(fd, LOG_WARNING,
                              LOG_FIELDS({ "DAXMGR_ZONE", p->zone }, { "DAXMGR_PROGRAM", p->program }),
                              "%s.", pw);
        }
        if (r >= 0)
                r = place_state_save(s, error);
        if (r < 0)
                return r;
        progress(fd, 0.5, "%u file(s) copied again; reconciling the activations", total);
        json_object_put(res);
        run_reconcile(w, c, fd);
}

/* CreateZone, RemoveZone, Place and Unplace: one edit of the saved placement state each. */
static int job_zone_or_placement(WorkerJob *w, int fd, struct json_object *res, char **error) {
        _cleanup_place_state_ PlaceState *s = NULL;
        struct json_object *a = w->args;
        const char *zone = arg_str(a, "zone"), *program = arg_str(a, "program");
        bool activated = false;
        int r;

        r = place_state_load(w->state_dir, &s, error);
        if (r < 0)
                return r;
        if (w->type == JOB_CREATE_ZONE) {
                progress(fd, 0, "creating zone %s", zone);
                r = zone_create(s, zone, error);
        } else if (w->type == JOB_REMOVE_ZONE) {
                progress(fd, 0, "removing zone %s", zone);
                r = zone_remove(s, zone, error);
        } else if (w->type == JOB_PLACE) {
                _cleanup_free_ char *path = NULL;
                const char *policy = arg_str(a, "refresh_policy");
                PlaceActivation pa = {
                        .zone = zone,
                        .program = program,
                        .place = true,
                        .with_libraries = arg_bool(a, "with_libraries", false),
                        /* Remembered, so that the daemon follows a change of the original as
                         * it does for a configured placement (refresh or fall back). */
                        .remember = true,
                        .refresh_manual = policy && strcmp(policy, "manual") == 0,
                        .entry_point = arg_bool(a, "entry_point", true),
                        .service = arg_str(a, "service"),
                        .dropin_root = w->dropin_root,
                        .bind_host = arg_bool(a, "bind_host", false),
                        .progress = place_progress,
                        .userdata = &fd,
                };

                r = place_and_activate(s, &pa, &path, NULL, error);
                if (r >= 0) {
                        const Placement *p = place_state_find_program(s, zone, program);

                        event_placed(fd, zone, p ? p->program : program, pa.with_libraries);
                        if (p)
                                event_layout_warnings(fd, s, zone, p->program);
                }
                if (r >= 0 && path)
                        json_object_object_add(res, "entry_point", json_object_new_string(path));
                return r; /* saved by place_and_activate() */
        } else {
                progress(fd, 0, "unplacing %s from %s", program, zone);
                if (mount_is_target(program)) {
                        r = place_unbind_host(s, zone, program, error);
                        if (r < 0)
                                return r;
                }
                {
                        _cleanup_free_ char *real = realpath(program, NULL);
                        const Placement *p = place_state_find_program(s, zone, real ?: program);

                        /* Its drop-in goes when systemd reloads and the generator reads the state. */
                        activated = p && p->dropin_unit;
                }
                r = place_remove(s, zone, program, arg_bool(a, "force", false), error);
        }
        if (r >= 0)
                r = place_state_save(s, error);
        if (r >= 0 && activated)
                r = place_systemd_reload(error);
        if (r >= 0 && w->type == JOB_CREATE_ZONE)
                event_zone_ready(fd, zone, NULL);
        else if (r >= 0 && w->type == JOB_UNPLACE) {
                /* Named as placed: by the file it resolves to (python3 → python3.11). */
                _cleanup_free_ char *real = realpath(program, NULL);

                event(fd, LOG_INFO,
                      LOG_FIELDS({ "MESSAGE_ID", DAXMGR_MESSAGE_PROGRAM_REMOVED }, { "DAXMGR_ZONE", zone },
                                 { "DAXMGR_PROGRAM", real ?: program }),
                      "Removed %s from zone %s.", real ?: program, zone);
        }
        return r;
}

_Noreturn void worker_run(WorkerJob *w, int fd) {
        _cleanup_dax_context_ DaxContext *c = NULL;
        _cleanup_free_ char *error = NULL;
        struct json_object *a = w->args, *res = json_object_new_object();
        int r;

        r = dax_context_new(&c);
        if (r < 0)
                finish(fd, r, "cannot start libndctl in the worker", res);

        switch (w->type) {
        case JOB_RECONCILE:
                json_object_put(res);
                run_reconcile(w, c, fd);

        case JOB_CREATE_NAMESPACE:
                r = job_create_namespace(c, a, fd, res, &error);
                break;
        case JOB_DESTROY_NAMESPACE:
                r = job_destroy_namespace(c, w, fd, &error);
                break;

        case JOB_FORMAT:
                r = job_format(w, c, a, fd, res, &error);
                break;
        case JOB_MOUNT:
                r = job_mount(c, a, fd, &error);
                break;
        case JOB_UNMOUNT:
                progress(fd, 0, "unmounting %s", arg_str(a, "mount_point"));
                r = dax_unmount(arg_str(a, "mount_point"), &error);
                break;

        case JOB_REFRESH:
                r = job_refresh(w, c, a, fd, res, &error);
                break;
        case JOB_CREATE_ZONE:
        case JOB_REMOVE_ZONE:
        case JOB_PLACE:
        case JOB_UNPLACE:
                r = job_zone_or_placement(w, fd, res, &error);
                break;
        case _JOB_TYPE_MAX:
        case _JOB_TYPE_INVALID:
                r = error_set(&error, -EINVAL, "unknown job type %d", (int) w->type);
        }
        finish(fd, r, error, res);
}
