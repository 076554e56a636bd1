/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Enum <-> string, from one table per enum: `static const char *const NAME_table[_MAX] = {...}`
 * then DEFINE_STRING_TABLE_LOOKUP(NAME, Type) defines NAME_to_string() (NULL out of range) and
 * NAME_from_string() (-EINVAL for NULL or an unknown string: every enum's _INVALID is -EINVAL). */

#include <stddef.h>

#include "macro.h"

int string_table_lookup(const char *const *table, size_t n, const char *s) _pure_;

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type)                                                    \
        const char *name##_to_string(type v) {                                                              \
                return v >= 0 && (size_t) v < ELEMENTSOF(name##_table) ? name##_table[v] : NULL;            \
        }

#define DEFINE_STRING_TABLE_LOOKUP(name, type)                                                              \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type)                                                    \
        type name##_from_string(const char *s) {                                                            \
                return (type) string_table_lookup(name##_table, ELEMENTSOF(name##_table), s);               \
        }
