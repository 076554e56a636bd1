/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Topology <-> JSON. The writer emits every field (null where unknown) so the schema is
 * stable; the reader accepts what the writer emits and refuses wrong types with a message
 * naming the field. */

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "topology.h"

/* ---- writing ---------------------------------------------------------------------------- */

static json_object *jstr(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static void add(json_object *o, const char *key, json_object *v) {
        (void) json_object_object_add(o, key, v);
}

static json_object *namespace_to_json(const TopoNamespace *n) {
        json_object *o = json_object_new_object(), *mounts = json_object_new_array();

        add(o, "dev", jstr(n->dev));
        add(o, "mode", jstr(namespace_mode_to_string(n->mode)));
        add(o, "map",
            n->mode == NAMESPACE_MODE_FSDAX || n->mode == NAMESPACE_MODE_DEVDAX
                    ? jstr(pfn_map_to_string(n->map))
                    : NULL);
        add(o, "size", json_object_new_uint64(n->size));
        add(o, "raw_size", json_object_new_uint64(n->raw_size));
        add(o, "uuid", jstr(n->uuid));
        add(o, "raw_uuid", jstr(n->raw_uuid));
        add(o, "name", jstr(n->name));
        add(o, "align", n->align ? json_object_new_uint64(n->align) : NULL);
        add(o, "resource", json_object_new_uint64(n->resource));
        add(o, "sector_size", n->sector_size ? json_object_new_uint64(n->sector_size) : NULL);
        add(o, "enabled", json_object_new_boolean(n->enabled));
        add(o, "numa_node", json_object_new_int(n->numa_node));
        add(o, "target_node", json_object_new_int(n->target_node));
        add(o, "blockdev", jstr(n->blockdev));
        add(o, "chardev", n->daxdev ? jstr(n->daxdev->chardev) : NULL);

        if (n->filesystem) {
                json_object *fs = json_object_new_object();
                add(fs, "type", jstr(n->filesystem->type));
                add(fs, "uuid", jstr(n->filesystem->uuid));
                add(fs, "label", jstr(n->filesystem->label));
                add(o, "filesystem", fs);
        } else
                add(o, "filesystem", NULL);

        for (size_t i = 0; i < n->n_mounts; i++) {
                json_object *m = json_object_new_object();
                add(m, "target", jstr(n->mounts[i].target));
                add(m, "fstype", jstr(n->mounts[i].fstype));
                add(m, "options", jstr(n->mounts[i].options));
                add(m, "dax", jstr(n->mounts[i].dax));
                (void) json_object_array_add(mounts, m);
        }
        add(o, "mounts", mounts);

        if (n->daxdev) {
                json_object *d = json_object_new_object();
                add(d, "chardev", jstr(n->daxdev->chardev));
                add(d, "size", json_object_new_uint64(n->daxdev->size));
                add(d, "align", json_object_new_uint64(n->daxdev->align));
                add(d, "mode", jstr(n->daxdev->mode));
                add(d, "online", json_object_new_boolean(n->daxdev->online));
                add(d, "movable", json_object_new_boolean(n->daxdev->movable));
                add(d, "target_node", json_object_new_int(n->daxdev->target_node));
                add(o, "daxdev", d);
        } else
                add(o, "daxdev", NULL);
        return o;
}

static json_object *region_to_json(const TopoRegion *r) {
        json_object *o = json_object_new_object(), *a = json_object_new_array(),
                    *d = json_object_new_array(), *ns = json_object_new_array();

        add(o, "dev", jstr(r->dev));
        add(o, "type", jstr(r->type));
        add(o, "kind", jstr(region_kind_to_string(r->kind)));
        add(o, "provider", jstr(r->provider));
        add(o, "size", json_object_new_uint64(r->size));
        add(o, "available_size", json_object_new_uint64(r->available_size));
        add(o, "max_available_extent", json_object_new_uint64(r->max_available_extent));
        add(o, "align", json_object_new_uint64(r->align));
        add(o, "resource", json_object_new_uint64(r->resource));
        add(o, "interleave_ways", json_object_new_int((int) r->interleave_ways));
        add(o, "mappings", json_object_new_int((int) r->mappings));
        add(o, "numa_node", json_object_new_int(r->numa_node));
        add(o, "persistence_domain", jstr(r->persistence_domain));
        add(o, "labelled", json_object_new_boolean(r->labelled));
        add(o, "enabled", json_object_new_boolean(r->enabled));
        add(o, "read_only", json_object_new_boolean(r->read_only));
        for (size_t i = 0; i < r->n_supported_alignments; i++)
                (void) json_object_array_add(a, json_object_new_uint64(r->supported_alignments[i]));
        add(o, "supported_alignments", a);
        for (size_t i = 0; i < r->n_dimms; i++)
                (void) json_object_array_add(d, json_object_new_string(r->dimms[i]));
        add(o, "dimms", d);
        for (size_t i = 0; i < r->n_namespaces; i++)
                (void) json_object_array_add(ns, namespace_to_json(&r->namespaces[i]));
        add(o, "namespaces", ns);
        return o;
}

static json_object *strv_to_json(char *const *l, size_t n) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < n; i++)
                (void) json_object_array_add(a, jstr(l[i]));
        return a;
}

