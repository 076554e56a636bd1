/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's declarative configuration: what namespaces should exist, which of their mounts
 * hold XIP zones, and which programs are placed in them (docs/CONFIG.md is the reference).
 *
 * Files, systemd-style: the main file (/etc/daxmgr/daxmgr.conf, or if there is none the vendor's
 * /usr/lib/daxmgr/daxmgr.conf), then the drop-ins *.conf of /etc/daxmgr/daxmgr.conf.d/ and
 * /usr/lib/daxmgr/daxmgr.conf.d/ together, sorted by file name; an /etc drop-in masks a
 * /usr/lib one of the same name. A section of the same type and name in a later file merges
 * into the earlier one, later keys winning; "Key=" resets a key to its default.
 *
 * The parser is strict: every error is one sentence starting with "FILE:LINE: KEY: " (or
 * "FILE:LINE: " for a line that has no key), and duplicate keys in one section of one file are
 * warnings. Hostile input is bounded: files of at most CONFIG_FILE_MAX bytes, lines of at most
 * CONFIG_LINE_MAX bytes, CONFIG_SECTIONS_MAX sections, CONFIG_DROPINS_MAX drop-ins; NUL bytes,
 * control characters and invalid UTF-8 are refused naming the line.
 *
 * Parsing is pure (no look-ups of users, regions or paths): the daemon resolves names against
 * the system when it applies the configuration. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "model.h"
#include "size.h"

struct json_object;

#define CONFIG_FILE_MAX     (1024u * 1024u) /* bytes per file */
#define CONFIG_LINE_MAX     4096u           /* bytes per line, without the newline */
#define CONFIG_SECTIONS_MAX 1024u           /* distinct sections, all types together */
#define CONFIG_DROPINS_MAX  1024u           /* drop-in files, both directories together */
#define CONFIG_WARNINGS_MAX 100u            /* warnings kept; one more line counts the rest */

typedef enum ConfigSectionType {
        CONFIG_SECTION_NAMESPACE,
        CONFIG_SECTION_ZONE,
        CONFIG_SECTION_PLACEMENT,
        CONFIG_SECTION_CXL_REGION,
        CONFIG_SECTION_DAX_DEVICE,
        CONFIG_SECTION_METRICS, /* [Metrics]: the one section without a name */
        _CONFIG_SECTION_TYPE_MAX,
        _CONFIG_SECTION_TYPE_INVALID = -EINVAL,
} ConfigSectionType;

const char *config_section_type_to_string(ConfigSectionType t) _pure_;
ConfigSectionType config_section_type_from_string(const char *s) _pure_;

/* The keys of each section type, in the order of docs/CONFIG.md. */
typedef enum ConfigNamespaceKey {
        CONFIG_NAMESPACE_REGION,
        CONFIG_NAMESPACE_MODE,
        CONFIG_NAMESPACE_SIZE,
        CONFIG_NAMESPACE_ALIGN,
        CONFIG_NAMESPACE_MAP,
        CONFIG_NAMESPACE_FILESYSTEM,
        CONFIG_NAMESPACE_MOUNT_POINT,
        CONFIG_NAMESPACE_DAX,
        CONFIG_NAMESPACE_MOUNT_OPTIONS,
        CONFIG_NAMESPACE_OWNER,
        CONFIG_NAMESPACE_GROUP,
        CONFIG_NAMESPACE_PERMISSIONS,
        CONFIG_NAMESPACE_SYSTEM_RAM,
        CONFIG_NAMESPACE_DESTROY,
        _CONFIG_NAMESPACE_KEY_MAX,
        _CONFIG_NAMESPACE_KEY_INVALID = -EINVAL,
} ConfigNamespaceKey;

const char *config_namespace_key_to_string(ConfigNamespaceKey k) _pure_;
ConfigNamespaceKey config_namespace_key_from_string(const char *s) _pure_;

typedef enum ConfigZoneKey {
        CONFIG_ZONE_NAMESPACE,
        CONFIG_ZONE_DIRECTORY,
        _CONFIG_ZONE_KEY_MAX,
        _CONFIG_ZONE_KEY_INVALID = -EINVAL,
} ConfigZoneKey;

const char *config_zone_key_to_string(ConfigZoneKey k) _pure_;
ConfigZoneKey config_zone_key_from_string(const char *s) _pure_;

typedef enum ConfigPlacementKey {
        CONFIG_PLACEMENT_ZONE,
        CONFIG_PLACEMENT_PROGRAM,
        CONFIG_PLACEMENT_WITH_LIBRARIES,
        CONFIG_PLACEMENT_SERVICE,
        CONFIG_PLACEMENT_ENTRY_POINT,
        CONFIG_PLACEMENT_BIND_HOST,
        CONFIG_PLACEMENT_REFRESH,
        _CONFIG_PLACEMENT_KEY_MAX,
        _CONFIG_PLACEMENT_KEY_INVALID = -EINVAL,
} ConfigPlacementKey;

