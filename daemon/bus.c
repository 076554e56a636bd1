/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.daxmgr1 on the system bus (docs/dbus/): the methods of org.daxmgr1.Manager, which check
 * their arguments before they queue a job, the vtables built from the interfaces' property lists,
 * and the bus name. Every object's properties live in one JSON object per path (BusObject):
 * bus-objects.c rebuilds them, reads them in the getters and sends the change signals. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-daemon.h>

#include "dax-mount.h"
#include "devdax.h"
#include "error.h"
#include "format.h"
#include "log.h"
#include "manager.h"
#include "namespace.h"
#include "bus-error.h"
#include "bus-internal.h"
#include "bus-options.h"
#include "child-call.h"
#include "parse-util.h"
#include "polkit.h"
#include "reconcile-run.h"
#include "xip-verify.h"

#define BUS_NAME "org.daxmgr1"

/* ---------------------------------------------------------------- errors */

int bus_error_set_errno(sd_bus_error *e, int r, const char *message) {
        (void) bus_error_setf_utf8(e, bus_error_name_for_errno(r), "%s", message ?: strerror(-r));
        return r;
}

/* ---------------------------------------------------------------- argument checks */

static const char *opt_str(struct json_object *a, const char *key) {
        struct json_object *v;

        return json_object_object_get_ex(a, key, &v) ? json_object_get_string(v) : NULL;
}

int invalid(sd_bus_error *e, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) bus_error_setfv_utf8(e, ERROR_PREFIX "InvalidArgument", fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static bool string_ok(const char *s, size_t max) {
        return s && *s && strlen(s) <= max;
}

/* Why @p cannot be a path argument, or NULL if it can: absolute, canonical (no "//", no "." or
 * ".." component, no trailing "/"), shorter than PATH_MAX, no control character. Zones and
 * placements are recorded canonical, so anything else could only name them by accident. */
static const char *path_problem(const char *p) {
        size_t l = p ? strlen(p) : 0;

        if (l == 0)
                return "is empty";
        if (l >= PATH_MAX)
                return "is longer than PATH_MAX (4096 bytes)";
        if (p[0] != '/')
                return "is not absolute";
        for (const char *c = p; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        return "contains a control character";
        if (strstr(p, "//"))
                return "is not canonical (it contains \"//\")";
        for (const char *c = p; (c = strchr(c, '/')); c++) {
                if (c[1] == '.' && (c[2] == '/' || c[2] == 0))
                        return "is not canonical (it has a \".\" component)";
                if (c[1] == '.' && c[2] == '.' && (c[3] == '/' || c[3] == 0))
                        return "has a \"..\" component";
        }
        if (l > 1 && p[l - 1] == '/')
                return "is not canonical (it ends in \"/\")";
        return NULL;
}

bool path_ok(const char *p) {
        return !path_problem(p);
}

/* InvalidArgument naming @what and why its path is refused; the path quoted at most 200 bytes. */
int invalid_path(sd_bus_error *e, const char *what, const char *p) {
        return invalid(e, "%s \"%.200s%s\" %s; give an absolute canonical path", what, p ?: "",
                       p && strlen(p) > 200 ? "…" : "", path_problem(p) ?: "is refused");
}

/* The namespace @key names (ns-key.h). Not found: NotFound; a key that names several: refused as
 * an InvalidArgument naming the candidates. */
static const TopoNamespace *find_namespace(Manager *m, const char *key, sd_bus_error *e) {
        _cleanup_free_ char *why = NULL;
        const TopoNamespace *n = NULL;
        int r;

        if (!string_ok(key, 256)) {
                if (key && *key)
                        invalid(e,
                                "a namespace key of %zu bytes is too long; at most 256 (label name, kernel "
                                "name, device, uuid or raw uuid)",
                                strlen(key));
                else
                        invalid(e, "a namespace must be named (label name, kernel name namespaceX.Y, device "
                                   "pmemX, /dev/pmemX or daxX.Y, uuid or raw uuid)");
                return NULL;
        }
        r = m->topology ? topology_lookup_namespace(m->topology, key, NULL, &n, &why) : -ENOENT;
        if (r == -ENOTUNIQ)
                invalid(e, "%s", why ?: "the key names several namespaces; give its uuid");
        else if (r < 0)
                bus_error_setf_utf8(
                        e, ERROR_PREFIX "NotFound",
                        "there is no namespace \"%.256s\"; \"daxmgr list namespaces\" or \"ndctl "
                        "list -N\" shows them",
                        key);
        return r < 0 ? NULL : n;
}

/* How the worker finds @n again: the key that names it alone, preferring the one that pins
 * this very namespace (its uuid, which a new info block would change). The caller's key would
 * name another namespace if, while the job waits in the queue, this one were destroyed and
 * another made with its device name. */
static const char *worker_key(Manager *m, const TopoNamespace *n) {
        const char *keys[] = { n->uuid, n->raw_uuid, n->dev };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const TopoNamespace *found = NULL;

                if (keys[i] && topology_find_namespace(m->topology, keys[i], NULL, &found) >= 0 &&
                    found == n)
                        return keys[i];
        }
        return n->dev;
}

/* Who asked for a job, in the journal: "apt's hook ran a reconcile" or "a user's script did" is
 * then a fact an administrator can look up, not a guess. */
static void log_job_caller(sd_bus_message *msg, const Job *j) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *c = NULL;
        const char *comm = NULL;
        pid_t pid = 0;
        uid_t uid = 0;

        if (sd_bus_query_sender_creds(
                    msg, SD_BUS_CREDS_PID | SD_BUS_CREDS_COMM | SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT,
                    &c) < 0)
                return;
        (void) sd_bus_creds_get_pid(c, &pid);
        (void) sd_bus_creds_get_comm(c, &comm);
        (void) sd_bus_creds_get_euid(c, &uid);
        log_struct(LOG_INFO, LOG_FIELDS({ "DAXMGR_JOB", j->id_string }),
                   "Job %" PRIu32 " asked for by %s[%d], uid %u.", j->id, comm ?: "?", (int) pid,
                   (unsigned) uid);
}

