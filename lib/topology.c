/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <daxctl/libdaxctl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <libmount/libmount.h>
#include <linux/ndctl.h>
#include <ndctl/libndctl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <uuid/uuid.h>

#include "error.h"
#include "format.h"
#include "ns-key.h"
#include "parse-util.h"
#include "topology-cxl.h"
#include "topology.h"
#include "string-table.h"

static const char *persistence_domain_to_string(enum ndctl_persistence_domain d) {
        switch (d) {
        case PERSISTENCE_NONE:
                return "none";
        case PERSISTENCE_MEM_CTRL:
                return "memory_controller";
        case PERSISTENCE_CPU_CACHE:
                return "cpu_cache";
        case PERSISTENCE_UNKNOWN:
                return "unknown";
        }
        return "unknown";
}

static NamespaceMode mode_from_ndctl(enum ndctl_namespace_mode m) {
        switch (m) {
        case NDCTL_NS_MODE_FSDAX:
                return NAMESPACE_MODE_FSDAX;
        case NDCTL_NS_MODE_SECTOR:
                return NAMESPACE_MODE_SECTOR;
        case NDCTL_NS_MODE_DEVDAX:
                return NAMESPACE_MODE_DEVDAX;
        case NDCTL_NS_MODE_RAW:
        case NDCTL_NS_MODE_UNKNOWN:
                return NAMESPACE_MODE_RAW;
        }
        return NAMESPACE_MODE_RAW;
}

/* ---- snapshot ----------------------------------------------------------------------------- */

