/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Strict number parsing: the whole string must be a number, no sign on unsigned types, no
 * overflow. Returns 0 or -EINVAL / -ERANGE. Leading and trailing white space is refused too,
 * except one trailing newline (sysfs attributes end in one). */

#include <stdbool.h>
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
