/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The planner's [Namespace] sections whose namespace exists (reconcile.h): how it differs from
 * what the section asks, in that order its place (Region=, Size=: destroyed and made again with
 * Destroy=yes), its layout (mode, map, alignment: reconfigured), then its contents, mount, dax
 * mode and access, and the steps or the conflict that follow. Pure. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reconcile-namespace.h"

static bool mode_is_pfn(NamespaceMode m) {
        return m == NAMESPACE_MODE_FSDAX || m == NAMESPACE_MODE_DEVDAX;
}

static const char *ns_key(const ConfigNamespace *cn, const TopoRegion *tr, const TopoNamespace *tn) {
        return tr->labelled ? cn->name : tn->dev;
}

/* The first difference between what the section asks and what the namespace is, or -1. */
static ConfigNamespaceKey ns_layout_differs(const ConfigNamespace *cn, const TopoNamespace *tn) {
        if (tn->mode != cn->mode)
                return CONFIG_NAMESPACE_MODE;
        if (mode_is_pfn(cn->mode) && cn->where[CONFIG_NAMESPACE_MAP].file && tn->map != cn->map)
                return CONFIG_NAMESPACE_MAP;
        if (mode_is_pfn(cn->mode) && cn->align != 0 && tn->align != cn->align)
                return CONFIG_NAMESPACE_ALIGN;
        return _CONFIG_NAMESPACE_KEY_INVALID;
}

/* Why a namespace cannot be changed even with Destroy=yes (daxmgr never unmounts or offlines
 * memory by itself), or NULL. */
static int ns_in_use(const TopoNamespace *tn, char **ret) {
        int k = 0;

        *ret = NULL;
        if (tn->n_mounts > 0)
                k = asprintf(ret, "it is mounted at %s; daxmgr never unmounts: unmount it first",
                             tn->mounts[0].target ?: "?");
        else if (tn->daxdev && tn->daxdev->mode && strcmp(tn->daxdev->mode, "system-ram") == 0 &&
                 tn->daxdev->online)
                k = asprintf(ret, "its memory is online as system RAM; take it offline first (SystemRAM=no "
                                  "on a devdax namespace does that)");
        return k < 0 ? -ENOMEM : 0;
}

