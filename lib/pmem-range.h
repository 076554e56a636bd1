/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Physical address ranges of persistent memory, the ground truth for "is this page in pmem".
 *
 * Two sources: the nd bus in sysfs (regionN/resource + regionN/size; root-only on current
 * kernels) and /proc/iomem ("Persistent Memory" and "Persistent Memory (legacy)" entries;
 * addresses read as zero without CAP_SYS_ADMIN). Both are parsed into a sorted list of
 * disjoint half-open ranges [start, end). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct PmemRange {
        uint64_t start; /* first byte */
        uint64_t end;   /* one past the last byte */
        char *name;     /* "region0", or the iomem label ("Persistent Memory") */
} PmemRange;

typedef struct PmemRanges {
        PmemRange *ranges;
        size_t n;
} PmemRanges;

PmemRanges *pmem_ranges_free(PmemRanges *r);
static inline void pmem_ranges_freep(PmemRanges **r) {
        pmem_ranges_free(*r);
}
#define _cleanup_pmem_ranges_ __attribute__((cleanup(pmem_ranges_freep)))

int pmem_ranges_new(PmemRanges **ret);

/* Adds [start, end) with a name; keeps the list sorted, refuses empty or overlapping ranges
 * with -EINVAL / -EEXIST. */
int pmem_ranges_add(PmemRanges *r, uint64_t start, uint64_t end, const char *name);

/* Parses /proc/iomem text. Returns -EPERM when pmem entries exist but their addresses are
 * hidden (all zero: the reader lacks CAP_SYS_ADMIN), -ENOENT when there are none, -EBADMSG
 * on a malformed line. Nested entries inside a pmem entry (namespaces, kmem) are not counted
 * twice. */
int pmem_ranges_parse_iomem(const char *text, PmemRanges **ret);
int pmem_ranges_from_iomem(const char *path, PmemRanges **ret);

/* The range of a region from its sysfs "resource" (hexadecimal, "0x…") and "size" (decimal)
 * attributes as read_one_line_at() returns them. 0 with [*ret_start, *ret_end), 1 for a
 * zero-sized (disabled) region, -EINVAL or -ERANGE for a malformed value or a range past 2^64. */
int pmem_region_parse(const char *resource, const char *size, uint64_t *ret_start, uint64_t *ret_end);

/* Reads <sysfs_root>/bus/nd/devices/region* of devtype nd_pmem; sysfs_root NULL means
 * "/sys". -ENOENT when there is no pmem region, -EPERM when resource is unreadable. */
int pmem_ranges_from_sysfs(const char *sysfs_root, PmemRanges **ret);

/* Sysfs first, /proc/iomem as fallback (covers memmap= legacy pmem without an nd bus). */
int pmem_ranges_load(PmemRanges **ret);

const PmemRange *pmem_ranges_find(const PmemRanges *r, uint64_t phys_addr);
uint64_t pmem_ranges_total(const PmemRanges *r);
