/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#define ERROR_PREFIX "org.daxmgr1.Error."

typedef struct OptionSpec {
        const char *key;
        char type; /* 's', 'b', 't' */
} OptionSpec;

/* The options of CreateNamespace, DestroyNamespace, Format, Mount, Place and Unplace. */
extern const OptionSpec bus_create_options[], bus_destroy_options[], bus_format_options[],
        bus_mount_options[], bus_place_options[], bus_unplace_options[], bus_refresh_options[];

/* Reads the a{sv} at the read position of @msg into @into, refusing by name (in @e,
 * org.daxmgr1.Error.InvalidArgument) unknown keys, wrong types, strings of PATH_MAX bytes or
 * more, and an "align" that is not a power of two from 4 KiB to 1 GiB. @specs ends with a NULL key; NULL
 * takes no options. Returns < 0 on error (with @e set for what the caller got wrong). */
int read_options(sd_bus_message *msg, const OptionSpec *specs, struct json_object *into, sd_bus_error *e);

/* Replaces in place each byte of @s that does not start a valid UTF-8 character (a character
 * cut by "%.64s", say) with '?'. Returns @s. */
char *utf8_make_valid(char *s);

/* sd_bus_error_setf() whose message is made valid UTF-8 first: sd-bus cannot send an error
 * whose text is not, and the caller would get no reply at all. */
int bus_error_setfv_utf8(sd_bus_error *e, const char *name, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));
int bus_error_setf_utf8(sd_bus_error *e, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
