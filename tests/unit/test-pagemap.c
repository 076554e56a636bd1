/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "macro.h"
#include "pagemap.h"
#include "test-macro.h"

#define PAGE UINT64_C(4096)

static PmemRanges *two_regions(void) {
        PmemRanges *r;

        ASSERT_EQ(pmem_ranges_new(&r), 0);
        ASSERT_EQ(pmem_ranges_add(r, 0x100000000, 0x180000000, "region0"), 0);
        ASSERT_EQ(pmem_ranges_add(r, 0x180000000, 0x200000000, "region1"), 0);
        return r;
}

TEST(test_classify_entry) {
        _cleanup_pmem_ranges_ PmemRanges *r = two_regions();
        uint64_t first_pmem_pfn = 0x100000000 / PAGE, last_pmem_pfn = 0x200000000 / PAGE - 1;

        ASSERT_EQ(pagemap_classify_entry(0, r, PAGE), PAGE_NOT_RESIDENT);
        ASSERT_EQ(pagemap_classify_entry(PM_SWAP | 0x1234, r, PAGE), PAGE_SWAPPED);
        ASSERT_EQ(pagemap_classify_entry(PM_PRESENT | first_pmem_pfn, r, PAGE), PAGE_PMEM);
        ASSERT_EQ(pagemap_classify_entry(PM_PRESENT | last_pmem_pfn, r, PAGE), PAGE_PMEM);
        ASSERT_EQ(pagemap_classify_entry(PM_PRESENT | (first_pmem_pfn - 1), r, PAGE), PAGE_DRAM);
        ASSERT_EQ(pagemap_classify_entry(PM_PRESENT | (last_pmem_pfn + 1), r, PAGE), PAGE_DRAM);
        ASSERT_EQ(pagemap_classify_entry(PM_PRESENT | 0x1234, r, PAGE), PAGE_DRAM);

        /* The flag bits above the PFN must not leak into the frame number: DAX pages carry
         * no PM_FILE, page-cache pages do, exclusive/soft-dirty bits come and go. */
        ASSERT_EQ(pagemap_classify_entry(PM_PRESENT | PM_MMAP_EXCLUSIVE | PM_SOFT_DIRTY | first_pmem_pfn, r,
                                         PAGE),
                  PAGE_PMEM);
        ASSERT_EQ(pagemap_classify_entry(PM_PRESENT | PM_FILE | 0x1234, r, PAGE), PAGE_DRAM);

        /* Present with PFN 0: the kernel hid the frame from an unprivileged reader. */
        ASSERT_EQ(pagemap_classify_entry(PM_PRESENT | PM_FILE, r, PAGE), PAGE_PFN_HIDDEN);

        /* No pmem at all: every present page is DRAM. */
        ASSERT_EQ(pagemap_classify_entry(PM_PRESENT | first_pmem_pfn, NULL, PAGE), PAGE_DRAM);
        /* A PFN that would overflow the address computation is not pmem. */
        ASSERT_EQ(pagemap_classify_entry(PM_PRESENT | PM_PFN_MASK, r, PAGE), PAGE_DRAM);
}

TEST(test_class_strings) {
        for (unsigned i = 0; i < _PAGE_CLASS_MAX; i++) {
                const char *s = page_class_to_string((PageClass) i);
                ASSERT_TRUE(s);
                ASSERT_EQ(page_class_from_string(s), i);
        }
        ASSERT_TRUE(page_class_to_string(_PAGE_CLASS_MAX) == NULL);
        ASSERT_EQ(page_class_from_string("nonsense"), _PAGE_CLASS_MAX);
}

/* A pagemap "file" made of chosen entries, read back through pagemap_classify_range() at
 * the offsets the kernel would use. */
