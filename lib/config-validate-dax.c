/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Validation of [DaxDevice NAME] sections (the dax devices daxmgr did not make): raw strings →
 * ConfigDaxDevice, and the rule between them. */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "config-internal.h"
#include "model.h"
#include "parse-util.h"

/* Owner=, Group=, Permissions= of a devdax node (both section types use the same words). */
static int devdax_access_keys(Parser *p, const RawSection *s, unsigned owner_key, unsigned group_key,
                              unsigned perm_key, char **ret_owner, char **ret_group, mode_t *ret_perm,
                              char **ret_error) {
        const RawValue *v = s->values;
        int r;

        for (unsigned k = owner_key; k <= group_key; k++) {
                char *d;

                if (!v[k].value)
                        continue;
                if (!user_name_is_valid(v[k].value))
                        return fail(ret_error, -EINVAL, raw_where(s, k), raw_key_name(s, k),
                                    "'%s' is not a %s name or number", v[k].value,
                                    k == owner_key ? "user" : "group");
                d = strdup(v[k].value);
                if (!d)
                        return -ENOMEM;
                free(k == owner_key ? *ret_owner : *ret_group);
                *(k == owner_key ? ret_owner : ret_group) = d;
        }
        if (v[perm_key].value) {
                const char *m = v[perm_key].value;
                mode_t mode = 0;
                size_t n = strlen(m);

                if (n == 0 || n > 4 || strspn(m, "01234567") != n)
                        return fail(ret_error, -EINVAL, raw_where(s, perm_key), "Permissions",
                                    "'%s' is not an octal mode such as 0660 (at most 0777)", m);
                for (size_t i = 0; i < n; i++)
                        mode = mode * 8 + (mode_t) (m[i] - '0');
                if (mode > 0777)
                        return fail(ret_error, -EINVAL, raw_where(s, perm_key), "Permissions",
                                    "'%s' has bits beyond the permissions (at most 0777): no setuid, setgid "
                                    "or sticky bits on a device",
                                    m);
                if (mode & 0002) {
                        r = parser_warn(p, raw_where(s, perm_key), "Permissions",
                                        "%04o lets every user of the machine write the memory of %s %s",
                                        (unsigned) mode, config_section_type_table[s->type], s->name);
                        if (r < 0)
                                return r;
                }
                *ret_perm = mode;
        }
        return 0;
}

