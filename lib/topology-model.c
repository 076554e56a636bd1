/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The topology's model without the libraries that read it (topology.c, topology-cxl.c take the
 * snapshot with libndctl, libdaxctl, libcxl and libmount): freeing, the words of its enums, and
 * the lookups the planner and the daemon use. The daemon gets its topology as JSON from the
 * worker (topology-json.c) and links only this. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "ns-key.h"
#include "parse-util.h"
#include "size.h"
#include "string-table.h"
#include "topology-cxl.h"
#include "topology.h"

/* ---- freeing ---------------------------------------------------------------------------- */

static void topo_namespace_done(TopoNamespace *n) {
        free(n->dev);
        free(n->uuid);
        free(n->raw_uuid);
        free(n->name);
        free(n->blockdev);
        if (n->filesystem) {
                free(n->filesystem->type);
                free(n->filesystem->uuid);
                free(n->filesystem->label);
                free(n->filesystem);
        }
        for (size_t i = 0; i < n->n_mounts; i++) {
                free(n->mounts[i].target);
                free(n->mounts[i].fstype);
                free(n->mounts[i].options);
                free(n->mounts[i].dax);
        }
        free(n->mounts);
        if (n->daxdev) {
                free(n->daxdev->chardev);
                free(n->daxdev->mode);
                free(n->daxdev);
        }
}

static void topo_region_done(TopoRegion *r) {
        free(r->dev);
        free(r->type);
        free(r->provider);
        free(r->persistence_domain);
        free(r->supported_alignments);
        for (size_t i = 0; i < r->n_dimms; i++)
                free(r->dimms[i]);
        free(r->dimms);
        for (size_t i = 0; i < r->n_namespaces; i++)
                topo_namespace_done(&r->namespaces[i]);
        free(r->namespaces);
}

Topology *topology_free(Topology *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_regions; i++)
                topo_region_done(&t->regions[i]);
        free(t->regions);
        for (size_t i = 0; i < t->n_dimms; i++) {
                free(t->dimms[i].dev);
                free(t->dimms[i].serial);
                free(t->dimms[i].unique_id);
        }
        free(t->dimms);
        free(t->provider);
        topo_cxl_done(&t->cxl);
        free(t);
        return NULL;
}

/* ---- enums ------------------------------------------------------------------------------ */

static const char *const region_kind_table[_REGION_KIND_MAX] = {
        [REGION_KIND_NVDIMM] = "nvdimm",   [REGION_KIND_VIRTIO_PMEM] = "virtio-pmem",
        [REGION_KIND_E820] = "e820",       [REGION_KIND_CXL] = "cxl",
        [REGION_KIND_UNKNOWN] = "unknown",
};
DEFINE_STRING_TABLE_LOOKUP(region_kind, RegionKind)

/* Each pmem driver registers its own nd bus and names its provider (the bus's "provider"
 * attribute in sysfs, which libndctl reads):
 *   drivers/acpi/nfit ("ACPI.NFIT"; nfit_test's buses too): NVDIMMs, labelled or not;
 *   drivers/nvdimm/virtio_pmem.c ("virtio-pmem"): one label-less region per device;
 *   drivers/nvdimm/e820.c ("e820"): memmap=SIZE!START, one label-less region per range;
 *   drivers/cxl/pmem.c ("CXL"): the cxl_nvdimm_bridge of CXL pmem regions.
 * of_pmem and papr_scm name their bus after their platform device: unknown here. */
RegionKind region_kind_from_provider(const char *provider) {
        if (!provider)
                return REGION_KIND_UNKNOWN;
        if (strcmp(provider, "ACPI.NFIT") == 0)
                return REGION_KIND_NVDIMM;
        if (strcmp(provider, "virtio-pmem") == 0)
                return REGION_KIND_VIRTIO_PMEM;
        if (strcmp(provider, "e820") == 0)
                return REGION_KIND_E820;
        if (strncasecmp(provider, "cxl", 3) == 0)
                return REGION_KIND_CXL;
        return REGION_KIND_UNKNOWN;
}

