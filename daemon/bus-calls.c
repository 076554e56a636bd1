/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The methods of org.daxmgr1.Manager that only read but may block, answered from a short-lived
 * child (child-call.h): GetPlan, VerifyProcess and VerifyPath. The others are in bus.c. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "bus-error.h"
#include "bus-internal.h"
#include "bus-options.h"
#include "child-call.h"
#include "dax-mount.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "polkit.h"
#include "reconcile-run.h"
#include "xip-verify.h"

/* GetPlan, VerifyProcess and VerifyPath may block (stat() and NSS lookups for the plan,
 * /proc/PID/pagemap and ELF files, a probe file): their handlers check the arguments and ask
 * polkit on the loop, then a short-lived child (child-call.h) computes the answer, and the call
 * is answered when it has ended. A little under a client's default timeout of 25 s, so that the
 * caller reads why rather than a NoReply of its own bus library. */
#define ASYNC_CALL_TIMEOUT_USEC (20 * 1000000ULL)

typedef struct AsyncCall AsyncCall;

/* In the child: what the handler computed, as it did on the loop: 0 and *ret_result, or <0 with
 * @e set (or not: then sd-bus names the errno, as for a handler that returns it). */
typedef int (*AsyncCallFn)(Manager *m, const AsyncCall *a, struct json_object **ret_result, sd_bus_error *e);

struct AsyncCall {
        sd_bus_message *msg; /* the call, answered when the child has ended */
        AsyncCallFn fn;
        char *object;     /* what the call is about, in the sentences of its errors */
        const char *hint; /* what to do when it did not finish in time */
        uint32_t pid;     /* the arguments */
        char *path;
};

static void async_call_free(AsyncCall *a) {
        sd_bus_message_unref(a->msg);
        free(a->object);
        free(a->path);
        free(a);
}

/* The child's document: {"reply": TEXT} (the JSON text reply_json() would send), {"error": NAME,
 * "message": TEXT} or {"errno": N}. */
static struct json_object *async_call_run(Manager *m, void *userdata) {
        AsyncCall *a = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        struct json_object *result = NULL, *doc = json_object_new_object();
        int r;

        if (!doc)
                return NULL;
        r = a->fn(m, a, &result, &e);
        if (r >= 0)
                add(doc, "reply",
                    jstr(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY) ?: "null"));
        else if (sd_bus_error_is_set(&e)) {
                add(doc, "error", jstr(e.name));
                add(doc, "message", jstr(e.message));
        } else
                add(doc, "errno", json_object_new_int(r));
        json_object_put(result);
        sd_bus_error_free(&e);
        return doc;
}

static void async_call_done(Manager *m, struct json_object *doc, int error, const char *detail,
                            void *userdata) {
        AsyncCall *a = userdata;
        const char *method = sd_bus_message_get_member(a->msg);
        sd_bus_error e = SD_BUS_ERROR_NULL;
        struct json_object *v;
        int r;

        if (error == -ETIME)
                (void) bus_error_setf_utf8(&e, ERROR_PREFIX "Failed",
                                           "%s of %.200s did not finish within %u s and was stopped; %s",
                                           method, a->object, (unsigned) (ASYNC_CALL_TIMEOUT_USEC / 1000000),
                                           a->hint);
        else if (error == -ECANCELED)
                (void) bus_error_setf_utf8(
                        &e, ERROR_PREFIX "Failed",
                        "daxmgrd is stopping: %s of %.200s was not finished; call it again "
                        "once daxmgrd runs",
                        method, a->object);
        else if (error >= 0 && json_object_object_get_ex(doc, "reply", &v) &&
                 json_object_is_type(v, json_type_string)) {
                _cleanup_free_ char *s = strdup(json_object_get_string(v));

                r = s ? sd_bus_reply_method_return(a->msg, "s", utf8_make_valid(s)) : -ENOMEM;
                goto done;
        } else if (error >= 0 && json_object_object_get_ex(doc, "error", &v)) {
                struct json_object *t = NULL;

                (void) json_object_object_get_ex(doc, "message", &t);
                (void) bus_error_setf_utf8(&e, json_object_get_string(v), "%s",
                                           json_object_get_string(t) ?: "");
        } else if (error >= 0 && json_object_object_get_ex(doc, "errno", &v) && json_object_get_int(v) < 0) {
                r = sd_bus_reply_method_errno(a->msg, json_object_get_int(v), NULL);
                goto done;
        } else
                (void) bus_error_setf_utf8(
                        &e, ERROR_PREFIX "Failed",
                        "%s of %.200s ended without an answer (%s); daxmgrd's journal may say "
                        "why; call it again",
                        method, a->object,
                        detail
                                ?: error < 0 ? strerror(-error)
                                             : "no result");
        r = sd_bus_reply_method_error(a->msg, &e);
done:
        if (r < 0)
                log_debug("Cannot answer %s of %s: %s", method, a->object, strerror(-r));
        sd_bus_error_free(&e);
        async_call_free(a);
}