static int plan_layout_change(Planner *pl, size_t i, const char *section, const TopoRegion *tr,
                              const TopoNamespace *tn, ConfigNamespaceKey key) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        _cleanup_free_ char *busy = NULL, *msg = NULL, *want = NULL, *have = NULL;
        bool allowed;
        ReconcileStep *s;
        int r;

        if (key == CONFIG_NAMESPACE_MAP)
                r = asprintf(&want, "with Map=%s", pfn_map_to_string(cn->map)) < 0 ||
                    asprintf(&have, "has map=%s", pfn_map_to_string(tn->map) ?: "none") < 0;
        else if (key == CONFIG_NAMESPACE_ALIGN)
                r = asprintf(&want, "with Align=%s", SIZE_FMT(cn->align)) < 0 ||
                    asprintf(&have, "is aligned to %s", SIZE_FMT(tn->align)) < 0;
        else
                r = asprintf(&want, "as %s", namespace_mode_to_string(cn->mode)) < 0 ||
                    asprintf(&have, "is %s", namespace_mode_to_string(tn->mode) ?: "of an unknown mode") < 0;
        if (r)
                return -ENOMEM;

        r = ns_in_use(tn, &busy);
        if (r < 0)
                return r;

        /* A label-less region's namespace can be changed without Destroy= only while it visibly
         * holds nothing: no signature on its block device. A devdax one has no block device, so
         * what it holds cannot be seen: it needs Destroy=yes. */
        allowed = cn->destroy || (!tr->labelled && !tn->filesystem && tn->mode != NAMESPACE_MODE_DEVDAX);

        if (busy || !allowed) {
                const char *dev = tn->dev ?: "the namespace";

                if (busy && cn->destroy)
                        r = asprintf(&msg, "Namespace %s is configured %s but %s %s, and %s", cn->name, want,
                                     dev, have, busy);
                else if (busy)
                        r = asprintf(
                                &msg,
                                "Namespace %s is configured %s but %s %s, and %s, and set Destroy=yes to "
                                "let daxmgr reconfigure it (its data is lost), or change %s=",
                                cn->name, want, dev, have, busy, config_namespace_key_to_string(key));
                else if (tn->filesystem)
                        r = asprintf(&msg,
                                     "Namespace %s is configured %s but %s %s and holds %s; set "
                                     "Destroy=yes to let daxmgr reconfigure it (its data is lost), or "
                                     "change %s=",
                                     cn->name, want, dev, have, tn->filesystem->type ?: "data",
                                     config_namespace_key_to_string(key));
                else
                        r = asprintf(&msg,
                                     "Namespace %s is configured %s but %s %s and may hold data; set "
                                     "Destroy=yes to let daxmgr reconfigure it (its data is lost), or "
                                     "change %s=",
                                     cn->name, want, dev, have, config_namespace_key_to_string(key));
                if (r < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, key), msg);
        }

        r = ns_step(pl, RECONCILE_RECONFIGURE, section, ns_key(cn, tr, tn), tr->dev, tn->dev, &s);
        if (r < 0)
                return r;
        s->ns = (NamespaceRequest){ .mode = cn->mode, .map = cn->map, .align = cn->align }; /* same size */
        s->force = cn->destroy;
        if (key == CONFIG_NAMESPACE_MAP)
                /* Same mode, the struct pages elsewhere: name the maps, not "fsdax to fsdax". */
                r = step_describe(s, "reconfigure %s of %s from %s map=%s to map=%s%s",
                                  tn->dev ?: "the namespace", tr->dev,
                                  namespace_mode_to_string(tn->mode) ?: "?",
                                  pfn_map_to_string(tn->map) ?: "?", pfn_map_to_string(cn->map),
                                  cn->destroy ? ", destroying what it holds (Destroy=yes)" : "");
        else if (key == CONFIG_NAMESPACE_ALIGN)
                r = step_describe(
                        s, "reconfigure %s of %s from %s aligned to %s to %s%s", tn->dev ?: "the namespace",
                        tr->dev, namespace_mode_to_string(tn->mode) ?: "?", SIZE_FMT(tn->align),
                        SIZE_FMT(cn->align), cn->destroy ? ", destroying what it holds (Destroy=yes)" : "");
        else
                r = step_describe(s, "reconfigure %s of %s from %s to %s%s", tn->dev ?: "the namespace",
                                  tr->dev, namespace_mode_to_string(tn->mode) ?: "?",
                                  namespace_mode_to_string(cn->mode),
                                  cn->destroy ? ", destroying what it holds (Destroy=yes)" : "");
        if (r < 0)
                return r;
        return plan_new_contents(pl, i, section, tr->dev, ns_key(cn, tr, tn), cn->destroy);
}

static const char *mount_dax(const TopoMount *m) {
        /* No dax option shown is dax=inode, the default of ext4 and xfs (mount-util.h). */
        return m->dax ?: "inode";
}

