/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* /proc/PID/pagemap: one 64-bit entry per virtual page (Documentation/admin-guide/mm/pagemap.rst).
 *
 * Classification is by physical frame: a present page whose PFN falls inside a pmem range is
 * served from persistent memory (DAX maps those frames directly); any other present page is
 * in DRAM (page cache, anonymous, or a copy-on-write copy). PM_FILE is not used: the kernel
 * leaves it clear for DAX pages. Without CAP_SYS_ADMIN the kernel zeroes the PFN field, which
 * is reported as its own class rather than guessed. */

#include <stdint.h>
#include <sys/types.h>

#include "pmem-range.h"

#define PM_PFN_MASK       ((UINT64_C(1) << 55) - 1)
#define PM_SOFT_DIRTY     (UINT64_C(1) << 55)
#define PM_MMAP_EXCLUSIVE (UINT64_C(1) << 56)
#define PM_FILE           (UINT64_C(1) << 61)
#define PM_SWAP           (UINT64_C(1) << 62)
#define PM_PRESENT        (UINT64_C(1) << 63)

typedef enum PageClass {
        PAGE_NOT_RESIDENT, /* not present and not swapped: never touched, or dropped */
        PAGE_PMEM,         /* present, frame inside a pmem range */
        PAGE_DRAM,         /* present, frame outside every pmem range */
        PAGE_SWAPPED,      /* in swap */
        PAGE_PFN_HIDDEN,   /* present, but the PFN was hidden from us (no CAP_SYS_ADMIN) */
        _PAGE_CLASS_MAX,
} PageClass;

const char *page_class_to_string(PageClass c);
PageClass page_class_from_string(const char *s); /* _PAGE_CLASS_MAX when unknown */

PageClass pagemap_classify_entry(uint64_t entry, const PmemRanges *ranges, uint64_t page_size);

typedef struct PageCounts {
        uint64_t pages[_PAGE_CLASS_MAX];
} PageCounts;

uint64_t page_counts_total(const PageCounts *c);

/* Opens /proc/<pid>/pagemap (pid 0 = self) read-only. */
int pagemap_open(pid_t pid);

/* Reads the entries of [start, end) (page aligned) from an open pagemap fd into @entries,
 * which has room for (end - start) / page_size entries. */
int pagemap_read(int fd, uint64_t start, uint64_t end, uint64_t page_size, uint64_t *entries);

/* Reads and classifies [start, end), adding each page to its class in @counts. */
int pagemap_classify_range(int fd, uint64_t start, uint64_t end, uint64_t page_size,
                           const PmemRanges *ranges, PageCounts *counts);

#define PMD_SIZE (UINT64_C(2) << 20)

/* The 2 MiB-aligned windows wholly inside [start, end) (pure). */
uint64_t pmd_windows_in(uint64_t start, uint64_t end);

/* How many 2 MiB windows of [start, end) the kernel maps with one PMD (2 MiB) entry, asked with
 * PAGEMAP_SCAN for pages both PAGE_IS_HUGE and PAGE_IS_PRESENT: the page table itself, not an
 * inference (smaps' FilePmdMapped never counts DAX PMDs). -EOPNOTSUPP before Linux 6.7, which
 * has no such ioctl: then nothing is known. Needs no CAP_SYS_ADMIN. */
int pagemap_count_pmd_mapped(int fd, uint64_t start, uint64_t end, uint64_t *ret_windows);