static json_object *cxl_to_json(const TopoCxl *c) {
        json_object *o = json_object_new_object(), *ports = json_object_new_array(),
                    *memdevs = json_object_new_array(), *decoders = json_object_new_array(),
                    *regions = json_object_new_array();

        add(o, "buses", strv_to_json(c->buses, c->n_buses));
        for (size_t i = 0; i < c->n_ports; i++) {
                json_object *p = json_object_new_object();
                add(p, "port", jstr(c->ports[i].port));
                add(p, "host", jstr(c->ports[i].host));
                add(p, "parent", jstr(c->ports[i].parent));
                add(p, "depth", json_object_new_int(c->ports[i].depth));
                (void) json_object_array_add(ports, p);
        }
        add(o, "ports", ports);
        for (size_t i = 0; i < c->n_memdevs; i++) {
                const TopoCxlMemdev *m = &c->memdevs[i];
                json_object *j = json_object_new_object();
                add(j, "memdev", jstr(m->memdev));
                add(j, "serial", jstr(m->serial));
                add(j, "host", jstr(m->host));
                add(j, "endpoint", jstr(m->endpoint));
                add(j, "pmem_size", json_object_new_uint64(m->pmem_size));
                add(j, "ram_size", json_object_new_uint64(m->ram_size));
                add(j, "label_storage_size", json_object_new_uint64(m->label_size));
                add(j, "numa_node", json_object_new_int(m->numa_node));
                (void) json_object_array_add(memdevs, j);
        }
        add(o, "memdevs", memdevs);
        for (size_t i = 0; i < c->n_decoders; i++) {
                const TopoCxlDecoder *d = &c->decoders[i];
                bool root = d->kind == TOPO_CXL_DECODER_ROOT, ep = d->kind == TOPO_CXL_DECODER_ENDPOINT;
                json_object *j = json_object_new_object();
                add(j, "decoder", jstr(d->decoder));
                add(j, "port", jstr(d->port));
                add(j, "kind", jstr(topo_cxl_decoder_kind_to_string(d->kind)));
                add(j, "resource", json_object_new_uint64(d->resource));
                add(j, "size", json_object_new_uint64(d->size));
                add(j, "interleave_ways", json_object_new_int((int) d->interleave_ways));
                add(j, "interleave_granularity", json_object_new_int((int) d->interleave_granularity));
                add(j, "nr_targets", json_object_new_int(d->nr_targets));
                add(j, "region", jstr(d->region));
                add(j, "pmem_capable", root ? json_object_new_boolean(d->pmem_capable) : NULL);
                add(j, "volatile_capable", root ? json_object_new_boolean(d->volatile_capable) : NULL);
                add(j, "max_available_extent",
                    root ? json_object_new_uint64(d->max_available_extent) : NULL);
                add(j, "memdev", ep ? jstr(d->memdev) : NULL);
                add(j, "mode", ep ? jstr(d->mode) : NULL);
                add(j, "dpa_resource", ep ? json_object_new_uint64(d->dpa_resource) : NULL);
                add(j, "dpa_size", ep ? json_object_new_uint64(d->dpa_size) : NULL);
                (void) json_object_array_add(decoders, j);
        }
        add(o, "decoders", decoders);
        for (size_t i = 0; i < c->n_regions; i++) {
                const TopoCxlRegion *r = &c->regions[i];
                json_object *j = json_object_new_object();
                add(j, "region", jstr(r->region));
                add(j, "uuid", jstr(r->uuid));
                add(j, "type", jstr(r->type));
                add(j, "decoder", jstr(r->decoder));
                add(j, "resource", json_object_new_uint64(r->resource));
                add(j, "size", json_object_new_uint64(r->size));
                add(j, "interleave_ways", json_object_new_int((int) r->interleave_ways));
                add(j, "interleave_granularity", json_object_new_int((int) r->interleave_granularity));
                add(j, "decode_state", json_object_new_string(r->committed ? "commit" : "reset"));
                add(j, "enabled", json_object_new_boolean(r->enabled));
                add(j, "targets", strv_to_json(r->targets, r->n_targets));
                add(j, "memdevs", strv_to_json(r->memdevs, r->n_memdevs));
                add(j, "nd_region", jstr(r->nd_region));
                (void) json_object_array_add(regions, j);
        }
        add(o, "regions", regions);
        return o;
}