static int reply_job(sd_bus_message *msg, Manager *m, JobType type, const char *target,
                     struct json_object *args, sd_bus_error *e) {
        uid_t uid = 0;
        Job *j;
        int r;

        (void) bus_caller_uid(msg, &uid);
        r = manager_queue_job(m, type, target, args, uid, &j);
        if (r < 0)
                return bus_error_set_errno(e, r, "cannot queue the job");
        log_job_caller(msg, j);
        return sd_bus_reply_method_return(msg, "o", j->path);
}

/* ---------------------------------------------------------------- methods */

static int do_reload(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;
        _cleanup_free_ char *error = NULL;
        int r;

        r = manager_reload(m, &error);
        bus_flush_objects(m); /* the change signals before the reply, as they always came */
        if (r < 0)
                return sd_bus_error_set(e, ERROR_PREFIX "ConfigInvalid",
                                        error ?: "the configuration has errors");
        m->reconcile_wanted = true;
        /* The plan on the topology as the daemon knows it before the reply; a new snapshot
         * follows (manager_refresh()). */
        manager_replan(m);
        manager_refresh(m);
        bus_flush_objects(m);
        return sd_bus_reply_method_return(msg, "");
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.reload", do_reload, userdata, e);
}

static int do_reconcile(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;
        struct json_object *a = json_object_new_object();
        int r;

        r = read_options(msg, NULL, a, e);
        if (r < 0) {
                json_object_put(a);
                return r;
        }
        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i]->type == JOB_RECONCILE && m->jobs[i]->state == JOB_QUEUED) {
                        json_object_put(a);
                        return sd_bus_reply_method_return(msg, "o", m->jobs[i]->path);
                }
        /* An explicit call tries again what the kernel refused (EBUSY) before. */
        (void) reconcile_clear_mode_refusals(m->state_dir);
        return reply_job(msg, m, JOB_RECONCILE, "", a, e);
}

static int method_reconcile(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.reconcile", do_reconcile, userdata, e);
}