int region_kind_map_sync(RegionKind k) {
        switch (k) {
        case REGION_KIND_NVDIMM:
        case REGION_KIND_E820:
        case REGION_KIND_CXL:
                return 1;
        case REGION_KIND_VIRTIO_PMEM:
                /* The region is ND_REGION_ASYNC: its dax device is not synchronous, and ext4
                 * and xfs refuse a MAP_SYNC mapping (daxdev_mapping_supported()). */
                return 0;
        case REGION_KIND_UNKNOWN:
        case _REGION_KIND_MAX:
        case _REGION_KIND_INVALID:
                break;
        }
        return -1;
}

const char *region_kind_map_sync_contradiction(RegionKind k, int granted) {
        if (granted > 0 && region_kind_map_sync(k) == 0)
                return "the kernel grants MAP_SYNC, yet the region's flush is asynchronous (a request "
                       "to the host): stores through a MAP_SYNC mapping are not durable once flushed "
                       "from the CPU cache, only after fsync() or msync(); the kernel marked the "
                       "region's dax device synchronous, a flag it can leave behind when that device "
                       "reuses the memory of a freed NVDIMM's (see daxmgr(1), BUGS)";
        return NULL;
}

const char *region_flush(RegionKind k) {
        int s = region_kind_map_sync(k);

        return s > 0 ? "synchronous" : s == 0 ? "asynchronous" : "unknown";
}

/* ---- CXL ------------------------------------------------------------------------------- */

static const char *const topo_cxl_decoder_kind_table[_TOPO_CXL_DECODER_KIND_MAX] = {
        [TOPO_CXL_DECODER_ROOT] = "root",
        [TOPO_CXL_DECODER_SWITCH] = "switch",
        [TOPO_CXL_DECODER_ENDPOINT] = "endpoint",
};
DEFINE_STRING_TABLE_LOOKUP(topo_cxl_decoder_kind, TopoCxlDecoderKind)

