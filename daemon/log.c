/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

int log_max_priority = LOG_INFO;

void log_full(int priority, const char *fmt, ...) {
        va_list ap;

        if (priority > log_max_priority)
                return;
        fprintf(stderr, "<%d>", priority);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}