static int method_get_topology(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;
        struct json_object *j;
        int r;

        if (!m->topology)
                return sd_bus_error_set(e, ERROR_PREFIX "Failed", "the pmem topology has not been read yet");
        j = topology_to_json(m->topology);
        if (!j)
                return -ENOMEM;
        r = reply_json(msg, j);
        json_object_put(j);
        return r;
}

static int do_create_namespace(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;
        struct json_object *a = json_object_new_object();
        _cleanup_free_ char *error = NULL;
        const char *region, *mode, *map, *name, *size;
        SizeSpec spec;
        NamespaceMode nm;
        int r;

        r = read_options(msg, bus_create_options, a, e);
        if (r < 0)
                goto fail;
        region = opt_str(a, "region");
        mode = opt_str(a, "mode");
        map = opt_str(a, "map");
        name = opt_str(a, "name");
        size = opt_str(a, "size");
        nm = namespace_mode_from_string(mode ?: "fsdax");
        if (nm != NAMESPACE_MODE_FSDAX && nm != NAMESPACE_MODE_DEVDAX && nm != NAMESPACE_MODE_RAW) {
                r = invalid(e, "mode must be fsdax, devdax or raw, not \"%.64s\"", mode);
                goto fail;
        }
        if (map && pfn_map_from_string(map) < 0) {
                r = invalid(e, "map must be dev or mem, not \"%.64s\"", map);
                goto fail;
        }
        if (size && size_spec_parse(size, &spec, &error) < 0) {
                r = invalid(e, "size: %s", error_message(error, -EINVAL));
                goto fail;
        }
        /* No region is near 8 EiB, and below that rounding up to any alignment cannot wrap. */
        if (size && spec.kind == SIZE_BYTES && (spec.bytes == 0 || spec.bytes >= (UINT64_C(1) << 63))) {
                r = invalid(e, "size: %s is %s; a namespace size is from 1 byte to below 8 EiB", size,
                            spec.bytes == 0 ? "zero" : "8 EiB or more");
                goto fail;
        }
        if (name && !namespace_name_is_valid(name)) {
                r = invalid(e, "\"%.80s\" cannot be a namespace name: at most %d printable characters", name,
                            NAMESPACE_NAME_MAX);
                goto fail;
        }
        if (region && (!m->topology || !topology_find_region(m->topology, region))) {
                r = bus_error_setf_utf8(e, ERROR_PREFIX "NotFound", "there is no region \"%.64s\"", region);
                goto fail;
        }
        return reply_job(msg, m, JOB_CREATE_NAMESPACE, name ?: region ?: "", a, e);
fail:
        json_object_put(a);
        return r;
}

static int method_create_namespace(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.create-namespace", do_create_namespace, userdata,
                                e);
}

/* The common shape of "(s key, a{sv} options)" methods on a namespace. */
static int namespace_job(sd_bus_message *msg, Manager *m, JobType type, const OptionSpec *specs,
                         sd_bus_error *e) {
        struct json_object *a = json_object_new_object();
        const TopoNamespace *n;
        const char *key;
        const char *fs;
        int r;

        r = sd_bus_message_read(msg, "s", &key);
        if (r < 0)
                goto fail;
        n = find_namespace(m, key, e);
        if (!n) {
                r = -ENOENT;
                goto fail;
        }
        r = read_options(msg, specs, a, e);
        if (r < 0)
                goto fail;
        json_object_object_add(a, "namespace", json_object_new_string(worker_key(m, n)));
        fs = opt_str(a, "filesystem");
        if (type == JOB_FORMAT && fs && !fs_type_is_made(fs_type_from_string(fs))) {
                r = invalid(e, "filesystem must be xfs or ext4, not \"%.64s\"", fs);
                goto fail;
        }
        return reply_job(msg, m, type, key, a, e);
fail:
        json_object_put(a);
        return r;
}

static int do_destroy_namespace(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return namespace_job(msg, userdata, JOB_DESTROY_NAMESPACE, bus_destroy_options, e);
}

static int method_destroy_namespace(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.destroy-namespace", do_destroy_namespace,
                                userdata, e);
}

static int do_format(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return namespace_job(msg, userdata, JOB_FORMAT, bus_format_options, e);
}

static int method_format(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.format", do_format, userdata, e);
}