const char *config_placement_key_to_string(ConfigPlacementKey k) _pure_;
ConfigPlacementKey config_placement_key_from_string(const char *s) _pure_;

typedef enum ConfigCxlRegionKey {
        CONFIG_CXL_REGION_MEMDEVS,
        CONFIG_CXL_REGION_SIZE,
        CONFIG_CXL_REGION_DECODER,
        _CONFIG_CXL_REGION_KEY_MAX,
        _CONFIG_CXL_REGION_KEY_INVALID = -EINVAL,
} ConfigCxlRegionKey;

const char *config_cxl_region_key_to_string(ConfigCxlRegionKey k) _pure_;
ConfigCxlRegionKey config_cxl_region_key_from_string(const char *s) _pure_;

typedef enum ConfigDaxDeviceKey {
        CONFIG_DAX_DEVICE_PROVIDER,
        CONFIG_DAX_DEVICE_RESOURCE,
        CONFIG_DAX_DEVICE_TARGET_NODE,
        CONFIG_DAX_DEVICE_SIZE,
        CONFIG_DAX_DEVICE_SYSTEM_RAM,
        CONFIG_DAX_DEVICE_OWNER,
        CONFIG_DAX_DEVICE_GROUP,
        CONFIG_DAX_DEVICE_PERMISSIONS,
        _CONFIG_DAX_DEVICE_KEY_MAX,
        _CONFIG_DAX_DEVICE_KEY_INVALID = -EINVAL,
} ConfigDaxDeviceKey;

const char *config_dax_device_key_to_string(ConfigDaxDeviceKey k) _pure_;
ConfigDaxDeviceKey config_dax_device_key_from_string(const char *s) _pure_;

typedef enum ConfigMetricsKey {
        CONFIG_METRICS_TEXTFILE_PATH,
        _CONFIG_METRICS_KEY_MAX,
        _CONFIG_METRICS_KEY_INVALID = -EINVAL,
} ConfigMetricsKey;

const char *config_metrics_key_to_string(ConfigMetricsKey k) _pure_;
ConfigMetricsKey config_metrics_key_from_string(const char *s) _pure_;

/* Region=: "any", "regionN", "numa:N", "dimm:SERIAL", "cxl:NAME". */
typedef enum ConfigRegionKind {
        CONFIG_REGION_ANY,  /* any region with room (the default) */
        CONFIG_REGION_ID,   /* regionN: the kernel's region number */
        CONFIG_REGION_NUMA, /* numa:N: a region on NUMA node N */
        CONFIG_REGION_DIMM, /* dimm:SERIAL: the region that interleaves the DIMM with this serial */
        CONFIG_REGION_CXL,  /* cxl:NAME: the nd region of the CXL region of [CXLRegion NAME] */
        _CONFIG_REGION_KIND_MAX,
        _CONFIG_REGION_KIND_INVALID = -EINVAL,
} ConfigRegionKind;

const char *config_region_kind_to_string(ConfigRegionKind k) _pure_;
ConfigRegionKind config_region_kind_from_string(const char *s) _pure_;

typedef struct ConfigRegion {
        ConfigRegionKind kind;
        uint32_t number;   /* CONFIG_REGION_ID: N of regionN; CONFIG_REGION_NUMA: the node;
                            * CONFIG_REGION_DIMM: the serial (ndctl shows it as "0x…") */
        char cxl[64];      /* CONFIG_REGION_CXL: the [CXLRegion] section's name */
        char cxl_uuid[37]; /* …and the uuid of its region (cxl_region_uuid_from_name()) */
} ConfigRegion;

/* "any", "region1", "numa:0", "dimm:0x57341200", "cxl:fast" (the canonical spelling of @r). */
int config_region_format(const ConfigRegion *r, char **ret);

typedef enum ConfigSystemRam {
        CONFIG_SYSTEM_RAM_NO,             /* stay a /dev/daxX.Y character device */
        CONFIG_SYSTEM_RAM_ONLINE,         /* hand the capacity to the kernel, onlined normally */
        CONFIG_SYSTEM_RAM_ONLINE_MOVABLE, /* … onlined into ZONE_MOVABLE (can be taken back) */
        _CONFIG_SYSTEM_RAM_MAX,
        _CONFIG_SYSTEM_RAM_INVALID = -EINVAL,
} ConfigSystemRam;

const char *config_system_ram_to_string(ConfigSystemRam s) _pure_;
ConfigSystemRam config_system_ram_from_string(const char *s) _pure_;

