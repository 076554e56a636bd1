/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The effective configuration as JSON: every section with the file:line of each value. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <json-c/json.h>

#include "config-internal.h"
#include "model.h"

static json_object *json_string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

/* "FILE:LINE", or null for a default. */
static json_object *json_source(const ConfigSource *s) {
        _cleanup_free_ char *t = NULL;

        if (!s->file || asprintf(&t, "%s:%u", s->file, s->line) < 0)
                return NULL;
        return json_object_new_string(t);
}

static json_object *json_origins(const ConfigSource *where, const char *const *keys, size_t n) {
        json_object *o = json_object_new_object();

        for (size_t k = 0; o && k < n; k++)
                if (where[k].file)
                        json_object_object_add(o, keys[k], json_source(&where[k]));
        return o;
}

static json_object *json_size(const SizeSpec *s) {
        json_object *o = json_object_new_object();
        char buf[32];

        if (!o)
                return NULL;
        switch (s->kind) {
        case SIZE_BYTES:
                json_object_object_add(o, "kind", json_object_new_string("bytes"));
                json_object_object_add(o, "bytes", json_object_new_uint64(s->bytes));
                break;
        case SIZE_PERCENT:
                if (s->basis_points % 100 == 0)
                        (void) snprintf(buf, sizeof(buf), "%" PRIu32, s->basis_points / 100);
                else
                        (void) snprintf(buf, sizeof(buf), "%" PRIu32 ".%02" PRIu32, s->basis_points / 100,
                                        s->basis_points % 100);
                json_object_object_add(o, "kind", json_object_new_string("percent"));
                json_object_object_add(o, "percent", json_object_new_double_s(s->basis_points / 100.0, buf));
                break;
        case SIZE_REST:
                json_object_object_add(o, "kind", json_object_new_string("rest"));
                break;
        case _SIZE_KIND_MAX:
        case _SIZE_KIND_INVALID:
                break;
        }
        return o;
}

static json_object *namespace_to_json(const ConfigNamespace *ns) {
        json_object *o = json_object_new_object();
        _cleanup_free_ char *region = NULL;
        char perm[8];

        if (!o || config_region_format(&ns->region, &region) < 0) {
                json_object_put(o);
                return NULL;
        }
        json_object_object_add(o, "name", json_object_new_string(ns->name));
        json_object_object_add(o, "source", json_source(&ns->section));
        json_object_object_add(o, "region", json_object_new_string(region));
        json_object_object_add(o, "mode", json_object_new_string(namespace_mode_to_string(ns->mode)));
        json_object_object_add(o, "size", json_size(&ns->size));
        if (ns->mode != NAMESPACE_MODE_RAW) {
                json_object_object_add(o, "align", ns->align ? json_object_new_uint64(ns->align) : NULL);
                json_object_object_add(o, "map", json_object_new_string(pfn_map_to_string(ns->map)));
        }
        if (ns->mode == NAMESPACE_MODE_FSDAX) {
                json_object_object_add(o, "filesystem",
                                       json_object_new_string(fs_type_to_string(ns->filesystem)));
                json_object_object_add(o, "mount_point", json_string_or_null(ns->mount_point));
                json_object_object_add(o, "dax", json_object_new_string(dax_mode_to_string(ns->dax)));
                json_object_object_add(o, "mount_options", json_string_or_null(ns->mount_options));
        }
        if (ns->mode == NAMESPACE_MODE_DEVDAX) {
                json_object_object_add(o, "owner", json_string_or_null(ns->owner));
                json_object_object_add(o, "group", json_string_or_null(ns->group));
                (void) snprintf(perm, sizeof(perm), "%04o", (unsigned) (ns->permissions & 07777));
                json_object_object_add(o, "permissions",
                                       ns->permissions == (mode_t) -1 ? NULL : json_object_new_string(perm));
                json_object_object_add(o, "system_ram",
                                       json_object_new_string(config_system_ram_to_string(ns->system_ram)));
        }
        json_object_object_add(o, "destroy", json_object_new_boolean(ns->destroy));
        json_object_object_add(
                o, "origins",
                json_origins(ns->where, config_namespace_key_table, _CONFIG_NAMESPACE_KEY_MAX));
        return o;
}

