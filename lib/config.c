/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The configuration: files → raw sections (strings with their file:line, merged across files)
 * → validated, typed sections. docs/CONFIG.md is the reference for the format.
 *
 * config-parse.c reads the files into raw sections; this file holds the string tables, turns the
 * raw sections into typed ones (those of [Namespace], [CXLRegion] and [DaxDevice] sections in
 * config-validate-*.c) and frees and searches the result; config-json.c writes it as JSON. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config-internal.h"
#include "strv.h"
#include "model.h"
#include "parse-util.h"
#include "string-table.h"

/* ---- string tables ------------------------------------------------------------------------ */

const char *const config_section_type_table[_CONFIG_SECTION_TYPE_MAX] = {
        [CONFIG_SECTION_NAMESPACE] = "Namespace",  [CONFIG_SECTION_ZONE] = "Zone",
        [CONFIG_SECTION_PLACEMENT] = "Placement",  [CONFIG_SECTION_CXL_REGION] = "CXLRegion",
        [CONFIG_SECTION_DAX_DEVICE] = "DaxDevice", [CONFIG_SECTION_METRICS] = "Metrics",
};
DEFINE_STRING_TABLE_LOOKUP(config_section_type, ConfigSectionType)

const char *const config_namespace_key_table[_CONFIG_NAMESPACE_KEY_MAX] = {
        [CONFIG_NAMESPACE_REGION] = "Region",
        [CONFIG_NAMESPACE_MODE] = "Mode",
        [CONFIG_NAMESPACE_SIZE] = "Size",
        [CONFIG_NAMESPACE_ALIGN] = "Align",
        [CONFIG_NAMESPACE_MAP] = "Map",
        [CONFIG_NAMESPACE_FILESYSTEM] = "Filesystem",
        [CONFIG_NAMESPACE_MOUNT_POINT] = "MountPoint",
        [CONFIG_NAMESPACE_DAX] = "DAX",
        [CONFIG_NAMESPACE_MOUNT_OPTIONS] = "MountOptions",
        [CONFIG_NAMESPACE_OWNER] = "Owner",
        [CONFIG_NAMESPACE_GROUP] = "Group",
        [CONFIG_NAMESPACE_PERMISSIONS] = "Permissions",
        [CONFIG_NAMESPACE_SYSTEM_RAM] = "SystemRAM",
        [CONFIG_NAMESPACE_DESTROY] = "Destroy",
};
DEFINE_STRING_TABLE_LOOKUP(config_namespace_key, ConfigNamespaceKey)

const char *const config_zone_key_table[_CONFIG_ZONE_KEY_MAX] = {
        [CONFIG_ZONE_NAMESPACE] = "Namespace",
        [CONFIG_ZONE_DIRECTORY] = "Directory",
};
DEFINE_STRING_TABLE_LOOKUP(config_zone_key, ConfigZoneKey)

const char *const config_placement_key_table[_CONFIG_PLACEMENT_KEY_MAX] = {
        [CONFIG_PLACEMENT_ZONE] = "Zone",
        [CONFIG_PLACEMENT_PROGRAM] = "Program",
        [CONFIG_PLACEMENT_WITH_LIBRARIES] = "WithLibraries",
        [CONFIG_PLACEMENT_SERVICE] = "Service",
        [CONFIG_PLACEMENT_ENTRY_POINT] = "EntryPoint",
        [CONFIG_PLACEMENT_BIND_HOST] = "BindHost",
        [CONFIG_PLACEMENT_REFRESH] = "Refresh",
};
DEFINE_STRING_TABLE_LOOKUP(config_placement_key, ConfigPlacementKey)

const char *const config_cxl_region_key_table[_CONFIG_CXL_REGION_KEY_MAX] = {
        [CONFIG_CXL_REGION_MEMDEVS] = "Memdevs",
        [CONFIG_CXL_REGION_SIZE] = "Size",
        [CONFIG_CXL_REGION_DECODER] = "Decoder",
};
DEFINE_STRING_TABLE_LOOKUP(config_cxl_region_key, ConfigCxlRegionKey)

