/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>

#include "error.h"
#include "size.h"
#include "test-macro.h"

static uint64_t bytes(const char *s) {
        uint64_t v = 0;
        char *e = NULL;

        if (size_parse_bytes(s, &v, &e) < 0) {
                fprintf(stderr, "size_parse_bytes(\"%s\") failed: %s\n", s, e);
                abort();
        }
        return v;
}

static void parse_fails(const char *s, int r, const char *words) {
        char *e = NULL;
        uint64_t v;

        ASSERT_EQ(size_parse_bytes(s, &v, &e), r);
        ASSERT_TRUE(e && strstr(e, words));
        free(e);
}

TEST(test_parse_bytes) {
        ASSERT_EQ_U64(bytes("4096"), 4096);
        ASSERT_EQ_U64(bytes("4096B"), 4096);
        ASSERT_EQ_U64(bytes("512K"), 512 * KiB);
        ASSERT_EQ_U64(bytes("512k"), 512 * KiB);
        ASSERT_EQ_U64(bytes("512KiB"), 512 * KiB);
        ASSERT_EQ_U64(bytes("2M"), 2 * MiB);
        ASSERT_EQ_U64(bytes("2MiB"), 2 * MiB);
        ASSERT_EQ_U64(bytes("1G"), GiB);
        ASSERT_EQ_U64(bytes("1.5G"), GiB + 512 * MiB);
        ASSERT_EQ_U64(bytes("0.5GiB"), 512 * MiB);
        ASSERT_EQ_U64(bytes("3T"), 3 * TiB);
        ASSERT_EQ_U64(bytes("0.1K"), 102); /* rounded down to a byte */
        ASSERT_EQ_U64(bytes("16383P"), 16383 * 1024 * TiB);

        parse_fails("", -EINVAL, "empty");
        parse_fails("G", -EINVAL, "not a size");
        parse_fails("-1G", -EINVAL, "not a size");
        parse_fails("1.G", -EINVAL, "not a size");
        parse_fails(" 1G", -EINVAL, "not a size");
        parse_fails("1 G", -EINVAL, "unknown unit");
        parse_fails("1GB", -EINVAL, "ambiguous");
        parse_fails("1gb", -EINVAL, "ambiguous");
        parse_fails("1X", -EINVAL, "unknown unit");
        parse_fails("1Gi", -EINVAL, "unknown unit");
        parse_fails("16384P", -ERANGE, "too large");
        parse_fails("99999999999999999999", -ERANGE, "not a size");
}

TEST(test_spec) {
        SizeSpec s;
        char *e = NULL;

        ASSERT_EQ(size_spec_parse("rest", &s, NULL), 0);
        ASSERT_EQ(s.kind, SIZE_REST);
        ASSERT_EQ(size_spec_parse("50%", &s, NULL), 0);
        ASSERT_EQ(s.kind, SIZE_PERCENT);
        ASSERT_EQ(s.basis_points, 5000);
        ASSERT_EQ(size_spec_parse("12.5%", &s, NULL), 0);
        ASSERT_EQ(s.basis_points, 1250);
        ASSERT_EQ(size_spec_parse("100%", &s, NULL), 0);
        ASSERT_EQ(s.basis_points, 10000);
        ASSERT_EQ(size_spec_parse("2G", &s, NULL), 0);
        ASSERT_EQ(s.kind, SIZE_BYTES);
        ASSERT_EQ_U64(s.bytes, 2 * GiB);

        ASSERT_EQ(size_spec_parse("0%", &s, &e), -ERANGE);
        ASSERT_EQ(size_spec_parse("100.5%", &s, &e), -ERANGE);
        ASSERT_EQ(size_spec_parse("101%", &s, &e), -ERANGE);
        ASSERT_EQ(size_spec_parse("%", &s, &e), -EINVAL);
        ASSERT_EQ(size_spec_parse("5x%", &s, &e), -EINVAL);
        ASSERT_EQ(size_spec_parse("0", &s, &e), -EINVAL);
        ASSERT_TRUE(strstr(e, "0 makes no namespace"));
        ASSERT_EQ(size_spec_parse("Rest", &s, &e), -EINVAL);
        free(e);
}

TEST(test_format) {
        ASSERT_STREQ(SIZE_FMT(0), "0 B");
        ASSERT_STREQ(SIZE_FMT(1023), "1023 B");
        ASSERT_STREQ(SIZE_FMT(4096), "4 KiB");
        ASSERT_STREQ(SIZE_FMT(2 * GiB), "2 GiB");
        ASSERT_STREQ(SIZE_FMT(GiB + 512 * MiB), "1.5 GiB");
        ASSERT_STREQ(SIZE_FMT(2 * GiB - 16 * MiB), "1.98 GiB");
        ASSERT_STREQ(SIZE_FMT(2 * GiB - 1), "1.99 GiB"); /* truncated, never "2 GiB" */
        ASSERT_STREQ(SIZE_FMT(GiB + 1), "1.00 GiB");
        ASSERT_STREQ(SIZE_FMT(250 * MiB), "250 MiB");
        ASSERT_STREQ(SIZE_FMT(UINT64_MAX), "15.99 EiB");
}