json_object *topology_to_json(const Topology *t) {
        json_object *o = json_object_new_object(), *regions = json_object_new_array(),
                    *dimms = json_object_new_array();

        add(o, "provider", jstr(t->provider));
        for (size_t i = 0; i < t->n_dimms; i++) {
                json_object *d = json_object_new_object();
                add(d, "dev", jstr(t->dimms[i].dev));
                add(d, "handle", json_object_new_int64(t->dimms[i].handle));
                add(d, "phys_id", json_object_new_int64(t->dimms[i].phys_id));
                add(d, "serial", jstr(t->dimms[i].serial));
                add(d, "unique_id", jstr(t->dimms[i].unique_id));
                (void) json_object_array_add(dimms, d);
        }
        add(o, "dimms", dimms);
        for (size_t i = 0; i < t->n_regions; i++)
                (void) json_object_array_add(regions, region_to_json(&t->regions[i]));
        add(o, "regions", regions);
        add(o, "cxl", cxl_to_json(&t->cxl));
        return o;
}

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct Reader {
        char **ret_error;
        const char *where; /* "regions[1].namespaces[0]" style context for messages */
} Reader;

static int bad(Reader *rd, const char *key, const char *want) {
        return error_set(rd->ret_error, -EBADMSG, "topology JSON: %s.%s must be %s", rd->where, key, want);
}

static int get_str(Reader *rd, json_object *o, const char *key, bool required, char **ret) {
        json_object *v = NULL;

        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return required ? bad(rd, key, "a string") : 0;
        if (!json_object_is_type(v, json_type_string))
                return bad(rd, key, "a string");
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int get_u64(Reader *rd, json_object *o, const char *key, uint64_t *ret) {
        json_object *v = NULL;

        *ret = 0;
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return bad(rd, key, "a non-negative integer");
        *ret = json_object_get_uint64(v);
        return 0;
}

static int get_int(Reader *rd, json_object *o, const char *key, int *ret) {
        json_object *v = NULL;

        *ret = -1;
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_int))
                return bad(rd, key, "an integer");
        *ret = json_object_get_int(v);
        return 0;
}

static int get_bool(Reader *rd, json_object *o, const char *key, bool *ret) {
        json_object *v = NULL;

        *ret = false;
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return bad(rd, key, "true or false");
        *ret = json_object_get_boolean(v);
        return 0;
}

static int get_array(Reader *rd, json_object *o, const char *key, json_object **ret) {
        json_object *v = NULL;

        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return bad(rd, key, "an array");
        *ret = v;
        return 0;
}

#define TRY(expr)                                                                                           \
        do {                                                                                                \
                int _r = (expr);                                                                            \
                if (_r < 0)                                                                                 \
                        return _r;                                                                          \
        } while (0)