const char *const config_dax_device_key_table[_CONFIG_DAX_DEVICE_KEY_MAX] = {
        [CONFIG_DAX_DEVICE_PROVIDER] = "Provider",
        [CONFIG_DAX_DEVICE_RESOURCE] = "Resource",
        [CONFIG_DAX_DEVICE_TARGET_NODE] = "TargetNode",
        [CONFIG_DAX_DEVICE_SIZE] = "Size",
        [CONFIG_DAX_DEVICE_SYSTEM_RAM] = "SystemRAM",
        [CONFIG_DAX_DEVICE_OWNER] = "Owner",
        [CONFIG_DAX_DEVICE_GROUP] = "Group",
        [CONFIG_DAX_DEVICE_PERMISSIONS] = "Permissions",
};
DEFINE_STRING_TABLE_LOOKUP(config_dax_device_key, ConfigDaxDeviceKey)

const char *const config_metrics_key_table[_CONFIG_METRICS_KEY_MAX] = {
        [CONFIG_METRICS_TEXTFILE_PATH] = "TextfilePath",
};
DEFINE_STRING_TABLE_LOOKUP(config_metrics_key, ConfigMetricsKey)

static const char *const config_region_kind_table[_CONFIG_REGION_KIND_MAX] = {
        [CONFIG_REGION_ANY] = "any",   [CONFIG_REGION_ID] = "region", [CONFIG_REGION_NUMA] = "numa",
        [CONFIG_REGION_DIMM] = "dimm", [CONFIG_REGION_CXL] = "cxl",
};
DEFINE_STRING_TABLE_LOOKUP(config_region_kind, ConfigRegionKind)

const char *const config_system_ram_table[_CONFIG_SYSTEM_RAM_MAX] = {
        [CONFIG_SYSTEM_RAM_NO] = "no",
        [CONFIG_SYSTEM_RAM_ONLINE] = "online",
        [CONFIG_SYSTEM_RAM_ONLINE_MOVABLE] = "online-movable",
};
DEFINE_STRING_TABLE_LOOKUP(config_system_ram, ConfigSystemRam)

/* ---- small helpers ------------------------------------------------------------------------ */

static int parse_boolean(const char *s) {
        static const char *const yes[] = { "yes", "true", "1", "on" }, *const no[] = { "no", "false", "0",
                                                                                       "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

/* Normalizes a path: "//" collapsed, a trailing "/" dropped; "." and ".." components refused,
 * and an absolute path where a relative one is expected or the other way round. */
int path_normalize(const char *s, bool absolute, char **ret, const char **ret_why) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;

        if (absolute != (s[0] == '/')) {
                *ret_why = absolute ? "must be an absolute path"
                                    : "must be a relative path, not an absolute one";
                return -EINVAL;
        }
        if (strlen(s) >= PATH_MAX) {
                *ret_why = "is too long for a path";
                return -EINVAL;
        }
        out = malloc(strlen(s) + 1);
        if (!out)
                return -ENOMEM;

        for (const char *p = s; *p;) {
                size_t n;

                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (n == 0)
                        break;
                if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
                        *ret_why = "must not contain '.' or '..' components";
                        return -EINVAL;
                }
                if (absolute || len > 0)
                        out[len++] = '/';
                memcpy(out + len, p, n);
                len += n;
                p += n;
        }
        if (len == 0) {
                *ret_why = absolute ? "must not be the root directory" : "must name a directory";
                return -EINVAL;
        }
        out[len] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

/* A user or group: a number (not the reserved -1), or a name as useradd accepts it. */
bool user_name_is_valid(const char *s) {
        uint32_t id;
        size_t n = strlen(s);

        if (s[0] >= '0' && s[0] <= '9')
                return parse_u32(s, 10, &id) == 0 && id != UINT32_MAX;
        if (n == 0 || n > 32)
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++) {
                char c = s[i];

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.' || (c == '$' && i == n - 1))
                        continue;
                return false;
        }
        return true;
}

/* Characters a path cannot hold in a BindReadOnlyPaths= line without escaping. */
static bool path_is_unit_safe(const char *p) {
        return strcspn(p, " \t\"'\\%:") == strlen(p);
}

/* ---- validation: raw sections → typed ---------------------------------------------------- */

int choice_error(char **ret_error, const RawSection *s, unsigned key, const char *const *table, size_t n,
                 const char *what) {
        _cleanup_free_ char *list = join_choices(table, n);
        const char *v = s->values[key].value;
        char buf[96];

        return fail(ret_error, -EINVAL, raw_where(s, key), raw_key_name(s, key), "'%s' is not %s: use %s%s",
                    v, what, list ?: "", did_you_mean(v, table, n, buf, sizeof(buf)));
}

