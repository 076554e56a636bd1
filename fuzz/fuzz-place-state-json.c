/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The daemon's placement state file (place_state_from_json()), written back on success. */

#include <json-c/json.h>

#include "fuzz.h"
#include "place.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_text(data, size), *error = NULL;
        struct json_object *j, *out = NULL;
        PlaceState *p = NULL;

        if (!s)
                return 0;
        j = json_tokener_parse(s);
        if (j && place_state_from_json(j, "fuzz.json", &p, &error) >= 0 && place_state_to_json(p, &out) >= 0)
                json_object_put(out);
        place_state_free(p);
        json_object_put(j);
        free(error);
        free(s);
        return 0;
}
