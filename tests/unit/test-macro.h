/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal assertions for the host unit tests: print where and what, then abort, so that
 * meson reports the test as failed with the message in its log. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT_TRUE(expr)                                                                                   \
        do {                                                                                                \
                if (!(expr)) {                                                                              \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #expr);        \
                        abort();                                                                            \
                }                                                                                           \
        } while (0)

#define ASSERT_EQ(a, b)                                                                                     \
        do {                                                                                                \
                intmax_t _a = (intmax_t) (a), _b = (intmax_t) (b);                                          \
                if (_a != _b) {                                                                             \
                        fprintf(stderr, "%s:%d: %s == %s failed: %jd != %jd\n", __FILE__, __LINE__, #a, #b, \
                                _a, _b);                                                                    \
                        abort();                                                                            \
                }                                                                                           \
        } while (0)

#define ASSERT_EQ_U64(a, b)                                                                                 \
        do {                                                                                                \
                uint64_t _a = (uint64_t) (a), _b = (uint64_t) (b);                                          \
                if (_a != _b) {                                                                             \
                        fprintf(stderr, "%s:%d: %s == %s failed: 0x%" PRIx64 " != 0x%" PRIx64 "\n",         \
                                __FILE__, __LINE__, #a, #b, _a, _b);                                        \
                        abort();                                                                            \
                }                                                                                           \
        } while (0)

#define ASSERT_STREQ(a, b)                                                                                  \
        do {                                                                                                \
                const char *_a = (a), *_b = (b);                                                            \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                                    \
                        fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__,   \
                                #a, #b, _a ?: "(null)", _b ?: "(null)");                                    \
                        abort();                                                                            \
                }                                                                                           \
        } while (0)

#define TEST(name) static void name(void)