static void strv_done(char **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

void topo_cxl_done(TopoCxl *c) {
        if (!c)
                return;
        strv_done(c->buses, c->n_buses);
        for (size_t i = 0; i < c->n_ports; i++) {
                free(c->ports[i].port);
                free(c->ports[i].host);
                free(c->ports[i].parent);
        }
        free(c->ports);
        for (size_t i = 0; i < c->n_memdevs; i++) {
                free(c->memdevs[i].memdev);
                free(c->memdevs[i].serial);
                free(c->memdevs[i].host);
                free(c->memdevs[i].endpoint);
        }
        free(c->memdevs);
        for (size_t i = 0; i < c->n_decoders; i++) {
                free(c->decoders[i].decoder);
                free(c->decoders[i].port);
                free(c->decoders[i].region);
                free(c->decoders[i].memdev);
                free(c->decoders[i].mode);
        }
        free(c->decoders);
        for (size_t i = 0; i < c->n_regions; i++) {
                TopoCxlRegion *r = &c->regions[i];
                free(r->region);
                free(r->uuid);
                free(r->type);
                free(r->decoder);
                strv_done(r->targets, r->n_targets);
                strv_done(r->memdevs, r->n_memdevs);
                free(r->nd_region);
        }
        free(c->regions);
        *c = (TopoCxl){};
}

const TopoCxlMemdev *topology_find_cxl_memdev(const Topology *t, const char *memdev) {
        for (size_t i = 0; t && memdev && i < t->cxl.n_memdevs; i++)
                if (t->cxl.memdevs[i].memdev && strcmp(t->cxl.memdevs[i].memdev, memdev) == 0)
                        return &t->cxl.memdevs[i];
        return NULL;
}

const TopoCxlDecoder *topology_find_cxl_decoder(const Topology *t, const char *decoder) {
        for (size_t i = 0; t && decoder && i < t->cxl.n_decoders; i++)
                if (t->cxl.decoders[i].decoder && strcmp(t->cxl.decoders[i].decoder, decoder) == 0)
                        return &t->cxl.decoders[i];
        return NULL;
}

const TopoCxlRegion *topology_find_cxl_region_by_uuid(const Topology *t, const char *uuid) {
        for (size_t i = 0; t && uuid && i < t->cxl.n_regions; i++)
                if (t->cxl.regions[i].uuid && strcasecmp(t->cxl.regions[i].uuid, uuid) == 0)
                        return &t->cxl.regions[i];
        return NULL;
}

const TopoCxlRegion *topology_cxl_region_of(const Topology *t, const TopoRegion *r) {
        for (size_t i = 0; t && r && r->dev && i < t->cxl.n_regions; i++)
                if (t->cxl.regions[i].nd_region && strcmp(t->cxl.regions[i].nd_region, r->dev) == 0)
                        return &t->cxl.regions[i];
        return NULL;
}

/* ---- lookups -------------------------------------------------------------------------- */

const TopoRegion *topology_find_region(const Topology *t, const char *dev) {
        for (size_t i = 0; t && dev && i < t->n_regions; i++)
                if (strcmp(t->regions[i].dev, dev) == 0)
                        return &t->regions[i];
        return NULL;
}

bool topo_region_is(const TopoRegion *r, uint32_t number) {
        char name[32];

        (void) snprintf(name, sizeof(name), "region%" PRIu32, number);
        return r && r->dev && strcmp(r->dev, name) == 0;
}

int topology_lookup_namespace(const Topology *t, const char *key, const TopoRegion **ret_region,
                              const TopoNamespace **ret_ns, char **ret_error) {
        _cleanup_free_ NamespaceIdentity *ids = NULL;
        size_t n = 0, k = 0;
        int r;

        if (!t)
                return -EINVAL;
        for (size_t i = 0; i < t->n_regions; i++)
                n += t->regions[i].n_namespaces;
        ids = calloc(n ?: 1, sizeof(*ids));
        if (!ids)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_regions; i++)
                for (size_t j = 0; j < t->regions[i].n_namespaces; j++) {
                        const TopoNamespace *ns = &t->regions[i].namespaces[j];

                        ids[k++] = (NamespaceIdentity){
                                .dev = ns->dev,
                                .name = ns->name,
                                .blockdev = ns->blockdev,
                                .chardev = ns->daxdev ? ns->daxdev->chardev : NULL,
                                .uuid = ns->uuid,
                                .raw_uuid = ns->raw_uuid,
                        };
                }
        r = namespace_key_find(ids, n, key, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < t->n_regions; i++) {
                if ((size_t) r < t->regions[i].n_namespaces) {
                        if (ret_region)
                                *ret_region = &t->regions[i];
                        if (ret_ns)
                                *ret_ns = &t->regions[i].namespaces[r];
                        return 0;
                }
                r -= (int) t->regions[i].n_namespaces;
        }
        return -ENOENT; /* not reached */
}

int topology_find_namespace(const Topology *t, const char *key, const TopoRegion **ret_region,
                            const TopoNamespace **ret_ns) {
        return topology_lookup_namespace(t, key, ret_region, ret_ns, NULL);
}

int topo_region_check_managed(const TopoRegion *r, const char *what, char **ret_error) {
        if (!r || r->kind != REGION_KIND_UNKNOWN)
                return 0;
        return error_set(ret_error, -EOPNOTSUPP,
                         "daxmgr does not %s %s: its nd bus provider \"%s\" is not a kind of pmem daxmgr "
                         "knows (nvdimm, virtio-pmem, e820, cxl), so it shows it and never changes it; "
                         "use ndctl for it",
                         what, r->dev ?: "the region", r->provider ?: "?");
}

RegionShape topo_region_shape(const TopoRegion *r) {
        return (RegionShape){
                .name = r->dev,
                .size = r->size,
                .available = r->available_size,
                .largest_extent = r->max_available_extent,
                .align = r->align,
                .start = r->resource,
                .ways = r->interleave_ways,
                .labelled = r->labelled,
                .supported_aligns = r->n_supported_alignments ? r->supported_alignments : NULL,
                .n_supported_aligns = r->n_supported_alignments,
        };
}

