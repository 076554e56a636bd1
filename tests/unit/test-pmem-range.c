/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "pmem-range.h"
#include "test-macro.h"

/* /proc/iomem of the test-bed guest: two NFIT NVDIMMs (2 GiB each) behind 2 GiB of RAM. */
static const char iomem_nfit[] = "00000000-00000fff : Reserved\n"
                                 "00001000-0009fbff : System RAM\n"
                                 "000a0000-000bffff : PCI Bus 0000:00\n"
                                 "00100000-7ffdffff : System RAM\n"
                                 "  2a000000-2b002a2f : Kernel code\n"
                                 "7ffe0000-7fffffff : Reserved\n"
                                 "80000000-febfffff : PCI Bus 0000:00\n"
                                 "100000000-17fffffff : Persistent Memory\n"
                                 "  100000000-13fffffff : namespace0.0\n"
                                 "  140000000-17fffffff : namespace0.1\n"
                                 "    140000000-17fffffff : dax0.1\n"
                                 "      140000000-17fffffff : System RAM (kmem)\n"
                                 "180000000-1ffffffff : Persistent Memory\n"
                                 "  180000000-1ffffffff : namespace1.0\n"
                                 "200000000-27fffffff : System RAM\n";

/* memmap=4G!12G: legacy e820 pmem. */
static const char iomem_legacy[] = "00100000-bffdffff : System RAM\n"
                                   "300000000-3ffffffff : Persistent Memory (legacy)\n"
                                   "  300000000-3ffffffff : namespace0.0\n";

/* What a user without CAP_SYS_ADMIN reads. */
static const char iomem_hidden[] = "00000000-00000000 : Reserved\n"
                                   "00000000-00000000 : System RAM\n"
                                   "00000000-00000000 : Persistent Memory\n"
                                   "  00000000-00000000 : namespace0.0\n";

TEST(test_iomem_nfit) {
        _cleanup_pmem_ranges_ PmemRanges *r = NULL;

        ASSERT_EQ(pmem_ranges_parse_iomem(iomem_nfit, &r), 0);
        ASSERT_EQ(r->n, 2);
        ASSERT_EQ_U64(r->ranges[0].start, 0x100000000);
        ASSERT_EQ_U64(r->ranges[0].end, 0x180000000);
        ASSERT_STREQ(r->ranges[0].name, "Persistent Memory");
        ASSERT_EQ_U64(r->ranges[1].start, 0x180000000);
        ASSERT_EQ_U64(r->ranges[1].end, 0x200000000);
        ASSERT_EQ_U64(pmem_ranges_total(r), UINT64_C(4) << 30);

        /* Boundaries: first and last byte in, one past each end out. */
        ASSERT_TRUE(pmem_ranges_find(r, 0x100000000) == &r->ranges[0]);
        ASSERT_TRUE(pmem_ranges_find(r, 0x17fffffff) == &r->ranges[0]);
        ASSERT_TRUE(pmem_ranges_find(r, 0x180000000) == &r->ranges[1]);
        ASSERT_TRUE(pmem_ranges_find(r, 0x1ffffffff) == &r->ranges[1]);
        ASSERT_TRUE(pmem_ranges_find(r, 0x200000000) == NULL);
        ASSERT_TRUE(pmem_ranges_find(r, 0x0ffffffff) == NULL);
        ASSERT_TRUE(pmem_ranges_find(r, 0x2a000000) == NULL); /* kernel code is DRAM */
}

TEST(test_iomem_legacy) {
        _cleanup_pmem_ranges_ PmemRanges *r = NULL;

        ASSERT_EQ(pmem_ranges_parse_iomem(iomem_legacy, &r), 0);
        ASSERT_EQ(r->n, 1);
        ASSERT_STREQ(r->ranges[0].name, "Persistent Memory (legacy)");
        ASSERT_EQ_U64(r->ranges[0].end - r->ranges[0].start, UINT64_C(4) << 30);
}

TEST(test_iomem_errors) {
        PmemRanges *r = NULL;

        ASSERT_EQ(pmem_ranges_parse_iomem(iomem_hidden, &r), -EPERM);
        ASSERT_EQ(pmem_ranges_parse_iomem("00100000-7ffdffff : System RAM\n", &r), -ENOENT);
        ASSERT_EQ(pmem_ranges_parse_iomem("", &r), -ENOENT);
        ASSERT_EQ(pmem_ranges_parse_iomem("100000000-17fffffff Persistent Memory\n", &r), -EBADMSG);
        ASSERT_EQ(pmem_ranges_parse_iomem("10000zz00-17fffffff : Persistent Memory\n", &r), -EBADMSG);
        ASSERT_EQ(pmem_ranges_parse_iomem("200-100 : Persistent Memory\n", &r), -EBADMSG);
        ASSERT_EQ(pmem_ranges_parse_iomem("0-ffffffffffffffff : Persistent Memory\n", &r), -EBADMSG);
        /* Two top-level entries that overlap make no sense. */
        ASSERT_EQ(pmem_ranges_parse_iomem("1000-1fff : Persistent Memory\n"
                                          "1800-2fff : Persistent Memory\n",
                                          &r),
                  -EBADMSG);
        ASSERT_TRUE(r == NULL);
}

