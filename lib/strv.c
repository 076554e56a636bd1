/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **p = l; *p; p++)
                free(*p);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

bool strv_contains(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (strcmp(*l, s) == 0)
                        return true;
        return false;
}

int strv_consume(char ***l, char *s) {
        size_t n;
        char **a;

        if (!s)
                return -ENOMEM;
        n = strv_length(*l);
        a = reallocarray(*l, n + 2, sizeof(char *));
        if (!a) {
                free(s);
                return -ENOMEM;
        }
        a[n] = s;
        a[n + 1] = NULL;
        *l = a;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, s ? strdup(s) : NULL);
}

int strv_extend_many(char ***l, ...) {
        va_list ap;
        int r = 0;

        va_start(ap, l);
        for (const char *s; (s = va_arg(ap, const char *));) {
                r = strv_extend(l, s);
                if (r < 0)
                        break;
        }
        va_end(ap);
        return r;
}
