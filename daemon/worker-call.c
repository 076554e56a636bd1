/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The worker's calls (worker.h): what the daemon asks of daxmgrd-worker that is not a job, so
 * that the daemon's own process loads none of the libraries it takes. The request names the
 * call ({"call": "topology"}); the answer is one JSON document on fd 3 (child-call.h), and the
 * worker exits 0 when it wrote one. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "context.h"
#include "error.h"
#include "log.h"
#include "topology.h"
#include "worker.h"

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

static int write_all(int fd, const char *s) {
        size_t left = strlen(s);

        while (left > 0) {
                ssize_t n = write(fd, s, left);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -errno;
                s += n;
                left -= (size_t) n;
        }
        return 0;
}

_Noreturn void worker_call_run(struct json_object *request, int fd) {
        struct json_object *v, *result = NULL;
        const char *call = NULL;
        const char *s;

        if (json_object_object_get_ex(request, "log_level", &v) && json_object_is_type(v, json_type_int))
                log_max_priority = json_object_get_int(v);
        if (json_object_object_get_ex(request, "call", &v) && json_object_is_type(v, json_type_string))
                call = json_object_get_string(v);
        if (call && strcmp(call, "topology") == 0)
                result = call_topology();
        else
                log_error("The worker has no call \"%s\".", call ?: "?");
        s = result ? json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN) : NULL;
        _exit(s && write_all(fd, s) >= 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
