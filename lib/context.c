/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <daxctl/libdaxctl.h>
#include <errno.h>
#include <ndctl/libndctl.h>
#include <stdio.h>
#include <string.h>

#include "context.h"

/* libndctl's format strings, checked where libndctl calls its log function. */
static _printf_(6, 0) void ndctl_log_bridge(struct ndctl_ctx *ndctl, int priority, const char *file,
                                            int line, const char *fn, const char *format, va_list args) {
        DaxContext *c = ndctl_get_userdata(ndctl);
        _cleanup_free_ char *m = NULL;

        if (!c || !c->log_fn || priority > c->log_max_priority)
                return;
        if (vasprintf(&m, format, args) < 0)
                return;
        m[strcspn(m, "\n")] = '\0';
        c->log_fn(c->log_userdata, priority, m);
}

int dax_context_new(DaxContext **ret) {
        DaxContext *c;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        c->log_max_priority = LOG_WARNING;
        c->lock_timeout_sec = 120;
        (void) pthread_mutex_init(&c->mutation_lock, NULL);
        c->run_dir = strdup(getenv("DAXMGR_RUN_DIR") ?: "/run/daxmgr");
        if (!c->run_dir) {
                dax_context_unref(c);
                return -ENOMEM;
        }

        r = ndctl_new(&c->ndctl);
        if (r < 0 || !c->ndctl) {
                dax_context_unref(c);
                return r < 0 ? r : -ENOMEM;
        }
        ndctl_set_userdata(c->ndctl, c);
        ndctl_set_log_fn(c->ndctl, ndctl_log_bridge);
        ndctl_set_log_priority(c->ndctl, LOG_WARNING);

        r = daxctl_new(&c->daxctl);
        if (r < 0 || !c->daxctl) {
                dax_context_unref(c);
                return r < 0 ? r : -ENOMEM;
        }

        *ret = c;
        return 0;
}

DaxContext *dax_context_ref(DaxContext *c) {
        if (c)
                c->n_ref++;
        return c;
}

DaxContext *dax_context_unref(DaxContext *c) {
        if (!c || --c->n_ref > 0)
                return NULL;
        if (c->daxctl)
                daxctl_unref(c->daxctl);
        if (c->ndctl)
                ndctl_unref(c->ndctl);
        (void) pthread_mutex_destroy(&c->mutation_lock);
        free(c->run_dir);
        free(c);
        return NULL;
}

void dax_context_set_log(DaxContext *c, DaxLogFn fn, void *userdata, int max_priority) {
        c->log_fn = fn;
        c->log_userdata = userdata;
        c->log_max_priority = max_priority;
        ndctl_set_log_priority(c->ndctl, max_priority);
}

void dax_log(DaxContext *c, int priority, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int k;

        if (!c || !c->log_fn || priority > c->log_max_priority)
                return;
        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k >= 0)
                c->log_fn(c->log_userdata, priority, m);
}

void dax_context_invalidate(DaxContext *c) {
        ndctl_invalidate(c->ndctl);
}
