/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/PID/smaps: the FilePmdMapped figures per mapping (smaps_parse_pmd()). */

#include "fuzz.h"
#include "xip-verify.h"

static void count(uint64_t start, uint64_t kb, void *userdata) {
        *(uint64_t *) userdata += kb;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_text(data, size);
        uint64_t total = 0;

        if (!s)
                return 0;
        (void) smaps_parse_pmd(s, count, &total);
        free(s);
        return 0;
}