static int namespace_from_json(Reader *rd, json_object *o, TopoNamespace *n) {
        _cleanup_free_ char *mode = NULL, *map = NULL;
        json_object *fs = NULL, *dd = NULL, *mounts;
        uint64_t sector_size;
        int ways;

        TRY(get_str(rd, o, "dev", true, &n->dev));
        TRY(get_str(rd, o, "mode", true, &mode));
        n->mode = namespace_mode_from_string(mode);
        if (n->mode < 0)
                return bad(rd, "mode", "raw, sector, fsdax or devdax");
        TRY(get_str(rd, o, "map", false, &map));
        n->map = map ? pfn_map_from_string(map) : PFN_MAP_DEV;
        if (n->map < 0)
                return bad(rd, "map", "mem or dev");
        TRY(get_u64(rd, o, "size", &n->size));
        TRY(get_u64(rd, o, "raw_size", &n->raw_size));
        TRY(get_str(rd, o, "uuid", false, &n->uuid));
        TRY(get_str(rd, o, "raw_uuid", false, &n->raw_uuid));
        TRY(get_str(rd, o, "name", false, &n->name));
        TRY(get_u64(rd, o, "align", &n->align));
        TRY(get_u64(rd, o, "resource", &n->resource));
        TRY(get_bool(rd, o, "enabled", &n->enabled));
        TRY(get_u64(rd, o, "sector_size", &sector_size));
        if (sector_size > UINT32_MAX)
                return bad(rd, "sector_size", "a sector size");
        n->sector_size = (unsigned) sector_size;
        TRY(get_int(rd, o, "numa_node", &ways));
        n->numa_node = ways;
        TRY(get_int(rd, o, "target_node", &n->target_node));
        TRY(get_str(rd, o, "blockdev", false, &n->blockdev));

        if (json_object_object_get_ex(o, "filesystem", &fs) && fs) {
                n->filesystem = calloc(1, sizeof(*n->filesystem));
                if (!n->filesystem)
                        return -ENOMEM;
                TRY(get_str(rd, fs, "type", false, &n->filesystem->type));
                TRY(get_str(rd, fs, "uuid", false, &n->filesystem->uuid));
                TRY(get_str(rd, fs, "label", false, &n->filesystem->label));
        }
        TRY(get_array(rd, o, "mounts", &mounts));
        for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
                json_object *m = json_object_array_get_idx(mounts, i);
                TopoMount *tm = reallocarray(n->mounts, n->n_mounts + 1, sizeof(*tm));
                if (!tm)
                        return -ENOMEM;
                n->mounts = tm;
                tm = &n->mounts[n->n_mounts++];
                *tm = (TopoMount){};
                TRY(get_str(rd, m, "target", true, &tm->target));
                TRY(get_str(rd, m, "fstype", false, &tm->fstype));
                TRY(get_str(rd, m, "options", false, &tm->options));
                TRY(get_str(rd, m, "dax", false, &tm->dax));
        }
        if (json_object_object_get_ex(o, "daxdev", &dd) && dd) {
                n->daxdev = calloc(1, sizeof(*n->daxdev));
                if (!n->daxdev)
                        return -ENOMEM;
                TRY(get_str(rd, dd, "chardev", true, &n->daxdev->chardev));
                TRY(get_u64(rd, dd, "size", &n->daxdev->size));
                TRY(get_u64(rd, dd, "align", &n->daxdev->align));
                TRY(get_str(rd, dd, "mode", false, &n->daxdev->mode));
                TRY(get_bool(rd, dd, "online", &n->daxdev->online));
                TRY(get_bool(rd, dd, "movable", &n->daxdev->movable));
                TRY(get_int(rd, dd, "target_node", &n->daxdev->target_node));
        }
        return 0;
}

/* A snapshot written before regions had a kind says neither "kind" nor a region "provider": its
 * kind is then the one its top-level provider names, and without that too an NVDIMM, the only
 * kind daxmgr knew then. */
