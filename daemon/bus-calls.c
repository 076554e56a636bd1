/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The methods of org.daxmgr1.Manager that only read but may block, answered from a short-lived
 * worker (child-call.h, worker-call.c): GetPlan, VerifyProcess and VerifyPath; and GetMetrics from
 * a child forked from the daemon (metrics.c: its facts are the daemon's own). The others are in
 * bus.c. */

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
#include "error.h"
#include "log.h"
#include "manager.h"
#include "polkit.h"
#include "worker.h"

/* GetPlan, VerifyProcess and VerifyPath may block (stat() and NSS lookups for the plan,
 * /proc/PID/pagemap and ELF files, a probe file): their handlers check the arguments and ask
 * polkit on the loop, then a short-lived worker (child_call_exec(): the daemon's process needs
 * neither libelf nor libmount for them) computes the answer, and the call is answered when it
 * has ended. A little under a client's default timeout of 25 s, so that the
 * caller reads why rather than a NoReply of its own bus library. */
#define ASYNC_CALL_TIMEOUT_USEC (20 * 1000000ULL)

/* Adds @v (taken; NULL: out of memory) to @o as @k. */
static int put(struct json_object *o, const char *k, struct json_object *v) {
        if (!v || json_object_object_add(o, k, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

typedef struct AsyncCall {
        sd_bus_message *msg; /* the call, answered when the worker has ended */
        char *object;        /* what the call is about, in the sentences of its errors */
        const char *hint;    /* what to do when it did not finish in time */
} AsyncCall;

static void async_call_free(AsyncCall *a) {
        sd_bus_message_unref(a->msg);
        free(a->object);
        free(a);
}

/* The worker's document (worker-call.c): {"reply": TEXT} (the JSON text reply_json() would
 * send), {"error": NAME, "message": TEXT} or {"errno": N}. */
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

/* A child or worker that could not be started: Busy when CHILD_CALLS_MAX run, else Failed. */
static int call_start_failed(int r, const char *method, const char *object, sd_bus_error *e) {
        if (r == -EBUSY)
                return bus_error_setf_utf8(
                        e, ERROR_PREFIX "Busy",
                        "%u calls of GetPlan, GetMetrics, VerifyProcess or VerifyPath are "
                        "being answered already; call %s again when one has finished",
                        CHILD_CALLS_MAX, method);
        return bus_error_setf_utf8(e, ERROR_PREFIX "Failed",
                                   "cannot start a process to answer %s of %.200s: %s", method, object,
                                   strerror(-r));
}

/* Answers @msg from a worker (the process named @comm) that answers @request, which is taken:
 * 1, the reply comes later. */
static int reply_from_worker(Manager *m, sd_bus_message *msg, const char *comm, struct json_object *request,
                             const char *object, const char *hint, sd_bus_error *e) {
        const char *method = sd_bus_message_get_member(msg);
        AsyncCall *a = calloc(1, sizeof(*a));
        int r = 0;

        if (!a || !request) {
                free(a);
                json_object_put(request);
                return -ENOMEM;
        }
        *a = (AsyncCall){ .msg = sd_bus_message_ref(msg), .object = strdup(object), .hint = hint };
        if (!a->object || put(request, "name", jstr(comm)) < 0 ||
            put(request, "log_level", json_object_new_int(log_max_priority)) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = child_call_exec(m, comm, ASYNC_CALL_TIMEOUT_USEC, request, async_call_done, a);
        json_object_put(request);
        if (r >= 0)
                return 1;
        async_call_free(a);
        return call_start_failed(r, method, object, e);
}

/* GetMetrics: metrics_text() in a child forked from the daemon, with the daemon's state as it was
 * at the fork; it reads pagemaps of placed services and statx()es files on each mount, which may
 * block. The document is the one a worker writes. */
static struct json_object *get_metrics_run(Manager *m, void *userdata) {
        _cleanup_free_ char *text = NULL;
        struct json_object *doc = json_object_new_object();
        int r;

        if (!doc)
                return NULL;
        r = metrics_text(m, &text);
        if (r < 0)
                add(doc, "errno", json_object_new_int(r));
        else
                add(doc, "reply", jstr(text));
        return doc;
}

int method_get_metrics(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;
        AsyncCall *a = calloc(1, sizeof(*a));
        int r;

        if (!a)
                return -ENOMEM;
        *a = (AsyncCall){ .msg = sd_bus_message_ref(msg),
                          .object = strdup(ROOT_PATH),
                          .hint = "a pmem mount may hang, or a placed service have very large processes: "
                                  "call it again" };
        if (!a->object) {
                async_call_free(a);
                return -ENOMEM;
        }
        r = child_call_start(m, "daxmgrd-metrics", ASYNC_CALL_TIMEOUT_USEC, get_metrics_run, async_call_done,
                             a);
        if (r >= 0)
                return 1;
        async_call_free(a);
        return call_start_failed(r, "GetMetrics", ROOT_PATH, e);
}

int method_get_plan(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;

        struct json_object *req, *closures;
        int r;

        if (!m->topology)
                return sd_bus_error_set(e, ERROR_PREFIX "Failed", "the pmem topology has not been read yet");
        /* A new plan, not m->plan: a call sees what no event announces (an entry point edited by
         * hand); with what the daemon knows: its configuration, topology, hash cache and the
         * closures its check found changed. */
        req = json_object_new_object();
        closures = json_object_new_array();
        r = req && closures ? 0 : -ENOMEM;
        if (r >= 0)
                r = put(req, "call", jstr("plan"));
        if (r >= 0)
                r = worker_config_to_json(m->config, req);
        if (r >= 0)
                r = worker_hashes_to_json(&m->hash_cache, req);
        if (r >= 0)
                r = put(req, "topology", topology_to_json(m->topology));
        if (r >= 0)
                r = put(req, "state_dir", jstr(m->state_dir));
        if (r >= 0)
                r = put(req, "dropin_root", jstr(m->dropin_root));
        for (size_t i = 0; r >= 0 && i < m->n_closures; i++) {
                struct json_object *c = json_object_new_array();

                if (!c || json_object_array_add(closures, c) < 0) {
                        json_object_put(c);
                        r = -ENOMEM;
                        break;
                }
                if (json_object_array_add(c, jstr(m->closures[i].zone)) < 0 ||
                    json_object_array_add(c, jstr(m->closures[i].program)) < 0 ||
                    json_object_array_add(c, jstr(m->closures[i].why)) < 0)
                        r = -ENOMEM;
        }
        if (r >= 0) {
                r = put(req, "closures", closures);
                closures = NULL;
        }
        json_object_put(closures);
        if (r < 0) {
                json_object_put(req);
                return r;
        }
        return reply_from_worker(m, msg, "daxmgrd-plan", req, ROOT_PATH,
                                 "a configured zone or program may be on a file system that hangs (a lost "
                                 "network mount?): check them, then call it again",
                                 e);
}

/* ---------------------------------------------------------------- VerifyProcess, VerifyPath */

static int do_verify_process(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        struct json_object *a = json_object_new_object(), *req;
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
        req = json_object_new_object();
        if (req && (put(req, "call", jstr("verify-process")) < 0 ||
                    put(req, "pid", json_object_new_int64(pid)) < 0))
                req = (json_object_put(req), NULL);
        return reply_from_worker(userdata, msg, "daxmgrd-vproc", req, object,
                                 "the process may be very large, or stuck in the kernel: call it again", e);
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

int method_verify_path(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;
        struct json_object *a = json_object_new_object(), *req;
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
        /* The topology for the region of the path's device (what MAP_SYNC's answer comes from). */
        req = json_object_new_object();
        if (req && (put(req, "call", jstr("verify-path")) < 0 || put(req, "path", jstr(path)) < 0 ||
                    (m->topology && put(req, "topology", topology_to_json(m->topology)) < 0)))
                req = (json_object_put(req), NULL);
        return reply_from_worker(m, msg, "daxmgrd-vpath", req, path,
                                 "the file system of the path may hang (a lost network mount?): check it, "
                                 "then call it again",
                                 e);
}