/* Answers @msg from a child that runs @fn (the process named @comm): 1, the reply comes later. */
static int reply_from_child(Manager *m, sd_bus_message *msg, const char *comm, AsyncCallFn fn,
                            const char *object, const char *hint, uint32_t pid, const char *path,
                            sd_bus_error *e) {
        const char *method = sd_bus_message_get_member(msg);
        AsyncCall *a = calloc(1, sizeof(*a));
        int r;

        if (!a)
                return -ENOMEM;
        *a = (AsyncCall){ .msg = sd_bus_message_ref(msg),
                          .fn = fn,
                          .object = strdup(object),
                          .hint = hint,
                          .pid = pid,
                          .path = path ? strdup(path) : NULL };
        if (!a->object || (path && !a->path)) {
                async_call_free(a);
                return -ENOMEM;
        }
        r = child_call_start(m, comm, ASYNC_CALL_TIMEOUT_USEC, async_call_run, async_call_done, a);
        if (r >= 0)
                return 1;
        async_call_free(a);
        if (r == -EBUSY)
                return bus_error_setf_utf8(e, ERROR_PREFIX "Busy",
                                           "%u calls of GetPlan, VerifyProcess or VerifyPath are being "
                                           "answered already; call %s again when one has finished",
                                           CHILD_CALLS_MAX, method);
        return bus_error_setf_utf8(e, ERROR_PREFIX "Failed",
                                   "cannot start a process to answer %s of %.200s: %s", method, object,
                                   strerror(-r));
}

/* A new plan, not m->plan: a call sees what no event announces (an entry point edited by hand). */
static int get_plan_compute(Manager *m, const AsyncCall *a, struct json_object **ret_result,
                            sd_bus_error *e) {
        _cleanup_reconcile_plan_ ReconcilePlan *p = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = reconcile_compute(NULL, m->config ?: &(Config){}, m->topology, m->state, m->state_dir,
                              m->dropin_root, manager_staleness(m), &p, &error);
        if (r < 0)
                return bus_error_set_errno(e, r, error_message(error, r));
        return reconcile_plan_to_json(p, ret_result);
}

int method_get_plan(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;

        if (!m->topology)
                return sd_bus_error_set(e, ERROR_PREFIX "Failed", "the pmem topology has not been read yet");
        return reply_from_child(m, msg, "daxmgrd-plan", get_plan_compute, ROOT_PATH,
                                "a configured zone or program may be on a file system that hangs (a lost "
                                "network mount?): check them, then call it again",
                                0, NULL, e);
}

/* ---------------------------------------------------------------- VerifyProcess, VerifyPath */

static int verify_process_compute(Manager *m, const AsyncCall *a, struct json_object **ret_result,
                                  sd_bus_error *e) {
        _cleanup_(xip_report_freep) XipReport *report = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = xip_verify_process((pid_t) a->pid, NULL, &report, &error);
        if (r < 0)
                return bus_error_set_errno(e, r, error_message(error, r));
        *ret_result = xip_report_to_json(report);
        return *ret_result ? 0 : -ENOMEM;
}

static int do_verify_process(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        struct json_object *a = json_object_new_object();
        char object[32];
        uint32_t pid;
        int r;

        r = sd_bus_message_read(msg, "u", &pid);
        if (r >= 0)
                r = read_options(msg, NULL, a, e);
        json_object_put(a);
        if (r < 0)
                return r;
        (void) snprintf(object, sizeof(object), "process %" PRIu32, pid);
        return reply_from_child(userdata, msg, "daxmgrd-vproc", verify_process_compute, object,
                                "the process may be very large, or stuck in the kernel: call it again", pid,
                                NULL, e);
}