static int region_from_json(Reader *rd, json_object *o, const char *bus_provider, TopoRegion *r) {
        _cleanup_free_ char *kind = NULL;
        json_object *aligns, *dimms, *nss;
        /* The caller's location (at most 63 characters: its where[64]) + ".namespaces[N]" with a
         * 20-digit N + NUL: 97. gcc 14 proves the sum and warns below that. */
        char where[128];
        int v;

        TRY(get_str(rd, o, "dev", true, &r->dev));
        TRY(get_str(rd, o, "type", false, &r->type));
        TRY(get_str(rd, o, "kind", false, &kind));
        TRY(get_str(rd, o, "provider", false, &r->provider));
        if (kind) {
                r->kind = region_kind_from_string(kind);
                if (r->kind < 0)
                        return bad(rd, "kind",
                                   "\"nvdimm\", \"virtio-pmem\", \"e820\", \"cxl\" or \"unknown\"");
        } else if (r->provider || bus_provider)
                r->kind = region_kind_from_provider(r->provider ?: bus_provider);
        else
                r->kind = REGION_KIND_NVDIMM;
        TRY(get_u64(rd, o, "size", &r->size));
        TRY(get_u64(rd, o, "available_size", &r->available_size));
        TRY(get_u64(rd, o, "max_available_extent", &r->max_available_extent));
        TRY(get_u64(rd, o, "align", &r->align));
        TRY(get_u64(rd, o, "resource", &r->resource));
        TRY(get_int(rd, o, "interleave_ways", &v));
        r->interleave_ways = v < 0 ? 0 : (unsigned) v;
        TRY(get_int(rd, o, "mappings", &v));
        r->mappings = v < 0 ? 0 : (unsigned) v;
        TRY(get_int(rd, o, "numa_node", &r->numa_node));
        TRY(get_str(rd, o, "persistence_domain", false, &r->persistence_domain));
        TRY(get_bool(rd, o, "labelled", &r->labelled));
        TRY(get_bool(rd, o, "enabled", &r->enabled));
        TRY(get_bool(rd, o, "read_only", &r->read_only));

        TRY(get_array(rd, o, "supported_alignments", &aligns));
        if (aligns && json_object_array_length(aligns) > 0) {
                size_t n = json_object_array_length(aligns);
                r->supported_alignments = calloc(n, sizeof(uint64_t));
                if (!r->supported_alignments)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        json_object *a = json_object_array_get_idx(aligns, i);
                        if (!json_object_is_type(a, json_type_int) || json_object_get_int64(a) <= 0)
                                return bad(rd, "supported_alignments", "an array of positive integers");
                        r->supported_alignments[r->n_supported_alignments++] = json_object_get_uint64(a);
                }
        }
        TRY(get_array(rd, o, "dimms", &dimms));
        for (size_t i = 0; dimms && i < json_object_array_length(dimms); i++) {
                json_object *d = json_object_array_get_idx(dimms, i);
                char **p = reallocarray(r->dimms, r->n_dimms + 1, sizeof(char *));
                if (!p)
                        return -ENOMEM;
                r->dimms = p;
                if (!json_object_is_type(d, json_type_string))
                        return bad(rd, "dimms", "an array of strings");
                r->dimms[r->n_dimms] = strdup(json_object_get_string(d));
                if (!r->dimms[r->n_dimms++])
                        return -ENOMEM;
        }
        TRY(get_array(rd, o, "namespaces", &nss));
        for (size_t i = 0; nss && i < json_object_array_length(nss); i++) {
                const char *saved = rd->where;
                TopoNamespace *n = reallocarray(r->namespaces, r->n_namespaces + 1, sizeof(*n));
                int k;

                if (!n)
                        return -ENOMEM;
                r->namespaces = n;
                n = &r->namespaces[r->n_namespaces++];
                *n = (TopoNamespace){};
                (void) snprintf(where, sizeof(where), "%s.namespaces[%zu]", saved, i);
                rd->where = where;
                k = namespace_from_json(rd, json_object_array_get_idx(nss, i), n);
                rd->where = saved;
                if (k < 0)
                        return k;
        }
        return 0;
}

static int get_strv(Reader *rd, json_object *o, const char *key, char ***ret, size_t *ret_n) {
        json_object *a;

        TRY(get_array(rd, o, key, &a));
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *v = json_object_array_get_idx(a, i);
                char **l;

                if (!v || !json_object_is_type(v, json_type_string))
                        return bad(rd, key, "an array of strings");
                l = reallocarray(*ret, *ret_n + 1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                *ret = l;
                l[*ret_n] = strdup(json_object_get_string(v));
                if (!l[*ret_n])
                        return -ENOMEM;
                (*ret_n)++;
        }
        return 0;
}

