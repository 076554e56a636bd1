/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ndctl/libndctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <uuid/uuid.h>

#include "error.h"
#include "holders.h"
#include "namespace.h"
#include "ns-lock.h"

#define PFN_SB_OFFSET 4096 /* the pfn/dax/btt info block: 4 KiB at offset 4 KiB */
#define PFN_SB_SIZE   4096

static struct ndctl_region *find_ndctl_region(DaxContext *c, const char *dev) {
        struct ndctl_region *region;
        struct ndctl_bus *bus;

        ndctl_bus_foreach (c->ndctl, bus) {
                ndctl_region_foreach (bus, region) {
                        if (strcmp(ndctl_region_get_devname(region), dev) == 0)
                                return region;
                }
        }
        return NULL;
}

static struct ndctl_namespace *find_ndctl_namespace(DaxContext *c, const char *dev) {
        struct ndctl_namespace *ndns;
        struct ndctl_region *region;
        struct ndctl_bus *bus;

        ndctl_bus_foreach (c->ndctl, bus) {
                ndctl_region_foreach (bus, region) {
                        ndctl_namespace_foreach (region, ndns) {
                                if (strcmp(ndctl_namespace_get_devname(ndns), dev) == 0)
                                        return ndns;
                        }
                }
        }
        return NULL;
}

/* Erases every signature libblkid finds on a block device (filesystems, RAID members, partition
 * tables), so that a new namespace laid over the space of an old one does not show the old
 * namespace's filesystem as if it were its own. */
int namespace_wipe_signatures(const char *blockdev) {
        _cleanup_close_ int fd = -1;
        char path[300];
        blkid_probe pr;
        int r = 0;

        (void) snprintf(path, sizeof(path), "/dev/%s", blockdev);
        fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
                blkid_free_probe(pr);
                return -EIO;
        }
        (void) blkid_probe_enable_superblocks(pr, 1);
        (void) blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC);
        (void) blkid_probe_enable_partitions(pr, 1);
        (void) blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
        while (blkid_do_probe(pr) == 0)
                if (blkid_do_wipe(pr, 0) < 0) {
                        r = -EIO;
                        break;
                }
        blkid_free_probe(pr);
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        return r;
}

/* Attaches a pfn (fsdax) or dax (devdax) claim to a disabled @ndns and enables it. @uu is the
 * claim's uuid (what `ndctl list -N` will show as the namespace's "uuid"). */
static int claim_and_enable(DaxContext *c, struct ndctl_region *region, struct ndctl_namespace *ndns,
                            NamespaceMode mode, PfnMap map, uint64_t align, uuid_t uu, char **ret_error) {
        const char *nsdev = ndctl_namespace_get_devname(ndns);
        enum ndctl_pfn_loc loc = map == PFN_MAP_MEM ? NDCTL_PFN_LOC_RAM : NDCTL_PFN_LOC_PMEM;
        int r;

        switch (mode) {
        case NAMESPACE_MODE_RAW:
                r = ndctl_namespace_enable(ndns);
                if (r < 0)
                        return error_set(ret_error, r, "the kernel did not enable %s: %s", nsdev,
                                         strerror(-r));
                return 0;

        case NAMESPACE_MODE_FSDAX: {
                struct ndctl_pfn *pfn = ndctl_region_get_pfn_seed(region);

                if (!pfn)
                        return error_set(ret_error, -ENODEV,
                                         "%s offers no pfn device, so it cannot hold fsdax namespaces "
                                         "(is the kernel built with CONFIG_NVDIMM_PFN?)",
                                         ndctl_region_get_devname(region));
                if ((r = ndctl_pfn_set_uuid(pfn, uu)) < 0 || (r = ndctl_pfn_set_location(pfn, loc)) < 0 ||
                    (align && ndctl_pfn_has_align(pfn) && (r = ndctl_pfn_set_align(pfn, align)) < 0) ||
                    (r = ndctl_pfn_set_namespace(pfn, ndns)) < 0) {
                        (void) ndctl_pfn_delete(pfn);
                        return error_set(
                                ret_error, r,
                                "the kernel refused the fsdax settings of %s (map=%s, align=%s): %s", nsdev,
                                pfn_map_to_string(map), SIZE_FMT(align), strerror(-r));
                }
                r = ndctl_pfn_enable(pfn);
                if (r < 0) {
                        (void) ndctl_pfn_delete(pfn);
                        return error_set(
                                ret_error, r,
                                "the kernel could not enable fsdax on %s (map=%s, align=%s): %s; with "
                                "map=mem the memmap must fit in RAM, with map=dev in the namespace",
                                nsdev, pfn_map_to_string(map), SIZE_FMT(align), strerror(-r));
                }
                return 0;
        }
        case NAMESPACE_MODE_DEVDAX: {
                struct ndctl_dax *dax = ndctl_region_get_dax_seed(region);

                if (!dax)
                        return error_set(ret_error, -ENODEV,
                                         "%s offers no dax device, so it cannot hold devdax namespaces "
                                         "(is the kernel built with CONFIG_NVDIMM_DAX?)",
                                         ndctl_region_get_devname(region));
                if ((r = ndctl_dax_set_uuid(dax, uu)) < 0 || (r = ndctl_dax_set_location(dax, loc)) < 0 ||
                    (align && ndctl_dax_has_align(dax) && (r = ndctl_dax_set_align(dax, align)) < 0) ||
                    (r = ndctl_dax_set_namespace(dax, ndns)) < 0) {
                        (void) ndctl_dax_delete(dax);
                        return error_set(ret_error, r,
                                         "the kernel refused the devdax settings of %s (align=%s): %s",
                                         nsdev, SIZE_FMT(align), strerror(-r));
                }
                r = ndctl_dax_enable(dax);
                if (r < 0) {
                        (void) ndctl_dax_delete(dax);
                        return error_set(ret_error, r,
                                         "the kernel could not enable devdax on %s (align=%s): %s", nsdev,
                                         SIZE_FMT(align), strerror(-r));
                }
                return 0;
        }
        case NAMESPACE_MODE_SECTOR:
        case _NAMESPACE_MODE_MAX:
        case _NAMESPACE_MODE_INVALID:
                break;
        }
        return error_set(ret_error, -EOPNOTSUPP, "daxmgr creates fsdax, devdax and raw namespaces, not %s",
                         namespace_mode_to_string(mode) ?: "this mode");
}

