/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The library context: the libndctl and libdaxctl handles, a log callback, and the lock every
 * namespace mutation takes (one writer per process; the host-wide lock is in ns-lock.h). */

#include <pthread.h>
#include <stdarg.h>
#include <syslog.h>

#include "macro.h"

struct ndctl_ctx;
struct daxctl_ctx;

typedef void (*DaxLogFn)(void *userdata, int priority, const char *message);

typedef struct DaxContext {
        unsigned n_ref;
        struct ndctl_ctx *ndctl;
        struct daxctl_ctx *daxctl;
        DaxLogFn log_fn;
        void *log_userdata;
        int log_max_priority;
        pthread_mutex_t mutation_lock; /* serializes mutations inside this process */
        char *run_dir;                 /* where the host-wide lock lives: /run/daxmgr */
        unsigned lock_timeout_sec;     /* how long a mutation waits for another process */
} DaxContext;

/* Fails with the library's errno when libndctl cannot start (no sysfs, no memory). */
int dax_context_new(DaxContext **ret);
DaxContext *dax_context_ref(DaxContext *c);
DaxContext *dax_context_unref(DaxContext *c);
static inline void dax_context_unrefp(DaxContext **c) {
        dax_context_unref(*c);
}
#define _cleanup_dax_context_ _cleanup_(dax_context_unrefp)

/* Log sink (default: none). Priorities are syslog's; libndctl's own messages are routed here
 * too, at the priority set (default LOG_WARNING). */
void dax_context_set_log(DaxContext *c, DaxLogFn fn, void *userdata, int max_priority);
void dax_log(DaxContext *c, int priority, const char *fmt, ...) _printf_(3, 4);

/* Drops libndctl's cached topology, so the next walk sees the kernel's current state. */
void dax_context_invalidate(DaxContext *c);