int bool_value(const RawSection *s, unsigned key, bool dflt, bool *ret, char **ret_error) {
        const char *v = s->values[key].value;
        int b;

        if (!v) {
                *ret = dflt;
                return 0;
        }
        b = parse_boolean(v);
        if (b < 0)
                return fail(ret_error, -EINVAL, raw_where(s, key), raw_key_name(s, key),
                            "'%s' is not a boolean: use yes or no (true/false, on/off, 1/0)", v);
        *ret = b;
        return 0;
}

int required(const RawSection *s, unsigned key, const char *hint, char **ret_error) {
        const RawValue *v = &s->values[key];

        if (v->value)
                return 0;
        if (v->where.file)
                return fail(ret_error, -EINVAL, &v->where, raw_key_name(s, key),
                            "reset here and not set again, but [%s %s] needs it: %s",
                            config_section_type_table[s->type], s->name, hint);
        return fail(ret_error, -EINVAL, &s->where, raw_key_name(s, key), "[%s %s] needs %s=: %s",
                    config_section_type_table[s->type], s->name, raw_key_name(s, key), hint);
}

static int namespace_names_joined(const Config *c, char **ret) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_namespaces; i++)
                fprintf(f, "%s%s", i ? ", " : "", c->namespaces[i].name);
        if (fclose(f) != 0) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

static int validate_zone(const Config *c, const RawSection *s, ConfigZone *z, char **ret_error) {
        const RawValue *v = s->values;
        const ConfigNamespace *ns = NULL;
        const char *why, *dir;
        int r;

        *z = (ConfigZone){ .section = s->where };
        z->name = strdup(s->name);
        if (!z->name)
                return -ENOMEM;
        for (size_t k = 0; k < _CONFIG_ZONE_KEY_MAX; k++)
                if (v[k].value)
                        z->where[k] = v[k].where;

        r = required(s, CONFIG_ZONE_NAMESPACE, "the fsdax namespace whose mount holds the zone", ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_namespaces; i++)
                if (strcmp(c->namespaces[i].name, v[CONFIG_ZONE_NAMESPACE].value) == 0) {
                        ns = &c->namespaces[i];
                        z->ns_index = i;
                }
        if (!ns) {
                _cleanup_free_ const char **names = NULL;
                _cleanup_free_ char *list = NULL;
                char buf[96];

                names = calloc(c->n_namespaces + 1, sizeof(char *));
                if (!names || namespace_names_joined(c, &list) < 0)
                        return -ENOMEM;
                for (size_t i = 0; i < c->n_namespaces; i++)
                        names[i] = c->namespaces[i].name;
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_ZONE_NAMESPACE), "Namespace",
                            "no [Namespace %s] is configured%s%s%s", v[CONFIG_ZONE_NAMESPACE].value,
                            did_you_mean(v[CONFIG_ZONE_NAMESPACE].value, names, c->n_namespaces, buf,
                                         sizeof(buf)),
                            c->n_namespaces > 0 ? "; the namespaces are " : " (there are no namespaces)",
                            c->n_namespaces > 0 ? list : "");
        }
        if (ns->mode != NAMESPACE_MODE_FSDAX)
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_ZONE_NAMESPACE), "Namespace",
                            "namespace %s is %s (%s:%u): a zone needs an fsdax namespace with a file system "
                            "and MountPoint=",
                            ns->name, namespace_mode_to_string(ns->mode),
                            ns->where[CONFIG_NAMESPACE_MODE].file, ns->where[CONFIG_NAMESPACE_MODE].line);
        if (!ns->mount_point)
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_ZONE_NAMESPACE), "Namespace",
                            "namespace %s has no MountPoint= (section at %s:%u): a zone lives on its mount",
                            ns->name, ns->section.file, ns->section.line);

        dir = v[CONFIG_ZONE_DIRECTORY].value ?: s->name;
        r = path_normalize(dir, false, &z->directory, &why);
        if (r == -EINVAL)
                return fail(ret_error, r, raw_where(s, CONFIG_ZONE_DIRECTORY), "Directory",
                            "'%s' %s (it is relative to the mount point of namespace %s)", dir, why,
                            ns->name);
        if (r < 0)
                return r;
        z->namespace = strdup(ns->name);
        if (!z->namespace || asprintf(&z->path, "%s/%s", ns->mount_point, z->directory) < 0)
                return -ENOMEM;
        return 0;
}

