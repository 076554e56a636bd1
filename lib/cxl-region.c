/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* cxl_region_create(): see cxl-region.h for the sequence. libcxl (LGPL-2.1) does the sysfs
 * writes; the ndctl tools' own region code (GPL) is not used. */

#include <cxl/libcxl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "cxl-region.h"
#include "error.h"
#include "macro.h"
#include "ns-lock.h"

static struct cxl_memdev *find_memdev(struct cxl_ctx *ctx, const char *name) {
        struct cxl_memdev *m;

        cxl_memdev_foreach(ctx, m) if (strcmp(cxl_memdev_get_devname(m), name) == 0) return m;
        return NULL;
}

/* The first endpoint decoder of @m that maps nothing yet: the kernel hands device capacity out
 * through them in order. */
static struct cxl_decoder *free_endpoint_decoder(struct cxl_memdev *m) {
        struct cxl_endpoint *ep = cxl_memdev_get_endpoint(m);
        struct cxl_decoder *d;

        if (!ep)
                return NULL;
        cxl_decoder_foreach(cxl_endpoint_get_port(ep),
                            d) if (cxl_decoder_get_dpa_size(d) == 0 && !cxl_decoder_get_region(d)) return d;
        return NULL;
}

static const char *errstr(int r) {
        return strerror(r < 0 ? -r : r);
}

/* Long on purpose, as cxl create-region's own create_region() is: the libcxl steps in their order
 * (decoders, uuid, size, targets, commit, probe) share one undo path, so that no half-made region
 * is left; split, each part would carry its own copy of the undo. */