static int do_mount(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;
        struct json_object *a = json_object_new_object();
        const char *key, *target, *dax;
        const TopoNamespace *n;
        int r;

        r = sd_bus_message_read(msg, "ss", &key, &target);
        if (r < 0)
                goto fail;
        n = find_namespace(m, key, e);
        if (!n) {
                r = -ENOENT;
                goto fail;
        }
        if (!path_ok(target) || strcmp(target, "/") == 0) {
                r = invalid_path(e, "the mount point", target);
                goto fail;
        }
        r = read_options(msg, bus_mount_options, a, e);
        if (r < 0)
                goto fail;
        dax = opt_str(a, "dax");
        if (dax && dax_mount_mode_from_string(dax) < 0) {
                r = invalid(e, "dax must be always or inode, not \"%.64s\"", dax);
                goto fail;
        }
        json_object_object_add(a, "namespace", json_object_new_string(worker_key(m, n)));
        json_object_object_add(a, "mount_point", json_object_new_string(target));
        return reply_job(msg, m, JOB_MOUNT, target, a, e);
fail:
        json_object_put(a);
        return r;
}

static int method_mount(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.mount", do_mount, userdata, e);
}

static int do_unmount(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;
        struct json_object *a = json_object_new_object();
        const char *target, *mp = NULL;
        int r;

        r = sd_bus_message_read(msg, "s", &target);
        if (r < 0)
                goto fail;
        if (!string_ok(target, PATH_MAX - 1)) {
                r = invalid(e, "the target must be a mount point or a namespace, not %s",
                            *target ? "a string that long" : "an empty string");
                goto fail;
        }
        r = read_options(msg, NULL, a, e);
        if (r < 0)
                goto fail;
        /* Only mounts of pmem namespaces: daxmgr does not unmount the host's other file systems. */
        for (size_t i = 0; m->topology && i < m->topology->n_regions && !mp; i++)
                for (size_t k = 0; k < m->topology->regions[i].n_namespaces && !mp; k++) {
                        const TopoNamespace *n = &m->topology->regions[i].namespaces[k];

                        for (size_t x = 0; x < n->n_mounts && !mp; x++)
                                if (strcmp(n->mounts[x].target, target) == 0)
                                        mp = n->mounts[x].target;
                }
        /* Else a namespace, by any of its keys ("/dev/pmem0" too); an ambiguous one is refused. */
        if (!mp && m->topology) {
                _cleanup_free_ char *why = NULL;
                const TopoNamespace *n = NULL;

                r = topology_lookup_namespace(m->topology, target, NULL, &n, &why);
                if (r == -ENOTUNIQ) {
                        r = invalid(e, "%s", why ?: "the key names several namespaces; give its uuid");
                        goto fail;
                }
                if (r >= 0 && n->n_mounts > 0)
                        mp = n->mounts[0].target;
        }
        if (!mp) {
                r = bus_error_setf_utf8(
                        e, ERROR_PREFIX "NotFound",
                        "\"%.200s\" is not the mount point of a pmem namespace, nor a mounted "
                        "namespace",
                        target);
                goto fail;
        }
        json_object_object_add(a, "mount_point", json_object_new_string(mp));
        return reply_job(msg, m, JOB_UNMOUNT, mp, a, e);
fail:
        json_object_put(a);
        return r;
}

static int method_unmount(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.unmount", do_unmount, userdata, e);
}

static int zone_job(sd_bus_message *msg, Manager *m, JobType type, sd_bus_error *e) {
        struct json_object *a = json_object_new_object();
        const char *dir;
        int r;

        r = sd_bus_message_read(msg, "s", &dir);
        if (r < 0)
                goto fail;
        if (!path_ok(dir) || strcmp(dir, "/") == 0) {
                r = invalid_path(e, "the zone", dir);
                goto fail;
        }
        if (type == JOB_CREATE_ZONE && !path_is_mounted_dax(m->topology, dir)) {
                r = bus_error_setf_utf8(
                        e, ERROR_PREFIX "NotSupported",
                        "%.200s is not on a mounted pmem namespace; a zone must be on a DAX mount "
                        "(Mount first)",
                        dir);
                goto fail;
        }
        if (type == JOB_REMOVE_ZONE && !(m->state && place_state_has_zone(m->state, dir))) {
                r = bus_error_setf_utf8(e, ERROR_PREFIX "NotFound", "%.200s is not a zone", dir);
                goto fail;
        }
        r = read_options(msg, NULL, a, e);
        if (r < 0)
                goto fail;
        json_object_object_add(a, "zone", json_object_new_string(dir));
        return reply_job(msg, m, type, dir, a, e);
fail:
        json_object_put(a);
        return r;
}