static int validate_placement(const Config *c, const RawSection *s, ConfigPlacement *pl, char **ret_error) {
        const RawValue *v = s->values;
        const ConfigZone *z = NULL;
        const char *why;
        int r;

        *pl = (ConfigPlacement){ .section = s->where };
        pl->name = strdup(s->name);
        if (!pl->name)
                return -ENOMEM;
        for (size_t k = 0; k < _CONFIG_PLACEMENT_KEY_MAX; k++)
                if (v[k].value)
                        pl->where[k] = v[k].where;

        r = required(s, CONFIG_PLACEMENT_ZONE, "the zone to place the program in", ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_zones; i++)
                if (strcmp(c->zones[i].name, v[CONFIG_PLACEMENT_ZONE].value) == 0) {
                        z = &c->zones[i];
                        pl->zone_index = i;
                }
        if (!z) {
                _cleanup_free_ const char **names = calloc(c->n_zones + 1, sizeof(char *));
                char buf[96];

                if (!names)
                        return -ENOMEM;
                for (size_t i = 0; i < c->n_zones; i++)
                        names[i] = c->zones[i].name;
                return fail(
                        ret_error, -EINVAL, raw_where(s, CONFIG_PLACEMENT_ZONE), "Zone",
                        "no [Zone %s] is configured%s", v[CONFIG_PLACEMENT_ZONE].value,
                        did_you_mean(v[CONFIG_PLACEMENT_ZONE].value, names, c->n_zones, buf, sizeof(buf)));
        }
        pl->zone = strdup(z->name);
        if (!pl->zone)
                return -ENOMEM;

        r = required(s, CONFIG_PLACEMENT_PROGRAM, "the absolute path of the program to place", ret_error);
        if (r < 0)
                return r;
        r = path_normalize(v[CONFIG_PLACEMENT_PROGRAM].value, true, &pl->program, &why);
        if (r == -EINVAL)
                return fail(ret_error, r, raw_where(s, CONFIG_PLACEMENT_PROGRAM), "Program", "'%s' %s",
                            v[CONFIG_PLACEMENT_PROGRAM].value, why);
        if (r < 0)
                return r;

        r = bool_value(s, CONFIG_PLACEMENT_WITH_LIBRARIES, false, &pl->with_libraries, ret_error);
        if (r < 0)
                return r;
        r = bool_value(s, CONFIG_PLACEMENT_ENTRY_POINT, true, &pl->entry_point, ret_error);
        if (r < 0)
                return r;
        r = bool_value(s, CONFIG_PLACEMENT_BIND_HOST, false, &pl->bind_host, ret_error);
        if (r < 0)
                return r;
        if (v[CONFIG_PLACEMENT_REFRESH].value) {
                static const char *const policies[] = { "auto", "manual" };
                const char *p = v[CONFIG_PLACEMENT_REFRESH].value;

                if (strcmp(p, "manual") == 0)
                        pl->refresh_manual = true;
                else if (strcmp(p, "auto") != 0)
                        return choice_error(ret_error, s, CONFIG_PLACEMENT_REFRESH, policies,
                                            ELEMENTSOF(policies), "a refresh policy");
        }

        if (v[CONFIG_PLACEMENT_SERVICE].value) {
                const char *u = v[CONFIG_PLACEMENT_SERVICE].value;

                if (!service_name_is_valid(u))
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_PLACEMENT_SERVICE), "Service",
                                    "'%s' is not a service unit name such as myapp.service", u);
                if (!path_is_unit_safe(pl->program) || !path_is_unit_safe(z->path))
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_PLACEMENT_SERVICE), "Service",
                                    "%s or zone %s (%s) holds a space, quote, '\\', '%%' or ':', which a "
                                    "BindReadOnlyPaths= line cannot carry",
                                    pl->program, z->name, z->path);
                pl->service = strdup(u);
                if (!pl->service)
                        return -ENOMEM;
        }
        return 0;
}

static const char *base_name(const char *path) {
        const char *s = strrchr(path, '/');

        return s ? s + 1 : path;
}

