/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The few helpers every file uses: scoped cleanup and ownership transfer. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _pure_         __attribute__((pure))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_  __attribute__((warn_unused_result))
#define _likely_(x)    (__builtin_expect(!!(x), 1))
#define _unlikely_(x)  (__builtin_expect(!!(x), 0))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* Take ownership of a pointer or fd, leaving the variable NULL / -1 so cleanup skips it. */
#define TAKE_PTR(p)                                                                                         \
        ({                                                                                                  \
                __typeof__(p) _p_ = (p);                                                                    \
                (p) = NULL;                                                                                 \
                _p_;                                                                                        \
        })
#define TAKE_FD(fd)                                                                                         \
        ({                                                                                                  \
                int _fd_ = (fd);                                                                            \
                (fd) = -1;                                                                                  \
                _fd_;                                                                                       \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* close() that keeps errno and accepts -1; returns -1 to allow "fd = safe_close(fd)". */
static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -1;
}
static inline void closep(int *fd) {
        (void) safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* asprintf() that returns the string, or NULL when it cannot be made (no memory, or a format
 * error). asprintf() leaves its pointer undefined on failure, so a "(void) asprintf(&s, ...)"
 * followed by a use of s reads garbage; "s = asprintf_safe(...)" gives NULL, which the caller
 * drops or replaces with words of its own. */
_printf_(1, 2) static inline char *asprintf_safe(const char *format, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

/* Grows *array (of *n elements of @size) by one zeroed element; returns it or NULL. */
static inline void *grow_array(void *array_ptr, size_t *n, size_t size) {
        void **array = array_ptr;
        char *a = reallocarray(*array, *n + 1, size);

        if (!a)
                return NULL;
        memset(a + *n * size, 0, size);
        *array = a;
        return a + (*n)++ * size;
}

/* *ret = a copy of @s, or NULL when @s is NULL; -ENOMEM when the copy fails. */
static inline int strdup_opt(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* Return the negative errno of the last failed libc call, never 0 (callers rely on < 0). */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}
