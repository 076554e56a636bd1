/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A reconcile plan in JSON (reconcile_plan_from_json()), written back on success. */

#include <json-c/json.h>

#include "fuzz.h"
#include "reconcile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_text(data, size), *error = NULL;
        struct json_object *j, *out = NULL;
        ReconcilePlan *p = NULL;

        if (!s)
                return 0;
        j = json_tokener_parse(s);
        if (j && reconcile_plan_from_json(j, &p, &error) >= 0 && reconcile_plan_to_json(p, &out) >= 0)
                json_object_put(out);
        reconcile_plan_free(p);
        json_object_put(j);
        free(error);
        free(s);
        return 0;
}
