/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Validation of [Namespace NAME] sections: raw strings → ConfigNamespace. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config-internal.h"
#include "model.h"
#include "parse-util.h"

/* "(Mode=devdax at FILE:LINE)" — for cross-field messages. */
static char *mode_origin(const RawSection *s) {
        const ConfigSource *w = &s->values[CONFIG_NAMESPACE_MODE].where;
        char *m = NULL;

        if (asprintf(&m, "Mode=%s at %s:%u", s->values[CONFIG_NAMESPACE_MODE].value, w->file, w->line) < 0)
                return NULL;
        return m;
}

static int parse_region(const Config *c, const RawSection *s, ConfigRegion *ret, char **ret_error) {
        const char *v = s->values[CONFIG_NAMESPACE_REGION].value;
        uint32_t n;

        if (v && strncmp(v, "cxl:", 4) == 0) {
                const ConfigCxlRegion *cr = config_find_cxl_region(c, v + 4);

                if (!cr)
                        return fail(
                                ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_REGION), "Region",
                                "no [CXLRegion %s] is configured: Region=cxl:NAME names the CXL region of "
                                "a [CXLRegion NAME] section",
                                v + 4);
                *ret = (ConfigRegion){ .kind = CONFIG_REGION_CXL };
                (void) snprintf(ret->cxl, sizeof(ret->cxl), "%s", cr->name);
                memcpy(ret->cxl_uuid, cr->uuid, sizeof(ret->cxl_uuid));
                return 0;
        }

        if (!v || strcmp(v, "any") == 0) {
                *ret = (ConfigRegion){ .kind = CONFIG_REGION_ANY };
                return 0;
        }
        if (strncmp(v, "region", 6) == 0 && v[6] >= '0' && v[6] <= '9' && parse_u32(v + 6, 10, &n) == 0) {
                *ret = (ConfigRegion){ .kind = CONFIG_REGION_ID, .number = n };
                return 0;
        }
        if (strncmp(v, "numa:", 5) == 0 && v[5] >= '0' && v[5] <= '9' && parse_u32(v + 5, 10, &n) == 0) {
                *ret = (ConfigRegion){ .kind = CONFIG_REGION_NUMA, .number = n };
                return 0;
        }
        if (strncmp(v, "dimm:", 5) == 0) {
                if (parse_u32(v + 5, 16, &n) == 0) {
                        *ret = (ConfigRegion){ .kind = CONFIG_REGION_DIMM, .number = n };
                        return 0;
                }
                return fail(
                        ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_REGION), "Region",
                        "'%s' is not a DIMM serial: give it in hex as ndctl shows it, e.g. dimm:0x57341200",
                        v);
        }
        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_REGION), "Region",
                    "'%s' is not a region: use any, regionN, numa:N, dimm:SERIAL (hex, as ndctl shows it) "
                    "or cxl:NAME (a [CXLRegion NAME] section)",
                    v);
}

static int parse_mount_options(const RawSection *s, char **ret, char **ret_error) {
        const char *v = s->values[CONFIG_NAMESPACE_MOUNT_OPTIONS].value;
        const ConfigSource *at = raw_where(s, CONFIG_NAMESPACE_MOUNT_OPTIONS);

        *ret = NULL;
        if (!v)
                return 0;
        for (const char *p = v;;) {
                size_t n = strcspn(p, ",");

                if (n == 0)
                        return fail(ret_error, -EINVAL, at, "MountOptions",
                                    "'%s' has an empty option: separate options by single commas", v);
                if (strcspn(p, " \t") < n)
                        return fail(ret_error, -EINVAL, at, "MountOptions",
                                    "'%s' contains white space: separate options by commas only", v);
                if ((n == 3 || (n > 3 && p[3] == '=')) && strncmp(p, "dax", 3) == 0)
                        return fail(ret_error, -EINVAL, at, "MountOptions",
                                    "'%.*s' is not allowed here: DAX= is the key for it (always or inode)",
                                    (int) n, p);
                if (!p[n])
                        break;
                p += n + 1;
        }
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

/* Mode=: required, and one daxmgr manages. */
static int namespace_mode(const RawSection *s, ConfigNamespace *ns, char **ret_error) {
        static const char *const modes[] = { "fsdax", "devdax", "raw" };
        const RawValue *v = s->values;
        int r;

        r = required(s, CONFIG_NAMESPACE_MODE, "fsdax, devdax or raw", ret_error);
        if (r < 0)
                return r;
        ns->mode = namespace_mode_from_string(v[CONFIG_NAMESPACE_MODE].value);
        if (ns->mode == NAMESPACE_MODE_SECTOR)
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_MODE), "Mode",
                            "sector mode (BTT) is not managed by daxmgr: use fsdax, devdax or raw");
        if (ns->mode < 0)
                return choice_error(ret_error, s, CONFIG_NAMESPACE_MODE, modes, ELEMENTSOF(modes), "a mode");
        return 0;
}

