/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The machine's memory as far as dax devices are concerned, read from sysfs (below a root
 * directory, so that unit tests replay recorded trees from tests/unit/fixtures/):
 *
 *  - the kernel's auto-online policy, /sys/devices/system/memory/auto_online_blocks: what the
 *    kernel does with memory that is hot-added, a dax device bound to kmem included, before
 *    any daemon runs ("offline", "online", "online_movable", "online_kernel");
 *  - the memory tiers, /sys/devices/virtual/memory_tiering/memory_tierN/nodelist (Linux >=
 *    6.1): DRAM is memory_tier4 (adistance 512 / 128), kmem-onlined dax memory on a node of its
 *    own lands in a slower tier (memory_tier22 by default);
 *  - every dax device, /sys/bus/dax/devices/daxX.Y, whoever made it: its provider (an nd
 *    namespace, a soft-reserved "hmem" range, a CXL region), physical range, target node, the
 *    driver bound (device_dax = devdax, kmem = system-ram) and, for system-ram, its memory
 *    blocks: how many are online, in which zone, on which node.
 *
 * Pure reading: nothing is written. A missing file is "unknown", not an error (old kernels have
 * no memory tiers, a kernel without memory hot-plug has no auto_online_blocks). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "model.h"

typedef struct MemoryTier {
        unsigned id;    /* N of memory_tierN */
        char *nodelist; /* "0", "1-2,4": as the kernel shows it */
} MemoryTier;

typedef struct DaxDev {
        char *name; /* "dax1.0": not stable across boots */
        DaxProvider provider;
        char *parent;      /* "region1" (nd), "hmem.0", "region0" (cxl): the sysfs parent's name */
        uint64_t resource; /* physical start; UINT64_MAX when the kernel does not say */
        uint64_t size;
        uint64_t align;   /* 0 when unknown */
        int target_node;  /* the node its memory belongs to; -1 when unknown */
        char *driver;     /* "device_dax", "kmem", or NULL when unbound */
        bool system_ram;  /* bound to kmem */
        unsigned blocks;  /* system-ram: memory blocks the range covers */
        unsigned online;  /* … of which online */
        unsigned movable; /* … of which online in ZONE_MOVABLE */
        int node;         /* system-ram: the node its online blocks are on (-1 none, -2 several) */
        int tier;         /* the memory tier of that node (or of target_node), -1 when unknown */
} DaxDev;

typedef struct MemoryPlatform {
        char *auto_online;   /* auto_online_blocks; NULL when the kernel has no such file */
        uint64_t block_size; /* block_size_bytes; 0 when unknown */
        MemoryTier *tiers;   /* sorted by id */
        size_t n_tiers;
        DaxDev *devs; /* sorted by name */
        size_t n_devs;
} MemoryPlatform;

MemoryPlatform *memory_platform_free(MemoryPlatform *p);
static inline void memory_platform_freep(MemoryPlatform **p) {
        memory_platform_free(*p);
}
#define _cleanup_memory_platform_ _cleanup_(memory_platform_freep)

/* Reads it all below @root ("" or "/" for the system; a directory in tests). Errors only for
 * memory and a @root that cannot be opened. */
int memory_platform_read(const char *root, MemoryPlatform **ret, char **ret_error);

/* The tier whose nodelist holds @node, or -1. */
int memory_tier_of_node(const MemoryPlatform *p, int node);

/* Is @node in a kernel nodelist such as "0-2,4"? */
bool memory_nodelist_has(const char *nodelist, int node);

const DaxDev *memory_platform_find(const MemoryPlatform *p, const char *name);

/* One line for people and for the bus (Manager.DaxDevices): "dax1.0 hmem system-ram
 * resource=0x140000000 size=536870912 node=1 tier=22 online=4/4 zone=movable". */
int dax_dev_describe(const DaxDev *d, char **ret);