static int plan_existing_fsdax(Planner *pl, size_t i, const char *section, const TopoRegion *tr,
                               const TopoNamespace *tn) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const char *want_fs = fs_type_to_string(cn->filesystem);
        _cleanup_free_ char *device = NULL, *msg = NULL;
        const TopoMount *at = NULL;
        int r;

        if (cn->filesystem == FS_TYPE_NONE)
                return 0; /* left alone, whatever it holds; the parser refuses a MountPoint with it */

        if (tn->blockdev && asprintf(&device, "/dev/%s", tn->blockdev) < 0)
                return -ENOMEM;

        if (!tn->filesystem && tn->n_mounts == 0) {
                r = plan_format(pl, i, section, tr->dev, device, ns_key(cn, tr, tn), false, NULL);
                if (r < 0)
                        return r;
        } else if (tn->filesystem && (!tn->filesystem->type || strcmp(tn->filesystem->type, want_fs) != 0)) {
                const char *have = tn->filesystem->type ?: "an unknown signature";
                FsType have_fs = fs_type_from_string(tn->filesystem->type);
                _cleanup_free_ char *busy = NULL;

                r = ns_in_use(tn, &busy);
                if (r < 0)
                        return r;
                if (cn->destroy && !busy)
                        r = plan_format(pl, i, section, tr->dev, device, ns_key(cn, tr, tn), true, have);
                else {
                        if (cn->destroy)
                                r = asprintf(&msg, "Namespace %s should hold %s but %s holds %s, and %s",
                                             cn->name, want_fs, device ?: tn->dev, have, busy);
                        else
                                r = asprintf(&msg,
                                             "Namespace %s should hold %s but %s holds %s; set Destroy=yes "
                                             "to let daxmgr reformat it (its data is lost)%s%s",
                                             cn->name, want_fs, device ?: tn->dev, have,
                                             have_fs >= 0 ? ", or set Filesystem=" : "",
                                             have_fs >= 0 ? tn->filesystem->type : "");
                        if (r < 0)
                                return -ENOMEM;
                        r = ns_problem(pl, i, RECONCILE_CONFLICT, section,
                                       ns_where(cn, CONFIG_NAMESPACE_FILESYSTEM), msg);
                        return r;
                }
                if (r < 0)
                        return r;
        }

        if (!cn->mount_point)
                return 0;
        if (tn->n_mounts == 0)
                return plan_mount(pl, i, section, tr->dev, device, ns_key(cn, tr, tn));

        for (size_t k = 0; k < tn->n_mounts && !at; k++)
                if (tn->mounts[k].target && strcmp(tn->mounts[k].target, cn->mount_point) == 0)
                        at = &tn->mounts[k];
        if (!at) {
                if (asprintf(&msg,
                             "Namespace %s should be mounted at %s but %s is mounted at %s; daxmgr never "
                             "unmounts: unmount it, or set MountPoint=%s",
                             cn->name, cn->mount_point, device ?: tn->dev, tn->mounts[0].target ?: "?",
                             tn->mounts[0].target ?: "?") < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section,
                                  ns_where(cn, CONFIG_NAMESPACE_MOUNT_POINT), msg);
        }
        if (strcmp(mount_dax(at), dax_mode_to_string(cn->dax)) != 0) {
                if (asprintf(&msg,
                             "Namespace %s should be mounted with dax=%s but %s is mounted with dax=%s; "
                             "daxmgr never unmounts: unmount it and daxmgr will mount it as configured, "
                             "or set DAX=%s",
                             cn->name, dax_mode_to_string(cn->dax), cn->mount_point, mount_dax(at),
                             mount_dax(at)) < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, CONFIG_NAMESPACE_DAX),
                                  msg);
        }
        return 0;
}

/* The kernel refused this very change before (EBUSY): one problem, no step, until someone asks
 * again (daxmgr reload) or the device changes. */
static int plan_mode_refused(Planner *pl, size_t i, const char *section, const TopoDaxDevice *d) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        _cleanup_free_ char *msg = NULL;
        int r;

        r = refused_message(section, d->chardev, d->movable, cn->system_ram, &msg);
        if (r < 0)
                return r;
        return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, CONFIG_NAMESPACE_SYSTEM_RAM),
                          msg);
}

/* devdax → system-ram gives the device's capacity to the kernel, which overwrites it: refused
 * unless the namespace visibly holds nothing or the section says Destroy=yes. */
static int plan_ram_over_data(Planner *pl, size_t i, const char *section, const TopoDaxDevice *d) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const ReconcileDevNode *node = find_devnode(pl->in, d ? d->chardev : NULL);
        bool data = node && node->content == RECONCILE_CONTENT_DATA;
        const char *dev = d && d->chardev ? d->chardev : "its device";
        _cleanup_free_ char *msg = NULL;
        int k;

        k = asprintf(
                &msg,
                "Namespace %s: SystemRAM=%s would hand %s to the kernel as memory, which overwrites what "
                "it holds, and %s; set Destroy=yes in its section to let daxmgr do it (%s data is lost), "
                "or SystemRAM=no",
                cn->name, config_system_ram_to_string(cn->system_ram), dev,
                data ? "it holds data (its first 2 MiB are not blank)"
                     : "daxmgr cannot read it to see that it is blank",
                data ? "the" : "any");
        if (k < 0)
                return -ENOMEM;
        return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, CONFIG_NAMESPACE_SYSTEM_RAM),
                          msg);
}

