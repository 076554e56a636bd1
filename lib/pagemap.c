/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "macro.h"
#include "pagemap.h"

static const char *const page_class_table[_PAGE_CLASS_MAX] = {
        [PAGE_NOT_RESIDENT] = "not-resident",
        [PAGE_PMEM] = "pmem",
        [PAGE_DRAM] = "dram",
        [PAGE_SWAPPED] = "swapped",
        [PAGE_PFN_HIDDEN] = "pfn-hidden",
};

const char *page_class_to_string(PageClass c) {
        if ((unsigned) c >= _PAGE_CLASS_MAX)
                return NULL;
        return page_class_table[c];
}

PageClass page_class_from_string(const char *s) {
        for (unsigned i = 0; s && i < _PAGE_CLASS_MAX; i++)
                if (strcmp(page_class_table[i], s) == 0)
                        return (PageClass) i;
        return _PAGE_CLASS_MAX;
}

PageClass pagemap_classify_entry(uint64_t entry, const PmemRanges *ranges, uint64_t page_size) {
        uint64_t pfn;

        if (!(entry & PM_PRESENT))
                return (entry & PM_SWAP) ? PAGE_SWAPPED : PAGE_NOT_RESIDENT;

        pfn = entry & PM_PFN_MASK;
        if (pfn == 0)
                return PAGE_PFN_HIDDEN; /* frame 0 is never a user page: the kernel hid it */
        if (page_size == 0 || pfn > UINT64_MAX / page_size)
                return PAGE_DRAM; /* cannot be inside any range we can express */

        return pmem_ranges_find(ranges, pfn * page_size) ? PAGE_PMEM : PAGE_DRAM;
}

uint64_t page_counts_total(const PageCounts *c) {
        uint64_t t = 0;

        for (unsigned i = 0; i < _PAGE_CLASS_MAX; i++)
                t += c->pages[i];
        return t;
}

int pagemap_open(pid_t pid) {
        char path[sizeof("/proc//pagemap") + 3 * sizeof(pid_t)];
        int fd;

        if (pid < 0)
                return -EINVAL;
        if (pid == 0)
                strcpy(path, "/proc/self/pagemap");
        else
                (void) snprintf(path, sizeof(path), "/proc/%d/pagemap", (int) pid);

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return fd;
}

int pagemap_read(int fd, uint64_t start, uint64_t end, uint64_t page_size, uint64_t *entries) {
        uint64_t n, off;
        size_t done = 0, want;

        if (fd < 0 || page_size == 0 || start > end || start % page_size || end % page_size || !entries)
                return -EINVAL;

        n = (end - start) / page_size;
        if (n > SIZE_MAX / sizeof(uint64_t))
                return -ERANGE;
        off = start / page_size * sizeof(uint64_t);
        if (off > (uint64_t) INT64_MAX)
                return -ERANGE;
        want = (size_t) n * sizeof(uint64_t);

        while (done < want) {
                ssize_t k = pread(fd, (char *) entries + done, want - done, (off_t) (off + done));

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -EIO; /* pagemap ends only at the top of the address space */
                done += (size_t) k;
        }
        return 0;
}

int pagemap_classify_range(int fd, uint64_t start, uint64_t end, uint64_t page_size,
                           const PmemRanges *ranges, PageCounts *counts) {
        enum { CHUNK = 4096 }; /* entries per read: 32 KiB, covers 16 MiB of 4 KiB pages */
        _cleanup_free_ uint64_t *buf = NULL;

        if (!counts || page_size == 0 || start % page_size || end % page_size || start > end)
                return -EINVAL;

        buf = malloc(CHUNK * sizeof(uint64_t));
        if (!buf)
                return -ENOMEM;

        for (uint64_t a = start; a < end;) {
                uint64_t n = (end - a) / page_size, b;
                int r;

                if (n > CHUNK)
                        n = CHUNK;
                b = a + n * page_size;
                r = pagemap_read(fd, a, b, page_size, buf);
                if (r < 0)
                        return r;
                for (uint64_t i = 0; i < n; i++)
                        counts->pages[pagemap_classify_entry(buf[i], ranges, page_size)]++;
                a = b;
        }
        return 0;
}

/* PAGEMAP_SCAN (Linux 6.7, include/uapi/linux/fs.h), spelled out here so that daxmgr builds
 * against older headers: the kernel answers ENOTTY on kernels without it. */
struct daxmgr_page_region {
        uint64_t start, end, categories;
};
struct daxmgr_pm_scan_arg {
        uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
        uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define DAXMGR_PAGEMAP_SCAN    _IOWR('f', 16, struct daxmgr_pm_scan_arg)
#define DAXMGR_PAGE_IS_HUGE    (UINT64_C(1) << 6)
#define DAXMGR_PAGE_IS_PRESENT (UINT64_C(1) << 3)

uint64_t pmd_windows_in(uint64_t start, uint64_t end) {
        uint64_t first = (start + PMD_SIZE - 1) & ~(PMD_SIZE - 1), last = end & ~(PMD_SIZE - 1);

        if (start > UINT64_MAX - (PMD_SIZE - 1) || last <= first)
                return 0;
        return (last - first) / PMD_SIZE;
}

int pagemap_count_pmd_mapped(int fd, uint64_t start, uint64_t end, uint64_t *ret_windows) {
        struct daxmgr_page_region vec[64];
        uint64_t windows = 0;

        if (!ret_windows || start > end)
                return -EINVAL;
        for (uint64_t a = start; a < end;) {
                struct daxmgr_pm_scan_arg arg = {
                        .size = sizeof(arg),
                        .start = a,
                        .end = end,
                        .vec = (uint64_t) (uintptr_t) vec,
                        .vec_len = ELEMENTSOF(vec),
                        .category_mask = DAXMGR_PAGE_IS_HUGE | DAXMGR_PAGE_IS_PRESENT,
                        .return_mask = DAXMGR_PAGE_IS_HUGE | DAXMGR_PAGE_IS_PRESENT,
                };
                int n = ioctl(fd, DAXMGR_PAGEMAP_SCAN, &arg);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == ENOTTY || errno == EINVAL)
                                return -EOPNOTSUPP;
                        return negative_errno();
                }
                for (int i = 0; i < n && (size_t) i < ELEMENTSOF(vec); i++)
                        windows += pmd_windows_in(vec[i].start, vec[i].end);
                if (arg.walk_end <= a || arg.walk_end >= end)
                        break;
                a = arg.walk_end;
        }
        *ret_windows = windows;
        return 0;
}