int namespace_create(DaxContext *c, const NamespaceCreate *req, char **ret_dev, char **ret_uuid,
                     char **ret_raw_uuid, char **ret_error) {
        _cleanup_topology_ Topology *t = NULL;
        struct ndctl_namespace *ndns;
        struct ndctl_region *region;
        const TopoRegion *tr;
        const TopoNamespace *existing;
        NamespacePlan plan;
        char uuid_str[UUID_STR_LEN], claim_str[UUID_STR_LEN];
        int r, lock_fd;
        uuid_t uu, claim;

        if (!c || !req)
                return -EINVAL;
        if (req->name && !namespace_name_is_valid(req->name))
                return error_set(
                        ret_error, -EINVAL,
                        "'%s' is not a valid namespace name: 1 to %d printable characters, no spaces or '/'",
                        req->name, NAMESPACE_NAME_MAX);
        if (req->ns.mode != NAMESPACE_MODE_FSDAX && req->ns.mode != NAMESPACE_MODE_DEVDAX &&
            req->ns.mode != NAMESPACE_MODE_RAW)
                return error_set(ret_error, -EOPNOTSUPP,
                                 "daxmgr creates fsdax, devdax and raw namespaces, not %s",
                                 namespace_mode_to_string(req->ns.mode) ?: "this mode");

        lock_fd = ns_lock_acquire(c, c->lock_timeout_sec, ret_error);
        if (lock_fd < 0)
                return lock_fd;

        r = topology_snapshot(c, TOPOLOGY_NO_FILESYSTEMS, &t, ret_error);
        if (r < 0)
                goto finish;

        if (req->region) {
                tr = topology_find_region(t, req->region);
                if (!tr) {
                        r = error_set(
                                ret_error, -ENOENT,
                                "there is no pmem region %s (see the topology for the regions present)",
                                req->region);
                        goto finish;
                }
        } else {
                /* Picked here, under the lock, from the snapshot the namespace is made against:
                 * nothing can take the room in between. */
                _cleanup_(region_pick_done) RegionPick pick = {};

                r = topology_pick_region(t, NULL, &req->ns, &pick);
                if (r < 0)
                        goto finish;
                if (!pick.region) {
                        r = error_set(ret_error, -ENOSPC, "no region has room for the namespace%s%s",
                                      pick.why ? ": " : "", pick.why ?: "");
                        goto finish;
                }
                tr = pick.region;
        }
        r = topo_region_check_managed(tr, "create a namespace in", ret_error);
        if (r < 0)
                goto finish;
        if (!tr->enabled) {
                r = error_set(ret_error, -ENXIO, "%s is disabled; enable it first", tr->dev);
                goto finish;
        }
        if (req->name && topology_find_namespace(t, req->name, NULL, &existing) != -ENOENT) {
                r = error_set(ret_error, -EEXIST,
                              "a namespace named '%s' already exists; names identify namespaces "
                              "across boots, so each must be unique",
                              req->name);
                goto finish;
        }

        {
                RegionShape shape = topo_region_shape(tr);
                r = namespace_plan_size(&shape, &req->ns, &plan, ret_error);
        }
        if (r < 0)
                goto finish;

        region = find_ndctl_region(c, tr->dev);
        if (region && plan.region_align != tr->align) {
                r = ndctl_region_set_align(region, plan.region_align);
                if (r < 0) {
                        r = error_set(ret_error, r,
                                      "cannot lower the alignment of %s to %s (it starts at 0x%" PRIx64
                                      "): %s",
                                      tr->dev, SIZE_FMT(plan.region_align), tr->resource, strerror(-r));
                        goto finish;
                }
                dax_log(c, LOG_INFO, "lowered the alignment of %s from %s to %s: it starts at 0x%" PRIx64,
                        tr->dev, SIZE_FMT(tr->align), SIZE_FMT(plan.region_align), tr->resource);
        }
        ndns = region ? ndctl_region_get_namespace_seed(region) : NULL;
        if (!ndns) {
                r = error_set(ret_error, -ENODEV,
                              "%s offers no namespace seed to configure; is it read-only or "
                              "disabled?",
                              tr->dev);
                goto finish;
        }

        uuid_generate(uu);
        uuid_unparse_lower(uu, uuid_str);
        r = ndctl_namespace_set_uuid(ndns, uu);
        if (r >= 0 && req->name)
                r = ndctl_namespace_set_alt_name(ndns, req->name);
        if (r >= 0)
                r = ndctl_namespace_set_size(ndns, plan.size);
        if (r < 0) {
                r = error_set(ret_error, r, "the kernel refused a %s namespace of %s in %s: %s",
                              namespace_mode_to_string(req->ns.mode), SIZE_FMT(plan.size), tr->dev,
                              strerror(-r));
                goto undo;
        }
        /* Record the mode in the label (v1.2 labels), so the claim comes back after a reboot.
         * Older label formats do not have the field; that is not an error. */
        if (req->ns.mode != NAMESPACE_MODE_RAW) {
                int k = ndctl_namespace_set_enforce_mode(ndns, req->ns.mode == NAMESPACE_MODE_FSDAX
                                                                       ? NDCTL_NS_MODE_FSDAX
                                                                       : NDCTL_NS_MODE_DEVDAX);
                if (k < 0)
                        dax_log(c, LOG_DEBUG, "%s: labels do not record the mode (%s)",
                                ndctl_namespace_get_devname(ndns), strerror(-k));
        }

        /* ndctl shows the claim's uuid as the namespace's, and the label's (raw mode: the
         * only one) as its raw uuid. */
        if (req->ns.mode == NAMESPACE_MODE_RAW)
                uuid_copy(claim, uu);
        else
                uuid_generate(claim);
        uuid_unparse_lower(claim, claim_str);
        r = claim_and_enable(c, region, ndns, req->ns.mode, req->ns.map, plan.align, claim, ret_error);
        if (r < 0)
                goto undo;

        /* The space may have held another namespace whose data was never erased (ndctl does not
         * erase on destroy): clear what would look like an existing filesystem on the new one. */
        {
                struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
                const char *blk =
                        pfn ? ndctl_pfn_get_block_device(pfn) : ndctl_namespace_get_block_device(ndns);

                if (blk && *blk) {
                        int k = namespace_wipe_signatures(blk);
                        if (k < 0) {
                                r = error_set(ret_error, k,
                                              "cannot clear old signatures on the new /dev/%s: %s", blk,
                                              strerror(-k));
                                goto undo;
                        }
                }
        }

        dax_log(c, LOG_INFO, "created %s namespace %s (%s) of %s in %s",
                namespace_mode_to_string(req->ns.mode), ndctl_namespace_get_devname(ndns),
                req->name ?: uuid_str, SIZE_FMT(plan.size), tr->dev);
        if (ret_dev) {
                *ret_dev = strdup(ndctl_namespace_get_devname(ndns));
                if (!*ret_dev)
                        r = -ENOMEM;
        }
        if (ret_uuid && r >= 0) {
                *ret_uuid = strdup(claim_str);
                if (!*ret_uuid)
                        r = -ENOMEM;
        }
        if (ret_raw_uuid && r >= 0) {
                *ret_raw_uuid = strdup(uuid_str);
                if (!*ret_raw_uuid)
                        r = -ENOMEM;
        }
        goto finish;

undo:
        /* Leave nothing half-made: the seed goes back to size 0 (labels freed). */
        (void) ndctl_namespace_disable_invalidate(ndns);
        if (ndctl_namespace_get_size(ndns) > 0) {
                int k = ndctl_namespace_delete(ndns);
                if (k < 0)
                        dax_log(c, LOG_ERR, "could not undo the half-made namespace %s: %s",
                                ndctl_namespace_get_devname(ndns), strerror(-k));
        }
finish:
        ns_lock_release(c, lock_fd);
        return r;
}

