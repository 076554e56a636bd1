/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Namespace mutations through libndctl: create (fsdax, devdax, raw), destroy, and change the
 * mode of a label-less region's single namespace. Every mutation holds the context's
 * in-process lock and the host-wide lock (ns-lock.h): libndctl assumes one writer per host.
 * A failed create leaves no half-made namespace behind. */

#include <stdbool.h>

#include "context.h"
#include "size.h"
#include "topology.h"

typedef struct NamespaceCreate {
        const char *region;  /* "region0"; NULL: the first with room (topology_pick_region()) */
        NamespaceRequest ns; /* its mode is fsdax, devdax or raw; align 0 = the default */
        const char *name;    /* stored in the label; optional but the only stable identity */
} NamespaceCreate;

/* Creates a namespace; on success *ret_dev (optional) is "namespaceX.Y", *ret_uuid (optional)
 * the uuid `ndctl list -N` shows for it (the pfn or dax info block's; for raw, the label's) and
 * *ret_raw_uuid (optional) its label's uuid. Without a region, the region is picked under the
 * host-wide lock, from the snapshot the namespace is then made against. */
int namespace_create(DaxContext *c, const NamespaceCreate *req, char **ret_dev, char **ret_uuid,
                     char **ret_raw_uuid, char **ret_error);

/* Destroys the namespace found by @key (any key of ns-key.h; an ambiguous one is refused, naming
 * the candidates). Refuses while it
 * is mounted or its device is open, or its memory is online as system RAM; refuses a namespace
 * holding a filesystem or other signature unless @force (the data is lost). */
int namespace_destroy(DaxContext *c, const char *key, bool force, char **ret_error);

/* Changes the mode of an existing namespace in place (the only change a label-less region
 * allows): the same refusals as destroy apply, since the data is lost. */
int namespace_reconfigure(DaxContext *c, const char *key, NamespaceMode mode, PfnMap map, uint64_t align,
                          bool force, char **ret_error);

/* Validates a namespace name: 1..63 bytes of printable ASCII without '/' or white space. */
bool namespace_name_is_valid(const char *name);

/* Erases every signature libblkid finds on the block device @blockdev ("pmem0"), opened
 * exclusively (so never a mounted one). */
int namespace_wipe_signatures(const char *blockdev);
