/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The words of the model, shared by the configuration, the planner, the daemon, the bus and
 * the CLI: namespace modes and memmap locations, the DAX mount mode, the device-DAX mode, the
 * file-system types and the providers of dax devices, each with its one string table. Pure:
 * the CLI links this without any of the libraries that act on devices. */

#include <errno.h>
#include <stdbool.h>

#include "macro.h"

typedef enum NamespaceMode {
        NAMESPACE_MODE_RAW,
        NAMESPACE_MODE_SECTOR,
        NAMESPACE_MODE_FSDAX,
        NAMESPACE_MODE_DEVDAX,
        _NAMESPACE_MODE_MAX,
        _NAMESPACE_MODE_INVALID = -EINVAL,
} NamespaceMode;

const char *namespace_mode_to_string(NamespaceMode m) _pure_;
NamespaceMode namespace_mode_from_string(const char *s) _pure_;

typedef enum PfnMap {
        PFN_MAP_MEM, /* struct pages in RAM */
        PFN_MAP_DEV, /* struct pages on the device (64 B per 4 KiB) */
        _PFN_MAP_MAX,
        _PFN_MAP_INVALID = -EINVAL,
} PfnMap;

const char *pfn_map_to_string(PfnMap m) _pure_;
PfnMap pfn_map_from_string(const char *s) _pure_;

#define NAMESPACE_NAME_MAX 63 /* the label's name field holds 64 bytes with the NUL */

/* 1 to NAMESPACE_NAME_MAX printable ASCII characters, no space and no '/'. */
bool namespace_name_is_valid(const char *name) _pure_;

/* The "dax" mount option of ext4 and xfs. */
typedef enum DaxMode {
        DAX_MODE_NEVER,
        DAX_MODE_ALWAYS,
        DAX_MODE_INODE,
        _DAX_MODE_MAX,
        _DAX_MODE_INVALID = -EINVAL,
} DaxMode;

const char *dax_mode_to_string(DaxMode m) _pure_;
DaxMode dax_mode_from_string(const char *s) _pure_;
/* The modes daxmgr mounts with, "always" or "inode": "never" is not DAX. -EINVAL for anything
 * else; the one check of the CLI's --dax, the bus's "dax" option and the worker. */
DaxMode dax_mount_mode_from_string(const char *s) _pure_;

/* What a device-DAX instance is bound to: "devdax" (device_dax) or "system-ram" (kmem). */
typedef enum DevdaxMode {
        DEVDAX_MODE_DEVDAX,
        DEVDAX_MODE_SYSTEM_RAM,
        _DEVDAX_MODE_MAX,
        _DEVDAX_MODE_INVALID = -EINVAL,
} DevdaxMode;

const char *devdax_mode_to_string(DevdaxMode m) _pure_;
DevdaxMode devdax_mode_from_string(const char *s) _pure_;

/* The file systems daxmgr makes and mounts with DAX (Format, Filesystem= in the configuration),
 * and none. */
typedef enum FsType {
        FS_TYPE_XFS,
        FS_TYPE_EXT4,
        FS_TYPE_NONE, /* none: leave the namespace unformatted (an application uses /dev/pmemN) */
        _FS_TYPE_MAX,
        _FS_TYPE_INVALID = -EINVAL,
} FsType;

/* "xfs", "ext4", "none" */
extern const char *const fs_type_table[_FS_TYPE_MAX];
const char *fs_type_to_string(FsType t) _pure_;
FsType fs_type_from_string(const char *s) _pure_;

/* Whether mkfs makes @t: xfs and ext4, not none. */
static inline bool fs_type_is_made(FsType t) {
        return t == FS_TYPE_XFS || t == FS_TYPE_EXT4;
}

/* Who made a dax device. */
typedef enum DaxProvider {
        DAX_PROVIDER_ND,    /* an nd namespace in devdax mode ([Namespace] sections) */
        DAX_PROVIDER_HMEM,  /* dax_hmem: soft-reserved memory (EFI_MEMORY_SP, HMAT, memmap=…+0xefffffff) */
        DAX_PROVIDER_CXL,   /* a CXL region's dax_region (volatile CXL memory, cxl_dax_region) */
        DAX_PROVIDER_OTHER, /* something else: shown, never touched */
        _DAX_PROVIDER_MAX,
        _DAX_PROVIDER_INVALID = -EINVAL,
} DaxProvider;

/* "nd", "hmem", "cxl", "other" */
const char *dax_provider_to_string(DaxProvider p) _pure_;
DaxProvider dax_provider_from_string(const char *s) _pure_;

/* The note `daxmgr list placements` prints under its table for a placement whose program's copy
 * had its p_align raised to 2 MiB (Placement.PAlignRaised: "PHDR WAS" each, the index of the
 * program header and the source's p_align), in *ret:
 * "/usr/bin/x: p_align raised to 2 MiB in its copy (program header 3, was 4096): the base address
 * of this program is 2 MiB-aligned, 9 fewer random bits (docs/XIP.md)". *ret is NULL when
 * @raised is empty. An entry that is not "PHDR WAS" is shown as it is. */
int placement_align_note(const char *program, char *const *raised, char **ret);
