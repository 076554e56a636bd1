/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/PID/maps: the whole text (maps_parse()) and the input as one line (maps_parse_line(),
 * which takes a length: no terminating NUL). */

#include "fuzz.h"
#include "proc-maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_text(data, size);
        Maps *m = NULL;
        MapsEntry e;

        if (!s)
                return 0;
        if (maps_parse(s, &m) >= 0)
                for (size_t i = 0; i < m->n; i++)
                        (void) maps_entry_is_file(&m->entries[i]);
        maps_free(m);
        free(s);

        if (maps_parse_line((const char *) data, size, &e) >= 0) {
                (void) maps_entry_is_file(&e);
                maps_entry_done(&e);
        }
        return 0;
}
