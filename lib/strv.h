/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated arrays of malloc'd strings ("strv", as systemd calls them). Every function
 * takes NULL as the empty list. */

#include <stdbool.h>
#include <stddef.h>

/* Frees the strings and the array; returns NULL for "l = strv_free(l)". */
char **strv_free(char **l);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);

/* Appends @s, taking it in every case: on failure (-ENOMEM, also for @s NULL, so that an
 * allocation can be passed straight in) it is freed and *l is left as it was. */
int strv_consume(char ***l, char *s);

/* Appends a copy of @s. */
int strv_extend(char ***l, const char *s);

/* Appends copies of the NULL-terminated argument list; on failure what was appended stays. */
int strv_extend_many(char ***l, ...) __attribute__((sentinel));