static json_object *zone_to_json(const ConfigZone *z) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "name", json_object_new_string(z->name));
        json_object_object_add(o, "source", json_source(&z->section));
        json_object_object_add(o, "namespace", json_object_new_string(z->namespace));
        json_object_object_add(o, "directory", json_object_new_string(z->directory));
        json_object_object_add(o, "path", json_object_new_string(z->path));
        json_object_object_add(o, "origins",
                               json_origins(z->where, config_zone_key_table, _CONFIG_ZONE_KEY_MAX));
        return o;
}

static json_object *placement_to_json(const ConfigPlacement *pl) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "name", json_object_new_string(pl->name));
        json_object_object_add(o, "source", json_source(&pl->section));
        json_object_object_add(o, "zone", json_object_new_string(pl->zone));
        json_object_object_add(o, "program", json_object_new_string(pl->program));
        json_object_object_add(o, "with_libraries", json_object_new_boolean(pl->with_libraries));
        json_object_object_add(o, "service", json_string_or_null(pl->service));
        json_object_object_add(o, "entry_point", json_object_new_boolean(pl->entry_point));
        json_object_object_add(o, "bind_host", json_object_new_boolean(pl->bind_host));
        json_object_object_add(o, "refresh", json_object_new_string(pl->refresh_manual ? "manual" : "auto"));
        json_object_object_add(
                o, "origins",
                json_origins(pl->where, config_placement_key_table, _CONFIG_PLACEMENT_KEY_MAX));
        return o;
}

static json_object *cxl_region_to_json(const ConfigCxlRegion *cr) {
        json_object *o = json_object_new_object(), *m = json_object_new_array();

        if (!o || !m) {
                json_object_put(o);
                json_object_put(m);
                return NULL;
        }
        json_object_object_add(o, "name", json_object_new_string(cr->name));
        json_object_object_add(o, "source", json_source(&cr->section));
        for (size_t i = 0; i < cr->n_memdevs; i++)
                json_object_array_add(m, json_object_new_string(cr->memdevs[i]));
        json_object_object_add(o, "memdevs", m);
        json_object_object_add(o, "size", cr->size ? json_object_new_uint64(cr->size) : NULL);
        json_object_object_add(o, "decoder", json_string_or_null(cr->decoder));
        json_object_object_add(o, "uuid", json_object_new_string(cr->uuid));
        json_object_object_add(
                o, "origins",
                json_origins(cr->where, config_cxl_region_key_table, _CONFIG_CXL_REGION_KEY_MAX));
        return o;
}

static json_object *dax_device_to_json(const ConfigDaxDevice *d) {
        json_object *o = json_object_new_object();
        char res[32];

        if (!o)
                return NULL;
        (void) snprintf(res, sizeof(res), "%#" PRIx64, d->resource);
        json_object_object_add(o, "name", json_object_new_string(d->name));
        json_object_object_add(o, "source", json_source(&d->section));
        json_object_object_add(
                o, "provider",
                json_object_new_string(d->provider < 0 ? "any" : dax_provider_to_string(d->provider)));
        json_object_object_add(o, "resource",
                               d->resource == UINT64_MAX ? NULL : json_object_new_string(res));
        json_object_object_add(o, "target_node",
                               d->target_node < 0 ? NULL : json_object_new_int(d->target_node));
        json_object_object_add(o, "size", d->size ? json_object_new_uint64(d->size) : NULL);
        json_object_object_add(o, "system_ram",
                               json_object_new_string(config_system_ram_to_string(d->system_ram)));
        if (d->system_ram == CONFIG_SYSTEM_RAM_NO) {
                char perm[8];

                (void) snprintf(perm, sizeof(perm), "%04o", (unsigned) d->permissions);
                json_object_object_add(o, "owner", json_string_or_null(d->owner));
                json_object_object_add(o, "group", json_string_or_null(d->group));
                json_object_object_add(o, "permissions",
                                       d->permissions == (mode_t) -1 ? NULL : json_object_new_string(perm));
        }
        json_object_object_add(
                o, "origins",
                json_origins(d->where, config_dax_device_key_table, _CONFIG_DAX_DEVICE_KEY_MAX));
        return o;
}