/* Each element of array @key of @o: a zeroed @size element appended to *array, read by @fn. */
static int get_objects(Reader *rd, json_object *o, const char *key, void *array_ptr, size_t *n, size_t size,
                       int (*fn)(Reader *rd, json_object *o, void *element)) {
        void **array = array_ptr;
        const char *saved = rd->where;
        json_object *a;
        char where[64];

        TRY(get_array(rd, o, key, &a));
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i);
                char *grown;
                int k;

                if (!e || !json_object_is_type(e, json_type_object))
                        return bad(rd, key, "an array of objects");
                grown = reallocarray(*array, *n + 1, size);
                if (!grown)
                        return -ENOMEM;
                memset(grown + *n * size, 0, size);
                *array = grown;
                (void) snprintf(where, sizeof(where), "%s.%s[%zu]", saved, key, i);
                rd->where = where;
                k = fn(rd, e, grown + (*n)++ * size);
                rd->where = saved;
                if (k < 0)
                        return k;
        }
        return 0;
}

static int get_uint(Reader *rd, json_object *o, const char *key, unsigned *ret) {
        uint64_t v;

        TRY(get_u64(rd, o, key, &v));
        if (v > UINT32_MAX)
                return bad(rd, key, "an integer below 2^32");
        *ret = (unsigned) v;
        return 0;
}

static int cxl_port_from_json(Reader *rd, json_object *o, void *e) {
        TopoCxlPort *p = e;

        TRY(get_str(rd, o, "port", true, &p->port));
        TRY(get_str(rd, o, "host", false, &p->host));
        TRY(get_str(rd, o, "parent", false, &p->parent));
        return get_int(rd, o, "depth", &p->depth);
}

static int cxl_memdev_from_json(Reader *rd, json_object *o, void *e) {
        TopoCxlMemdev *m = e;

        TRY(get_str(rd, o, "memdev", true, &m->memdev));
        TRY(get_str(rd, o, "serial", false, &m->serial));
        TRY(get_str(rd, o, "host", false, &m->host));
        TRY(get_str(rd, o, "endpoint", false, &m->endpoint));
        TRY(get_u64(rd, o, "pmem_size", &m->pmem_size));
        TRY(get_u64(rd, o, "ram_size", &m->ram_size));
        TRY(get_u64(rd, o, "label_storage_size", &m->label_size));
        return get_int(rd, o, "numa_node", &m->numa_node);
}

static int cxl_decoder_from_json(Reader *rd, json_object *o, void *e) {
        _cleanup_free_ char *kind = NULL;
        TopoCxlDecoder *d = e;

        TRY(get_str(rd, o, "decoder", true, &d->decoder));
        TRY(get_str(rd, o, "port", false, &d->port));
        TRY(get_str(rd, o, "kind", true, &kind));
        d->kind = topo_cxl_decoder_kind_from_string(kind);
        if (d->kind < 0)
                return bad(rd, "kind", "\"root\", \"switch\" or \"endpoint\"");
        TRY(get_u64(rd, o, "resource", &d->resource));
        TRY(get_u64(rd, o, "size", &d->size));
        TRY(get_uint(rd, o, "interleave_ways", &d->interleave_ways));
        TRY(get_uint(rd, o, "interleave_granularity", &d->interleave_granularity));
        TRY(get_int(rd, o, "nr_targets", &d->nr_targets));
        TRY(get_str(rd, o, "region", false, &d->region));
        TRY(get_bool(rd, o, "pmem_capable", &d->pmem_capable));
        TRY(get_bool(rd, o, "volatile_capable", &d->volatile_capable));
        TRY(get_u64(rd, o, "max_available_extent", &d->max_available_extent));
        TRY(get_str(rd, o, "memdev", false, &d->memdev));
        TRY(get_str(rd, o, "mode", false, &d->mode));
        TRY(get_u64(rd, o, "dpa_resource", &d->dpa_resource));
        return get_u64(rd, o, "dpa_size", &d->dpa_size);
}

