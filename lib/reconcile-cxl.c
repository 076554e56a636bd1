/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The planner's [CXLRegion] sections: a CXL pmem region made from free capacity of the named
 * memory devices, in a root decoder that can hold it (reconcile.h). Pure. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "parse-util.h"
#include "reconcile-internal.h"

#define CXL_REGION_UNIT ((uint64_t) 256 << 20) /* the host bridge's and device's decode granule */

static const ConfigSource *cxl_where(const ConfigCxlRegion *cr, ConfigCxlRegionKey key) {
        return cr->where[key].file ? &cr->where[key] : &cr->section;
}

/* The memdev a Memdevs= item names: "memN" (kernel name) or "serial:HEX". */
static const TopoCxlMemdev *cxl_find_memdev(const Topology *t, const char *item) {
        uint64_t want, have;

        if (strncmp(item, "serial:", 7) != 0)
                return topology_find_cxl_memdev(t, item);
        if (parse_u64(item + 7, 16, &want) < 0)
                return NULL;
        for (size_t i = 0; i < t->cxl.n_memdevs; i++)
                if (t->cxl.memdevs[i].serial && parse_u64(t->cxl.memdevs[i].serial, 16, &have) >= 0 &&
                    have == want)
                        return &t->cxl.memdevs[i];
        return NULL;
}

/* What is left of a memdev's persistent capacity, and whether an endpoint decoder is free. */
static uint64_t cxl_memdev_free_pmem(const Topology *t, const TopoCxlMemdev *m, bool *ret_decoder) {
        uint64_t used = 0;

        *ret_decoder = false;
        for (size_t i = 0; i < t->cxl.n_decoders; i++) {
                const TopoCxlDecoder *d = &t->cxl.decoders[i];

                if (d->kind != TOPO_CXL_DECODER_ENDPOINT || !d->memdev || strcmp(d->memdev, m->memdev) != 0)
                        continue;
                if (d->dpa_size == 0 && !d->region)
                        *ret_decoder = true;
                else if (d->mode && strcmp(d->mode, "pmem") == 0)
                        used += d->dpa_size;
        }
        return m->pmem_size > used ? m->pmem_size - used : 0;
}

/* The memory devices of [CXLRegion] @cr, each with a free endpoint decoder and room: 1 and
 * @picked with *ret_per the least room among them, or 0 with the problem recorded. */
static int cxl_pick_memdevs(Planner *pl, const ConfigCxlRegion *cr, const char *section,
                            const TopoCxlMemdev **picked, uint64_t *ret_per) {
        const Topology *t = pl->in->topology;
        size_t ways = cr->n_memdevs ?: 1;
        uint64_t per = UINT64_MAX;
        char buf[SIZE_FORMAT_MAX];

        for (size_t i = 0; i < ways; i++) {
                const TopoCxlMemdev *m = NULL;
                uint64_t room = 0;
                bool decoder = false;

                if (cr->n_memdevs > 0) {
                        m = cxl_find_memdev(t, cr->memdevs[i]);
                        if (!m)
                                return plan_problem(
                                        pl->plan, RECONCILE_WAITING, section,
                                        cxl_where(cr, CONFIG_CXL_REGION_MEMDEVS),
                                        "CXL memory device %s is not present; the region is made "
                                        "when it appears",
                                        cr->memdevs[i]);
                        room = cxl_memdev_free_pmem(t, m, &decoder);
                        if (!decoder || room < (cr->size ? cr->size / ways : CXL_REGION_UNIT))
                                return plan_problem(pl->plan, RECONCILE_NO_ROOM, section,
                                                    cxl_where(cr, CONFIG_CXL_REGION_MEMDEVS),
                                                    "CXL memory device %s has %s of free persistent "
                                                    "capacity%s; [CXLRegion "
                                                    "%s] needs %s on it",
                                                    m->memdev, size_format(room, buf),
                                                    decoder ? "" : " and no free endpoint decoder", cr->name,
                                                    cr->size ? "its share of Size=" : "at least 256 MiB");
                } else {
                        for (size_t j = 0; j < t->cxl.n_memdevs && !m; j++) {
                                room = cxl_memdev_free_pmem(t, &t->cxl.memdevs[j], &decoder);
                                if (decoder && room >= (cr->size ?: CXL_REGION_UNIT))
                                        m = &t->cxl.memdevs[j];
                        }
                        if (!m)
                                return plan_problem(
                                        pl->plan,
                                        t->cxl.n_memdevs == 0 ? RECONCILE_WAITING : RECONCILE_NO_ROOM,
                                        section, &cr->section,
                                        t->cxl.n_memdevs == 0
                                                ? "no CXL memory device is present; the region is "
                                                  "made when one appears"
                                                : "no CXL memory device has a free endpoint decoder "
                                                  "and enough free persistent capacity; name one "
                                                  "with Memdevs= to see why, or lower Size=");
                }
                picked[i] = m;
                per = room < per ? room : per;
        }
        *ret_per = per;
        return 1;
}