int config_to_json(const Config *c, struct json_object **ret) {
        json_object *o, *files, *nss, *zones, *pls, *cxl;

        if (!c || !ret)
                return -EINVAL;
        o = json_object_new_object();
        files = json_object_new_array();
        nss = json_object_new_array();
        zones = json_object_new_array();
        pls = json_object_new_array();
        cxl = json_object_new_array();
        if (!o || !files || !nss || !zones || !pls || !cxl)
                goto fail;
        json_object_object_add(o, "files", files);
        json_object_object_add(o, "namespaces", nss);
        json_object_object_add(o, "zones", zones);
        json_object_object_add(o, "placements", pls);
        json_object_object_add(o, "cxl_regions", cxl);
        files = nss = zones = pls = cxl = NULL;

        for (size_t i = 0; i < c->n_cxl_regions; i++) {
                json_object *j = cxl_region_to_json(&c->cxl_regions[i]);

                if (!j || json_object_array_add(json_object_object_get(o, "cxl_regions"), j) < 0) {
                        json_object_put(j);
                        goto fail;
                }
        }
        for (size_t i = 0; i < c->n_files; i++)
                if (json_object_array_add(json_object_object_get(o, "files"),
                                          json_object_new_string(c->files[i])) < 0)
                        goto fail;
        for (size_t i = 0; i < c->n_namespaces; i++) {
                json_object *j = namespace_to_json(&c->namespaces[i]);

                if (!j || json_object_array_add(json_object_object_get(o, "namespaces"), j) < 0) {
                        json_object_put(j);
                        goto fail;
                }
        }
        for (size_t i = 0; i < c->n_zones; i++) {
                json_object *j = zone_to_json(&c->zones[i]);

                if (!j || json_object_array_add(json_object_object_get(o, "zones"), j) < 0) {
                        json_object_put(j);
                        goto fail;
                }
        }
        for (size_t i = 0; i < c->n_placements; i++) {
                json_object *j = placement_to_json(&c->placements[i]);

                if (!j || json_object_array_add(json_object_object_get(o, "placements"), j) < 0) {
                        json_object_put(j);
                        goto fail;
                }
        }
        {
                json_object *dds = json_object_new_array();

                if (!dds)
                        goto fail;
                json_object_object_add(o, "dax_devices", dds);
                for (size_t i = 0; i < c->n_dax_devices; i++) {
                        json_object *j = dax_device_to_json(&c->dax_devices[i]);

                        if (!j || json_object_array_add(dds, j) < 0) {
                                json_object_put(j);
                                goto fail;
                        }
                }
        }
        if (c->metrics.present) {
                json_object *mj = json_object_new_object();

                if (!mj)
                        goto fail;
                json_object_object_add(o, "metrics", mj);
                json_object_object_add(mj, "source", json_source(&c->metrics.section));
                json_object_object_add(
                        mj, "textfile_path",
                        c->metrics.textfile_path ? json_object_new_string(c->metrics.textfile_path) : NULL);
                json_object_object_add(
                        mj, "origins",
                        json_origins(c->metrics.where, config_metrics_key_table, _CONFIG_METRICS_KEY_MAX));
        } else
                json_object_object_add(o, "metrics", NULL);
        *ret = o;
        return 0;

fail:
        json_object_put(o);
        json_object_put(files);
        json_object_put(nss);
        json_object_put(zones);
        json_object_put(pls);
        json_object_put(cxl);
        return -ENOMEM;
}
