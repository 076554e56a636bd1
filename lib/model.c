/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "model.h"
#include "string-table.h"

static const char *const namespace_mode_table[_NAMESPACE_MODE_MAX] = {
        [NAMESPACE_MODE_RAW] = "raw",
        [NAMESPACE_MODE_SECTOR] = "sector",
        [NAMESPACE_MODE_FSDAX] = "fsdax",
        [NAMESPACE_MODE_DEVDAX] = "devdax",
};
DEFINE_STRING_TABLE_LOOKUP(namespace_mode, NamespaceMode)

static const char *const pfn_map_table[_PFN_MAP_MAX] = {
        [PFN_MAP_MEM] = "mem",
        [PFN_MAP_DEV] = "dev",
};
DEFINE_STRING_TABLE_LOOKUP(pfn_map, PfnMap)

bool namespace_name_is_valid(const char *name) {
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > NAMESPACE_NAME_MAX)
                return false;
        for (const char *p = name; *p; p++)
                if (*p <= ' ' || *p > '~' || *p == '/')
                        return false;
        return true;
}

static const char *const dax_mode_table[_DAX_MODE_MAX] = {
        [DAX_MODE_NEVER] = "never",
        [DAX_MODE_ALWAYS] = "always",
        [DAX_MODE_INODE] = "inode",
};
DEFINE_STRING_TABLE_LOOKUP(dax_mode, DaxMode)

DaxMode dax_mount_mode_from_string(const char *s) {
        DaxMode m = dax_mode_from_string(s);

        return m == DAX_MODE_NEVER ? -EINVAL : m;
}

static const char *const devdax_mode_table[_DEVDAX_MODE_MAX] = {
        [DEVDAX_MODE_DEVDAX] = "devdax",
        [DEVDAX_MODE_SYSTEM_RAM] = "system-ram",
};
DEFINE_STRING_TABLE_LOOKUP(devdax_mode, DevdaxMode)

const char *const fs_type_table[_FS_TYPE_MAX] = {
        [FS_TYPE_XFS] = "xfs",
        [FS_TYPE_EXT4] = "ext4",
        [FS_TYPE_NONE] = "none",
};
DEFINE_STRING_TABLE_LOOKUP(fs_type, FsType)

static const char *const dax_provider_table[_DAX_PROVIDER_MAX] = {
        [DAX_PROVIDER_ND] = "nd",
        [DAX_PROVIDER_HMEM] = "hmem",
        [DAX_PROVIDER_CXL] = "cxl",
        [DAX_PROVIDER_OTHER] = "other",
};
DEFINE_STRING_TABLE_LOOKUP(dax_provider, DaxProvider)