/* The layout keys: Size=, and Align= and Map= (fsdax and devdax only). */
static int namespace_layout(const RawSection *s, ConfigNamespace *ns, const char *origin, char **ret_error) {
        const RawValue *v = s->values;
        int r;

        r = required(s, CONFIG_NAMESPACE_SIZE,
                     "bytes with K, M, G or T (16G), a percentage of the region (50%), "
                     "or rest",
                     ret_error);
        if (r < 0)
                return r;
        {
                _cleanup_free_ char *e = NULL;

                r = size_spec_parse(v[CONFIG_NAMESPACE_SIZE].value, &ns->size, &e);
                if (r < 0)
                        return fail(ret_error, r, raw_where(s, CONFIG_NAMESPACE_SIZE), "Size", "%s",
                                    e ?: "not a size");
        }

        if (v[CONFIG_NAMESPACE_ALIGN].value) {
                const char *a = v[CONFIG_NAMESPACE_ALIGN].value;
                uint64_t b;

                if (ns->mode == NAMESPACE_MODE_RAW)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_ALIGN), "Align",
                                    "applies to fsdax and devdax namespaces only (%s)", origin);
                if (size_parse_bytes(a, &b, NULL) < 0 || (b != 4 * KiB && b != 2 * MiB && b != GiB))
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_ALIGN), "Align",
                                    "'%s' is not an alignment the kernel offers: use 4K, 2M or 1G", a);
                ns->align = b;
        }
        if (v[CONFIG_NAMESPACE_MAP].value) {
                if (ns->mode == NAMESPACE_MODE_RAW)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_MAP), "Map",
                                    "applies to fsdax and devdax namespaces only (%s)", origin);
                ns->map = pfn_map_from_string(v[CONFIG_NAMESPACE_MAP].value);
                if (ns->map < 0) {
                        static const char *const maps[] = { "mem", "dev" };

                        return choice_error(ret_error, s, CONFIG_NAMESPACE_MAP, maps, ELEMENTSOF(maps),
                                            "a place for the struct pages");
                }
        }
        return 0;
}

/* The keys of one mode set in a namespace of another. */
static int namespace_other_mode_keys(const RawSection *s, const ConfigNamespace *ns, const char *origin,
                                     char **ret_error) {
        static const ConfigNamespaceKey fsdax_keys[] = { CONFIG_NAMESPACE_FILESYSTEM,
                                                         CONFIG_NAMESPACE_MOUNT_POINT, CONFIG_NAMESPACE_DAX,
                                                         CONFIG_NAMESPACE_MOUNT_OPTIONS };
        static const ConfigNamespaceKey devdax_keys[] = { CONFIG_NAMESPACE_OWNER, CONFIG_NAMESPACE_GROUP,
                                                          CONFIG_NAMESPACE_PERMISSIONS,
                                                          CONFIG_NAMESPACE_SYSTEM_RAM };
        const RawValue *v = s->values;

        for (size_t i = 0; i < ELEMENTSOF(fsdax_keys); i++)
                if (ns->mode != NAMESPACE_MODE_FSDAX && v[fsdax_keys[i]].value)
                        return fail(ret_error, -EINVAL, raw_where(s, fsdax_keys[i]),
                                    raw_key_name(s, fsdax_keys[i]), "applies to fsdax namespaces only (%s)",
                                    origin);
        for (size_t i = 0; i < ELEMENTSOF(devdax_keys); i++)
                if (ns->mode != NAMESPACE_MODE_DEVDAX && v[devdax_keys[i]].value)
                        return fail(ret_error, -EINVAL, raw_where(s, devdax_keys[i]),
                                    raw_key_name(s, devdax_keys[i]),
                                    "applies to devdax namespaces only (%s)", origin);
        return 0;
}