TEST(test_enums) {
        for (int i = 0; i < _NAMESPACE_MODE_MAX; i++)
                ASSERT_EQ(namespace_mode_from_string(namespace_mode_to_string((NamespaceMode) i)), i);
        ASSERT_EQ(namespace_mode_from_string("memory"), _NAMESPACE_MODE_INVALID);
        for (int i = 0; i < _PFN_MAP_MAX; i++)
                ASSERT_EQ(pfn_map_from_string(pfn_map_to_string((PfnMap) i)), i);
        ASSERT_EQ(pfn_map_from_string(NULL), _PFN_MAP_INVALID);
}

/* The TESTBED measurement: 256 MiB fsdax map=dev leaves 250 MiB; map=mem 254 MiB. */
TEST(test_usable) {
        ASSERT_EQ_U64(pfn_usable_size(256 * MiB, 2 * MiB, PFN_MAP_DEV), 250 * MiB);
        ASSERT_EQ_U64(pfn_usable_size(256 * MiB, 2 * MiB, PFN_MAP_MEM), 254 * MiB);
        ASSERT_EQ_U64(pfn_usable_size(256 * MiB, 4 * KiB, PFN_MAP_MEM), 256 * MiB - 8 * KiB);
        /* 1 GiB alignment: the 8 KiB info block costs a whole gigabyte. */
        ASSERT_EQ_U64(pfn_usable_size(4 * GiB, GiB, PFN_MAP_MEM), 3 * GiB);
        ASSERT_EQ_U64(pfn_usable_size(GiB, GiB, PFN_MAP_MEM), 0);
        ASSERT_EQ_U64(pfn_usable_size(2 * MiB, 2 * MiB, PFN_MAP_MEM), 0);
}

static const uint64_t x86_aligns[] = { 4 * KiB, 2 * MiB, GiB };

static RegionShape region(uint64_t size, uint64_t largest, uint64_t align, unsigned ways) {
        return (RegionShape){
                .name = "region1",
                .size = size,
                .available = largest,
                .largest_extent = largest,
                .align = align,
                .ways = ways,
                .labelled = true,
                .supported_aligns = x86_aligns,
                .n_supported_aligns = ELEMENTSOF(x86_aligns),
        };
}

static NamespacePlan plan_ok(const RegionShape *r, const char *size, NamespaceMode mode, uint64_t align) {
        NamespaceRequest req = { .mode = mode, .map = PFN_MAP_MEM, .align = align };
        NamespacePlan p;
        char *e = NULL;

        ASSERT_EQ(size_spec_parse(size, &req.size, NULL), 0);
        if (namespace_plan_size(r, &req, &p, &e) < 0) {
                fprintf(stderr, "plan %s in %s failed: %s\n", size, r->name, e);
                abort();
        }
        ASSERT_EQ_U64(p.size % p.unit, 0);
        ASSERT_TRUE(p.size <= r->largest_extent);
        return p;
}

static char *plan_fails(const RegionShape *r, const char *size, NamespaceMode mode, uint64_t align,
                        int err) {
        NamespaceRequest req = { .mode = mode, .map = PFN_MAP_MEM, .align = align };
        NamespacePlan p;
        char *e = NULL;

        ASSERT_EQ(size_spec_parse(size, &req.size, NULL), 0);
        ASSERT_EQ(namespace_plan_size(r, &req, &p, &e), err);
        ASSERT_TRUE(e);
        return e;
}

