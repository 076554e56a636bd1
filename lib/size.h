/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Sizes: parsing what users write ("512M", "1.5GiB", "25%", "rest"), printing sizes for people,
 * and the namespace size arithmetic that makes ndctl users meet "Invalid argument".
 *
 * The kernel's rules, re-derived from its documented behaviour (drivers/nvdimm):
 *  - a namespace's size is a multiple of the region's alignment (sysfs regionN/align, 16 MiB by
 *    default, already a multiple of the interleave ways: each DIMM holds size/ways), and so is
 *    its offset in the region: when the region's physical start is not aligned to it (QEMU
 *    places a second NVDIMM 2 MiB-aligned), the region's alignment must be lowered to what
 *    the start allows, still a power of two per DIMM and no less than the pfn alignment;
 *  - it is allocated in one free extent of the region: what fits is max_available_extent, not
 *    available_size, once the free space is fragmented;
 *  - fsdax and devdax namespaces carry a pfn info block: the data starts at
 *    ALIGN(start + 8 KiB + memmap, align) where memmap is 64 bytes per 4 KiB page when the
 *    struct pages live on the device (map=dev) and 0 when they live in RAM (map=mem); the data
 *    ends at a multiple of align. With align = 1 GiB that can cost up to 1 GiB.
 * Everything here is pure: no I/O, unit-tested on many region shapes. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

/* Bytes with a binary unit: "4096", "512K", "512KiB", "2M", "1.5G", "1T". SI units ("GB") are
 * refused as ambiguous. Fractions are allowed and rounded down to a byte. */
int size_parse_bytes(const char *s, uint64_t *ret, char **ret_error);

typedef enum SizeKind {
        SIZE_BYTES,   /* an absolute size */
        SIZE_PERCENT, /* a share of the region's whole size, in hundredths of a percent */
        SIZE_REST,    /* the largest free extent */
        _SIZE_KIND_MAX,
        _SIZE_KIND_INVALID = -EINVAL,
} SizeKind;

typedef struct SizeSpec {
        SizeKind kind;
        uint64_t bytes;        /* SIZE_BYTES */
        uint32_t basis_points; /* SIZE_PERCENT: 1..10000 (0.01 % .. 100 %) */
} SizeSpec;

/* "2G", "50%", "12.5%", "rest". */
int size_spec_parse(const char *s, SizeSpec *ret, char **ret_error);

/* "1.98 GiB", "512 MiB", "4096 B": at most two decimals, exact values without any. */
#define SIZE_FORMAT_MAX 48
const char *size_format(uint64_t bytes, char buf[static SIZE_FORMAT_MAX]);
#define SIZE_FMT(b) size_format((b), (char[SIZE_FORMAT_MAX]){})

/* What the arithmetic needs to know of a region (from the topology snapshot). */
typedef struct RegionShape {
        const char *name;                 /* "region1", for messages */
        uint64_t size;                    /* total */
        uint64_t available;               /* free, all extents together */
        uint64_t largest_extent;          /* largest free extent (max_available_extent) */
        uint64_t align;                   /* region alignment; 0 = unknown (page size is assumed) */
        uint64_t start;                   /* physical start address (resource); 0 = unknown */
        unsigned ways;                    /* interleave ways (mappings); 0 is taken as 1 */
        bool labelled;                    /* has a label area: can hold several namespaces */
        const uint64_t *supported_aligns; /* pfn/dax alignments the kernel offers; NULL = 4K, 2M */
        size_t n_supported_aligns;
} RegionShape;

typedef struct NamespaceRequest {
        SizeSpec size;
        NamespaceMode mode;
        PfnMap map;     /* where the struct pages of fsdax/devdax live */
        uint64_t align; /* 0 = default: 2 MiB for fsdax/devdax when supported */
} NamespaceRequest;

typedef struct NamespacePlan {
        uint64_t size;         /* what to give the kernel */
        uint64_t align;        /* pfn/dax alignment (0 for raw and sector) */
        uint64_t unit;         /* the size is a multiple of this */
        uint64_t region_align; /* the alignment the region must have: lower than its own when
                                * its start is not aligned to it (set it before creating) */
        uint64_t usable;       /* data capacity after the info block and memmap (an estimate when
                                * the extent's start is not aligned) */
        bool rounded;          /* size differs from an absolute request */
} NamespacePlan;

/* Plans a new namespace in @region. On failure the sentence says why in plain words, e.g.
 * "region1 has 1.98 GiB in its largest free extent; 2 GiB requested". */
int namespace_plan_size(const RegionShape *region, const NamespaceRequest *req, NamespacePlan *ret,
                        char **ret_error);

/* Data capacity of a pfn (fsdax/devdax) namespace of @size with @align, @map. 0 if none. */
uint64_t pfn_usable_size(uint64_t size, uint64_t align, PfnMap map);
