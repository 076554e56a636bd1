/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <inttypes.h>
#include <string.h>

#include "error.h"
#include "size.h"

#define PAGE_4K         (4 * KiB)
#define PFN_INFO_BLOCK  (8 * KiB)
#define PFN_STRUCT_PAGE 64

/* Parses "123", "1.5" into an integer part and a fraction numerator/denominator; *end is the
 * first character after the number. */
static int parse_decimal(const char *s, uint64_t *ret_int, uint64_t *ret_frac, uint64_t *ret_den,
                         const char **end) {
        uint64_t i = 0, frac = 0, den = 1;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (i > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                i = i * 10 + (uint64_t) (*p - '0');
        }
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        if (den >= UINT64_C(1000000000)) /* more than 9 decimals: ignore the rest */
                                continue;
                        frac = frac * 10 + (uint64_t) (*p - '0');
                        den *= 10;
                }
        }
        *ret_int = i;
        *ret_frac = frac;
        *ret_den = den;
        *end = p;
        return 0;
}

int size_parse_bytes(const char *s, uint64_t *ret, char **ret_error) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } units[] = {
                { "", 1 },
                { "B", 1 },
                { "K", KiB },
                { "k", KiB },
                { "KiB", KiB },
                { "M", MiB },
                { "m", MiB },
                { "MiB", MiB },
                { "G", GiB },
                { "g", GiB },
                { "GiB", GiB },
                { "T", TiB },
                { "t", TiB },
                { "TiB", TiB },
                { "P", 1024 * TiB },
                { "p", 1024 * TiB },
                { "PiB", 1024 * TiB },
        };
        uint64_t i, frac, den, factor = 0;
        unsigned __int128 v;
        const char *end;
        int r;

        if (!s || !*s)
                return error_set(ret_error, -EINVAL, "empty size: give bytes or a number with K, M, G or T");

        r = parse_decimal(s, &i, &frac, &den, &end);
        if (r < 0)
                return error_set(ret_error, r,
                                 "'%s' is not a size: expected a number such as 4096, 512M or 1.5G", s);

        for (size_t k = 0; k < ELEMENTSOF(units); k++)
                if (strcmp(end, units[k].suffix) == 0) {
                        factor = units[k].factor;
                        break;
                }
        if (factor == 0) {
                if (strlen(end) == 2 && strchr("kKmMgGtTpP", end[0]) && (end[1] == 'B' || end[1] == 'b'))
                        return error_set(
                                ret_error, -EINVAL,
                                "'%s' is ambiguous: write %c or %ciB for powers of 1024, or give bytes", s,
                                (char) (end[0] & ~0x20), (char) (end[0] & ~0x20));
                return error_set(ret_error, -EINVAL,
                                 "'%s' has an unknown unit '%s': use K, M, G, T (powers of 1024)", s, end);
        }

        v = (unsigned __int128) i * factor + (unsigned __int128) frac * factor / den;
        if (v > UINT64_MAX)
                return error_set(ret_error, -ERANGE, "'%s' is too large", s);

        *ret = (uint64_t) v;
        return 0;
}

int size_spec_parse(const char *s, SizeSpec *ret, char **ret_error) {
        size_t n;

        if (!s || !ret)
                return -EINVAL;

        if (strcmp(s, "rest") == 0) {
                *ret = (SizeSpec){ .kind = SIZE_REST };
                return 0;
        }

        n = strlen(s);
        if (n > 0 && s[n - 1] == '%') {
                uint64_t i, frac, den, bp;
                const char *end;

                if (parse_decimal(s, &i, &frac, &den, &end) < 0 || end != s + n - 1)
                        return error_set(ret_error, -EINVAL,
                                         "'%s' is not a percentage: expected e.g. 50%% or 12.5%%", s);
                if (i > 100)
                        return error_set(ret_error, -ERANGE, "'%s' is more than the whole region (100%%)",
                                         s);
                bp = i * 100 + frac * 100 / den;
                if (bp == 0 || bp > 10000)
                        return error_set(ret_error, -ERANGE, "'%s' must be more than 0%% and at most 100%%",
                                         s);
                *ret = (SizeSpec){ .kind = SIZE_PERCENT, .basis_points = (uint32_t) bp };
                return 0;
        }

        SizeSpec spec = { .kind = SIZE_BYTES };
        int r = size_parse_bytes(s, &spec.bytes, ret_error);
        if (r < 0)
                return r;
        if (spec.bytes == 0)
                return error_set(ret_error, -EINVAL, "a size of 0 makes no namespace");
        *ret = spec;
        return 0;
}