TEST(test_plan_simple) {
        RegionShape r = region(2 * GiB, 2 * GiB, 16 * MiB, 1);
        NamespacePlan p;

        p = plan_ok(&r, "512M", NAMESPACE_MODE_FSDAX, 0);
        ASSERT_EQ_U64(p.size, 512 * MiB);
        ASSERT_EQ_U64(p.align, 2 * MiB);
        ASSERT_EQ_U64(p.unit, 16 * MiB);
        ASSERT_EQ_U64(p.usable, 510 * MiB);
        ASSERT_TRUE(!p.rounded);

        /* Not a multiple of the region alignment: rounded up, and said so. */
        p = plan_ok(&r, "100M", NAMESPACE_MODE_FSDAX, 0);
        ASSERT_EQ_U64(p.size, 112 * MiB);
        ASSERT_TRUE(p.rounded);

        p = plan_ok(&r, "rest", NAMESPACE_MODE_DEVDAX, 0);
        ASSERT_EQ_U64(p.size, 2 * GiB);
        p = plan_ok(&r, "50%", NAMESPACE_MODE_RAW, 0);
        ASSERT_EQ_U64(p.size, GiB);
        ASSERT_EQ_U64(p.align, 0);
        ASSERT_EQ_U64(p.usable, GiB);
        /* 33.33 % of 2 GiB = 682.6 MiB, rounded down to 672 MiB (a multiple of 16 MiB). */
        p = plan_ok(&r, "33.33%", NAMESPACE_MODE_FSDAX, 0);
        ASSERT_EQ_U64(p.size, 672 * MiB);
}

TEST(test_plan_too_large) {
        /* 2 GiB region minus 16 MiB used: the issue's own example message. */
        RegionShape r = region(2 * GiB, 2 * GiB - 16 * MiB, 16 * MiB, 1);
        char *e;

        e = plan_fails(&r, "2G", NAMESPACE_MODE_FSDAX, 0, -ENOSPC);
        ASSERT_STREQ(e, "region1 has 1.98 GiB in its largest free extent; 2 GiB requested");
        free(e);

        /* Fragmented: 1 GiB free in all, largest extent 512 MiB. */
        r.available = GiB;
        r.largest_extent = 512 * MiB;
        e = plan_fails(&r, "768M", NAMESPACE_MODE_FSDAX, 0, -ENOSPC);
        ASSERT_TRUE(strstr(e, "512 MiB in its largest free extent; 768 MiB requested"));
        ASSERT_TRUE(strstr(e, "1 GiB is free in all, but fragmented"));
        free(e);

        /* Rounding up is what pushes it over: say so. */
        r.largest_extent = 500 * MiB;
        e = plan_fails(&r, "497M", NAMESPACE_MODE_FSDAX, 0, -ENOSPC);
        ASSERT_TRUE(strstr(e, "512 MiB requested (497 MiB rounded up to a multiple of 16 MiB)"));
        free(e);

        e = plan_fails(&r, "60%", NAMESPACE_MODE_FSDAX, 0, -ENOSPC);
        ASSERT_TRUE(strstr(e, "60.00% of region1 is 1.18 GiB, but its largest free extent has 500 MiB"));
        free(e);

        r.largest_extent = 8 * MiB;
        e = plan_fails(&r, "rest", NAMESPACE_MODE_FSDAX, 0, -ENOSPC);
        ASSERT_TRUE(strstr(e, "no free extent of 16 MiB or more"));
        free(e);
}

TEST(test_plan_alignment) {
        RegionShape r = region(8 * GiB, 8 * GiB, 16 * MiB, 1);
        NamespacePlan p;
        char *e;

        /* 1 GiB pages: sizes in whole gigabytes, one of which goes to the info block. */
        p = plan_ok(&r, "3G", NAMESPACE_MODE_DEVDAX, GiB);
        ASSERT_EQ_U64(p.unit, GiB);
        ASSERT_EQ_U64(p.usable, 2 * GiB);
        p = plan_ok(&r, "1.5G", NAMESPACE_MODE_DEVDAX, GiB);
        ASSERT_EQ_U64(p.size, 2 * GiB);
        ASSERT_TRUE(p.rounded);

        e = plan_fails(&r, "1G", NAMESPACE_MODE_DEVDAX, GiB, -EINVAL);
        ASSERT_TRUE(strstr(e, "too small for a devdax namespace aligned to 1 GiB"));
        free(e);

        /* An alignment the kernel does not offer. */
        e = plan_fails(&r, "1G", NAMESPACE_MODE_FSDAX, 64 * KiB, -EINVAL);
        ASSERT_STREQ(e,
                     "alignment 64 KiB is not offered by the kernel for fsdax namespaces in region1; choose "
                     "one of: 4 KiB, 2 MiB, 1 GiB");
        free(e);
        r.supported_aligns = NULL; /* unknown: 4 KiB and 2 MiB only */
        e = plan_fails(&r, "2G", NAMESPACE_MODE_FSDAX, GiB, -EINVAL);
        ASSERT_TRUE(strstr(e, "choose one of: 4 KiB, 2 MiB"));
        free(e);

        /* An alignment on a raw namespace means nothing. */
        r.supported_aligns = x86_aligns;
        e = plan_fails(&r, "1G", NAMESPACE_MODE_RAW, 2 * MiB, -EINVAL);
        ASSERT_TRUE(strstr(e, "fsdax and devdax namespaces only"));
        free(e);

        /* Default when 2 MiB is not offered (e.g. a 64K-page arch): page alignment. */
        static const uint64_t only_4k[] = { 4 * KiB };
        r.supported_aligns = only_4k;
        r.n_supported_aligns = 1;
        p = plan_ok(&r, "64M", NAMESPACE_MODE_FSDAX, 0);
        ASSERT_EQ_U64(p.align, 4 * KiB);
}

