/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Naming a namespace (pure, no I/O): every verb that takes a namespace, in the library, the
 * daemon and the CLI, accepts the same keys, matched here. A namespace is named by its label
 * name ("data"), its kernel name ("namespace0.0"), its block device ("pmem0" or "/dev/pmem0"),
 * its character device ("dax0.0" or "/dev/dax0.0"), the uuid `ndctl list -N` prints for it, or
 * its label's uuid (`ndctl list -N -v`'s "raw_uuid"); uuids in any case. A key that names more
 * than one namespace, in whatever forms (a label name equal to another namespace's kernel
 * name…), is refused with the candidates named: nothing is ever done to "the first one". */

#include <stddef.h>

typedef enum NamespaceKeyForm {
        NAMESPACE_KEY_NAME,
        NAMESPACE_KEY_DEV,
        NAMESPACE_KEY_BLOCKDEV,
        NAMESPACE_KEY_CHARDEV,
        NAMESPACE_KEY_UUID,
        NAMESPACE_KEY_RAW_UUID,
        _NAMESPACE_KEY_FORM_MAX,
} NamespaceKeyForm;

/* What a namespace can be named by. Absent forms are NULL or "". The devices may carry "/dev/"
 * or not (the topology keeps "pmem0", the bus "/dev/pmem0"). */
typedef struct NamespaceIdentity {
        const char *dev; /* "namespace0.0" */
        const char *name;
        const char *blockdev;
        const char *chardev;
        const char *uuid;
        const char *raw_uuid;
} NamespaceIdentity;

/* "label name", "kernel name", "block device", "character device", "uuid", "raw uuid". */
const char *namespace_key_form_to_string(NamespaceKeyForm f);

/* The forms in which @key names @id, as a mask of (1u << NamespaceKeyForm); 0 if it does not. */
unsigned namespace_key_match(const NamespaceIdentity *id, const char *key);

/* The one of @ids[0..@n) that @key names: its index (>= 0), or -EINVAL (an empty key), -ENOENT
 * (none) or -ENOTUNIQ (several), with a sentence in *ret_error that quotes the key and, for
 * -ENOTUNIQ, names each candidate and how the key matched it. */
int namespace_key_find(const NamespaceIdentity *ids, size_t n, const char *key, char **ret_error);
