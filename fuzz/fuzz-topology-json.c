/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A topology snapshot in JSON (topology_from_json(), ndctl's field names), written back on
 * success (topology_to_json()). */

#include <json-c/json.h>

#include "fuzz.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_text(data, size), *error = NULL;
        struct json_object *j;
        Topology *t = NULL;

        if (!s)
                return 0;
        j = json_tokener_parse(s);
        if (j && topology_from_json(j, &t, &error) >= 0)
                json_object_put(topology_to_json(t));
        topology_free(t);
        json_object_put(j);
        free(error);
        free(s);
        return 0;
}