int cxl_region_create(DaxContext *c, const CxlRegionCreate *req, char **ret_region, char **ret_error) {
        struct cxl_decoder *targets[16] = {}, *root;
        struct cxl_memdev *memdevs[16] = {};
        struct cxl_region *region = NULL;
        struct cxl_ctx *ctx = NULL;
        size_t attached = 0, sized = 0;
        bool committed = false;
        uint64_t per;
        uuid_t uu;
        int r, lock_fd;

        if (!c || !req || !req->decoder || !req->memdevs || req->n_memdevs == 0 || req->n_memdevs > 16 ||
            !req->uuid)
                return -EINVAL;
        if (uuid_parse(req->uuid, uu) < 0)
                return error_set(ret_error, -EINVAL, "'%s' is not a uuid", req->uuid);
        if (req->size == 0 || req->size % ((uint64_t) 256 << 20) != 0 || req->size % req->n_memdevs != 0 ||
            (req->size / req->n_memdevs) % ((uint64_t) 256 << 20) != 0)
                return error_set(ret_error, -EINVAL,
                                 "a CXL region of %" PRIu64 " bytes over %zu devices is not made of 256 MiB "
                                 "blocks on each",
                                 req->size, req->n_memdevs);
        per = req->size / req->n_memdevs;

        lock_fd = ns_lock_acquire(c, c->lock_timeout_sec, ret_error);
        if (lock_fd < 0)
                return lock_fd;

        r = cxl_new(&ctx);
        if (r < 0) {
                r = error_set(ret_error, r, "cannot start libcxl: %s", errstr(r));
                goto out;
        }
        root = cxl_decoder_get_by_name(ctx, req->decoder);
        if (!root || !cxl_port_is_root(cxl_decoder_get_port(root))) {
                r = error_set(ret_error, -ENODEV,
                              "%s is not a CXL root decoder (a fixed memory window): cxl list -D shows them",
                              req->decoder);
                goto out;
        }
        if (!cxl_decoder_is_pmem_capable(root)) {
                r = error_set(ret_error, -EINVAL,
                              "root decoder %s does not take persistent memory: pick a window that does",
                              req->decoder);
                goto out;
        }
        for (size_t i = 0; i < req->n_memdevs; i++) {
                memdevs[i] = find_memdev(ctx, req->memdevs[i]);
                if (!memdevs[i]) {
                        r = error_set(ret_error, -ENODEV,
                                      "CXL memory device %s is not present (cxl list -M)", req->memdevs[i]);
                        goto out;
                }
                if (!cxl_memdev_is_enabled(memdevs[i]) || !cxl_memdev_get_endpoint(memdevs[i])) {
                        r = error_set(ret_error, -ENODEV,
                                      "CXL memory device %s is not enabled (no endpoint port): check that "
                                      "cxl_mem and cxl_port are loaded and the kernel log for its probe",
                                      req->memdevs[i]);
                        goto out;
                }
                targets[i] = free_endpoint_decoder(memdevs[i]);
                if (!targets[i]) {
                        r = error_set(ret_error, -EBUSY,
                                      "CXL memory device %s has no free endpoint decoder: every one already "
                                      "maps a region",
                                      req->memdevs[i]);
                        goto out;
                }
                if (cxl_memdev_get_pmem_size(memdevs[i]) < per) {
                        r = error_set(
                                ret_error, -ENOSPC,
                                "CXL memory device %s has %llu bytes of persistent capacity, less than "
                                "its share of %" PRIu64,
                                req->memdevs[i], cxl_memdev_get_pmem_size(memdevs[i]), per);
                        goto out;
                }
        }

        region = cxl_decoder_create_pmem_region(root);
        if (!region) {
                r = error_set(ret_error, -EIO,
                              "root decoder %s did not make a new pmem region (the kernel log says why)",
                              req->decoder);
                goto out;
        }
#define STEP(expr, what)                                                                                    \
        do {                                                                                                \
                r = (expr);                                                                                 \
                if (r < 0) {                                                                                \
                        r = error_set(ret_error, r, "CXL region %s in %s: cannot %s: %s",                   \
                                      cxl_region_get_devname(region), req->decoder, what, errstr(r));       \
                        goto undo;                                                                          \
                }                                                                                           \
        } while (0)

        STEP(cxl_region_set_interleave_granularity(region, cxl_decoder_get_interleave_granularity(root)),
             "set the interleave granularity to the window's");
        STEP(cxl_region_set_interleave_ways(region, (unsigned) req->n_memdevs), "set the interleave ways");
        STEP(cxl_region_set_uuid(region, uu), "set its uuid");
        STEP(cxl_region_set_size(region, req->size),
             "reserve its size in the window (is there room? cxl list -D shows max_available_extent)");
        for (size_t i = 0; i < req->n_memdevs; i++) {
                STEP(cxl_decoder_set_mode(targets[i], CXL_DECODER_MODE_PMEM),
                     "set an endpoint decoder of the memory device to pmem");
                STEP(cxl_decoder_set_dpa_size(targets[i], per),
                     "take the device capacity (is the device's pmem partition free?)");
                sized = i + 1;
                STEP(cxl_region_set_target(region, (int) i, targets[i]), "attach the memory device");
                attached = i + 1;
        }
        STEP(cxl_region_decode_commit(region), "commit the decoders");
        committed = true;
        STEP(cxl_region_enable(region), "enable it (bind the cxl_region driver)");
#undef STEP

        if (ret_region) {
                *ret_region = strdup(cxl_region_get_devname(region));
                if (!*ret_region)
                        r = -ENOMEM;
        }
        r = r < 0 ? r : 0;
        goto out;

undo:
        /* Leave no half-made region: each undo step is best effort, the first error stands. */
        (void) cxl_region_disable(region);
        if (committed)
                (void) cxl_region_decode_reset(region);
        for (size_t i = attached; i > 0; i--)
                (void) cxl_region_clear_target(region, (int) i - 1);
        for (size_t i = sized; i > 0; i--)
                (void) cxl_decoder_set_dpa_size(targets[i - 1], 0);
        (void) cxl_region_delete(region);

out:
        cxl_unref(ctx);
        ns_lock_release(c, lock_fd);
        return r;
}