/* The refusals shared by destroy and reconfigure: mounted, open, online as RAM, holds data. */
static int check_disposable(const TopoNamespace *n, bool force, const char *verb, char **ret_error) {
        _cleanup_holders_ Holders *h = NULL;
        _cleanup_free_ char *who = NULL;
        char path[300];
        struct stat st;

        if (n->n_mounts > 0)
                return error_set(ret_error, -EBUSY,
                                 "cannot %s %s: /dev/%s is mounted on %s; unmount it first", verb,
                                 n->name ?: n->dev, n->blockdev, n->mounts[0].target);
        if (n->daxdev && n->daxdev->mode && strcmp(n->daxdev->mode, "system-ram") == 0)
                return error_set(ret_error, -EBUSY,
                                 "cannot %s %s: %s is online as system RAM; switch it back to devdax first",
                                 verb, n->name ?: n->dev, n->daxdev->chardev);

        (void) snprintf(path, sizeof(path), "/dev/%s",
                        n->blockdev ?: (n->daxdev && n->daxdev->chardev ? n->daxdev->chardev : ""));
        if (strcmp(path, "/dev/") != 0 && stat(path, &st) == 0) {
                if (S_ISBLK(st.st_mode)) {
                        int fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
                        if (fd < 0 && errno == EBUSY)
                                return error_set(ret_error, -EBUSY,
                                                 "cannot %s %s: %s is in use (open exclusively, by a mount, "
                                                 "device-mapper or another program)",
                                                 verb, n->name ?: n->dev, path);
                        (void) safe_close(fd);
                }
                if (holders_of_node_lasting(path, 1500, &h) >= 0 && h->n > 0) {
                        (void) holders_describe(h, 3, &who);
                        return error_set(ret_error, -EBUSY, "cannot %s %s: %s is open in %s; stop it first",
                                         verb, n->name ?: n->dev, path, who ?: "a process");
                }
        }

        if (n->filesystem && n->filesystem->type && !force)
                return error_set(ret_error, -ENOTEMPTY,
                                 "%s holds a %s signature%s%s%s; to %s it and lose that data, use force",
                                 n->name ?: n->dev, n->filesystem->type,
                                 n->filesystem->label ? " labelled '" : "", n->filesystem->label ?: "",
                                 n->filesystem->label ? "'" : "", verb);
        return 0;
}