int validate_dax_device(Parser *p, const RawSection *s, ConfigDaxDevice *d, char **ret_error) {
        const RawValue *v = s->values;
        int r;

        *d = (ConfigDaxDevice){
                .provider = -1,
                .resource = UINT64_MAX,
                .target_node = -1,
                .system_ram = CONFIG_SYSTEM_RAM_NO,
                .permissions = (mode_t) -1,
                .section = s->where,
        };
        d->name = strdup(s->name);
        if (!d->name)
                return -ENOMEM;
        for (size_t k = 0; k < _CONFIG_DAX_DEVICE_KEY_MAX; k++)
                if (v[k].value)
                        d->where[k] = v[k].where;

        if (v[CONFIG_DAX_DEVICE_PROVIDER].value) {
                static const char *const providers[] = { "hmem", "cxl", "any" };
                const char *pv = v[CONFIG_DAX_DEVICE_PROVIDER].value;

                if (strcmp(pv, "nd") == 0)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_DAX_DEVICE_PROVIDER), "Provider",
                                    "the dax device of a namespace is configured in its [Namespace NAME] "
                                    "section (Mode=devdax, SystemRAM=), not here");
                if (strcmp(pv, "any") != 0) {
                        d->provider = dax_provider_from_string(pv);
                        if (d->provider != DAX_PROVIDER_HMEM && d->provider != DAX_PROVIDER_CXL)
                                return choice_error(ret_error, s, CONFIG_DAX_DEVICE_PROVIDER, providers,
                                                    ELEMENTSOF(providers), "a dax device provider");
                }
        }
        if (v[CONFIG_DAX_DEVICE_RESOURCE].value) {
                const char *rv = v[CONFIG_DAX_DEVICE_RESOURCE].value;

                if (strncmp(rv, "0x", 2) != 0 || parse_u64(rv + 2, 16, &d->resource) < 0 ||
                    d->resource == UINT64_MAX)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_DAX_DEVICE_RESOURCE), "Resource",
                                    "'%s' is not a physical address in hex such as 0x140000000 (the "
                                    "device's start, as daxctl list shows it)",
                                    rv);
        }
        if (v[CONFIG_DAX_DEVICE_TARGET_NODE].value) {
                uint32_t n;

                if (parse_u32(v[CONFIG_DAX_DEVICE_TARGET_NODE].value, 10, &n) < 0 || n > 65535)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_DAX_DEVICE_TARGET_NODE),
                                    "TargetNode", "'%s' is not a NUMA node number",
                                    v[CONFIG_DAX_DEVICE_TARGET_NODE].value);
                d->target_node = (int) n;
        }
        if (v[CONFIG_DAX_DEVICE_SIZE].value) {
                _cleanup_free_ char *e = NULL;

                r = size_parse_bytes(v[CONFIG_DAX_DEVICE_SIZE].value, &d->size, &e);
                if (r < 0 || d->size == 0)
                        return fail(ret_error, r < 0 ? r : -EINVAL, raw_where(s, CONFIG_DAX_DEVICE_SIZE),
                                    "Size", "%s", e ?: "the size of a device cannot be 0");
        }
        if (d->resource == UINT64_MAX && d->target_node < 0)
                return fail(ret_error, -EINVAL, &s->where, NULL,
                            "[DaxDevice %s] needs Resource= or TargetNode= to find its device: device names "
                            "(daxX.Y) change from boot to boot, its physical start and node do not",
                            s->name);
        if (v[CONFIG_DAX_DEVICE_SYSTEM_RAM].value) {
                d->system_ram = config_system_ram_from_string(v[CONFIG_DAX_DEVICE_SYSTEM_RAM].value);
                if (d->system_ram < 0)
                        return choice_error(ret_error, s, CONFIG_DAX_DEVICE_SYSTEM_RAM,
                                            config_system_ram_table, _CONFIG_SYSTEM_RAM_MAX,
                                            "a system-RAM setting");
        }
        for (unsigned k = CONFIG_DAX_DEVICE_OWNER; k <= CONFIG_DAX_DEVICE_PERMISSIONS; k++)
                if (v[k].value && d->system_ram != CONFIG_SYSTEM_RAM_NO)
                        return fail(ret_error, -EINVAL, raw_where(s, k), raw_key_name(s, k),
                                    "applies to the /dev/daxX.Y node, which a device with SystemRAM=%s does "
                                    "not keep",
                                    config_system_ram_table[d->system_ram]);
        return devdax_access_keys(p, s, CONFIG_DAX_DEVICE_OWNER, CONFIG_DAX_DEVICE_GROUP,
                                  CONFIG_DAX_DEVICE_PERMISSIONS, &d->owner, &d->group, &d->permissions,
                                  ret_error);
}

/* Two [DaxDevice] sections that could claim the same device: the same Resource=. */
int validate_dax_devices(const Config *c, char **ret_error) {
        for (size_t i = 0; i < c->n_dax_devices; i++)
                for (size_t j = 0; j < i; j++) {
                        const ConfigDaxDevice *a = &c->dax_devices[j], *b = &c->dax_devices[i];

                        if (a->resource != UINT64_MAX && a->resource == b->resource)
                                return fail(
                                        ret_error, -EINVAL, &b->where[CONFIG_DAX_DEVICE_RESOURCE],
                                        "Resource",
                                        "[DaxDevice %s] and [DaxDevice %s] (%s:%u) both match the device at "
                                        "%#" PRIx64 ": keep one",
                                        b->name, a->name, a->where[CONFIG_DAX_DEVICE_RESOURCE].file,
                                        a->where[CONFIG_DAX_DEVICE_RESOURCE].line, a->resource);
                }
        return 0;
}
