/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pmem topology snapshot: one immutable picture of regions, DIMMs, namespaces, their dax
 * devices, the filesystem on each fsdax block device (libblkid) and where it is mounted
 * (libmount), taken with libndctl and libdaxctl. Take a new snapshot after a change; never
 * edit one. Field names follow `ndctl list -v` where the same thing is meant, so the two can
 * be compared field by field. Serialises to and from JSON (json-c), which is also how tests
 * feed captured topologies to pure code. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "context.h"
#include "size.h"

struct json_object;

typedef struct TopoMount {
        char *target;
        char *fstype;
        char *options; /* VFS and superblock options as the kernel shows them */
        char *dax;     /* "always", "inode", "never" or NULL: the dax option in effect */
} TopoMount;

typedef struct TopoFilesystem {
        char *type; /* blkid TYPE: "xfs", "ext4", … */
        char *uuid;
        char *label;
} TopoFilesystem;

typedef struct TopoDaxDevice {
        char *chardev; /* "dax0.0" */
        uint64_t size;
        uint64_t align;
        char *mode;   /* "devdax" or "system-ram" */
        bool online;  /* system-ram: its memory is online */
        bool movable; /* system-ram: online as ZONE_MOVABLE */
        int target_node;
} TopoDaxDevice;

typedef struct TopoNamespace {
        char *dev; /* "namespace0.0": not stable across boots */
        /* The uuid `ndctl list -N` prints: the info block's of an fsdax (pfn), devdax (dax) or
         * sector (btt) namespace, the label's of a raw one; NULL for a label-less raw one. A new
         * info block (a mode change) gets a new one. */
        char *uuid;
        /* The label's uuid (`ndctl list -N -v`: "raw_uuid", which ndctl leaves out for raw
         * namespaces, where it is "uuid"): stable across mode changes; NULL without a label. */
        char *raw_uuid;
        char *name; /* alt_name from the label; NULL if none */
        NamespaceMode mode;
        PfnMap map;    /* fsdax/devdax: where the struct pages are */
        uint64_t size; /* usable size, as ndctl shows it (after the pfn info block) */
        uint64_t raw_size;
        uint64_t align;             /* pfn/dax alignment; 0 for raw/sector */
        uint64_t resource;          /* physical start */
        unsigned sector_size;       /* as ndctl shows it (512 when the kernel leaves it out); 0 for devdax */
        int target_node;            /* -1 when unknown */
        bool enabled;               /* active: itself or its claim (pfn, dax, btt) bound to a driver */
        char *blockdev;             /* "pmem0" (fsdax, raw, sector) */
        TopoFilesystem *filesystem; /* on blockdev, if any */
        TopoMount *mounts;
        size_t n_mounts;
        TopoDaxDevice *daxdev; /* devdax */
        int numa_node;
} TopoNamespace;

/* What kind of pmem a region is. The kernel does not say it in one attribute; its nd bus's
 * provider name (ndctl_bus_get_provider(), `ndctl list -B`) does, each pmem driver naming its bus:
 * region_kind_from_provider() holds the names. */
typedef enum RegionKind {
        REGION_KIND_NVDIMM,      /* "ACPI.NFIT": NVDIMMs the firmware's NFIT describes (QEMU's nvdimm) */
        REGION_KIND_VIRTIO_PMEM, /* "virtio-pmem": a VM's virtio-pmem device, host memory (async flush) */
        REGION_KIND_E820,        /* "e820": legacy pmem, memmap=SIZE!START or e820 type 12 */
        REGION_KIND_CXL,         /* "CXL": a CXL pmem region, through the cxl_pmem nvdimm bridge */
        REGION_KIND_UNKNOWN,     /* any other (of_pmem, papr_scm…): shown, never changed */
        _REGION_KIND_MAX,
        _REGION_KIND_INVALID = -EINVAL,
} RegionKind;

const char *region_kind_to_string(RegionKind k);
RegionKind region_kind_from_string(const char *s);
/* The kind of a region on the nd bus whose provider is @provider (NULL: unknown). */
RegionKind region_kind_from_provider(const char *provider);
/* Whether the kernel grants MAP_SYNC on DAX files of a region of this kind: 1 yes, 0 no (virtio-pmem:
 * its flush is asynchronous, a request to the host, so the kernel refuses MAP_SYNC with EOPNOTSUPP and
 * only fsync()/msync() make writes durable), -1 not known. */
int region_kind_map_sync(RegionKind k);
/* When the kernel's answer to a MAP_SYNC mapping of a DAX file on a region of kind @k (@granted: 1
 * granted, 0 refused, negative not tried) contradicts the kind, what it means for a program, in
 * one sentence; NULL when it does not. The one contradiction seen: the kernel grants MAP_SYNC on
 * virtio-pmem when the region's dax device carries a stale "synchronous" flag (the kernel's
 * dax_cache does not clear the flags of a recycled dax device, so one that reuses a freed
 * NVDIMM's comes up synchronous). Stores through such a mapping are still not durable without
 * fsync() or msync(). */
