/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "model.h"
#include "parse-util.h"
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

int placement_align_note(const char *program, char *const *raised, char **ret) {
        _cleanup_free_ char *list = NULL;
        char *s;
        size_t n = 0;

        if (!program || !ret)
                return -EINVAL;
        for (size_t i = 0; raised && raised[i]; i++) {
                _cleanup_free_ char *phdr = NULL, *item = NULL;
                const char *space = strchr(raised[i], ' ');
                uint32_t index;
                uint64_t was;
                char *l;

                if (space)
                        phdr = strndup(raised[i], (size_t) (space - raised[i]));
                if (space && !phdr)
                        return -ENOMEM;
                if (phdr && parse_u32(phdr, 10, &index) >= 0 && parse_u64(space + 1, 10, &was) >= 0)
                        item = asprintf_safe("%" PRIu32 ", was %" PRIu64, index, was);
                else
                        item = strdup(raised[i]);
                if (!item)
                        return -ENOMEM;
                l = asprintf_safe("%s%s%s", list ?: "", list ? "; " : "", item);
                if (!l)
                        return -ENOMEM;
                free(list);
                list = l;
                n++;
        }
        if (n == 0) {
                *ret = NULL;
                return 0;
        }
        s = asprintf_safe("%s: p_align raised to 2 MiB in its copy (program header%s %s): the base address "
                          "of this program is 2 MiB-aligned, 9 fewer random bits (docs/XIP.md)",
                          program, n > 1 ? "s" : "", list);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