/* Zeroes the info block of a disabled namespace through its raw block device, so the kernel
 * does not find the old pfn/dax/btt personality again. */
static int zero_info_block(DaxContext *c, struct ndctl_namespace *ndns, char **ret_error) {
        static const char zeros[PFN_SB_SIZE];
        const char *nsdev = ndctl_namespace_get_devname(ndns);
        _cleanup_close_ int fd = -1;
        char path[300];
        int r, k;

        r = ndctl_namespace_set_raw_mode(ndns, 1);
        if (r >= 0)
                r = ndctl_namespace_enable(ndns);
        if (r < 0) {
                (void) ndctl_namespace_set_raw_mode(ndns, 0);
                return error_set(ret_error, r, "cannot open %s raw to clear its old info block: %s", nsdev,
                                 strerror(-r));
        }
        (void) snprintf(path, sizeof(path), "/dev/%s", ndctl_namespace_get_block_device(ndns) ?: "");
        fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
        if (fd < 0)
                r = error_set(ret_error, negative_errno(),
                              "cannot open %s to clear the info block of %s: %m", path, nsdev);
        else if (pwrite(fd, zeros, sizeof(zeros), PFN_SB_OFFSET) != (ssize_t) sizeof(zeros) || fsync(fd) < 0)
                r = error_set(ret_error, negative_errno(),
                              "cannot clear the info block of %s through %s: %m", nsdev, path);
        fd = safe_close(fd);

        k = ndctl_namespace_disable(ndns);
        (void) ndctl_namespace_set_raw_mode(ndns, 0);
        if (r >= 0 && k < 0)
                r = error_set(ret_error, k, "cannot disable %s after clearing it: %s", nsdev, strerror(-k));
        if (r >= 0)
                dax_log(c, LOG_DEBUG, "cleared the info block of %s", nsdev);
        return r;
}

