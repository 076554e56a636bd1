/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon logs to stderr with the kernel-style "<N>" priority prefix, which the journal turns
 * into the message's priority (systemd.exec(5), SyslogLevelPrefix=). */

#include <errno.h>
#include <stdlib.h>
#include <syslog.h>

#include "macro.h"

extern int log_max_priority;

void log_full(int priority, const char *fmt, ...) _printf_(2, 3);

#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)
#define log_error_errno(r, ...)                                                                             \
        ({                                                                                                  \
                log_full(LOG_ERR, __VA_ARGS__);                                                             \
                (r);                                                                                        \
        })

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}
