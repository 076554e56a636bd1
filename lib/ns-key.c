/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "ns-key.h"

static const char *const form_table[_NAMESPACE_KEY_FORM_MAX] = {
        [NAMESPACE_KEY_NAME] = "label name",
        [NAMESPACE_KEY_DEV] = "kernel name",
        [NAMESPACE_KEY_BLOCKDEV] = "block device",
        [NAMESPACE_KEY_CHARDEV] = "character device",
        [NAMESPACE_KEY_UUID] = "uuid",
        [NAMESPACE_KEY_RAW_UUID] = "raw uuid",
};

const char *namespace_key_form_to_string(NamespaceKeyForm f) {
        return f >= 0 && f < _NAMESPACE_KEY_FORM_MAX ? form_table[f] : NULL;
}

static bool present(const char *s) {
        return s && *s;
}

static const char *strip_dev(const char *s) {
        return strncmp(s, "/dev/", 5) == 0 ? s + 5 : s;
}

unsigned namespace_key_match(const NamespaceIdentity *id, const char *key) {
        const char *k;
        bool device;
        unsigned m = 0;

        if (!id || !present(key))
                return 0;
        /* "pmem0" and "/dev/pmem0" alike, but not "/dev/" alone or a path below /dev. */
        k = strip_dev(key);
        device = *k && strcspn(k, "/") == strlen(k);
        if (present(id->name) && strcmp(id->name, key) == 0)
                m |= 1u << NAMESPACE_KEY_NAME;
        if (present(id->dev) && strcmp(id->dev, key) == 0)
                m |= 1u << NAMESPACE_KEY_DEV;
        if (device && present(id->blockdev) && strcmp(strip_dev(id->blockdev), k) == 0)
                m |= 1u << NAMESPACE_KEY_BLOCKDEV;
        if (device && present(id->chardev) && strcmp(strip_dev(id->chardev), k) == 0)
                m |= 1u << NAMESPACE_KEY_CHARDEV;
        if (present(id->uuid) && strcasecmp(id->uuid, key) == 0)
                m |= 1u << NAMESPACE_KEY_UUID;
        if (present(id->raw_uuid) && strcasecmp(id->raw_uuid, key) == 0)
                m |= 1u << NAMESPACE_KEY_RAW_UUID;
        return m;
}

/* "namespace1.0 (its label name), namespace0.0 (its kernel name and block device)" */
static char *describe_candidates(const NamespaceIdentity *ids, size_t n, const char *key) {
        char *text = NULL;
        size_t len = 0, k = 0;
        FILE *f = open_memstream(&text, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                unsigned m = namespace_key_match(&ids[i], key);
                size_t j = 0;

                if (!m)
                        continue;
                fprintf(f, "%s%s (its ", k++ ? ", " : "", present(ids[i].dev) ? ids[i].dev : "?");
                for (NamespaceKeyForm form = 0; form < _NAMESPACE_KEY_FORM_MAX; form++)
                        if (m & (1u << form))
                                fprintf(f, "%s%s", j++ ? " and " : "", form_table[form]);
                fputc(')', f);
        }
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

int namespace_key_find(const NamespaceIdentity *ids, size_t n, const char *key, char **ret_error) {
        _cleanup_free_ char *candidates = NULL;
        size_t found = 0;
        int index = -1;

        if (!present(key))
                return error_set(ret_error, -EINVAL,
                                 "a namespace must be named: by its label name, kernel name (namespaceX.Y), "
                                 "device (pmemX, /dev/pmemX, daxX.Y), uuid or raw uuid");
        for (size_t i = 0; i < n; i++)
                if (namespace_key_match(&ids[i], key)) {
                        found++;
                        index = (int) i;
                }
        if (found == 0)
                return error_set(
                        ret_error, -ENOENT,
                        "there is no namespace \"%s\" (a namespace is named by its label name, kernel "
                        "name namespaceX.Y, device pmemX, /dev/pmemX or daxX.Y, uuid or raw uuid)",
                        key);
        if (found > 1) {
                candidates = describe_candidates(ids, n, key);
                return error_set(
                        ret_error, -ENOTUNIQ,
                        "\"%s\" names more than one namespace: %s; give the one you mean by its uuid "
                        "(ndctl list -N shows it)",
                        key, candidates ?: "several");
        }
        return index;
}
