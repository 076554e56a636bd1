/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The CXL part of the topology snapshot, through libcxl (ndctl's library, LGPL-2.1): buses,
 * ports, memory devices, decoders and regions, with the field names of `cxl list -v`. */

#include <cxl/libcxl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "macro.h"
#include "topology-cxl.h"
#include "topology.h"
#include "string-table.h"

static int add_port(TopoCxl *c, struct cxl_port *port) {
        TopoCxlPort *p = grow_array(&c->ports, &c->n_ports, sizeof(*p));
        struct cxl_port *parent;

        if (!p)
                return -ENOMEM;
        parent = cxl_port_is_root(port) ? NULL : cxl_port_get_parent(port);
        if (strdup_opt(cxl_port_get_devname(port), &p->port) < 0 ||
            strdup_opt(cxl_port_get_host(port), &p->host) < 0 ||
            strdup_opt(parent ? cxl_port_get_devname(parent) : NULL, &p->parent) < 0)
                return -ENOMEM;
        p->depth = cxl_port_get_depth(port);
        return 0;
}

static int add_decoders(TopoCxl *c, struct cxl_port *port) {
        struct cxl_decoder *decoder;

        cxl_decoder_foreach(port, decoder) {
                TopoCxlDecoder *d = grow_array(&c->decoders, &c->n_decoders, sizeof(*d));
                struct cxl_region *region;
                struct cxl_memdev *memdev;

                if (!d)
                        return -ENOMEM;
                if (strdup_opt(cxl_decoder_get_devname(decoder), &d->decoder) < 0 ||
                    strdup_opt(cxl_port_get_devname(port), &d->port) < 0)
                        return -ENOMEM;
                d->kind = cxl_port_is_root(port)       ? TOPO_CXL_DECODER_ROOT
                          : cxl_port_is_endpoint(port) ? TOPO_CXL_DECODER_ENDPOINT
                                                       : TOPO_CXL_DECODER_SWITCH;
                d->resource = cxl_decoder_get_resource(decoder);
                d->size = cxl_decoder_get_size(decoder);
                if (d->resource == ULLONG_MAX)
                        d->resource = 0;
                if (d->size == ULLONG_MAX)
                        d->size = 0;
                d->interleave_ways = cxl_decoder_get_interleave_ways(decoder);
                d->interleave_granularity = cxl_decoder_get_interleave_granularity(decoder);
                if (d->interleave_ways == UINT_MAX)
                        d->interleave_ways = 0;
                if (d->interleave_granularity == UINT_MAX)
                        d->interleave_granularity = 0;
                d->nr_targets = cxl_decoder_get_nr_targets(decoder);
                region = cxl_decoder_get_region(decoder);
                if (region && strdup_opt(cxl_region_get_devname(region), &d->region) < 0)
                        return -ENOMEM;

                switch (d->kind) {
                case TOPO_CXL_DECODER_ROOT:
                        d->pmem_capable = cxl_decoder_is_pmem_capable(decoder);
                        d->volatile_capable = cxl_decoder_is_volatile_capable(decoder);
                        d->max_available_extent = cxl_decoder_get_max_available_extent(decoder);
                        if (d->max_available_extent == ULLONG_MAX)
                                d->max_available_extent = 0;
                        break;
                case TOPO_CXL_DECODER_ENDPOINT:
                        memdev = cxl_decoder_get_memdev(decoder);
                        if (memdev && strdup_opt(cxl_memdev_get_devname(memdev), &d->memdev) < 0)
                                return -ENOMEM;
                        if (strdup_opt(cxl_decoder_mode_name(cxl_decoder_get_mode(decoder)), &d->mode) < 0)
                                return -ENOMEM;
                        d->dpa_resource = cxl_decoder_get_dpa_resource(decoder);
                        d->dpa_size = cxl_decoder_get_dpa_size(decoder);
                        if (d->dpa_resource == ULLONG_MAX)
                                d->dpa_resource = 0;
                        if (d->dpa_size == ULLONG_MAX)
                                d->dpa_size = 0;
                        break;
                case TOPO_CXL_DECODER_SWITCH:
                case _TOPO_CXL_DECODER_KIND_MAX:
                case _TOPO_CXL_DECODER_KIND_INVALID:
                        break;
                }
        }
        return 0;
}

static int add_region(TopoCxl *c, struct cxl_decoder *root, struct cxl_region *region) {
        TopoCxlRegion *r = grow_array(&c->regions, &c->n_regions, sizeof(*r));
        uuid_t uu;
        char text[UUID_STR_LEN];
        const char *type = NULL;

        if (!r)
                return -ENOMEM;
        if (strdup_opt(cxl_region_get_devname(region), &r->region) < 0 ||
            strdup_opt(cxl_decoder_get_devname(root), &r->decoder) < 0)
                return -ENOMEM;
        cxl_region_get_uuid(region, uu);
        if (!uuid_is_null(uu)) {
                uuid_unparse_lower(uu, text);
                if (strdup_opt(text, &r->uuid) < 0)
                        return -ENOMEM;
        }
        r->resource = cxl_region_get_resource(region);
        r->size = cxl_region_get_size(region);
        if (r->resource == ULLONG_MAX)
                r->resource = 0;
        if (r->size == ULLONG_MAX)
                r->size = 0;
        r->interleave_ways = cxl_region_get_interleave_ways(region);
        r->interleave_granularity = cxl_region_get_interleave_granularity(region);
        if (r->interleave_ways == UINT_MAX)
                r->interleave_ways = 0;
        if (r->interleave_granularity == UINT_MAX)
                r->interleave_granularity = 0;
        r->committed = cxl_region_decode_is_committed(region) > 0;
        r->enabled = cxl_region_is_enabled(region) > 0;

        for (unsigned i = 0; i < r->interleave_ways && i < 16; i++) {
                struct cxl_decoder *target = cxl_region_get_target_decoder(region, (int) i);
                struct cxl_memdev *memdev;
                char **slot;

                if (!target)
                        continue;
                slot = grow_array(&r->targets, &r->n_targets, sizeof(char *));
                if (!slot || strdup_opt(cxl_decoder_get_devname(target), slot) < 0)
                        return -ENOMEM;
                memdev = cxl_decoder_get_memdev(target);
                slot = grow_array(&r->memdevs, &r->n_memdevs, sizeof(char *));
                if (!slot || strdup_opt(memdev ? cxl_memdev_get_devname(memdev) : NULL, slot) < 0)
                        return -ENOMEM;
                if (!type) {
                        enum cxl_decoder_mode m = cxl_decoder_get_mode(target);
                        type = m == CXL_DECODER_MODE_PMEM  ? "pmem"
                               : m == CXL_DECODER_MODE_RAM ? "ram"
                                                           : NULL;
                }
        }
        if (!type) /* no target yet: what the window takes */
                type = cxl_decoder_is_pmem_capable(root) && !cxl_decoder_is_volatile_capable(root) ? "pmem"
                       : !cxl_decoder_is_pmem_capable(root)                                        ? "ram"
                                                                                                   : NULL;
        return strdup_opt(type, &r->type);
}

int topology_collect_cxl(TopoCxl *c) {
        struct cxl_ctx *ctx = NULL;
        struct cxl_memdev *memdev;
        struct cxl_bus *bus;
        int r;

        if (!c)
                return -EINVAL;
        r = cxl_new(&ctx);
        if (r < 0)
                return r;

        cxl_memdev_foreach(ctx, memdev) {
                TopoCxlMemdev *m = grow_array(&c->memdevs, &c->n_memdevs, sizeof(*m));
                struct cxl_endpoint *ep;
                unsigned long long serial;
                char text[32];

                if (!m)
                        goto oom;
                if (strdup_opt(cxl_memdev_get_devname(memdev), &m->memdev) < 0 ||
                    strdup_opt(cxl_memdev_get_host(memdev), &m->host) < 0)
                        goto oom;
                serial = cxl_memdev_get_serial(memdev);
                if (serial != ULLONG_MAX) {
                        (void) snprintf(text, sizeof(text), "%#llx", serial);
                        if (strdup_opt(text, &m->serial) < 0)
                                goto oom;
                }
                ep = cxl_memdev_get_endpoint(memdev);
                if (ep && strdup_opt(cxl_endpoint_get_devname(ep), &m->endpoint) < 0)
                        goto oom;
                m->pmem_size = cxl_memdev_get_pmem_size(memdev);
                m->ram_size = cxl_memdev_get_ram_size(memdev);
                m->label_size = cxl_memdev_get_label_size(memdev);
                m->numa_node = cxl_memdev_get_numa_node(memdev);
        }

        cxl_bus_foreach(ctx, bus) {
                struct cxl_port *root = cxl_bus_get_port(bus), *port;
                struct cxl_decoder *decoder;
                struct cxl_endpoint *ep;
                char **slot = grow_array(&c->buses, &c->n_buses, sizeof(char *));

                if (!slot || strdup_opt(cxl_bus_get_devname(bus), slot) < 0)
                        goto oom;
                if (!root)
                        continue;
                if (add_port(c, root) < 0 || add_decoders(c, root) < 0)
                        goto oom;
                cxl_endpoint_foreach(root, ep) if (add_port(c, cxl_endpoint_get_port(ep)) < 0 ||
                                                   add_decoders(c, cxl_endpoint_get_port(ep)) < 0) goto oom;
                cxl_port_foreach_all(root, port) {
                        if (add_port(c, port) < 0 || add_decoders(c, port) < 0)
                                goto oom;
                        cxl_endpoint_foreach(port, ep) if (add_port(c, cxl_endpoint_get_port(ep)) < 0 ||
                                                           add_decoders(c, cxl_endpoint_get_port(ep)) <
                                                                   0) goto oom;
                }
                cxl_decoder_foreach(root, decoder) {
                        struct cxl_region *region;

                        cxl_region_foreach(decoder, region) if (add_region(c, decoder, region) < 0) goto oom;
                }
        }
        cxl_unref(ctx);
        return 0;

oom:
        cxl_unref(ctx);
        topo_cxl_done(c);
        return -ENOMEM;
}

void topology_link_cxl(Topology *t) {
        for (size_t i = 0; i < t->cxl.n_regions; i++) {
                TopoCxlRegion *cr = &t->cxl.regions[i];

                if (cr->nd_region || cr->size == 0)
                        continue;
                for (size_t j = 0; j < t->n_regions; j++)
                        if (t->regions[j].resource == cr->resource && t->regions[j].dev) {
                                cr->nd_region = strdup(t->regions[j].dev);
                                break;
                        }
        }
}