const char *region_kind_map_sync_contradiction(RegionKind k, int granted);
/* How writes to a region of kind @k reach persistence, as the Flush property says it:
 * "synchronous", "asynchronous" or "unknown" (region_kind_map_sync()). */
const char *region_flush(RegionKind k);

typedef struct TopoRegion {
        char *dev;  /* "region0" */
        char *type; /* "pmem" */
        RegionKind kind;
        char *provider; /* its nd bus's provider ("ACPI.NFIT", "virtio-pmem", "e820", "CXL") */
        uint64_t size, available_size, max_available_extent;
        uint64_t align;
        uint64_t resource;
        unsigned interleave_ways;
        unsigned mappings;
        int numa_node;
        char *persistence_domain; /* "cpu_cache", "memory_controller", "none", "unknown" */
        bool labelled;            /* has a label area: several namespaces, names, uuids */
        bool enabled;
        bool read_only;
        uint64_t *supported_alignments; /* of the region's pfn/dax seeds */
        size_t n_supported_alignments;
        char **dimms; /* "nmem0", … */
        size_t n_dimms;
        TopoNamespace *namespaces; /* configured ones only: seeds and idle ones are left out */
        size_t n_namespaces;
} TopoRegion;

typedef struct TopoDimm {
        char *dev; /* "nmem0" */
        uint32_t handle;
        uint32_t phys_id;
        char *serial; /* hex, as ndctl shows it; NULL when the platform gives none */
        char *unique_id;
} TopoDimm;

/* CXL (libcxl, the field names of `cxl list -v`): the devices below the nd regions. A CXL
 * memory device's persistent capacity becomes an nd region only once a CXL region is made from
 * it (cxl create-region, or a [CXLRegion] section) and enabled. */
typedef struct TopoCxlMemdev {
        char *memdev;   /* "mem0": not stable across boots */
        char *serial;   /* "0x…", as daxmgr spells serials; the device's stable identity */
        char *host;     /* its PCI device, "0000:35:00.0" */
        char *endpoint; /* its endpoint port, "endpoint2"; NULL while the port is not there */
        uint64_t pmem_size, ram_size, label_size;
        int numa_node;
} TopoCxlMemdev;

typedef enum TopoCxlDecoderKind {
        TOPO_CXL_DECODER_ROOT,     /* a CXL fixed memory window (CFMWS) of the platform */
        TOPO_CXL_DECODER_SWITCH,   /* a host bridge's or switch's */
        TOPO_CXL_DECODER_ENDPOINT, /* a memory device's: maps device (DPA) capacity */
        _TOPO_CXL_DECODER_KIND_MAX,
        _TOPO_CXL_DECODER_KIND_INVALID = -EINVAL,
} TopoCxlDecoderKind;

/* "root", "switch", "endpoint". */
const char *topo_cxl_decoder_kind_to_string(TopoCxlDecoderKind k) _pure_;
TopoCxlDecoderKind topo_cxl_decoder_kind_from_string(const char *s) _pure_;

typedef struct TopoCxlDecoder {
        char *decoder; /* "decoder0.0" */
        char *port;    /* "root0", "port1", "endpoint2" */
        TopoCxlDecoderKind kind;
        uint64_t resource, size; /* host physical address window (0 size: unused) */
        unsigned interleave_ways, interleave_granularity;
        int nr_targets;
        char *region; /* the CXL region it takes part in, or NULL */
        /* root */
        bool pmem_capable, volatile_capable;
        uint64_t max_available_extent; /* the largest free extent of the window */
        /* endpoint */
        char *memdev;
        char *mode; /* "none", "ram", "pmem", "mixed" */
        uint64_t dpa_resource, dpa_size;
} TopoCxlDecoder;

typedef struct TopoCxlPort {
        char *port;   /* "root0", "port1", "endpoint2" */
        char *host;   /* "ACPI0017:00", "pci0000:34", "mem0" */
        char *parent; /* NULL for a root */
        int depth;
} TopoCxlPort;

typedef struct TopoCxlRegion {
        char *region;  /* "region0": the CXL region, not the nd region (their numbers differ) */
        char *uuid;    /* pmem regions carry one; daxmgr derives it from its section's name */
        char *type;    /* "pmem", "ram" (from its endpoint decoders' mode) */
        char *decoder; /* the root decoder it lives in */
        uint64_t resource, size;
        unsigned interleave_ways, interleave_granularity;
        bool committed; /* decode_state "commit" */
        bool enabled;   /* bound to the cxl_region driver: its nd (or dax) region exists */
        char **targets; /* endpoint decoders, in position order */
        size_t n_targets;
        char **memdevs; /* their memdevs, the same order */
        size_t n_memdevs;
        char *nd_region; /* the nd region it produced ("region1", same resource), or NULL */
} TopoCxlRegion;