/* The fixed memory window (root decoder) for @ways devices and *total bytes, which it may lower
 * when Size= is not given: 1 and *ret_root, or 0 with the problem recorded. */
static int cxl_pick_root(Planner *pl, const ConfigCxlRegion *cr, const char *section, size_t ways,
                         uint64_t *total, const TopoCxlDecoder **ret_root) {
        const Topology *t = pl->in->topology;
        const TopoCxlDecoder *root = NULL;
        char buf[SIZE_FORMAT_MAX];

        for (size_t i = 0; i < t->cxl.n_decoders && !root; i++) {
                const TopoCxlDecoder *d = &t->cxl.decoders[i];

                if (d->kind != TOPO_CXL_DECODER_ROOT)
                        continue;
                if (cr->decoder ? strcmp(d->decoder, cr->decoder) == 0
                                : d->pmem_capable && d->max_available_extent >= CXL_REGION_UNIT * ways)
                        root = d;
        }
        if (!root)
                return plan_problem(pl->plan, cr->decoder ? RECONCILE_WAITING : RECONCILE_NO_ROOM, section,
                                    cxl_where(cr, CONFIG_CXL_REGION_DECODER),
                                    cr->decoder
                                            ? "root decoder %s is not present; the region is made when it "
                                              "appears"
                                            : "no CXL fixed memory window (root decoder) takes persistent "
                                              "memory and has room%s",
                                    cr->decoder ?: "");
        if (!root->pmem_capable)
                return plan_problem(
                        pl->plan, RECONCILE_CONFLICT, section, cxl_where(cr, CONFIG_CXL_REGION_DECODER),
                        "root decoder %s does not take persistent memory (its window is volatile "
                        "only); name another with Decoder=, or any",
                        root->decoder);
        if (!cr->size && root->max_available_extent < *total)
                *total = root->max_available_extent / (CXL_REGION_UNIT * ways) * (CXL_REGION_UNIT * ways);
        if (*total == 0 || root->max_available_extent < *total)
                return plan_problem(pl->plan, RECONCILE_NO_ROOM, section,
                                    cxl_where(cr, CONFIG_CXL_REGION_SIZE),
                                    "root decoder %s has %s free in its window; [CXLRegion %s] needs %s",
                                    root->decoder, size_format(root->max_available_extent, buf), cr->name,
                                    *total ? "more" : "at least 256 MiB per device");
        *ret_root = root;
        return 1;
}

int plan_cxl_region(Planner *pl, size_t k) {
        const Topology *t = pl->in->topology;
        const ConfigCxlRegion *cr = &pl->in->config->cxl_regions[k];
        const TopoCxlMemdev *picked[CONFIG_CXL_WAYS_MAX] = {};
        const TopoCxlRegion *have = topology_find_cxl_region_by_uuid(t, cr->uuid);
        const TopoCxlDecoder *root = NULL;
        _cleanup_free_ char *section = NULL, *list = NULL;
        size_t ways = cr->n_memdevs ?: 1;
        uint64_t per = 0, total;
        char buf[SIZE_FORMAT_MAX];
        ReconcileStep *s;
        int r;

        if (asprintf(&section, "CXLRegion %s", cr->name) < 0)
                return -ENOMEM;
        if (have) {
                if (have->committed && have->enabled)
                        return 0;
                return plan_problem(
                        pl->plan, RECONCILE_CONFLICT, section, &cr->section,
                        "CXL region %s of [CXLRegion %s] exists but is %s; daxmgr does not finish "
                        "or remove a half-made region: remove it (cxl destroy-region %s) and "
                        "daxmgr makes it again",
                        have->region, cr->name,
                        have->committed ? "not enabled" : "not committed (decode_state reset)",
                        have->region);
        }

        r = cxl_pick_memdevs(pl, cr, section, picked, &per);
        if (r <= 0)
                return r;
        per = cr->size ? cr->size / ways : per / CXL_REGION_UNIT * CXL_REGION_UNIT;
        total = per * ways;
        r = cxl_pick_root(pl, cr, section, ways, &total, &root);
        if (r <= 0)
                return r;

        for (size_t i = 0; i < ways; i++) {
                char *more = NULL;

                if (asprintf(&more, "%s%s%s", list ?: "", i ? " " : "", picked[i]->memdev) < 0)
                        return -ENOMEM;
                free(list);
                list = more;
        }
        r = plan_step(pl->plan, RECONCILE_CREATE_CXL_REGION, section, &s);
        if (r < 0)
                return r;
        s->bytes = total;
        if (strdup_opt(root->decoder, &s->region) < 0 || strdup_opt(list, &s->memdevs) < 0 ||
            strdup_opt(cr->uuid, &s->uuid) < 0)
                return -ENOMEM;
        return step_describe(s, "create CXL pmem region \"%s\" of %s from %s in %s", cr->name,
                             size_format(total, buf), list, root->decoder);
}