int method_verify_process(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        char proc[64];
        struct stat st;
        uint32_t pid;
        uid_t uid;
        int r;

        r = sd_bus_message_read(msg, "u", &pid);
        if (r < 0)
                return r;
        if (pid == 0 || pid > (uint32_t) INT32_MAX)
                return invalid(e,
                               "%" PRIu32 " is not a process ID (1 to 2147483647; -1 arrives as 4294967295)",
                               pid);
        snprintf(proc, sizeof(proc), "/proc/%" PRIu32, pid);
        if (stat(proc, &st) < 0)
                return bus_error_setf_utf8(e, ERROR_PREFIX "NotFound", "there is no process %" PRIu32, pid);
        r = sd_bus_message_rewind(msg, true);
        if (r < 0)
                return r;
        /* One's own processes need no authorization. */
        r = bus_caller_uid(msg, &uid);
        log_debug("VerifyProcess(%" PRIu32 ") of uid %u by uid %d", pid, (unsigned) st.st_uid,
                  r < 0 ? -1 : (int) uid);
        if (r >= 0 && uid == st.st_uid)
                return do_verify_process(msg, userdata, e);
        return polkit_authorize(userdata, msg, "org.daxmgr1.verify-process", do_verify_process, userdata, e);
}

/* The region (and its kind) whose namespace's block device is @blockdev: what MAP_SYNC's answer
 * comes from. Returns the kind (REGION_KIND_UNKNOWN when no region has that device). */
static RegionKind path_region_json(Manager *m, const char *blockdev, struct json_object *j) {
        const TopoRegion *found = NULL;

        for (size_t i = 0; blockdev && m->topology && i < m->topology->n_regions && !found; i++)
                for (size_t k = 0; k < m->topology->regions[i].n_namespaces; k++) {
                        const TopoNamespace *n = &m->topology->regions[i].namespaces[k];

                        if (n->blockdev && strcmp(n->blockdev, blockdev) == 0) {
                                found = &m->topology->regions[i];
                                break;
                        }
                }
        add(j, "region", found ? jstr(found->dev) : NULL);
        add(j, "kind", found ? jstr(region_kind_to_string(found->kind)) : NULL);
        add(j, "flush", found ? jstr(region_flush(found->kind)) : NULL);
        return found ? found->kind : REGION_KIND_UNKNOWN;
}

static int verify_path_compute(Manager *m, const AsyncCall *a, struct json_object **ret_result,
                               sd_bus_error *e) {
        _cleanup_free_ char *error = NULL;
        struct json_object *j;
        DaxPathInfo i = {};
        RegionKind kind;
        int r;

        r = dax_path_check(a->path, &i, &error);
        if (r < 0)
                return bus_error_set_errno(e, r, error_message(error, r));
        j = json_object_new_object();
        add(j, "path", jstr(i.path));
        add(j, "type", jstr(i.is_dir ? "directory" : "file"));
        add(j, "dax", json_object_new_boolean(i.dax));
        add(j, "fs", jstr(i.fstype));
        add(j, "source", jstr(i.source));
        add(j, "mountpoint", jstr(i.mountpoint));
        add(j, "dax_mode", jstr(dax_mode_to_string(i.dax_mode)));
        add(j, "device", jstr(i.device));
        add(j, "why_not", jstr(i.why_not));
        add(j, "map_sync", i.map_sync < 0 ? NULL : json_object_new_boolean(i.map_sync > 0));
        kind = path_region_json(m, i.device, j);
        /* The kernel's answer is reported as it is; where it contradicts the region's kind
         * (MAP_SYNC granted on virtio-pmem), what that means is said next to it. */
        add(j, "map_sync_warning", jstr(region_kind_map_sync_contradiction(kind, i.map_sync)));
        dax_path_info_done(&i);
        *ret_result = j;
        return 0;
}

int method_verify_path(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        struct json_object *a = json_object_new_object();
        const char *path;
        struct stat st;
        uid_t uid = (uid_t) -1;
        int r;

        r = sd_bus_message_read(msg, "s", &path);
        if (r >= 0)
                r = read_options(msg, NULL, a, e);
        json_object_put(a);
        if (r < 0)
                return r;
        if (!path_ok(path))
                return invalid_path(e, "the path", path);
        /* A directory is answered with a probe file created in it: only for root. */
        (void) bus_caller_uid(msg, &uid);
        if (uid != 0 && stat(path, &st) >= 0 && S_ISDIR(st.st_mode))
                return bus_error_setf_utf8(
                        e, ERROR_PREFIX "AccessDenied",
                        "checking a directory creates a probe file in it, which only root may "
                        "ask for; check a file in %.200s instead",
                        path);
        return reply_from_child(userdata, msg, "daxmgrd-vpath", verify_path_compute, path,
                                "the file system of the path may hang (a lost network mount?): check it, "
                                "then call it again",
                                0, path, e);
}
