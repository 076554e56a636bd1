/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's log. Under systemd with the journal (log_open() found stderr to be the stream
 * that JOURNAL_STREAM names), the daemon's process sends each message to the journal itself
 * (sd_journal_sendv()), with the fields its caller attaches: MESSAGE_ID= (messages.h),
 * DAXMGR_NAMESPACE=, DAXMGR_ZONE=, DAXMGR_JOB=… (docs/ARCHITECTURE.md, "Logs"). Otherwise, and
 * in a process forked from it (worker, check child), it writes to stderr with the kernel-style
 * "<N>" priority prefix, which the journal turns into the message's priority (systemd.exec(5),
 * SyslogLevelPrefix=); the fields are then left out. MESSAGE= is the same text either way. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <syslog.h>

#include "macro.h"

extern int log_max_priority;

/* A journal field: NAME (A-Z, 0-9, _, not starting with _ or a digit, at most 64 characters;
 * MESSAGE, PRIORITY and SYSLOG_* are the log's own) and its value, which is sent on one line:
 * control characters and invalid UTF-8 become '?'. A field whose value is NULL is left out. */
typedef struct LogField {
        const char *name;
        const char *value;
} LogField;

/* An array of fields for log_struct(), ended by { NULL }: LOG_FIELDS({ "DAXMGR_ZONE", dir }). */
#define LOG_FIELDS(...) ((const LogField[]){ __VA_ARGS__, { NULL, NULL } })

/* Where the messages go: the journal if stderr is connected to it (JOURNAL_STREAM), else stderr.
 * Called once by daxmgrd's main process; its children keep writing to stderr. */
void log_open(void);

void log_full(int priority, const char *fmt, ...) _printf_(2, 3);
/* log_full() with journal fields: @fields up to the first one whose name is NULL (or NULL). */
void log_struct(int priority, const LogField *fields, const char *fmt, ...) _printf_(3, 4);

/* Is @name a field a caller may attach (the rules above)? */
bool log_field_name_is_valid(const char *name);

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