/* Rules between sections of the same type. */
static int validate_across(const Config *c, char **ret_error) {
        for (size_t i = 0; i < c->n_namespaces; i++)
                for (size_t j = 0; j < i; j++) {
                        const ConfigNamespace *a = &c->namespaces[j], *b = &c->namespaces[i];

                        if (a->mount_point && b->mount_point && strcmp(a->mount_point, b->mount_point) == 0)
                                return fail(ret_error, -EINVAL, &b->where[CONFIG_NAMESPACE_MOUNT_POINT],
                                            "MountPoint",
                                            "%s is already the mount point of namespace %s (%s:%u)",
                                            b->mount_point, a->name,
                                            a->where[CONFIG_NAMESPACE_MOUNT_POINT].file,
                                            a->where[CONFIG_NAMESPACE_MOUNT_POINT].line);
                }

        for (size_t i = 0; i < c->n_zones; i++)
                for (size_t j = 0; j < i; j++) {
                        const ConfigZone *a = &c->zones[j], *b = &c->zones[i];
                        const ConfigSource *at = b->where[CONFIG_ZONE_DIRECTORY].file
                                                         ? &b->where[CONFIG_ZONE_DIRECTORY]
                                                         : &b->section;
                        size_t la = strlen(a->path), lb = strlen(b->path);

                        if (strcmp(a->path, b->path) == 0)
                                return fail(ret_error, -EINVAL, at, "Directory",
                                            "%s is already the directory of zone %s (%s:%u)", b->path,
                                            a->name, a->section.file, a->section.line);
                        if ((la < lb && strncmp(a->path, b->path, la) == 0 && b->path[la] == '/') ||
                            (lb < la && strncmp(a->path, b->path, lb) == 0 && a->path[lb] == '/'))
                                return fail(
                                        ret_error, -EINVAL, at, "Directory",
                                        "%s and the directory of zone %s (%s, %s:%u) are nested: zones must "
                                        "not hold each other",
                                        b->path, a->name, a->path, a->section.file, a->section.line);
                }

        for (size_t i = 0; i < c->n_cxl_regions; i++)
                for (size_t j = 0; j < i; j++) {
                        const ConfigCxlRegion *a = &c->cxl_regions[j], *b = &c->cxl_regions[i];

                        for (size_t x = 0; x < a->n_memdevs; x++)
                                for (size_t y = 0; y < b->n_memdevs; y++)
                                        if (strcmp(a->memdevs[x], b->memdevs[y]) == 0 &&
                                            (!a->size || !b->size))
                                                return fail(
                                                        ret_error, -EINVAL,
                                                        &b->where[CONFIG_CXL_REGION_MEMDEVS], "Memdevs",
                                                        "%s is also in [CXLRegion %s] (%s:%u), and one of "
                                                        "the two takes all its free capacity (Size=rest): "
                                                        "give both a Size=",
                                                        b->memdevs[y], a->name, a->section.file,
                                                        a->section.line);
                }

        for (size_t i = 0; i < c->n_placements; i++)
                for (size_t j = 0; j < i; j++) {
                        const ConfigPlacement *a = &c->placements[j], *b = &c->placements[i];
                        const ConfigSource *at = &b->where[CONFIG_PLACEMENT_PROGRAM];
                        bool same_program = strcmp(a->program, b->program) == 0;

                        if (same_program && a->zone_index == b->zone_index)
                                return fail(ret_error, -EINVAL, at, "Program",
                                            "%s is already placed in zone %s by [Placement %s] (%s:%u)",
                                            b->program, b->zone, a->name, a->section.file, a->section.line);
                        if (same_program && a->bind_host && b->bind_host)
                                return fail(ret_error, -EINVAL, &b->where[CONFIG_PLACEMENT_BIND_HOST],
                                            "BindHost",
                                            "%s is already bound over the host's copy by [Placement %s] "
                                            "(%s:%u): "
                                            "one file cannot be bound twice",
                                            b->program, a->name, a->section.file, a->section.line);
                        if (a->zone_index == b->zone_index && a->entry_point && b->entry_point &&
                            strcmp(base_name(a->program), base_name(b->program)) == 0)
                                return fail(
                                        ret_error, -EINVAL, at, "Program",
                                        "zone %s would get two entry points bin/%s (also [Placement %s], "
                                        "%s:%u): set EntryPoint=no on one",
                                        b->zone, base_name(b->program), a->name, a->section.file,
                                        a->section.line);
                }
        return 0;
}

