/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Strict number parsing: the whole string must be a number, no sign on unsigned types, no
 * overflow. Returns 0 or -EINVAL / -ERANGE. Leading and trailing white space is refused too,
 * except one trailing newline (sysfs attributes end in one). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int parse_u64(const char *s, unsigned base, uint64_t *ret);
int parse_u32(const char *s, unsigned base, uint32_t *ret);

/* Parse "A-B" of two hexadecimal numbers without 0x (the /proc/iomem and /proc/PID/maps
 * style). *ret_end is the second number as written. */
int parse_hex_range(const char *s, uint64_t *ret_start, uint64_t *ret_end);

/* A systemd service unit name, as systemd takes it: "name.service", "name@instance.service" or
 * the template "name@.service"; at most 255 characters of [a-zA-Z0-9:_.\\-], one '@' at most,
 * a prefix before it (or before ".service") that is not empty and does not start with '.'.
 * The one answer the configuration, the placement state and the bus give. */
bool service_name_is_valid(const char *unit);

/* The length in bytes (1 to 4) of the UTF-8 character at @s, of which @n bytes are there, when it
 * is valid as D-Bus strings and the configuration want it: no overlong form, no surrogate,
 * nothing above U+10FFFF; 0 when it is not, or @n is 0. @n may be SIZE_MAX for a NUL-terminated
 * string: a NUL where a continuation byte should be makes the character invalid, and nothing
 * past it is read. The one UTF-8 decoder of the configuration parser, the daemon's messages
 * and the CLI's arguments. */
size_t utf8_char_len(const char *s, size_t n);