/* What libblkid finds on /dev/@blockdev (format_probe_fd(), the same probe format refuses on). */
static int probe_filesystem(const char *blockdev, TopoFilesystem **ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        FormatSignature sig = {};
        TopoFilesystem *fs;
        int r;

        *ret = NULL;
        if (asprintf(&path, "/dev/%s", blockdev) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return 0; /* not openable (permissions, gone): nothing known, not an error */
        r = format_probe_fd(fd, &sig);
        if (r <= 0)
                return r == -ENOMEM ? r : 0; /* blank, or unreadable: nothing known */

        fs = calloc(1, sizeof(*fs));
        if (!fs) {
                format_signature_done(&sig);
                return -ENOMEM;
        }
        fs->type = sig.type ? TAKE_PTR(sig.type) : TAKE_PTR(sig.pttype);
        fs->uuid = TAKE_PTR(sig.uuid);
        fs->label = TAKE_PTR(sig.label);
        format_signature_done(&sig);
        *ret = fs;
        return 0;
}

static char *dax_option(const char *options) {
        _cleanup_free_ char *o = NULL;
        char *save = NULL;

        if (!options)
                return NULL;
        o = strdup(options);
        if (!o)
                return NULL;
        for (char *tok = strtok_r(o, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (strcmp(tok, "dax") == 0)
                        return strdup("always"); /* the old spelling, and what xfs/ext4 may show */
                if (strncmp(tok, "dax=", 4) == 0)
                        return strdup(tok + 4);
        }
        return NULL;
}

static int collect_mounts(struct libmnt_table *tb, const char *blockdev, TopoNamespace *n) {
        _cleanup_free_ char *path = NULL;
        struct libmnt_iter *it;
        struct libmnt_fs *fs;
        struct stat st;
        int r = 0;

        if (!tb)
                return 0;
        if (asprintf(&path, "/dev/%s", blockdev) < 0)
                return -ENOMEM;
        if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
                return 0;

        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return -ENOMEM;
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                _cleanup_free_ char *opts = NULL;
                TopoMount *m;

                if (mnt_fs_get_devno(fs) != st.st_rdev)
                        continue;
                m = grow_array(&n->mounts, &n->n_mounts, sizeof(*m));
                if (!m) {
                        r = -ENOMEM;
                        break;
                }
                opts = mnt_fs_strdup_options(fs);
                if (strdup_opt(mnt_fs_get_target(fs), &m->target) < 0 ||
                    strdup_opt(mnt_fs_get_fstype(fs), &m->fstype) < 0) {
                        r = -ENOMEM;
                        break;
                }
                m->options = TAKE_PTR(opts);
                m->dax = dax_option(m->options);
        }
        mnt_free_iter(it);
        return r;
}

static int collect_daxdev(struct ndctl_dax *dax, TopoNamespace *n) {
        struct daxctl_region *dr = ndctl_dax_get_daxctl_region(dax);
        struct daxctl_dev *dev;

        if (!dr)
                return 0;
        daxctl_dev_foreach (dr, dev) {
                struct daxctl_memory *mem;
                TopoDaxDevice *d;

                if (!daxctl_dev_get_devname(dev) || daxctl_dev_get_size(dev) == 0)
                        continue;
                d = calloc(1, sizeof(*d));
                if (!d)
                        return -ENOMEM;
                n->daxdev = d;
                if (strdup_opt(daxctl_dev_get_devname(dev), &d->chardev) < 0)
                        return -ENOMEM;
                d->size = daxctl_dev_get_size(dev);
                d->align = daxctl_dev_get_align(dev);
                d->target_node = daxctl_dev_get_target_node(dev);
                mem = daxctl_dev_get_memory(dev);
                if (mem) {
                        d->mode = strdup("system-ram");
                        d->online = daxctl_memory_is_online(mem) > 0;
                        d->movable = daxctl_memory_is_movable(mem) > 0;
                } else
                        d->mode = strdup("devdax");
                if (!d->mode)
                        return -ENOMEM;
                break; /* a namespace carries one dax device */
        }
        return 0;
}

static int uuid_string(const uuid_t uu, char **ret) {
        *ret = malloc(UUID_STR_LEN);
        if (!*ret)
                return -ENOMEM;
        uuid_unparse_lower(uu, *ret);
        return 0;
}

static int collect_namespace(struct ndctl_namespace *ndns, struct libmnt_table *tb, bool filesystems,
                             TopoNamespace *n) {
        struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
        struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
        struct ndctl_btt *btt = ndctl_namespace_get_btt(ndns);
        const char *blockdev = NULL, *alt;
        uuid_t uu;
        int r;

        if (strdup_opt(ndctl_namespace_get_devname(ndns), &n->dev) < 0)
                return -ENOMEM;

        /* Both uuids as `ndctl list -N -v` prints them: "uuid" is the claim's (the info block
         * of a pfn, dax or btt device, even a null one), else the label's; "raw_uuid" the
         * label's, which a label-less namespace does not have. */
        ndctl_namespace_get_uuid(ndns, uu);
        if (!uuid_is_null(uu) && uuid_string(uu, &n->raw_uuid) < 0)
                return -ENOMEM;
        if (pfn || dax || btt) {
                if (pfn)
                        ndctl_pfn_get_uuid(pfn, uu);
                else if (dax)
                        ndctl_dax_get_uuid(dax, uu);
                else
                        ndctl_btt_get_uuid(btt, uu);
                if (uuid_string(uu, &n->uuid) < 0)
                        return -ENOMEM;
        } else if (n->raw_uuid && strdup_opt(n->raw_uuid, &n->uuid) < 0)
                return -ENOMEM;
        alt = ndctl_namespace_get_alt_name(ndns);
        if (alt && *alt && strdup_opt(alt, &n->name) < 0)
                return -ENOMEM;

        /* A claimed namespace is not itself bound to a driver, its claim is: ndctl's "state". */
        n->enabled = ndctl_namespace_is_active(ndns);
        n->target_node = ndctl_namespace_get_target_node(ndns);
        if (n->target_node < 0)
                n->target_node = -1;
        n->raw_size = ndctl_namespace_get_size(ndns);
        n->size = n->raw_size;
        n->resource = ndctl_namespace_get_resource(ndns);
        n->numa_node = ndctl_namespace_get_numa_node(ndns);
        n->mode = mode_from_ndctl(ndctl_namespace_get_mode(ndns));
        n->map = PFN_MAP_DEV;

        if (pfn) {
                n->mode = NAMESPACE_MODE_FSDAX;
                n->map = ndctl_pfn_get_location(pfn) == NDCTL_PFN_LOC_RAM ? PFN_MAP_MEM : PFN_MAP_DEV;
                n->align = ndctl_pfn_get_align(pfn);
                if (ndctl_pfn_get_size(pfn) > 0)
                        n->size = ndctl_pfn_get_size(pfn);
                blockdev = ndctl_pfn_get_block_device(pfn);
        } else if (dax) {
                n->mode = NAMESPACE_MODE_DEVDAX;
                n->map = ndctl_dax_get_location(dax) == NDCTL_PFN_LOC_RAM ? PFN_MAP_MEM : PFN_MAP_DEV;
                n->align = ndctl_dax_get_align(dax);
                if (ndctl_dax_get_size(dax) > 0)
                        n->size = ndctl_dax_get_size(dax);
                r = collect_daxdev(dax, n);
                if (r < 0)
                        return r;
        } else if (btt) {
                n->mode = NAMESPACE_MODE_SECTOR;
                blockdev = ndctl_btt_get_block_device(btt);
        } else {
                /* No claim, yet fsdax: the kernel's "static" memory mode of a region that maps its
                 * pages itself (ND_REGION_PAGEMAP: virtio-pmem, e820), with struct pages in RAM and
                 * no info block, as `ndctl list` shows it ("map":"mem"). */
                if (n->mode == NAMESPACE_MODE_FSDAX)
                        n->map = PFN_MAP_MEM;
                blockdev = ndctl_namespace_get_block_device(ndns);
        }

        /* Block namespaces have a sector size: the btt's, else the namespace's, which the
         * kernel leaves out (and then uses 512) for old labels and label-less namespaces. */
        if (btt)
                n->sector_size = ndctl_btt_get_sector_size(btt);
        else if (!dax) {
                n->sector_size = ndctl_namespace_get_sector_size(ndns);
                if (n->sector_size == 0 || n->sector_size == UINT_MAX)
                        n->sector_size = 512;
        }

        if (blockdev && *blockdev) {
                if (strdup_opt(blockdev, &n->blockdev) < 0)
                        return -ENOMEM;
                if (!filesystems)
                        return 0;
                r = probe_filesystem(blockdev, &n->filesystem);
                if (r < 0)
                        return r;
                r = collect_mounts(tb, blockdev, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int collect_alignments(struct ndctl_region *region, TopoRegion *r) {
        struct ndctl_pfn *pfn = ndctl_region_get_pfn_seed(region);
        struct ndctl_dax *dax = ndctl_region_get_dax_seed(region);
        int n = pfn ? ndctl_pfn_get_num_alignments(pfn) : dax ? ndctl_dax_get_num_alignments(dax) : 0;

        if (n <= 0)
                return 0;
        r->supported_alignments = calloc((size_t) n, sizeof(uint64_t));
        if (!r->supported_alignments)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                unsigned long a = pfn ? ndctl_pfn_get_supported_alignment(pfn, i)
                                      : ndctl_dax_get_supported_alignment(dax, i);
                if (a > 0)
                        r->supported_alignments[r->n_supported_alignments++] = a;
        }
        return 0;
}

static int collect_region(struct ndctl_region *region, struct libmnt_table *tb, bool filesystems,
                          TopoRegion *r) {
        struct ndctl_namespace *ndns;
        struct ndctl_dimm *dimm;
        int k;

        if (strdup_opt(ndctl_region_get_devname(region), &r->dev) < 0 ||
            strdup_opt(ndctl_region_get_type_name(region), &r->type) < 0 ||
            strdup_opt(ndctl_bus_get_provider(ndctl_region_get_bus(region)), &r->provider) < 0 ||
            strdup_opt(persistence_domain_to_string(ndctl_region_get_persistence_domain(region)),
                       &r->persistence_domain) < 0)
                return -ENOMEM;
        r->kind = region_kind_from_provider(r->provider);
        r->size = ndctl_region_get_size(region);
        r->available_size = ndctl_region_get_available_size(region);
        r->max_available_extent = ndctl_region_get_max_available_extent(region);
        if (r->max_available_extent == ULLONG_MAX) /* older kernels: no such attribute */
                r->max_available_extent = r->available_size;
        r->align = ndctl_region_get_align(region);
        if (r->align == ULONG_MAX)
                r->align = 0;
        r->resource = ndctl_region_get_resource(region);
        if (r->resource == ULLONG_MAX)
                r->resource = 0;
        r->interleave_ways = ndctl_region_get_interleave_ways(region);
        r->mappings = ndctl_region_get_mappings(region);
        r->numa_node = ndctl_region_get_numa_node(region);
        r->labelled = ndctl_region_get_nstype(region) == ND_DEVICE_NAMESPACE_PMEM;
        r->enabled = ndctl_region_is_enabled(region) > 0;
        r->read_only = ndctl_region_get_ro(region) > 0;

        k = collect_alignments(region, r);
        if (k < 0)
                return k;

        ndctl_dimm_foreach_in_region (region, dimm) {
                char **d = grow_array(&r->dimms, &r->n_dimms, sizeof(char *));
                if (!d || strdup_opt(ndctl_dimm_get_devname(dimm), d) < 0)
                        return -ENOMEM;
        }

        ndctl_namespace_foreach (region, ndns) {
                TopoNamespace *n;

                /* Seeds (size 0, no claim) are the kernel's blank forms, not namespaces. */
                if (ndctl_namespace_get_size(ndns) == 0 && !ndctl_namespace_is_active(ndns))
                        continue;
                n = grow_array(&r->namespaces, &r->n_namespaces, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                k = collect_namespace(ndns, tb, filesystems, n);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* region2 before region10: by the number after "region". */
static int region_compare(const void *a, const void *b) {
        const TopoRegion *x = a, *y = b;
        size_t lx = strlen(x->dev), ly = strlen(y->dev);

        return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->dev, y->dev);
}

int topology_snapshot(DaxContext *c, TopologyFlags flags, Topology **ret, char **ret_error) {
        _cleanup_topology_ Topology *t = NULL;
        struct libmnt_table *tb;
        struct ndctl_bus *bus;
        int r = 0;

        if (!c || !ret)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;

        dax_context_invalidate(c);
        tb = flags & TOPOLOGY_NO_FILESYSTEMS ? NULL : mnt_new_table_from_file("/proc/self/mountinfo");
        if (!tb && !(flags & TOPOLOGY_NO_FILESYSTEMS))
                dax_log(c, LOG_WARNING, "cannot read /proc/self/mountinfo: mounts are not in this snapshot");

        ndctl_bus_foreach (c->ndctl, bus) {
                struct ndctl_region *region;
                struct ndctl_dimm *dimm;

                if (!t->provider && strdup_opt(ndctl_bus_get_provider(bus), &t->provider) < 0) {
                        r = -ENOMEM;
                        break;
                }
                ndctl_dimm_foreach (bus, dimm) {
                        TopoDimm *d = grow_array(&t->dimms, &t->n_dimms, sizeof(*d));
                        char serial[16];

                        if (!d || strdup_opt(ndctl_dimm_get_devname(dimm), &d->dev) < 0 ||
                            strdup_opt(ndctl_dimm_get_unique_id(dimm), &d->unique_id) < 0) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        d->handle = ndctl_dimm_get_handle(dimm);
                        d->phys_id = ndctl_dimm_get_phys_id(dimm);
                        if (ndctl_dimm_get_serial(dimm) != UINT_MAX) {
                                (void) snprintf(serial, sizeof(serial), "%#x", ndctl_dimm_get_serial(dimm));
                                if (strdup_opt(serial, &d->serial) < 0) {
                                        r = -ENOMEM;
                                        goto finish;
                                }
                        }
                }
                ndctl_region_foreach (bus, region) {
                        TopoRegion *reg;

                        if (ndctl_region_get_type(region) != ND_DEVICE_REGION_PMEM)
                                continue;
                        reg = grow_array(&t->regions, &t->n_regions, sizeof(*reg));
                        if (!reg) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        r = collect_region(region, tb, !(flags & TOPOLOGY_NO_FILESYSTEMS), reg);
                        if (r < 0)
                                goto finish;
                }
        }

finish:
        if (tb)
                mnt_unref_table(tb);
        if (r >= 0 && t->n_regions > 1)
                qsort(t->regions, t->n_regions, sizeof(TopoRegion), region_compare);
        if (r >= 0) {
                /* CXL devices below the nd regions; a machine without CXL has none, and a libcxl
                 * that cannot start leaves the snapshot without them, not without pmem. */
                int k = topology_collect_cxl(&t->cxl);
                if (k == -ENOMEM)
                        r = k;
                else if (k < 0)
                        dax_log(c, LOG_WARNING,
                                "cannot read the CXL devices with libcxl (%s): the snapshot shows none",
                                strerror(-k));
                else
                        topology_link_cxl(t);
        }
        if (r < 0)
                return error_set(ret_error, r, "cannot take the pmem topology snapshot: %s", strerror(-r));
        *ret = TAKE_PTR(t);
        return 0;
}