/* [Metrics]: TextfilePath= is where node_exporter's textfile collector reads it, a "*.prom" file
 * (the collector reads no other name) at an absolute path. */
static int validate_metrics(const RawSection *s, ConfigMetrics *mc, char **ret_error) {
        const RawValue *v = s->values;
        const char *why = NULL;
        size_t l;
        int r;

        *mc = (ConfigMetrics){ .present = true, .section = s->where };
        for (size_t k = 0; k < _CONFIG_METRICS_KEY_MAX; k++)
                if (v[k].value)
                        mc->where[k] = v[k].where;
        if (!v[CONFIG_METRICS_TEXTFILE_PATH].value)
                return 0;
        r = path_normalize(v[CONFIG_METRICS_TEXTFILE_PATH].value, true, &mc->textfile_path, &why);
        if (r == -EINVAL)
                return fail(ret_error, r, raw_where(s, CONFIG_METRICS_TEXTFILE_PATH), "TextfilePath",
                            "'%s' %s", v[CONFIG_METRICS_TEXTFILE_PATH].value, why);
        if (r < 0)
                return r;
        l = strlen(mc->textfile_path);
        if (l < 6 || strcmp(mc->textfile_path + l - 5, ".prom") != 0 || mc->textfile_path[l - 6] == '/')
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_METRICS_TEXTFILE_PATH), "TextfilePath",
                            "'%s' does not end in NAME.prom: node_exporter's textfile collector reads only "
                            "*.prom files, e.g. /var/lib/prometheus/node-exporter/daxmgr.prom",
                            mc->textfile_path);
        return 0;
}

int parser_finish(Parser *p, Config **ret, char ***ret_warnings, char **ret_error) {
        Config *c = p->config;
        size_t n[_CONFIG_SECTION_TYPE_MAX] = {};
        int r;

        for (size_t i = 0; i < p->n_sections; i++)
                n[p->sections[i].type]++;
        c->namespaces = calloc(n[CONFIG_SECTION_NAMESPACE] ?: 1, sizeof(ConfigNamespace));
        c->zones = calloc(n[CONFIG_SECTION_ZONE] ?: 1, sizeof(ConfigZone));
        c->placements = calloc(n[CONFIG_SECTION_PLACEMENT] ?: 1, sizeof(ConfigPlacement));
        c->cxl_regions = calloc(n[CONFIG_SECTION_CXL_REGION] ?: 1, sizeof(ConfigCxlRegion));
        c->dax_devices = calloc(n[CONFIG_SECTION_DAX_DEVICE] ?: 1, sizeof(ConfigDaxDevice));
        if (!c->namespaces || !c->zones || !c->placements || !c->cxl_regions || !c->dax_devices)
                return -ENOMEM;

        /* CXL regions, namespaces, zones, then placements: each refers to the ones before. Dax
         * devices refer to none. */
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_CXL_REGION) {
                        r = validate_cxl_region(&p->sections[i], &c->cxl_regions[c->n_cxl_regions++],
                                                ret_error);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_NAMESPACE) {
                        r = validate_namespace(p, &p->sections[i], &c->namespaces[c->n_namespaces++],
                                               ret_error);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_ZONE) {
                        r = validate_zone(c, &p->sections[i], &c->zones[c->n_zones++], ret_error);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_PLACEMENT) {
                        r = validate_placement(c, &p->sections[i], &c->placements[c->n_placements++],
                                               ret_error);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_DAX_DEVICE) {
                        r = validate_dax_device(p, &p->sections[i], &c->dax_devices[c->n_dax_devices++],
                                                ret_error);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_METRICS) {
                        r = validate_metrics(&p->sections[i], &c->metrics, ret_error);
                        if (r < 0)
                                return r;
                }
        r = validate_across(c, ret_error);
        if (r < 0)
                return r;
        r = validate_dax_devices(c, ret_error);
        if (r < 0)
                return r;

        if (p->n_dropped > 0) {
                char *w = NULL, **l;

                if (asprintf(&w, "%zu more warnings not shown", p->n_dropped) < 0)
                        return -ENOMEM;
                l = reallocarray(p->warnings, p->n_warnings + 2, sizeof(char *));
                if (!l) {
                        free(w);
                        return -ENOMEM;
                }
                p->warnings = l;
                l[p->n_warnings++] = w;
                l[p->n_warnings] = NULL;
        }

        if (ret_warnings)
                *ret_warnings = TAKE_PTR(p->warnings);
        *ret = TAKE_PTR(p->config);
        return 0;
}

