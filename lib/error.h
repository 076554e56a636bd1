/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Errors with words. Operations that can fail for reasons a user must read (a size that does
 * not fit, mkfs's complaint, the kernel's mount error) take a "char **ret_error" last: on
 * failure they return a negative errno and, if ret_error is non-NULL, store a malloc'd
 * sentence saying what failed, on which object, why, and what to do. The library never
 * prints; the caller shows the sentence (CLI: stderr; daemon: journal and D-Bus error). */

#include <stdarg.h>

#include "macro.h"

/* Sets *ret_error (if non-NULL; replacing nothing: *ret_error must be NULL or is freed first)
 * to the formatted message and returns @r (a negative errno), so that
 *     return error_set(ret_error, -EINVAL, "…", …);
 * reads naturally. If the message cannot be allocated, *ret_error stays NULL. */
int error_set(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
int error_setv(char **ret_error, int r, const char *fmt, va_list ap) _printf_(3, 0);

/* The message for a caller that got none: the error's own words, or strerror. */
const char *error_message(const char *error, int r);