/* Common start of destroy/reconfigure: lock, snapshot, find, check, disable. */
static int take_down(DaxContext *c, const char *key, bool force, const char *verb, Topology **ret_t,
                     const TopoRegion **ret_r, const TopoNamespace **ret_n,
                     struct ndctl_namespace **ret_ndns, char **ret_error) {
        _cleanup_topology_ Topology *t = NULL;
        struct ndctl_namespace *ndns;
        const TopoNamespace *n;
        const TopoRegion *tr;
        bool had_claim;
        int r;

        r = topology_snapshot(c, 0, &t, ret_error);
        if (r < 0)
                return r;
        r = topology_lookup_namespace(t, key, &tr, &n, ret_error);
        if (r < 0)
                return r;
        r = topo_region_check_managed(
                tr, strcmp(verb, "destroy") == 0 ? "destroy a namespace of" : "reconfigure a namespace of",
                ret_error);
        if (r < 0)
                return r;

        if (!tr->labelled && strcmp(verb, "destroy") == 0)
                return error_set(
                        ret_error, -EOPNOTSUPP,
                        "%s is the only namespace of the label-less %s and cannot be destroyed; change its "
                        "mode instead",
                        n->dev, tr->dev);
        r = check_disposable(n, force, verb, ret_error);
        if (r < 0)
                return r;

        ndns = find_ndctl_namespace(c, n->dev);
        if (!ndns)
                return error_set(ret_error, -ENOENT, "%s disappeared while being looked at; try again",
                                 n->dev);

        had_claim = ndctl_namespace_get_pfn(ndns) || ndctl_namespace_get_dax(ndns) ||
                    ndctl_namespace_get_btt(ndns);
        r = ndctl_namespace_disable_safe(ndns);
        if (r < 0)
                return error_set(ret_error, r, "cannot disable %s: %s (is it in use?)", n->dev,
                                 strerror(-r));
        if (had_claim) {
                r = zero_info_block(c, ndns, ret_error);
                if (r < 0)
                        return r;
        }

        *ret_t = TAKE_PTR(t);
        *ret_r = tr;
        *ret_n = n;
        *ret_ndns = ndns;
        return 0;
}

int namespace_destroy(DaxContext *c, const char *key, bool force, char **ret_error) {
        _cleanup_topology_ Topology *t = NULL;
        struct ndctl_namespace *ndns;
        const TopoNamespace *n;
        const TopoRegion *tr;
        int r, lock_fd;

        if (!c || !key)
                return -EINVAL;
        lock_fd = ns_lock_acquire(c, c->lock_timeout_sec, ret_error);
        if (lock_fd < 0)
                return lock_fd;

        r = take_down(c, key, force, "destroy", &t, &tr, &n, &ndns, ret_error);
        if (r < 0)
                goto finish;
        r = ndctl_namespace_delete(ndns);
        if (r < 0) {
                r = error_set(ret_error, r, "the kernel did not delete %s: %s", n->dev, strerror(-r));
                goto finish;
        }
        dax_log(c, LOG_INFO, "destroyed namespace %s (%s) in %s", n->dev, n->name ?: n->raw_uuid ?: "no name",
                tr->dev);
finish:
        ns_lock_release(c, lock_fd);
        return r;
}

int namespace_reconfigure(DaxContext *c, const char *key, NamespaceMode mode, PfnMap map, uint64_t align,
                          bool force, char **ret_error) {
        _cleanup_topology_ Topology *t = NULL;
        struct ndctl_namespace *ndns;
        struct ndctl_region *region;
        const TopoNamespace *n;
        const TopoRegion *tr;
        int r, lock_fd;
        uuid_t claim;

        if (!c || !key)
                return -EINVAL;
        lock_fd = ns_lock_acquire(c, c->lock_timeout_sec, ret_error);
        if (lock_fd < 0)
                return lock_fd;

        r = take_down(c, key, force, "reconfigure", &t, &tr, &n, &ndns, ret_error);
        if (r < 0)
                goto finish;
        region = ndctl_namespace_get_region(ndns);
        if (align == 0 && mode != NAMESPACE_MODE_RAW)
                align = 2 * MiB;
        uuid_generate(claim);
        r = claim_and_enable(c, region, ndns, mode, map, align, claim, ret_error);
        if (r < 0) {
                /* Bring it back as raw rather than leaving it disabled. */
                (void) ndctl_namespace_enable(ndns);
                goto finish;
        }
        dax_log(c, LOG_INFO, "reconfigured %s in %s as %s", n->dev, tr->dev, namespace_mode_to_string(mode));
finish:
        ns_lock_release(c, lock_fd);
        return r;
}