/* ---- the model --------------------------------------------------------------------------- */

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_files; i++) {
                free(c->files[i]);
                free(c->texts[i]);
        }
        free(c->files);
        free(c->texts);
        for (size_t i = 0; i < c->n_namespaces; i++) {
                ConfigNamespace *ns = &c->namespaces[i];

                free(ns->name);
                free(ns->mount_point);
                free(ns->mount_options);
                free(ns->owner);
                free(ns->group);
        }
        free(c->namespaces);
        for (size_t i = 0; i < c->n_zones; i++) {
                free(c->zones[i].name);
                free(c->zones[i].namespace);
                free(c->zones[i].directory);
                free(c->zones[i].path);
        }
        free(c->zones);
        for (size_t i = 0; i < c->n_placements; i++) {
                free(c->placements[i].name);
                free(c->placements[i].zone);
                free(c->placements[i].program);
                free(c->placements[i].service);
        }
        free(c->placements);
        for (size_t i = 0; i < c->n_cxl_regions; i++) {
                free(c->cxl_regions[i].name);
                for (size_t k = 0; k < c->cxl_regions[i].n_memdevs; k++)
                        free(c->cxl_regions[i].memdevs[k]);
                free(c->cxl_regions[i].memdevs);
                free(c->cxl_regions[i].decoder);
        }
        free(c->cxl_regions);

        for (size_t i = 0; i < c->n_dax_devices; i++) {
                free(c->dax_devices[i].name);
                free(c->dax_devices[i].owner);
                free(c->dax_devices[i].group);
        }
        free(c->dax_devices);
        free(c->metrics.textfile_path);
        free(c);
        return NULL;
}

const ConfigCxlRegion *config_find_cxl_region(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_cxl_regions; i++)
                if (strcmp(c->cxl_regions[i].name, name) == 0)
                        return &c->cxl_regions[i];
        return NULL;
}

const ConfigDaxDevice *config_find_dax_device(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_dax_devices; i++)
                if (strcmp(c->dax_devices[i].name, name) == 0)
                        return &c->dax_devices[i];
        return NULL;
}

const ConfigNamespace *config_find_namespace(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_namespaces; i++)
                if (strcmp(c->namespaces[i].name, name) == 0)
                        return &c->namespaces[i];
        return NULL;
}

const ConfigZone *config_find_zone(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_zones; i++)
                if (strcmp(c->zones[i].name, name) == 0)
                        return &c->zones[i];
        return NULL;
}

const ConfigPlacement *config_find_placement(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_placements; i++)
                if (strcmp(c->placements[i].name, name) == 0)
                        return &c->placements[i];
        return NULL;
}

int config_region_format(const ConfigRegion *r, char **ret) {
        int k = -1; /* every kind sets it: the compiler cannot know that the enum is closed */

        switch (r->kind) {
        case CONFIG_REGION_ANY:
                k = asprintf(ret, "any");
                break;
        case CONFIG_REGION_ID:
                k = asprintf(ret, "region%" PRIu32, r->number);
                break;
        case CONFIG_REGION_NUMA:
                k = asprintf(ret, "numa:%" PRIu32, r->number);
                break;
        case CONFIG_REGION_DIMM:
                k = asprintf(ret, "dimm:%#" PRIx32, r->number);
                break;
        case CONFIG_REGION_CXL:
                k = asprintf(ret, "cxl:%s", r->cxl);
                break;
        case _CONFIG_REGION_KIND_MAX:
        case _CONFIG_REGION_KIND_INVALID:
                return -EINVAL;
        }
        return k < 0 ? -ENOMEM : 0;
}

int config_summary(const Config *c, char **ret) {
        if (!c || !ret)
                return -EINVAL;
        if (asprintf(ret,
                     "%zu CXL region(s), %zu namespace(s), %zu DAX device(s), %zu zone(s), %zu placement(s) "
                     "from %zu file(s)",
                     c->n_cxl_regions, c->n_namespaces, c->n_dax_devices, c->n_zones, c->n_placements,
                     c->n_files) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}
