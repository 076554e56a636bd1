/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <string.h>

#include "error.h"

int error_setv(char **ret_error, int r, const char *fmt, va_list ap) {
        char *m = NULL;

        if (!ret_error)
                return r;
        free(*ret_error);
        *ret_error = NULL;
        if (vasprintf(&m, fmt, ap) >= 0)
                *ret_error = m;
        return r;
}

int error_set(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        r = error_setv(ret_error, r, fmt, ap);
        va_end(ap);
        return r;
}

const char *error_message(const char *error, int r) {
        return error ?: strerror(r < 0 ? -r : r);
}