/* The fsdax keys: the file system and its mount. */
static int namespace_fsdax_keys(Parser *p, const RawSection *s, ConfigNamespace *ns, char **ret_error) {
        const RawValue *v = s->values;
        const char *why;
        int r;

        if (v[CONFIG_NAMESPACE_FILESYSTEM].value) {
                ns->filesystem = fs_type_from_string(v[CONFIG_NAMESPACE_FILESYSTEM].value);
                if (ns->filesystem < 0)
                        return choice_error(ret_error, s, CONFIG_NAMESPACE_FILESYSTEM, fs_type_table,
                                            _FS_TYPE_MAX, "a file system daxmgr makes");
        }
        if (v[CONFIG_NAMESPACE_DAX].value) {
                static const char *const daxes[] = { "always", "inode" };

                ns->dax = dax_mode_from_string(v[CONFIG_NAMESPACE_DAX].value);
                if (ns->dax == DAX_MODE_NEVER)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_DAX), "DAX",
                                    "never would defeat the purpose of pmem: use always or inode");
                if (ns->dax < 0)
                        return choice_error(ret_error, s, CONFIG_NAMESPACE_DAX, daxes, ELEMENTSOF(daxes),
                                            "a DAX mode");
        }
        r = parse_mount_options(s, &ns->mount_options, ret_error);
        if (r < 0)
                return r;
        if (v[CONFIG_NAMESPACE_MOUNT_POINT].value) {
                if (ns->filesystem == FS_TYPE_NONE)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_MOUNT_POINT),
                                    "MountPoint", "Filesystem=none leaves nothing to mount");
                r = path_normalize(v[CONFIG_NAMESPACE_MOUNT_POINT].value, true, &ns->mount_point, &why);
                if (r == -EINVAL)
                        return fail(ret_error, r, raw_where(s, CONFIG_NAMESPACE_MOUNT_POINT), "MountPoint",
                                    "'%s' %s", v[CONFIG_NAMESPACE_MOUNT_POINT].value, why);
                if (r < 0)
                        return r;
        } else
                for (unsigned k = CONFIG_NAMESPACE_DAX; k <= CONFIG_NAMESPACE_MOUNT_OPTIONS; k++)
                        if (v[k].value) {
                                r = parser_warn(p, raw_where(s, k), raw_key_name(s, k),
                                                "has no effect: [Namespace %s] has no MountPoint=", s->name);
                                if (r < 0)
                                        return r;
                        }
        return 0;
}

/* Permissions= of the /dev/daxX.Y node of a devdax namespace. */
static int namespace_permissions(Parser *p, const RawSection *s, ConfigNamespace *ns, char **ret_error) {
        const RawValue *v = s->values;
        const char *m = v[CONFIG_NAMESPACE_PERMISSIONS].value;
        mode_t mode = 0;
        size_t n = strlen(m);
        int r;

        if (n == 0 || n > 4 || strspn(m, "01234567") != n)
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_PERMISSIONS), "Permissions",
                            "'%s' is not an octal mode such as 0660 (at most 0777)", m);
        for (size_t i = 0; i < n; i++)
                mode = mode * 8 + (mode_t) (m[i] - '0');
        if (mode > 0777)
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_PERMISSIONS), "Permissions",
                            "'%s' has bits beyond the permissions (at most 0777): no setuid, "
                            "setgid or sticky bits on a device",
                            m);
        if (mode & 0002) {
                r = parser_warn(p, raw_where(s, CONFIG_NAMESPACE_PERMISSIONS), "Permissions",
                                "%04o lets every user of the machine write the pmem of namespace %s",
                                (unsigned) mode, s->name);
                if (r < 0)
                        return r;
        }
        ns->permissions = mode;
        return 0;
}

