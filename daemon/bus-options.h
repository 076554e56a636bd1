/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#define ERROR_PREFIX "org.daxmgr1.Error."

typedef struct OptionSpec {
        const char *key;
        char type; /* 's', 'b', 't' */
} OptionSpec;

/* Reads the a{sv} at the read position of @msg into @into, refusing unknown keys and wrong
 * types by name (org.daxmgr1.Error.InvalidArgument in @e). @specs ends with a NULL key; NULL
 * takes no options. Returns < 0 on error (with @e set for what the caller got wrong). */
int read_options(sd_bus_message *msg, const OptionSpec *specs, struct json_object *into, sd_bus_error *e);