TEST(test_plan_interleave) {
        /* Three-way interleave: the kernel's region align becomes 48 MiB (16 MiB x 3). */
        RegionShape r = region(12 * GiB, 12 * GiB, 48 * MiB, 3);
        NamespacePlan p;

        p = plan_ok(&r, "1G", NAMESPACE_MODE_FSDAX, 0);
        ASSERT_EQ_U64(p.unit, 48 * MiB);
        ASSERT_EQ_U64(p.size, 1056 * MiB); /* 22 x 48 MiB */
        ASSERT_EQ_U64(p.size % 3, 0);
        /* Each DIMM holds a third: still a whole number of pages and of 2 MiB. */
        ASSERT_EQ_U64((p.size / 3) % (2 * MiB), 0);

        /* With 1 GiB alignment the unit is lcm(48 MiB, 1 GiB) = 3 GiB. */
        p = plan_ok(&r, "4G", NAMESPACE_MODE_DEVDAX, GiB);
        ASSERT_EQ_U64(p.unit, 3 * GiB);
        ASSERT_EQ_U64(p.size, 6 * GiB);

        /* A small region whose kernel align fell back to the page size, two ways. */
        r = region(64 * MiB, 64 * MiB, 0, 2);
        p = plan_ok(&r, "10M", NAMESPACE_MODE_RAW, 0);
        ASSERT_EQ_U64(p.unit, 8 * KiB);
        ASSERT_EQ_U64(p.size, 10 * MiB);

        /* Odd ways and an alignment that is not a power of two. */
        r = region(6 * GiB, 6 * GiB, 24 * MiB, 6);
        p = plan_ok(&r, "100M", NAMESPACE_MODE_FSDAX, 0);
        ASSERT_EQ_U64(p.unit, 24 * MiB);
        ASSERT_EQ_U64(p.size, 120 * MiB);
}

/* QEMU places a second NVDIMM 2 MiB-aligned: the region's 16 MiB alignment must come down. */
TEST(test_plan_misaligned_start) {
        RegionShape r = region(2 * GiB - 2 * MiB, 2 * GiB - 16 * MiB, 16 * MiB, 1);
        NamespacePlan p;
        char *e;

        r.start = 0x17fe00000;
        p = plan_ok(&r, "100M", NAMESPACE_MODE_FSDAX, 0);
        ASSERT_EQ_U64(p.region_align, 2 * MiB);
        ASSERT_EQ_U64(p.unit, 2 * MiB);
        ASSERT_EQ_U64(p.size, 100 * MiB);

        /* Aligned start: the region keeps its alignment. */
        r.start = 0x100000000;
        p = plan_ok(&r, "100M", NAMESPACE_MODE_FSDAX, 0);
        ASSERT_EQ_U64(p.region_align, 16 * MiB);
        ASSERT_EQ_U64(p.size, 112 * MiB);

        /* A 1 GiB-aligned devdax namespace cannot start 2 MiB into a gigabyte. */
        r.start = 0x17fe00000;
        e = plan_fails(&r, "2G", NAMESPACE_MODE_DEVDAX, GiB, -EINVAL);
        ASSERT_STREQ(e, "region1 starts at 0x17fe00000, which is aligned only to 2 MiB: devdax namespaces "
                        "aligned to "
                        "1 GiB cannot start there; ask for a smaller alignment");
        free(e);

        /* 4 KiB-aligned start: raw works, 2 MiB fsdax does not. */
        r.start = 0x100001000;
        p = plan_ok(&r, "8M", NAMESPACE_MODE_RAW, 0);
        ASSERT_EQ_U64(p.region_align, 4 * KiB);
        e = plan_fails(&r, "8M", NAMESPACE_MODE_FSDAX, 0, -EINVAL);
        free(e);
}

TEST(test_plan_labelless) {
        RegionShape r = region(GiB, 0, 16 * MiB, 1);
        char *e;

        r.labelled = false;
        e = plan_fails(&r, "512M", NAMESPACE_MODE_FSDAX, 0, -EOPNOTSUPP);
        ASSERT_TRUE(strstr(e, "region1 has no label area"));
        ASSERT_TRUE(strstr(e, "change that namespace's mode"));
        free(e);
}

DEFINE_TEST_MAIN();