/* Where a value came from. file points into Config.files; NULL when the key was not set (or
 * was reset) and the default applies. */
typedef struct ConfigSource {
        const char *file;
        unsigned line;
} ConfigSource;

typedef struct ConfigNamespace {
        char *name;           /* the namespace's label name: its identity across boots */
        ConfigSource section; /* the header where the section first appears */
        ConfigSource where[_CONFIG_NAMESPACE_KEY_MAX];

        ConfigRegion region;
        NamespaceMode mode; /* fsdax, devdax or raw */
        SizeSpec size;
        uint64_t align; /* 4 KiB, 2 MiB or 1 GiB; 0 = the default (2 MiB where offered) */
        PfnMap map;     /* fsdax/devdax; default dev (ndctl's default) */
        bool destroy;   /* the daemon may destroy or reformat it to match */

        /* fsdax */
        FsType filesystem;   /* default xfs; FS_TYPE_NONE: leave it unformatted */
        char *mount_point;   /* normalized absolute path; NULL: not mounted */
        DaxMode dax;         /* always (default) or inode */
        char *mount_options; /* extra options, comma-separated; NULL: none */

        /* devdax */
        char *owner;        /* user name or number, resolved when applied; NULL: leave */
        char *group;        /* NULL: leave */
        mode_t permissions; /* (mode_t) -1: leave */
        ConfigSystemRam system_ram;
} ConfigNamespace;

/* What the size planner and namespace_create() need of a section. */
static inline NamespaceRequest config_namespace_request(const ConfigNamespace *cn) {
        return (NamespaceRequest){ .size = cn->size, .mode = cn->mode, .map = cn->map, .align = cn->align };
}

typedef struct ConfigZone {
        char *name;
        ConfigSource section;
        ConfigSource where[_CONFIG_ZONE_KEY_MAX];

        char *namespace; /* the fsdax namespace whose mount holds the zone */
        size_t ns_index; /* its index in Config.namespaces */
        char *directory; /* normalized, relative to the mount point; default: the zone's name */
        char *path;      /* mount point + "/" + directory */
} ConfigZone;

typedef struct ConfigPlacement {
        char *name;
        ConfigSource section;
        ConfigSource where[_CONFIG_PLACEMENT_KEY_MAX];

        char *zone;
        size_t zone_index;   /* its index in Config.zones */
        char *program;       /* normalized absolute path */
        bool with_libraries; /* default no */
        char *service;       /* a "….service" unit to write a BindReadOnlyPaths= drop-in for; NULL: none */
        bool entry_point;    /* ZONE/bin entry point; default yes */
        bool bind_host;      /* host-wide read-only bind mount; default no */
        bool refresh_manual; /* Refresh=manual: a changed original makes the placement stale and a
                              * problem (activation falls back to the original) instead of being
                              * copied again at once (Refresh=auto, the default) */
} ConfigPlacement;

/* [CXLRegion NAME]: a CXL pmem region made from free capacity of CXL memory devices, what
 * `cxl create-region -t pmem` does by hand. Its uuid is derived from NAME, which is how the
 * region is known again (a namespace's Region=cxl:NAME finds its nd region that way). */
#define CONFIG_CXL_WAYS_MAX 16u
typedef struct ConfigCxlRegion {
        char *name;
        ConfigSource section;
        ConfigSource where[_CONFIG_CXL_REGION_KEY_MAX];

        /* "memN" or "serial:0x…" each, in interleave position order; none (n_memdevs 0): any one
         * memory device with room */
        char **memdevs;
        size_t n_memdevs;
        uint64_t size; /* bytes; 0: all the free capacity (Size=rest, the default) */
        char *decoder; /* a root decoder "decoderX.Y"; NULL: any that takes pmem and has room */
        char uuid[37];
} ConfigCxlRegion;

/* [DaxDevice NAME]: a dax device daxmgr did not make (soft-reserved "hmem" memory, a CXL RAM
 * region), found by what stays the same across boots: its physical start (Resource=), its
 * target node and size; the kernel's daxX.Y names do not. */
typedef struct ConfigDaxDevice {
        char *name;
        ConfigSource section;
        ConfigSource where[_CONFIG_DAX_DEVICE_KEY_MAX];

        int provider;      /* DaxProvider (memory.h) to match: hmem or cxl; -1 any of them */
        uint64_t resource; /* physical start; UINT64_MAX: any */
        int target_node;   /* -1: any */
        uint64_t size;     /* bytes; 0: any */
        ConfigSystemRam system_ram;
        char *owner; /* devdax only; NULL: leave */
        char *group;
        mode_t permissions; /* (mode_t) -1: leave */
} ConfigDaxDevice;

