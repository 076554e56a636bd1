/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* metrics-render FACTS.json: the metrics text lib/metrics.c renders from a facts document, for
 * tests/check-promtool.sh (promtool check metrics on the fixture). */

#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "fileio.h"
#include "macro.h"
#include "metrics.h"

int main(int argc, char **argv) {
        _cleanup_free_ char *json = NULL, *text = NULL;
        struct json_object *facts;
        int r;

        if (argc != 2) {
                fprintf(stderr, "usage: metrics-render FACTS.json\n");
                return 2;
        }
        r = read_full_file(argv[1], READ_FULL_FILE_MAX, &json, NULL);
        if (r < 0) {
                fprintf(stderr, "metrics-render: cannot read %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        facts = json_tokener_parse(json);
        if (!facts) {
                fprintf(stderr, "metrics-render: %s is not JSON\n", argv[1]);
                return 1;
        }
        r = metrics_render_facts(facts, &text);
        json_object_put(facts);
        if (r < 0) {
                fprintf(stderr, "metrics-render: %s\n", strerror(-r));
                return 1;
        }
        fputs(text, stdout);
        return 0;
}
