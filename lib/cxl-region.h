/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Making a CXL pmem region from free capacity through libcxl: what `cxl create-region -t pmem`
 * does by hand, re-derived from the kernel's sysfs ABI (Documentation/ABI/testing/sysfs-bus-cxl):
 *   1. the root decoder (a fixed memory window) makes a new region (create_pmem_region);
 *   2. the region gets its interleave granularity (the window's) and ways, its uuid, and its size,
 *      which reserves host physical address space in the window;
 *   3. on each memory device, a free endpoint decoder is set to pmem and given its share of
 *      device capacity (dpa_size), then attached to the region at its position;
 *   4. the region is committed (the decoders of every port on the way are programmed) and
 *      enabled: the cxl_pmem_region driver then offers it to libnvdimm as an nd region, whose
 *      namespaces are made as on an NVDIMM.
 * A failure part-way undoes what was done (targets detached, device capacity freed, the region
 * deleted), so no half-made region is left behind. Serialized with namespace changes
 * (ns-lock.h). */

#include <stdint.h>

#include "context.h"

typedef struct CxlRegionCreate {
        const char *decoder;        /* the root decoder, "decoder0.0" */
        const char *const *memdevs; /* "mem0", … in interleave position order */
        size_t n_memdevs;
        uint64_t size;    /* the region's, a multiple of 256 MiB × n_memdevs */
        const char *uuid; /* its uuid (text) */
} CxlRegionCreate;

/* On success *ret_region (optional) gets the new CXL region's name ("region0"). */
int cxl_region_create(DaxContext *c, const CxlRegionCreate *req, char **ret_region, char **ret_error);
