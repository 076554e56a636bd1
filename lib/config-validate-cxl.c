/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Validation of [CXLRegion NAME] sections: raw strings → ConfigCxlRegion, and the UUID that
 * names the region daxmgr makes for one. */

#include <errno.h>
#include <string.h>

#include <nettle/sha2.h>
#include <uuid/uuid.h>

#include "config-internal.h"
#include "parse-util.h"

void cxl_region_uuid_from_name(const char *name, char ret[static 37]) {
        static const char prefix[] = "daxmgr.cxl-region:";
        uint8_t digest[SHA256_DIGEST_SIZE];
        struct sha256_ctx ctx;
        uuid_t uu;

        sha256_init(&ctx);
        sha256_update(&ctx, sizeof(prefix) - 1, (const uint8_t *) prefix);
        sha256_update(&ctx, strlen(name), (const uint8_t *) name);
        sha256_digest(&ctx, sizeof(digest), digest);
        memcpy(uu, digest, sizeof(uu));
        uu[6] = (uint8_t) ((uu[6] & 0x0f) | 0x80); /* version 8: custom (RFC 9562) */
        uu[8] = (uint8_t) ((uu[8] & 0x3f) | 0x80); /* the RFC variant */
        uuid_unparse_lower(uu, ret);
}

/* Memdevs=: "memN" or "serial:HEX", separated by spaces or commas. */
static int parse_cxl_memdevs(const RawSection *s, ConfigCxlRegion *cr, char **ret_error) {
        const ConfigSource *at = raw_where(s, CONFIG_CXL_REGION_MEMDEVS);
        const char *v = s->values[CONFIG_CXL_REGION_MEMDEVS].value;

        if (!v || strcmp(v, "any") == 0)
                return 0;
        for (const char *p = v; *p;) {
                size_t n = strcspn(p, " \t,");
                _cleanup_free_ char *item = NULL;
                uint64_t serial;
                uint32_t id;
                char **l;

                if (n == 0) {
                        p++;
                        continue;
                }
                item = strndup(p, n);
                if (!item)
                        return -ENOMEM;
                p += n;
                if (strncmp(item, "serial:", 7) == 0) {
                        if (parse_u64(item + 7, 16, &serial) < 0)
                                return fail(ret_error, -EINVAL, at, "Memdevs",
                                            "'%s' is not a serial number: give it in hex as cxl list shows "
                                            "it, e.g. serial:0xc0de0000",
                                            item);
                } else if (strncmp(item, "mem", 3) != 0 || item[3] < '0' || item[3] > '9' ||
                           parse_u32(item + 3, 10, &id) < 0)
                        return fail(ret_error, -EINVAL, at, "Memdevs",
                                    "'%s' is not a CXL memory device: use memN (as cxl list shows it) or "
                                    "serial:HEX, or any",
                                    item);
                for (size_t i = 0; i < cr->n_memdevs; i++)
                        if (strcmp(cr->memdevs[i], item) == 0)
                                return fail(ret_error, -EINVAL, at, "Memdevs",
                                            "%s is named twice: a region interleaves distinct devices",
                                            item);
                if (cr->n_memdevs >= CONFIG_CXL_WAYS_MAX)
                        return fail(ret_error, -EINVAL, at, "Memdevs",
                                    "more than %u memory devices: CXL interleaves at most %u",
                                    CONFIG_CXL_WAYS_MAX, CONFIG_CXL_WAYS_MAX);
                l = reallocarray(cr->memdevs, cr->n_memdevs + 1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                cr->memdevs = l;
                l[cr->n_memdevs++] = TAKE_PTR(item);
        }
        switch (cr->n_memdevs) {
        case 0:
                return fail(ret_error, -EINVAL, at, "Memdevs",
                            "names no memory device: use memN or serial:HEX, or any");
        case 1:
        case 2:
        case 3:
        case 4:
        case 6:
        case 8:
        case 12:
        case 16:
                return 0;
        default:
                return fail(ret_error, -EINVAL, at, "Memdevs",
                            "%zu memory devices cannot be interleaved: CXL interleaves 1, 2, 3, 4, 6, 8, 12 "
                            "or 16",
                            cr->n_memdevs);
        }
}

int validate_cxl_region(const RawSection *s, ConfigCxlRegion *cr, char **ret_error) {
        const RawValue *v = s->values;
        uint32_t a, b;
        int r;

        *cr = (ConfigCxlRegion){ .section = s->where };
        cr->name = strdup(s->name);
        if (!cr->name)
                return -ENOMEM;
        for (size_t k = 0; k < _CONFIG_CXL_REGION_KEY_MAX; k++)
                if (v[k].value)
                        cr->where[k] = v[k].where;
        cxl_region_uuid_from_name(cr->name, cr->uuid);

        r = parse_cxl_memdevs(s, cr, ret_error);
        if (r < 0)
                return r;

        if (v[CONFIG_CXL_REGION_SIZE].value && strcmp(v[CONFIG_CXL_REGION_SIZE].value, "rest") != 0) {
                _cleanup_free_ char *e = NULL;
                uint64_t unit = (uint64_t) 256 << 20;
                size_t ways = cr->n_memdevs ?: 1;

                r = size_parse_bytes(v[CONFIG_CXL_REGION_SIZE].value, &cr->size, &e);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return fail(ret_error, r, raw_where(s, CONFIG_CXL_REGION_SIZE), "Size",
                                    "%s (or rest)", e ?: "not a size");
                if (cr->size == 0 || cr->size % (unit * ways) != 0)
                        return fail(
                                ret_error, -EINVAL, raw_where(s, CONFIG_CXL_REGION_SIZE), "Size",
                                "'%s' is not a multiple of %zu × 256 MiB: a CXL region is made of 256 MiB "
                                "blocks on each of its %zu memory device%s; use a multiple, or rest",
                                v[CONFIG_CXL_REGION_SIZE].value, ways, ways, ways == 1 ? "" : "s");
        }

        if (v[CONFIG_CXL_REGION_DECODER].value && strcmp(v[CONFIG_CXL_REGION_DECODER].value, "any") != 0) {
                const char *d = v[CONFIG_CXL_REGION_DECODER].value, *dot = strchr(d, '.');
                _cleanup_free_ char *left = NULL;

                if (strncmp(d, "decoder", 7) != 0 || !dot || dot == d + 7 ||
                    !(left = strndup(d + 7, (size_t) (dot - d - 7))) || parse_u32(left, 10, &a) < 0 ||
                    !dot[1] || parse_u32(dot + 1, 10, &b) < 0)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_CXL_REGION_DECODER), "Decoder",
                                    "'%s' is not a root decoder: use decoderX.Y (a CXL fixed memory window, "
                                    "as cxl list -D shows it) or any",
                                    d);
                cr->decoder = strdup(d);
                if (!cr->decoder)
                        return -ENOMEM;
        }
        return 0;
}