TEST(test_classify_range_from_file) {
        _cleanup_pmem_ranges_ PmemRanges *r = two_regions();
        char path[] = "/tmp/daxmgr-test-pagemap.XXXXXX";
        uint64_t base = 0x7f0000000000, entries[5000] = {};
        _cleanup_close_ int fd = -1;
        PageCounts c = {};

        for (size_t i = 0; i < ELEMENTSOF(entries); i++) {
                if (i % 5 == 0)
                        entries[i] = PM_PRESENT | (0x100000000 / PAGE + i); /* pmem */
                else if (i % 5 == 1)
                        entries[i] = PM_PRESENT | PM_FILE | (0x10000 + i); /* page cache */
                else if (i % 5 == 2)
                        entries[i] = 0;
                else if (i % 5 == 3)
                        entries[i] = PM_SWAP;
                else
                        entries[i] = PM_PRESENT | (0x180000000 / PAGE + i);
        }

        fd = mkstemp(path);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(unlink(path), 0);
        ASSERT_EQ(pwrite(fd, entries, sizeof(entries), (off_t) (base / PAGE * 8)),
                  (ssize_t) sizeof(entries));

        /* More entries than one read chunk, so the chunking is exercised too. */
        ASSERT_EQ(pagemap_classify_range(fd, base, base + ELEMENTSOF(entries) * PAGE, PAGE, r, &c), 0);
        ASSERT_EQ(c.pages[PAGE_PMEM], 2000);
        ASSERT_EQ(c.pages[PAGE_DRAM], 1000);
        ASSERT_EQ(c.pages[PAGE_NOT_RESIDENT], 1000);
        ASSERT_EQ(c.pages[PAGE_SWAPPED], 1000);
        ASSERT_EQ(page_counts_total(&c), ELEMENTSOF(entries));

        /* Sub-range: pages 5..9 are pmem, cache, none, swap, pmem. */
        c = (PageCounts){};
        ASSERT_EQ(pagemap_classify_range(fd, base + 5 * PAGE, base + 10 * PAGE, PAGE, r, &c), 0);
        ASSERT_EQ(c.pages[PAGE_PMEM], 2);
        ASSERT_EQ(c.pages[PAGE_DRAM], 1);

        /* Reading past the end of what is there is an I/O error, not a silent zero count. */
        ASSERT_EQ(pagemap_classify_range(fd, base, base + 6000 * PAGE, PAGE, r, &c), -EIO);
        /* Misaligned ranges are refused. */
        ASSERT_EQ(pagemap_classify_range(fd, base + 1, base + PAGE, PAGE, r, &c), -EINVAL);
        ASSERT_EQ(pagemap_classify_range(fd, base + PAGE, base, PAGE, r, &c), -EINVAL);
}

/* The real /proc/self/pagemap: a page we wrote is present; one we never touched is not. On the
 * host there is no pmem, so present pages are DRAM (or hidden if we are not privileged). */
TEST(test_classify_self) {
        _cleanup_pmem_ranges_ PmemRanges *r = NULL;
        _cleanup_close_ int fd = pagemap_open(0);
        PageCounts c = {};
        uint8_t *p;

        /* A pretend pmem range far above any RAM of the build machine. */
        ASSERT_EQ(pmem_ranges_new(&r), 0);
        ASSERT_EQ(pmem_ranges_add(r, UINT64_C(1) << 50, (UINT64_C(1) << 50) + (UINT64_C(1) << 30), "far"),
                  0);
        ASSERT_TRUE(fd >= 0);
        p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_TRUE(p != MAP_FAILED);
        p[0] = 1;

        ASSERT_EQ(pagemap_classify_range(fd, (uint64_t) (uintptr_t) p, (uint64_t) (uintptr_t) p + PAGE, PAGE,
                                         r, &c),
                  0);
        ASSERT_EQ(c.pages[PAGE_DRAM] + c.pages[PAGE_PFN_HIDDEN], 1);
        if (geteuid() == 0)
                ASSERT_EQ(c.pages[PAGE_DRAM], 1);

        c = (PageCounts){};
        ASSERT_EQ(pagemap_classify_range(fd, (uint64_t) (uintptr_t) p + PAGE,
                                         (uint64_t) (uintptr_t) p + 2 * PAGE, PAGE, r, &c),
                  0);
        ASSERT_EQ(c.pages[PAGE_NOT_RESIDENT], 1);
        ASSERT_EQ(munmap(p, 2 * PAGE), 0);
}

DEFINE_TEST_MAIN();