static int plan_existing_devdax(Planner *pl, size_t i, const char *section, const TopoRegion *tr,
                                const TopoNamespace *tn) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const TopoDaxDevice *d = tn->daxdev;
        const char *chardev = d ? d->chardev : NULL;
        const char *have = d && d->mode ? d->mode : "devdax";
        bool want_ram = cn->system_ram != CONFIG_SYSTEM_RAM_NO, is_ram = strcmp(have, "system-ram") == 0;
        const ReconcileDevNode *node;
        uid_t uid = want_uid(pl->in, i);
        gid_t gid = want_gid(pl->in, i);
        int r;

        if (want_ram != is_ram ||
            (want_ram &&
             (!d->online || d->movable != (cn->system_ram == CONFIG_SYSTEM_RAM_ONLINE_MOVABLE)))) {
                if (want_ram && !is_ram) {
                        const ReconcileDevNode *n = find_devnode(pl->in, chardev);

                        if (!cn->destroy && (!n || n->content != RECONCILE_CONTENT_BLANK))
                                return plan_ram_over_data(pl, i, section, d);
                } else if (d && d->online && find_refusal(pl->in, chardev, cn->system_ram))
                        return plan_mode_refused(pl, i, section, d);
                r = plan_devdax_mode(pl, i, section, tr->dev, chardev, ns_key(cn, tr, tn));
                if (r < 0)
                        return r;
        }
        if (want_ram || !access_configured(pl->in, i))
                return 0;

        node = find_devnode(pl->in, chardev);
        if (node && (uid == (uid_t) -1 || uid == node->uid) && (gid == (gid_t) -1 || gid == node->gid) &&
            (cn->permissions == (mode_t) -1 || (cn->permissions & 07777) == (node->mode & 07777)))
                return 0;
        return plan_devdax_access(pl, i, section, tr->dev, chardev, ns_key(cn, tr, tn));
}

/* A namespace cannot be resized or moved to another region: only destroyed and created again.
 * Which of Region= and Size= the namespace no longer matches (in that order), or -1; *ret_size
 * gets the size the section asks for in its region. Only in a labelled region: a label-less one
 * holds one namespace spanning it, found by its Region=. A Size= not set, or "rest", matches any
 * size. */
static ConfigNamespaceKey ns_place_differs(const Topology *t, const ConfigNamespace *cn,
                                           const TopoRegion *tr, const TopoNamespace *tn,
                                           uint64_t *ret_size) {
        NamespaceRequest req = config_namespace_request(cn);
        RegionShape shape = topo_region_shape(tr);
        NamespacePlan np;

        *ret_size = 0;
        if (!tr->labelled)
                return _CONFIG_NAMESPACE_KEY_INVALID;
        if (cn->region.kind != CONFIG_REGION_ANY && !topo_region_matches(t, tr, &cn->region))
                return CONFIG_NAMESPACE_REGION;
        if (!cn->where[CONFIG_NAMESPACE_SIZE].file || cn->size.kind == SIZE_REST || tn->raw_size == 0)
                return _CONFIG_NAMESPACE_KEY_INVALID;
        /* The size it would be given in this region, as if it were empty: what was asked when it
         * was created, rounded as then. */
        shape.available = shape.largest_extent = shape.size;
        if (namespace_plan_size(&shape, &req, &np, NULL) < 0) {
                /* More than the whole region: certainly not what it is. */
                if (cn->size.kind != SIZE_BYTES || cn->size.bytes <= shape.size)
                        return _CONFIG_NAMESPACE_KEY_INVALID;
                np.size = cn->size.bytes;
        }
        if (np.size == tn->raw_size)
                return _CONFIG_NAMESPACE_KEY_INVALID;
        *ret_size = np.size;
        return CONFIG_NAMESPACE_SIZE;
}

/* Size= or Region= changed: a problem unless Destroy=yes; then the namespace is destroyed and
 * made again as configured, but only when the new one has room (else nothing is destroyed). */