static int do_create_zone(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return zone_job(msg, userdata, JOB_CREATE_ZONE, e);
}

static int method_create_zone(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.create-zone", do_create_zone, userdata, e);
}

static int do_remove_zone(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return zone_job(msg, userdata, JOB_REMOVE_ZONE, e);
}

static int method_remove_zone(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.remove-zone", do_remove_zone, userdata, e);
}

static int placement_job(sd_bus_message *msg, Manager *m, JobType type, sd_bus_error *e) {
        struct json_object *a = json_object_new_object();
        _cleanup_free_ char *target = NULL;
        const char *zone, *program, *service;
        struct stat st;
        int r;

        r = sd_bus_message_read(msg, "ss", &zone, &program);
        if (r < 0)
                goto fail;
        if (!path_ok(zone)) {
                r = invalid_path(e, "the zone", zone);
                goto fail;
        }
        if (!(m->state && place_state_has_zone(m->state, zone))) {
                r = bus_error_setf_utf8(e, ERROR_PREFIX "NotFound",
                                        "\"%.200s\" is not a zone (CreateZone first)", zone);
                goto fail;
        }
        if (!path_ok(program)) {
                r = invalid_path(e, "the program", program);
                goto fail;
        }
        if (type == JOB_PLACE && (stat(program, &st) < 0 || !S_ISREG(st.st_mode))) {
                r = bus_error_setf_utf8(e, ERROR_PREFIX "NotFound", "%.200s is not a regular file", program);
                goto fail;
        }
        r = read_options(msg, type == JOB_PLACE ? bus_place_options : bus_unplace_options, a, e);
        if (r < 0)
                goto fail;
        service = opt_str(a, "service");
        if (service && !service_name_is_valid(service)) {
                r = invalid(e, "service must be a unit name such as myapp.service, not \"%.200s\"", service);
                goto fail;
        }
        {
                const char *policy = opt_str(a, "refresh_policy");

                if (policy && strcmp(policy, "auto") != 0 && strcmp(policy, "manual") != 0) {
                        r = invalid(e, "refresh_policy must be \"auto\" or \"manual\", not \"%.200s\"",
                                    policy);
                        goto fail;
                }
        }
        json_object_object_add(a, "zone", json_object_new_string(zone));
        json_object_object_add(a, "program", json_object_new_string(program));
        target = placement_key(zone, program);
        return reply_job(msg, m, type, target, a, e);
fail:
        json_object_put(a);
        return r;
}

static int do_place(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return placement_job(msg, userdata, JOB_PLACE, e);
}

static int method_place(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.place", do_place, userdata, e);
}