/* The devdax keys: system RAM, or the owner, group and mode of the /dev/daxX.Y node. */
static int namespace_devdax_keys(Parser *p, const RawSection *s, ConfigNamespace *ns, char **ret_error) {
        const RawValue *v = s->values;

        if (v[CONFIG_NAMESPACE_SYSTEM_RAM].value) {
                ns->system_ram = config_system_ram_from_string(v[CONFIG_NAMESPACE_SYSTEM_RAM].value);
                if (ns->system_ram < 0)
                        return choice_error(ret_error, s, CONFIG_NAMESPACE_SYSTEM_RAM,
                                            config_system_ram_table, _CONFIG_SYSTEM_RAM_MAX,
                                            "a system-RAM setting");
        }
        for (unsigned k = CONFIG_NAMESPACE_OWNER; k <= CONFIG_NAMESPACE_PERMISSIONS; k++)
                if (v[k].value && ns->system_ram != CONFIG_SYSTEM_RAM_NO)
                        return fail(ret_error, -EINVAL, raw_where(s, k), raw_key_name(s, k),
                                    "applies to the /dev/daxX.Y node, which a namespace with "
                                    "SystemRAM=%s does not keep",
                                    config_system_ram_table[ns->system_ram]);
        for (unsigned k = CONFIG_NAMESPACE_OWNER; k <= CONFIG_NAMESPACE_GROUP; k++) {
                if (!v[k].value)
                        continue;
                if (!user_name_is_valid(v[k].value))
                        return fail(ret_error, -EINVAL, raw_where(s, k), raw_key_name(s, k),
                                    "'%s' is not a %s name or number", v[k].value,
                                    k == CONFIG_NAMESPACE_OWNER ? "user" : "group");
                if (k == CONFIG_NAMESPACE_OWNER)
                        ns->owner = strdup(v[k].value);
                else
                        ns->group = strdup(v[k].value);
                if (!(k == CONFIG_NAMESPACE_OWNER ? ns->owner : ns->group))
                        return -ENOMEM;
        }
        if (v[CONFIG_NAMESPACE_PERMISSIONS].value)
                return namespace_permissions(p, s, ns, ret_error);
        return 0;
}

int validate_namespace(Parser *p, const RawSection *s, ConfigNamespace *ns, char **ret_error) {
        const RawValue *v = s->values;
        _cleanup_free_ char *origin = NULL;
        int r;

        *ns = (ConfigNamespace){
                .region = { .kind = CONFIG_REGION_ANY },
                .map = PFN_MAP_DEV,
                .filesystem = FS_TYPE_XFS,
                .dax = DAX_MODE_ALWAYS,
                .permissions = (mode_t) -1,
                .system_ram = CONFIG_SYSTEM_RAM_NO,
                .section = s->where,
        };
        ns->name = strdup(s->name);
        if (!ns->name)
                return -ENOMEM;
        for (size_t k = 0; k < _CONFIG_NAMESPACE_KEY_MAX; k++)
                if (v[k].value)
                        ns->where[k] = v[k].where;

        r = parse_region(p->config, s, &ns->region, ret_error);
        if (r < 0)
                return r;

        r = namespace_mode(s, ns, ret_error);
        if (r < 0)
                return r;
        origin = mode_origin(s);
        if (!origin)
                return -ENOMEM;

        r = namespace_layout(s, ns, origin, ret_error);
        if (r < 0)
                return r;
        r = bool_value(s, CONFIG_NAMESPACE_DESTROY, false, &ns->destroy, ret_error);
        if (r < 0)
                return r;
        r = namespace_other_mode_keys(s, ns, origin, ret_error);
        if (r < 0)
                return r;

        if (ns->mode == NAMESPACE_MODE_FSDAX)
                return namespace_fsdax_keys(p, s, ns, ret_error);
        if (ns->mode == NAMESPACE_MODE_DEVDAX)
                return namespace_devdax_keys(p, s, ns, ret_error);
        return 0;
}