typedef struct TopoCxl {
        char **buses; /* "root0" */
        size_t n_buses;
        TopoCxlPort *ports;
        size_t n_ports;
        TopoCxlMemdev *memdevs;
        size_t n_memdevs;
        TopoCxlDecoder *decoders;
        size_t n_decoders;
        TopoCxlRegion *regions;
        size_t n_regions;
} TopoCxl;

typedef struct Topology {
        char *provider; /* the first nd bus's provider, "ACPI.NFIT"; each region has its own */
        TopoRegion *regions;
        size_t n_regions;
        TopoDimm *dimms;
        size_t n_dimms;
        TopoCxl cxl; /* all empty without CXL (or without libcxl's view of it) */
} Topology;

Topology *topology_free(Topology *t);
static inline void topology_freep(Topology **t) {
        topology_free(*t);
}
#define _cleanup_topology_ __attribute__((cleanup(topology_freep)))

typedef enum TopologyFlags {
        TOPOLOGY_NO_FILESYSTEMS = 1 << 0, /* skip libblkid and libmount: regions and namespaces only */
} TopologyFlags;

/* Walks the kernel's state through libndctl/libdaxctl (after dropping their caches), libblkid
 * and libmount. No pmem at all gives an empty topology, not an error. */
int topology_snapshot(DaxContext *c, TopologyFlags flags, Topology **ret, char **ret_error);

struct json_object *topology_to_json(const Topology *t);
int topology_from_json(struct json_object *j, Topology **ret, char **ret_error);

const TopoRegion *topology_find_region(const Topology *t, const char *dev);
/* Is @r the kernel's region@number ("region0" for 0): how a configuration's Region=N names it. */
bool topo_region_is(const TopoRegion *r, uint32_t number);
/* By any key ns-key.h accepts: label name, kernel name ("namespace0.0"), block or character
 * device ("pmem0", "/dev/pmem0", "dax0.0", "/dev/dax0.0"), uuid or raw uuid. -ENOENT if none,
 * -ENOTUNIQ if the key names several namespaces (in whatever forms), with a sentence naming
 * them in *ret_error (optional). */
int topology_lookup_namespace(const Topology *t, const char *key, const TopoRegion **ret_region,
                              const TopoNamespace **ret_ns, char **ret_error);
/* The same, without the sentence. */
int topology_find_namespace(const Topology *t, const char *key, const TopoRegion **ret_region,
                            const TopoNamespace **ret_ns);

const TopoCxlMemdev *topology_find_cxl_memdev(const Topology *t, const char *memdev);
const TopoCxlDecoder *topology_find_cxl_decoder(const Topology *t, const char *decoder);
/* The CXL region whose uuid is @uuid (lower-case text), or NULL. */
const TopoCxlRegion *topology_find_cxl_region_by_uuid(const Topology *t, const char *uuid);
/* The CXL region behind nd region @r (same resource), or NULL. */
const TopoCxlRegion *topology_cxl_region_of(const Topology *t, const TopoRegion *r);
void topo_cxl_done(TopoCxl *c);

/* 0 for a region of a kind daxmgr manages; for one of an unknown kind, -EOPNOTSUPP with a
 * sentence in *ret_error (optional) saying that daxmgr leaves it alone, @what being the refused
 * change ("create a namespace in"). */
int topo_region_check_managed(const TopoRegion *r, const char *what, char **ret_error);

/* The region's shape for the size planner. Pointers inside refer to @r. */
RegionShape topo_region_shape(const TopoRegion *r);

/* Does @r answer a configuration's Region= (any, regionN, numa:N, dimm:SERIAL, cxl:NAME)? */
bool topo_region_matches(const Topology *t, const TopoRegion *r, const ConfigRegion *want);

/* Where a new namespace goes: the first region of @t that @want matches (NULL: any) with room
 * for @req. Regions of a kind daxmgr does not know, and label-less regions (whose one namespace
 * belongs to a section naming the region), are never picked. The one choice of the planner and
 * of namespace_create() without a region. */
typedef struct RegionPick {
        const TopoRegion *region; /* NULL: none has room */
        NamespacePlan plan;       /* the size plan in it */
        size_t n_candidates;      /* regions @want matched */
        size_t n_unknown;         /* of those, of a kind daxmgr does not know */
        char *why;                /* none picked: each candidate's reason, "region0 has …; region1
                                   * …"; NULL when there was no candidate */
} RegionPick;

void region_pick_done(RegionPick *p);

/* 0 (picked or not: see @ret), or -ENOMEM. */
int topology_pick_region(const Topology *t, const ConfigRegion *want, const NamespaceRequest *req,
                         RegionPick *ret);