static int do_refresh(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;
        struct json_object *a = json_object_new_object();
        const char *program, *zone;
        bool found = false;
        int r;

        r = sd_bus_message_read(msg, "s", &program);
        if (r < 0)
                goto fail;
        if (*program && !path_ok(program)) {
                r = invalid_path(e, "the program", program);
                goto fail;
        }
        r = read_options(msg, bus_refresh_options, a, e);
        if (r < 0)
                goto fail;
        zone = opt_str(a, "zone");
        if (zone && !path_ok(zone)) {
                r = invalid_path(e, "the zone", zone);
                goto fail;
        }
        for (size_t i = 0; m->state && i < m->state->n_placements; i++) {
                const Placement *p = &m->state->placements[i];

                if (p->role == PLACE_PROGRAM && (!*program || strcmp(p->source, program) == 0) &&
                    (!zone || strcmp(p->zone, zone) == 0))
                        found = true;
        }
        if (*program && !found) {
                _cleanup_free_ char *real = realpath(program, NULL);

                /* Placed by the file it resolves to (python3 → python3.11). */
                for (size_t i = 0; real && m->state && i < m->state->n_placements; i++)
                        if (m->state->placements[i].role == PLACE_PROGRAM &&
                            strcmp(m->state->placements[i].source, real) == 0 &&
                            (!zone || strcmp(m->state->placements[i].zone, zone) == 0))
                                found = true;
                if (!found) {
                        r = bus_error_setf_utf8(e, ERROR_PREFIX "NotFound",
                                                "%.200s is not placed%s%.200s (daxmgr list placements shows "
                                                "what is)",
                                                program, zone ? " in " : "", zone ?: "");
                        goto fail;
                }
                program = NULL;
                json_object_object_add(a, "program", json_object_new_string(real));
        } else
                json_object_object_add(a, "program", json_object_new_string(program));
        return reply_job(msg, m, JOB_REFRESH, json_object_get_string(json_object_object_get(a, "program")),
                         a, e);
fail:
        json_object_put(a);
        return r;
}

static int method_refresh(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.place", do_refresh, userdata, e);
}

static int do_unplace(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return placement_job(msg, userdata, JOB_UNPLACE, e);
}

static int method_unplace(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        return polkit_authorize(userdata, msg, "org.daxmgr1.unplace", do_unplace, userdata, e);
}

/* ---------------------------------------------------------------- vtables */