TEST(test_add_and_find) {
        _cleanup_pmem_ranges_ PmemRanges *r = NULL;

        ASSERT_EQ(pmem_ranges_new(&r), 0);
        ASSERT_TRUE(pmem_ranges_find(r, 0) == NULL);
        ASSERT_EQ(pmem_ranges_add(r, 0x5000, 0x6000, "c"), 0);
        ASSERT_EQ(pmem_ranges_add(r, 0x1000, 0x2000, "a"), 0);
        ASSERT_EQ(pmem_ranges_add(r, 0x3000, 0x4000, "b"), 0);
        ASSERT_EQ(pmem_ranges_add(r, 0x3fff, 0x4800, "x"), -EEXIST);
        ASSERT_EQ(pmem_ranges_add(r, 0x0800, 0x1001, "x"), -EEXIST);
        ASSERT_EQ(pmem_ranges_add(r, 0x2000, 0x2000, "x"), -EINVAL);
        ASSERT_EQ(pmem_ranges_add(r, 0x2000, 0x3000, "adjacent"), 0);
        ASSERT_EQ(r->n, 4);
        ASSERT_STREQ(r->ranges[0].name, "a");
        ASSERT_STREQ(r->ranges[1].name, "adjacent");
        ASSERT_STREQ(r->ranges[2].name, "b");
        ASSERT_STREQ(r->ranges[3].name, "c");
        ASSERT_STREQ(pmem_ranges_find(r, 0x2fff)->name, "adjacent");
        ASSERT_STREQ(pmem_ranges_find(r, 0x3000)->name, "b");
        ASSERT_TRUE(pmem_ranges_find(r, 0x4000) == NULL);
        ASSERT_STREQ(pmem_ranges_find(r, 0x5fff)->name, "c");
        ASSERT_TRUE(pmem_ranges_find(r, 0x6000) == NULL);
}

static void write_attr(const char *dir, const char *name, const char *value) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        ASSERT_TRUE(asprintf(&p, "%s/%s", dir, name) > 0);
        f = fopen(p, "we");
        ASSERT_TRUE(f);
        ASSERT_TRUE(fputs(value, f) >= 0);
        ASSERT_EQ(fclose(f), 0);
}

static void make_region(const char *root, const char *name, const char *devtype, const char *resource,
                        const char *size) {
        _cleanup_free_ char *d = NULL;

        ASSERT_TRUE(asprintf(&d, "%s/bus/nd/devices/%s", root, name) > 0);
        ASSERT_EQ(mkdir(d, 0755), 0);
        write_attr(d, "devtype", devtype);
        if (resource)
                write_attr(d, "resource", resource);
        write_attr(d, "size", size);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

TEST(test_sysfs) {
        _cleanup_pmem_ranges_ PmemRanges *r = NULL;
        char root[] = "/tmp/daxmgr-test-sysfs.XXXXXX";
        _cleanup_free_ char *d = NULL;

        ASSERT_TRUE(mkdtemp(root));
        ASSERT_TRUE(asprintf(&d, "%s/bus/nd/devices", root) > 0);

        /* No nd bus at all: not an error of ours, there is simply no pmem. */
        ASSERT_EQ(pmem_ranges_from_sysfs(root, &r), -ENOENT);

        for (char *slash = strchr(d + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                ASSERT_EQ(mkdir(d, 0755), 0);
                *slash = '/';
        }
        ASSERT_EQ(mkdir(d, 0755), 0);
        ASSERT_EQ(pmem_ranges_from_sysfs(root, &r), -ENOENT);

        make_region(root, "region1", "nd_pmem", "0x180000000\n", "2147483648\n");
        make_region(root, "region0", "nd_pmem", "0x100000000\n", "2147483648\n");
        make_region(root, "region7", "nd_blk", "0x900000000\n", "4096\n"); /* not pmem: ignored */
        make_region(root, "region9", "nd_pmem", "0x0\n", "0\n");           /* disabled: no memory */
        make_region(root, "ndbus0", "nd_bus", NULL, "0\n");                /* not a region */

        ASSERT_EQ(pmem_ranges_from_sysfs(root, &r), 0);
        ASSERT_EQ(r->n, 2);
        ASSERT_STREQ(r->ranges[0].name, "region0");
        ASSERT_EQ_U64(r->ranges[0].start, 0x100000000);
        ASSERT_EQ_U64(r->ranges[0].end, 0x180000000);
        ASSERT_STREQ(r->ranges[1].name, "region1");
        ASSERT_STREQ(pmem_ranges_find(r, 0x1ffffffff)->name, "region1");
        r = pmem_ranges_free(r);

        /* A malformed attribute is an error, not a silently missing region. */
        make_region(root, "region2", "nd_pmem", "0xzz\n", "4096\n");
        ASSERT_EQ(pmem_ranges_from_sysfs(root, &r), -EINVAL);
        ASSERT_TRUE(r == NULL);

        ASSERT_EQ(nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

DEFINE_TEST_MAIN();