static bool region_has_dimm(const Topology *t, const TopoRegion *r, uint32_t serial) {
        for (size_t i = 0; i < t->n_dimms; i++) {
                const TopoDimm *d = &t->dimms[i];
                uint32_t n;

                /* ndctl prints "0x57341200"; compare the numbers, not the spellings. */
                if (!d->serial || !d->dev || parse_u32(d->serial, 16, &n) < 0 || n != serial)
                        continue;
                for (size_t j = 0; j < r->n_dimms; j++)
                        if (r->dimms[j] && strcmp(r->dimms[j], d->dev) == 0)
                                return true;
        }
        return false;
}

bool topo_region_matches(const Topology *t, const TopoRegion *r, const ConfigRegion *want) {
        if (!want)
                return true;
        switch (want->kind) {
        case CONFIG_REGION_ANY:
                return true;
        case CONFIG_REGION_ID:
                return topo_region_is(r, want->number);
        case CONFIG_REGION_NUMA:
                return r->numa_node >= 0 && (uint32_t) r->numa_node == want->number;
        case CONFIG_REGION_DIMM:
                return region_has_dimm(t, r, want->number);
        case CONFIG_REGION_CXL: {
                const TopoCxlRegion *cr = topology_find_cxl_region_by_uuid(t, want->cxl_uuid);
                return cr && cr->nd_region && r->dev && strcmp(cr->nd_region, r->dev) == 0;
        }
        case _CONFIG_REGION_KIND_MAX:
        case _CONFIG_REGION_KIND_INVALID:
                break;
        }
        return false;
}

void region_pick_done(RegionPick *p) {
        if (!p)
                return;
        free(p->why);
        *p = (RegionPick){};
}

int topology_pick_region(const Topology *t, const ConfigRegion *want, const NamespaceRequest *req,
                         RegionPick *ret) {
        _cleanup_free_ char *why = NULL;
        RegionPick p = {};
        int r;

        for (size_t k = 0; t && k < t->n_regions; k++) {
                const TopoRegion *reg = &t->regions[k];
                _cleanup_free_ char *e = NULL, *msg = NULL;

                if (!topo_region_matches(t, reg, want))
                        continue;
                p.n_candidates++;
                if (reg->kind == REGION_KIND_UNKNOWN) {
                        /* Shown, never changed: not even Region=any puts a namespace there. */
                        p.n_unknown++;
                        r = asprintf(&e,
                                     "%s is of a kind daxmgr does not know (nd bus provider \"%s\") and is "
                                     "left alone",
                                     reg->dev, reg->provider ?: "?");
                        if (r < 0)
                                return -ENOMEM;
                } else if (!reg->labelled) {
                        /* Its single namespace belongs to a section that names the region. */
                        if (want && want->kind == CONFIG_REGION_ID)
                                r = asprintf(&e, "%s has no label area and shows no namespace to take over",
                                             reg->dev);
                        else
                                r = asprintf(&e,
                                             "%s has no label area: its one namespace is taken over only by "
                                             "a section with Region=%s",
                                             reg->dev, reg->dev);
                        if (r < 0)
                                return -ENOMEM;
                } else {
                        RegionShape shape = topo_region_shape(reg);

                        r = namespace_plan_size(&shape, req, &p.plan, &e);
                        if (r == -ENOMEM)
                                return r;
                        if (r >= 0) {
                                p.region = reg;
                                break;
                        }
                }
                /* Collect every candidate's reason: "region0 has …; region1 has …". */
                if (asprintf(&msg, "%s%s%s", why ?: "", why ? "; " : "", e ?: "it cannot hold it") < 0)
                        return -ENOMEM;
                free(why);
                why = TAKE_PTR(msg);
        }
        if (!p.region)
                p.why = TAKE_PTR(why);
        *ret = p;
        return 0;
}