static const sd_bus_vtable manager_methods[] = {
        SD_BUS_METHOD("Reload", "", "", method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Reconcile", "a{sv}", SD_BUS_PARAM(options), "o", SD_BUS_PARAM(job),
                                 method_reconcile, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetPlan", "", , "s", SD_BUS_PARAM(plan_json), method_get_plan,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetTopology", "", , "s", SD_BUS_PARAM(topology_json), method_get_topology,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetMetrics", "", , "s", SD_BUS_PARAM(metrics), method_get_metrics,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("CreateNamespace", "a{sv}", SD_BUS_PARAM(options), "o", SD_BUS_PARAM(job),
                                 method_create_namespace, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("DestroyNamespace", "sa{sv}", SD_BUS_PARAM(namespace) SD_BUS_PARAM(options),
                                 "o", SD_BUS_PARAM(job), method_destroy_namespace,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Format", "sa{sv}", SD_BUS_PARAM(namespace) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(job), method_format, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Mount", "ssa{sv}",
                                 SD_BUS_PARAM(namespace) SD_BUS_PARAM(mount_point) SD_BUS_PARAM(options),
                                 "o", SD_BUS_PARAM(job), method_mount, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Unmount", "sa{sv}", SD_BUS_PARAM(target) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(job), method_unmount, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("CreateZone", "sa{sv}", SD_BUS_PARAM(directory) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(job), method_create_zone, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("RemoveZone", "sa{sv}", SD_BUS_PARAM(directory) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(job), method_remove_zone, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Place", "ssa{sv}",
                                 SD_BUS_PARAM(zone) SD_BUS_PARAM(program) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(job), method_place, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Refresh", "sa{sv}", SD_BUS_PARAM(program) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(job), method_refresh, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Unplace", "ssa{sv}",
                                 SD_BUS_PARAM(zone) SD_BUS_PARAM(program) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(job), method_unplace, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("VerifyProcess", "ua{sv}", SD_BUS_PARAM(pid) SD_BUS_PARAM(options), "s",
                                 SD_BUS_PARAM(report_json), method_verify_process,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("VerifyPath", "sa{sv}", SD_BUS_PARAM(path) SD_BUS_PARAM(options), "s",
                                 SD_BUS_PARAM(report_json), method_verify_path, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("JobNew", "uos", SD_BUS_PARAM(id) SD_BUS_PARAM(job) SD_BUS_PARAM(operation),
                                 0),
        SD_BUS_SIGNAL_WITH_NAMES("JobRemoved", "uos",
                                 SD_BUS_PARAM(id) SD_BUS_PARAM(job) SD_BUS_PARAM(result), 0),
        SD_BUS_SIGNAL_WITH_NAMES("Reconciled", "uu", SD_BUS_PARAM(steps_done) SD_BUS_PARAM(problems), 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable job_members[] = {
        SD_BUS_SIGNAL_WITH_NAMES("Completed", "bss",
                                 SD_BUS_PARAM(success) SD_BUS_PARAM(error) SD_BUS_PARAM(message), 0),
        SD_BUS_VTABLE_END,
};

/* START, the properties of @props, the members of @extra, END. */
static sd_bus_vtable *vtable_build(const PropDef *props, const sd_bus_vtable *extra) {
        size_t n = 0, k = 0, i = 0;
        sd_bus_vtable *v;

        while (props[n].name)
                n++;
        while (extra && extra[k].type != _SD_BUS_VTABLE_END)
                k++;
        v = calloc(n + k + 2, sizeof(sd_bus_vtable));
        if (!v)
                return NULL;
        v[i++] = (sd_bus_vtable) SD_BUS_VTABLE_START(0);
        for (size_t x = 0; x < n; x++)
                v[i++] = (sd_bus_vtable) SD_BUS_PROPERTY(props[x].name, props[x].sig, property_get, 0,
                                                         SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE);
        for (size_t x = 0; x < k; x++)
                v[i++] = extra[x];
        v[i] = (sd_bus_vtable) SD_BUS_VTABLE_END;
        return v;
}

static int on_name_lost(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        log_error("Lost the bus name %s: another daxmgrd runs? Exiting.", BUS_NAME);
        return sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(msg)), EXIT_FAILURE);
}

static int on_name_acquired(sd_bus_message *reply, void *userdata, sd_bus_error *e) {
        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *err = sd_bus_message_get_error(reply);

                log_error("Cannot own the bus name %s: %s", BUS_NAME,
                          err && err->message ? err->message : "?");
                return sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(reply)), EXIT_FAILURE);
        }
        log_info("Serving %s on the system bus.", BUS_NAME);
        return 0;
}

int bus_register_objects(Manager *m) {
        static sd_bus_vtable *vtables[_BUS_OBJECT_KIND_MAX];
        int r;

        for (BusObjectKind k = 0; k < _BUS_OBJECT_KIND_MAX; k++) {
                if (!vtables[k])
                        vtables[k] = vtable_build(kinds[k].props, k == BUS_OBJECT_MANAGER ? manager_methods
                                                                  : k == BUS_OBJECT_JOB   ? job_members
                                                                                          : NULL);
                if (!vtables[k])
                        return log_error_errno(-ENOMEM, "Out of memory.");
                if (k == BUS_OBJECT_MANAGER)
                        r = sd_bus_add_object_vtable(m->bus, NULL, ROOT_PATH, kinds[k].interface, vtables[k],
                                                     m);
                else {
                        r = sd_bus_add_fallback_vtable(m->bus, NULL, kinds[k].prefix, kinds[k].interface,
                                                       vtables[k], object_find, m);
                        if (r >= 0)
                                r = sd_bus_add_node_enumerator(m->bus, NULL, kinds[k].prefix,
                                                               object_enumerate, m);
                }
                if (r < 0)
                        return log_error_errno(r, "Cannot register %s: %s", kinds[k].interface,
                                               strerror(-r));
        }
        r = sd_bus_add_object_manager(m->bus, NULL, ROOT_PATH);
        if (r < 0)
                return log_error_errno(r, "Cannot add the object manager: %s", strerror(-r));
        return 0;
}

int bus_setup(Manager *m) {
        int r;

        r = sd_bus_default_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus: %s", strerror(-r));
        r = bus_register_objects(m);
        if (r < 0)
                return r;

        r = sd_bus_match_signal_async(m->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "NameLost", on_name_lost, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the bus name: %s", strerror(-r));
        r = sd_bus_request_name_async(m->bus, NULL, BUS_NAME, 0, on_name_acquired, m);
        if (r < 0)
                return log_error_errno(r, "Cannot request the bus name %s: %s", BUS_NAME, strerror(-r));
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus to the event loop: %s", strerror(-r));
        bus_sync_objects(m);
        return 0;
}
