/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The options dictionary (a{sv}) every mutating method of org.daxmgr1 takes: read strictly into
 * JSON. A file of its own so that fuzz/fuzz-dbus-options.c can drive it without a daemon. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-options.h"
#include "macro.h"
#include "parse-util.h"

/* The length of at most @max bytes of the UTF-8 string @s that does not cut a character: an
 * error message must be valid UTF-8, or sd-bus cannot send it and the caller gets no reply. */
static int utf8_prefix_len(const char *s, size_t max) {
        size_t n = strnlen(s, max + 1);

        if (n <= max)
                return (int) n;
        n = max;
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        return (int) n;
}

char *utf8_make_valid(char *s) {
        char *p = s;

        while (p && *p) {
                size_t len = utf8_char_len(p, SIZE_MAX);

                if (len == 0)
                        *p++ = '?';
                else
                        p += len;
        }
        return s;
}

int bus_error_setfv_utf8(sd_bus_error *e, const char *name, const char *fmt, va_list ap) {
        _cleanup_free_ char *s = NULL;

        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        return sd_bus_error_set(e, name, s ? utf8_make_valid(s) : "out of memory");
}

int bus_error_setf_utf8(sd_bus_error *e, const char *name, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = bus_error_setfv_utf8(e, name, fmt, ap);
        va_end(ap);
        return r;
}

/* Reads the a{sv} into a JSON object, refusing unknown keys and wrong types by name, and strings
 * and alignments no caller can mean. */
int read_options(sd_bus_message *msg, const OptionSpec *specs, struct json_object *into, sd_bus_error *e) {
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const OptionSpec *spec = NULL;
                const char *key, *contents;
                char type;

                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                for (const OptionSpec *s = specs; s && s->key; s++)
                        if (strcmp(s->key, key) == 0)
                                spec = s;
                if (!spec) {
                        _cleanup_free_ char *known = NULL;

                        for (const OptionSpec *s = specs; s && s->key; s++) {
                                char *k = NULL;

                                k = asprintf_safe("%s%s%s", known ?: "", known ? ", " : "", s->key);
                                if (!k)
                                        return -ENOMEM;
                                free(known);
                                known = k;
                        }
                        return sd_bus_error_setf(e, ERROR_PREFIX "InvalidArgument",
                                                 "%s has no option \"%.*s\"; it takes %s",
                                                 sd_bus_message_get_member(msg), utf8_prefix_len(key, 64),
                                                 key, known ?: "no options");
                }
                r = sd_bus_message_peek_type(msg, &type, &contents);
                if (r < 0)
                        return r;
                if (strlen(contents) != 1 || contents[0] != spec->type)
                        return sd_bus_error_setf(e, ERROR_PREFIX "InvalidArgument",
                                                 "option \"%s\" of %s must be of type '%c', not '%s'", key,
                                                 sd_bus_message_get_member(msg), spec->type, contents);
                r = sd_bus_message_enter_container(msg, 'v', contents);
                if (r < 0)
                        return r;
                switch (spec->type) {
                case 's': {
                        const char *s;

                        r = sd_bus_message_read(msg, "s", &s);
                        if (r >= 0 && strlen(s) >= PATH_MAX)
                                return sd_bus_error_setf(
                                        e, ERROR_PREFIX "InvalidArgument",
                                        "the option %s is %zu bytes long; at most %d are accepted", key,
                                        strlen(s), PATH_MAX - 1);
                        if (r >= 0)
                                json_object_object_add(into, key, json_object_new_string(s));
                        break;
                }
                case 'b': {
                        int b;

                        r = sd_bus_message_read(msg, "b", &b);
                        if (r >= 0)
                                json_object_object_add(into, key, json_object_new_boolean(b));
                        break;
                }
                case 't': {
                        uint64_t t;

                        r = sd_bus_message_read(msg, "t", &t);
                        /* So that no size arithmetic with it can overflow. */
                        if (r >= 0 && strcmp(key, "align") == 0 &&
                            (t < 4096 || t > (UINT64_C(1) << 30) || (t & (t - 1)) != 0))
                                return sd_bus_error_setf(
                                        e, ERROR_PREFIX "InvalidArgument",
                                        "align must be a power of two from 4096 to 1073741824 "
                                        "bytes, not %" PRIu64,
                                        t);
                        if (r >= 0)
                                json_object_object_add(into, key, json_object_new_uint64(t));
                        break;
                }
                default:
                        r = -EINVAL;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(msg);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

/* The options of each method that takes any (docs/dbus/): one table each, shared with the
 * fuzzer. */
const OptionSpec bus_create_options[] = {
        { "region", 's' },
        { "mode", 's' },
        { "size", 's' },
        { "align", 't' },
        { "map", 's' },
        { "name", 's' },
        {},
};
const OptionSpec bus_destroy_options[] = { { "force", 'b' }, {} };
const OptionSpec bus_format_options[] = { { "filesystem", 's' }, { "label", 's' }, { "force", 'b' }, {} };
const OptionSpec bus_mount_options[] = { { "dax", 's' }, { "options", 's' }, {} };
const OptionSpec bus_place_options[] = {
        { "with_libraries", 'b' }, { "service", 's' },        { "entry_point", 'b' },
        { "bind_host", 'b' },      { "refresh_policy", 's' }, {},
};
const OptionSpec bus_refresh_options[] = { { "zone", 's' }, {} };
const OptionSpec bus_unplace_options[] = { { "force", 'b' }, {} };
