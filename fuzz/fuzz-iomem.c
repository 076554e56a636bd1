/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/iomem (pmem_ranges_parse_iomem()), and lookups in what it found. */

#include "fuzz.h"
#include "pmem-range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_text(data, size);
        PmemRanges *r = NULL;

        if (!s)
                return 0;
        if (pmem_ranges_parse_iomem(s, &r) >= 0) {
                (void) pmem_ranges_total(r);
                for (size_t i = 0; i < r->n; i++) {
                        (void) pmem_ranges_find(r, r->ranges[i].start);
                        (void) pmem_ranges_find(r, r->ranges[i].end - 1);
                        (void) pmem_ranges_find(r, r->ranges[i].end);
                }
        }
        pmem_ranges_free(r);
        free(s);
        return 0;
}
