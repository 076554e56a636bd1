/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Pagemap classification (pagemap_classify_entry()): the first 32 bytes are two pmem ranges
 * (start, end as little-endian u64 pairs; refused ones are left out), the rest pagemap entries.
 * There is no text here, but the entries come from the kernel and the ranges from iomem or
 * sysfs, and the page-size arithmetic must not overflow on any of them. */

#include "fuzz.h"
#include "pagemap.h"

static uint64_t take_u64(const uint8_t **data, size_t *size) {
        uint64_t v = 0;

        if (*size < sizeof(v))
                return 0;
        memcpy(&v, *data, sizeof(v));
        *data += sizeof(v);
        *size -= sizeof(v);
        return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint64_t page_sizes[] = { 4096, 2 * 1024 * 1024, 1 };
        PmemRanges *r = NULL;
        PageCounts counts = {};

        if (pmem_ranges_new(&r) < 0)
                return 0;
        for (int i = 0; i < 2; i++) {
                uint64_t start = take_u64(&data, &size), end = take_u64(&data, &size);

                (void) pmem_ranges_add(r, start, end, i == 0 ? "a" : "b");
        }
        while (size >= sizeof(uint64_t)) {
                uint64_t entry = take_u64(&data, &size);
                PageClass c = pagemap_classify_entry(entry, r, page_sizes[entry % 3]);

                if (c >= 0 && c < _PAGE_CLASS_MAX) {
                        counts.pages[c]++;
                        (void) page_class_from_string(page_class_to_string(c));
                }
        }
        (void) page_counts_total(&counts);
        pmem_ranges_free(r);
        return 0;
}
