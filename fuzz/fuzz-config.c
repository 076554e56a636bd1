/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The configuration parser (config_parse_text()): daxmgr.conf and its drop-ins. */

#include <json-c/json.h>

#include "config.h"
#include "strv.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Config *c = NULL;
        char **warnings = NULL, *error = NULL;

        if (config_parse_text((const char *) data, size, "fuzz.conf", &c, &warnings, &error) >= 0) {
                struct json_object *j = NULL;

                if (config_to_json(c, &j) >= 0)
                        json_object_put(j);
        }
        config_free(c);
        strv_free(warnings);
        free(error);
        return 0;
}