static int plan_relocate(Planner *pl, size_t i, const char *section, const TopoRegion *tr,
                         const TopoNamespace *tn, ConfigNamespaceKey key, uint64_t want_size) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        const Topology *t = pl->in->topology;
        NamespaceRequest req = config_namespace_request(cn);
        _cleanup_free_ char *busy = NULL, *msg = NULL, *spec = NULL, *what = NULL;
        _cleanup_(region_pick_done) RegionPick pick = {};
        const TopoRegion *to = tr;
        const char *dev = tn->dev ?: "the namespace";
        NamespacePlan np;
        ReconcileStep *s;
        int r;

        if (key == CONFIG_NAMESPACE_REGION) {
                r = config_region_format(&cn->region, &spec);
                if (r < 0)
                        return r;
                r = asprintf(&what,
                             "configured with Region=%s but %s is in %s; a namespace cannot move to another "
                             "region without being destroyed",
                             spec, dev, tr->dev);
        } else
                r = asprintf(
                        &what,
                        "configured with a size of %s but %s in %s is %s; a namespace cannot be resized "
                        "without being destroyed",
                        SIZE_FMT(want_size), dev, tr->dev, SIZE_FMT(tn->raw_size));
        if (r < 0)
                return -ENOMEM;

        if (!cn->destroy) {
                if (asprintf(&msg,
                             "Namespace %s is %s; set Destroy=yes to let daxmgr destroy it and create it "
                             "again (its data is lost), or change %s= back",
                             cn->name, what, config_namespace_key_to_string(key)) < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, key), msg);
        }
        r = ns_in_use(tn, &busy);
        if (r < 0)
                return r;
        if (busy) {
                if (asprintf(&msg, "Namespace %s is %s, and %s", cn->name, what, busy) < 0)
                        return -ENOMEM;
                return ns_problem(pl, i, RECONCILE_CONFLICT, section, ns_where(cn, key), msg);
        }

        /* Where the new one goes, and that it fits there, before anything is destroyed. */
        if (key == CONFIG_NAMESPACE_REGION) {
                r = topology_pick_region(t, &cn->region, &req, &pick);
                if (r < 0)
                        return r;
                to = pick.region;
                if (!to) {
                        if (asprintf(&msg, "Namespace %s is %s, and cannot be made again: %s", cn->name,
                                     what, pick.why ?: "no region matches") < 0)
                                return -ENOMEM;
                        return ns_problem(pl, i, pick.n_candidates ? RECONCILE_NO_ROOM : RECONCILE_WAITING,
                                          section, ns_where(cn, key), msg);
                }
                np = pick.plan;
        } else {
                RegionShape shape = topo_region_shape(tr);
                _cleanup_free_ char *why = NULL;

                /* Its own space comes free; whether the extent is large enough, namespace_create()
                 * tells. */
                shape.available += tn->raw_size ?: tn->size;
                shape.largest_extent = shape.available;
                r = namespace_plan_size(&shape, &req, &np, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (asprintf(&msg, "Namespace %s is %s, and cannot be made again: %s", cn->name,
                                     what, why ?: strerror(-r)) < 0)
                                return -ENOMEM;
                        return ns_problem(pl, i, RECONCILE_NO_ROOM, section, ns_where(cn, key), msg);
                }
        }

        r = ns_step(pl, RECONCILE_DESTROY_NAMESPACE, section, ns_key(cn, tr, tn), tr->dev, tn->dev, &s);
        if (r < 0)
                return r;
        s->force = true;
        r = step_describe(s, "destroy %s of %s (%s), and what it holds, to make it again (Destroy=yes)", dev,
                          tr->dev, SIZE_FMT(tn->raw_size ?: tn->size));
        if (r < 0)
                return r;
        return plan_create_step(pl, i, section, to->dev, &req, np.size, true);
}

/* A namespace that exists and is daxmgr's to change: made again when its place differs,
 * reconfigured when its layout does, else what it holds brought to what the section asks. */
int plan_existing_namespace(Planner *pl, size_t i, const char *section, const TopoRegion *tr,
                            const TopoNamespace *tn) {
        const ConfigNamespace *cn = &pl->in->config->namespaces[i];
        ConfigNamespaceKey key;
        uint64_t want_size;

        key = ns_place_differs(pl->in->topology, cn, tr, tn, &want_size);
        if (key >= 0)
                return plan_relocate(pl, i, section, tr, tn, key, want_size);
        key = ns_layout_differs(cn, tn);
        if (key >= 0)
                return plan_layout_change(pl, i, section, tr, tn, key);

        switch (cn->mode) {
        case NAMESPACE_MODE_FSDAX:
                return plan_existing_fsdax(pl, i, section, tr, tn);
        case NAMESPACE_MODE_DEVDAX:
                return plan_existing_devdax(pl, i, section, tr, tn);
        case NAMESPACE_MODE_RAW:
        case NAMESPACE_MODE_SECTOR:
        case _NAMESPACE_MODE_MAX:
        case _NAMESPACE_MODE_INVALID:
                break;
        }
        return 0;
}