/* [Metrics]: what daxmgrd does with its metrics besides answering GetMetrics. */
typedef struct ConfigMetrics {
        bool present; /* the section is there */
        ConfigSource section;
        ConfigSource where[_CONFIG_METRICS_KEY_MAX];
        char *textfile_path; /* a node_exporter textfile-collector file ("….prom") daxmgrd keeps
                              * up to date; NULL: none (the default) */
} ConfigMetrics;

typedef struct Config {
        char **files; /* the files read, in the order they were applied */
        char **texts; /* their text as parsed (no NUL byte in a parsed text), for
                       * config_parse_texts(): the worker rebuilds the configuration in effect */
        size_t n_files;
        ConfigNamespace *namespaces; /* in the order of their first appearance */
        size_t n_namespaces;
        ConfigZone *zones;
        size_t n_zones;
        ConfigPlacement *placements;
        size_t n_placements;
        ConfigCxlRegion *cxl_regions;
        size_t n_cxl_regions;
        ConfigDaxDevice *dax_devices;
        size_t n_dax_devices;
        ConfigMetrics metrics;
} Config;

Config *config_free(Config *c);
static inline void config_freep(Config **c) {
        config_free(*c);
}
#define _cleanup_config_ _cleanup_(config_freep)

/* One sentence's worth of what @c holds, for daxmgrd --check-config and the daemon's log:
 * "1 CXL region(s), 2 namespace(s), 0 DAX device(s), 1 zone(s), 3 placement(s) from 2 file(s)".
 * Every section type is counted. -ENOMEM, or 0 and *ret to free. */
int config_summary(const Config *c, char **ret);

/* Loads the configuration below @root ("" or "/" for the system, a directory in tests). No file
 * at all is an empty configuration (the daemon then only observes); a @root that is not a
 * directory is an error. On success *ret gets the
 * validated configuration and *ret_warnings (optional) a NULL-terminated list of sentences
 * (free with strv_free() of format.h; NULL when there are none). On failure a negative errno
 * and one sentence: -EINVAL/-ERANGE for what the files say, or the errno of a file that
 * cannot be read, -EFBIG/-E2BIG for the bounds. */
int config_load(const char *root, Config **ret, char ***ret_warnings, char **ret_error);

/* The files config_load() reads below @root, in its order: the main file (/etc's, else the
 * vendor's; *ret_has_main says whether paths[0] is one), then the *.conf drop-ins of both
 * directories sorted by file name, /etc's masking the vendor's of the same name. Errors as
 * config_load() for the root and the directories. *ret_paths is NULL when there is no file. */
int config_files_list(const char *root, char ***ret_paths, bool *ret_has_main, char **ret_error);

/* Reads one configuration file as config_load() does: 0 and the text (NUL-terminated, *ret_size
 * bytes), -ENOENT when it does not exist or is a dangling symlink, else an error with a sentence
 * (not a regular file, larger than CONFIG_FILE_MAX). A symlink to /dev/null reads as empty. */
int config_file_read(const char *path, char **ret, size_t *ret_size, char **ret_error);

/* Parses and validates one text as if it were the only file, named @filename in messages.
 * @size is its length in bytes (it may contain NUL bytes, which are refused). */
int config_parse_text(const char *text, size_t size, const char *filename, Config **ret,
                      char ***ret_warnings, char **ret_error);

/* Parses and validates @n texts as the files @filenames, in that order: what config_load()
 * does once it has read the files. Config.files and Config.texts of a loaded configuration give
 * the same configuration again, in another process (the daemon's worker), whatever the files
 * hold now. Errors as config_parse_text(). */
int config_parse_texts(char *const *filenames, char *const *texts, const size_t *sizes, size_t n,
                       Config **ret, char ***ret_warnings, char **ret_error);

const ConfigNamespace *config_find_namespace(const Config *c, const char *name);
const ConfigZone *config_find_zone(const Config *c, const char *name);
const ConfigPlacement *config_find_placement(const Config *c, const char *name);
const ConfigCxlRegion *config_find_cxl_region(const Config *c, const char *name);
const ConfigDaxDevice *config_find_dax_device(const Config *c, const char *name);

/* The uuid daxmgr gives the CXL region of [CXLRegion @name]: the first 128 bits of
 * SHA-256("daxmgr.cxl-region:" NAME) as an RFC 9562 version 8 uuid, lower case. */
void cxl_region_uuid_from_name(const char *name, char ret[static 37]);

/* The effective configuration as JSON: the files read, and every section with all of its
 * values (defaults included) and where each set key came from ("origins": {"Size":
 * "/etc/daxmgr/daxmgr.conf:7"}). */
int config_to_json(const Config *c, struct json_object **ret);