const char *size_format(uint64_t bytes, char buf[static SIZE_FORMAT_MAX]) {
        static const char *const suffix[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        unsigned u = 0;

        while (u + 1 < ELEMENTSOF(suffix) && bytes >= (UINT64_C(1) << (10 * (u + 1))))
                u++;

        if (u == 0 || bytes % (UINT64_C(1) << (10 * u)) == 0)
                (void) snprintf(buf, SIZE_FORMAT_MAX, "%" PRIu64 " %s", bytes >> (10 * u), suffix[u]);
        else {
                /* Two decimals, truncated, not rounded: "1.99 GiB" must never print as "2 GiB". */
                uint64_t whole = bytes >> (10 * u);
                uint64_t rest = bytes - (whole << (10 * u));
                uint64_t hundredths = (uint64_t) ((unsigned __int128) rest * 100 >> (10 * u));

                if (hundredths == 0)
                        (void) snprintf(buf, SIZE_FORMAT_MAX, "%" PRIu64 ".00 %s", whole, suffix[u]);
                else if (hundredths % 10 == 0)
                        (void) snprintf(buf, SIZE_FORMAT_MAX, "%" PRIu64 ".%" PRIu64 " %s", whole,
                                        hundredths / 10, suffix[u]);
                else
                        (void) snprintf(buf, SIZE_FORMAT_MAX, "%" PRIu64 ".%02" PRIu64 " %s", whole,
                                        hundredths, suffix[u]);
        }
        return buf;
}

static uint64_t gcd64(uint64_t a, uint64_t b) {
        while (b) {
                uint64_t t = a % b;
                a = b;
                b = t;
        }
        return a;
}

/* Least common multiple, 0 on overflow. */
static uint64_t lcm64(uint64_t a, uint64_t b) {
        uint64_t g = gcd64(a, b), q = a / g;

        if (q != 0 && b > UINT64_MAX / q)
                return 0;
        return q * b;
}

static uint64_t align_up(uint64_t v, uint64_t a) {
        uint64_t r = v % a;

        return r == 0 ? v : (v > UINT64_MAX - (a - r) ? 0 : v + (a - r));
}

uint64_t pfn_usable_size(uint64_t size, uint64_t align, PfnMap map) {
        uint64_t reserve = 0, offset, end;

        if (align == 0)
                align = PAGE_4K;
        if (map == PFN_MAP_DEV)
                reserve = size / PAGE_4K * PFN_STRUCT_PAGE;
        offset = align_up(PFN_INFO_BLOCK + reserve, align);
        if (offset == 0 || offset >= size)
                return 0;
        end = size - size % align; /* the data ends on an alignment boundary too */
        return end > offset ? end - offset : 0;
}

static bool align_supported(const RegionShape *r, uint64_t align) {
        static const uint64_t dflt[] = { 4 * KiB, 2 * MiB };
        const uint64_t *s = r->supported_aligns ?: dflt;
        size_t n = r->supported_aligns ? r->n_supported_aligns : ELEMENTSOF(dflt);

        for (size_t i = 0; i < n; i++)
                if (s[i] == align)
                        return true;
        return false;
}

static void format_supported(const RegionShape *r, char *buf, size_t size) {
        static const uint64_t dflt[] = { 4 * KiB, 2 * MiB };
        const uint64_t *s = r->supported_aligns ?: dflt;
        size_t n = r->supported_aligns ? r->n_supported_aligns : ELEMENTSOF(dflt), used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n && used < size; i++) {
                int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", SIZE_FMT(s[i]));
                if (k < 0)
                        break;
                used += (size_t) k;
        }
}

