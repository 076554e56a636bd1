/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal assertions for the host unit tests: print where and what, then abort, so that
 * meson reports the test as failed with the message in its log.
 *
 * TEST(test_foo) { ... } defines a test and registers it: it is a static function plus an entry
 * in the DAXMGR_TEST_TABLE section of the test program, and DEFINE_TEST_MAIN() (or
 * DEFINE_TEST_MAIN_FULL() with a setup and a teardown) provides a main() that runs every entry of
 * that section in source order, so that a test cannot be written and forgotten. This is how
 * systemd's src/shared/tests.h does it: the linker provides __start_ and __stop_ symbols around a
 * section whose name is a C identifier. */

#include <errno.h>
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

typedef struct TestCase {
        void (*func)(void);
        const char *name;
        unsigned line; /* the order in which they run: section order is the toolchain's choice */
} TestCase;

/* "used" so that the compiler keeps an entry nothing refers to by name; "retain" (where the
 * toolchain has it, tests/meson.build checks) so that the linker keeps the section with
 * --gc-sections; aligned to a pointer so that the compiler does not align an entry beyond its
 * type (x86-64 aligns aggregates of 16 bytes and more to 16) and leave holes between entries;
 * not instrumented by ASan (clang), whose red zones would too. */
#ifdef TEST_HAVE_ATTRIBUTE_RETAIN
#define _test_retain_ __attribute__((retain))
#else
#define _test_retain_
#endif
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define _test_no_asan_ __attribute__((no_sanitize_address))
#endif
#endif
#ifndef _test_no_asan_
#define _test_no_asan_
#endif

#define TEST(fn)                                                                                            \
        static void fn(void);                                                                               \
        __attribute__((section("DAXMGR_TEST_TABLE"), used, aligned(sizeof(void *))))                        \
        _test_retain_ _test_no_asan_ static const TestCase test_case_##fn = {                               \
                .func = fn,                                                                                 \
                .name = #fn,                                                                                \
                .line = __LINE__,                                                                           \
        };                                                                                                  \
        static void fn(void)

/* Weak: a program without any TEST() still links (and fails, below). */
extern const TestCase __start_DAXMGR_TEST_TABLE[] __attribute__((weak));
extern const TestCase __stop_DAXMGR_TEST_TABLE[] __attribute__((weak));

static inline int test_case_compare(const void *a, const void *b) {
        const TestCase *x = *(const TestCase *const *) a, *y = *(const TestCase *const *) b;

        return x->line < y->line ? -1 : x->line > y->line;
}

/* Runs setup(argc, argv) if given (a non-zero return is the exit status: no test runs), then
 * every registered test in source order, printing each name first, then teardown() if given.
 * A failed assertion aborts; a program that registered no test fails too, since that is a
 * test table the linker dropped rather than a file with nothing to test. */
static inline int test_main(int argc, char **argv, int (*setup)(int argc, char **argv),
                            void (*teardown)(void)) {
        const char *start = (const char *) __start_DAXMGR_TEST_TABLE,
                   *stop = (const char *) __stop_DAXMGR_TEST_TABLE;
        const TestCase **tests;
        size_t n;
        int r;

        if (!start || !stop || stop <= start) {
                fprintf(stderr, "%s: no tests registered\n", program_invocation_short_name);
                return EXIT_FAILURE;
        }
        if ((size_t) (stop - start) % sizeof(TestCase) != 0) {
                fprintf(stderr, "%s: the test table is %zu bytes, not a multiple of %zu\n",
                        program_invocation_short_name, (size_t) (stop - start), sizeof(TestCase));
                return EXIT_FAILURE;
        }
        n = (size_t) (stop - start) / sizeof(TestCase);
        tests = calloc(n, sizeof(*tests));
        if (!tests)
                abort();
        for (size_t i = 0; i < n; i++)
                tests[i] = __start_DAXMGR_TEST_TABLE + i;
        qsort(tests, n, sizeof(*tests), test_case_compare);

        if (setup) {
                r = setup(argc, argv);
                if (r != 0) {
                        free(tests);
                        return r;
                }
        }
        for (size_t i = 0; i < n; i++) {
                fprintf(stderr, "/* %s */\n", tests[i]->name);
                tests[i]->func();
        }
        if (teardown)
                teardown();
        fprintf(stderr, "%s: %zu tests passed\n", program_invocation_short_name, n);
        free(tests);
        return EXIT_SUCCESS;
}

#define DEFINE_TEST_MAIN_FULL(setup, teardown)                                                              \
        int main(int argc, char **argv) {                                                                   \
                return test_main(argc, argv, setup, teardown);                                              \
        }                                                                                                   \
        _Static_assert(1, "DEFINE_TEST_MAIN() is followed by a semicolon")
#define DEFINE_TEST_MAIN() DEFINE_TEST_MAIN_FULL(NULL, NULL)