static int cxl_region_from_json(Reader *rd, json_object *o, void *e) {
        _cleanup_free_ char *state = NULL;
        TopoCxlRegion *r = e;

        TRY(get_str(rd, o, "region", true, &r->region));
        TRY(get_str(rd, o, "uuid", false, &r->uuid));
        TRY(get_str(rd, o, "type", false, &r->type));
        TRY(get_str(rd, o, "decoder", false, &r->decoder));
        TRY(get_u64(rd, o, "resource", &r->resource));
        TRY(get_u64(rd, o, "size", &r->size));
        TRY(get_uint(rd, o, "interleave_ways", &r->interleave_ways));
        TRY(get_uint(rd, o, "interleave_granularity", &r->interleave_granularity));
        TRY(get_str(rd, o, "decode_state", false, &state));
        if (state && strcmp(state, "commit") != 0 && strcmp(state, "reset") != 0)
                return bad(rd, "decode_state", "\"commit\" or \"reset\"");
        r->committed = state && strcmp(state, "commit") == 0;
        TRY(get_bool(rd, o, "enabled", &r->enabled));
        TRY(get_strv(rd, o, "targets", &r->targets, &r->n_targets));
        TRY(get_strv(rd, o, "memdevs", &r->memdevs, &r->n_memdevs));
        return get_str(rd, o, "nd_region", false, &r->nd_region);
}

static int cxl_from_json(Reader *rd, json_object *o, TopoCxl *c) {
        if (!json_object_is_type(o, json_type_object))
                return bad(rd, "cxl", "an object");
        rd->where = "topology.cxl";
        TRY(get_strv(rd, o, "buses", &c->buses, &c->n_buses));
        TRY(get_objects(rd, o, "ports", &c->ports, &c->n_ports, sizeof(TopoCxlPort), cxl_port_from_json));
        TRY(get_objects(rd, o, "memdevs", &c->memdevs, &c->n_memdevs, sizeof(TopoCxlMemdev),
                        cxl_memdev_from_json));
        TRY(get_objects(rd, o, "decoders", &c->decoders, &c->n_decoders, sizeof(TopoCxlDecoder),
                        cxl_decoder_from_json));
        return get_objects(rd, o, "regions", &c->regions, &c->n_regions, sizeof(TopoCxlRegion),
                           cxl_region_from_json);
}

int topology_from_json(json_object *j, Topology **ret, char **ret_error) {
        _cleanup_topology_ Topology *t = NULL;
        Reader rd = { .ret_error = ret_error, .where = "topology" };
        json_object *regions, *dimms;
        char where[64];

        if (!j || !json_object_is_type(j, json_type_object))
                return error_set(ret_error, -EBADMSG, "topology JSON: the top level must be an object");
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;

        TRY(get_str(&rd, j, "provider", false, &t->provider));
        TRY(get_array(&rd, j, "dimms", &dimms));
        for (size_t i = 0; dimms && i < json_object_array_length(dimms); i++) {
                json_object *o = json_object_array_get_idx(dimms, i);
                TopoDimm *d = reallocarray(t->dimms, t->n_dimms + 1, sizeof(*d));
                int64_t v;

                if (!d)
                        return -ENOMEM;
                t->dimms = d;
                d = &t->dimms[t->n_dimms++];
                *d = (TopoDimm){};
                (void) snprintf(where, sizeof(where), "dimms[%zu]", i);
                rd.where = where;
                TRY(get_str(&rd, o, "dev", true, &d->dev));
                TRY(get_str(&rd, o, "serial", false, &d->serial));
                TRY(get_str(&rd, o, "unique_id", false, &d->unique_id));
                json_object *h;
                if (json_object_object_get_ex(o, "handle", &h) && (v = json_object_get_int64(h)) >= 0)
                        d->handle = (uint32_t) v;
                if (json_object_object_get_ex(o, "phys_id", &h) && (v = json_object_get_int64(h)) >= 0)
                        d->phys_id = (uint32_t) v;
        }

        TRY(get_array(&rd, j, "regions", &regions));
        for (size_t i = 0; regions && i < json_object_array_length(regions); i++) {
                TopoRegion *r = reallocarray(t->regions, t->n_regions + 1, sizeof(*r));
                if (!r)
                        return -ENOMEM;
                t->regions = r;
                r = &t->regions[t->n_regions++];
                *r = (TopoRegion){};
                (void) snprintf(where, sizeof(where), "regions[%zu]", i);
                rd.where = where;
                TRY(region_from_json(&rd, json_object_array_get_idx(regions, i), t->provider, r));
        }

        /* Snapshots from before CXL discovery have no "cxl": no CXL devices. */
        json_object *cxl = NULL;
        if (json_object_object_get_ex(j, "cxl", &cxl) && cxl)
                TRY(cxl_from_json(&rd, cxl, &t->cxl));

        *ret = TAKE_PTR(t);
        return 0;
}