int namespace_plan_size(const RegionShape *region, const NamespaceRequest *req, NamespacePlan *ret,
                        char **ret_error) {
        uint64_t unit, size = 0 /* every kind sets it */, align = 0, region_align, ways;
        const char *name;
        bool pfn, rounded = false;

        if (!region || !req || !ret || (unsigned) req->mode >= _NAMESPACE_MODE_MAX)
                return -EINVAL;
        name = region->name ?: "the region";

        if (!region->labelled)
                return error_set(ret_error, -EOPNOTSUPP,
                                 "%s has no label area, so it holds exactly one namespace spanning all %s; "
                                 "change that namespace's mode instead of creating a new one",
                                 name, SIZE_FMT(region->size));

        pfn = req->mode == NAMESPACE_MODE_FSDAX || req->mode == NAMESPACE_MODE_DEVDAX;
        if (pfn) {
                align = req->align ?: (align_supported(region, 2 * MiB) ? 2 * MiB : PAGE_4K);
                if (!align_supported(region, align)) {
                        char list[128];

                        format_supported(region, list, sizeof(list));
                        return error_set(
                                ret_error, -EINVAL,
                                "alignment %s is not offered by the kernel for %s namespaces in %s; "
                                "choose one of: %s",
                                SIZE_FMT(align), namespace_mode_to_string(req->mode), name, list);
                }
        } else if (req->align != 0)
                return error_set(ret_error, -EINVAL,
                                 "an alignment applies to fsdax and devdax namespaces only, not to %s",
                                 namespace_mode_to_string(req->mode));

        ways = region->ways ?: 1;
        region_align = region->align ?: PAGE_4K;
        if (region->start % region_align != 0) {
                uint64_t a = region->start & (~region->start + 1); /* largest power of two dividing it */

                if (a > region_align)
                        a = region_align;
                if (a < ways * PAGE_4K || a % (ways * PAGE_4K) != 0 || (pfn && a < align))
                        return error_set(
                                ret_error, -EINVAL,
                                "%s starts at 0x%" PRIx64 ", which is aligned only to %s: %s namespaces "
                                "%s%s cannot start there; ask for a smaller alignment",
                                name, region->start, SIZE_FMT(a), namespace_mode_to_string(req->mode),
                                pfn ? "aligned to " : "", pfn ? SIZE_FMT(align) : "");
                region_align = a;
        }
        unit = lcm64(region_align, ways * PAGE_4K);
        if (pfn && unit)
                unit = lcm64(unit, align);
        if (unit == 0)
                return error_set(ret_error, -ERANGE, "the alignment of %s overflows", name);

        switch (req->size.kind) {
        case SIZE_BYTES:
                size = align_up(req->size.bytes, unit);
                if (size == 0)
                        return error_set(ret_error, -ERANGE, "%s is too large", SIZE_FMT(req->size.bytes));
                rounded = size != req->size.bytes;
                break;
        case SIZE_PERCENT:
                size = (uint64_t) ((unsigned __int128) region->size * req->size.basis_points / 10000);
                size -= size % unit;
                if (size > region->largest_extent)
                        return error_set(ret_error, -ENOSPC,
                                         "%" PRIu32 ".%02" PRIu32
                                         "%% of %s is %s, but its largest free extent has "
                                         "%s; ask for less or \"rest\"",
                                         req->size.basis_points / 100, req->size.basis_points % 100, name,
                                         SIZE_FMT(size), SIZE_FMT(region->largest_extent));
                break;
        case SIZE_REST:
                size = region->largest_extent - region->largest_extent % unit;
                if (size == 0)
                        return error_set(ret_error, -ENOSPC,
                                         "%s has no free extent of %s or more (largest: %s)", name,
                                         SIZE_FMT(unit), SIZE_FMT(region->largest_extent));
                break;
        case _SIZE_KIND_MAX:
        case _SIZE_KIND_INVALID:
                return -EINVAL;
        }

        if (size == 0)
                return error_set(ret_error, -EINVAL,
                                 "the size rounds down to nothing: namespaces in %s are multiples of %s",
                                 name, SIZE_FMT(unit));

        if (size > region->largest_extent) {
                char why[160] = "";

                if (rounded)
                        (void) snprintf(why, sizeof(why), " (%s rounded up to a multiple of %s)",
                                        SIZE_FMT(req->size.bytes), SIZE_FMT(unit));
                if (region->available > region->largest_extent)
                        return error_set(
                                ret_error, -ENOSPC,
                                "%s has %s in its largest free extent; %s requested%s. %s is free in "
                                "all, but fragmented: a namespace needs one extent",
                                name, SIZE_FMT(region->largest_extent), SIZE_FMT(size), why,
                                SIZE_FMT(region->available));
                return error_set(ret_error, -ENOSPC, "%s has %s in its largest free extent; %s requested%s",
                                 name, SIZE_FMT(region->largest_extent), SIZE_FMT(size), why);
        }

        *ret = (NamespacePlan){
                .size = size, .align = align, .unit = unit, .region_align = region_align, .rounded = rounded
        };
        if (pfn) {
                ret->usable = pfn_usable_size(size, align, req->map);
                if (ret->usable == 0)
                        return error_set(
                                ret_error, -EINVAL,
                                "%s is too small for a %s namespace aligned to %s: the info block%s leaves "
                                "no room for data; ask for at least %s",
                                SIZE_FMT(size), namespace_mode_to_string(req->mode), SIZE_FMT(align),
                                req->map == PFN_MAP_DEV ? " and the on-device memmap" : "",
                                SIZE_FMT(align_up(2 * align + (req->map == PFN_MAP_DEV ? size / 64 : 0),
                                                  unit)));
        } else
                ret->usable = size;
        return 0;
}
