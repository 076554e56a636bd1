/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Naming a namespace: every key form, "/dev/" or not, uuids in any case, and the refusal of a
 * key that names two namespaces (in whatever forms), with the candidates named. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "ns-key.h"
#include "test-macro.h"

/* As the topology has them (devices without /dev/) and as the bus has them (with it). */
static const NamespaceIdentity ids[] = {
        { .dev = "namespace0.0",
          .name = "data",
          .blockdev = "pmem0",
          .uuid = "b68e8f84-fa34-43e0-84c4-dc047fe83fd8",
          .raw_uuid = "8fc0151d-adb9-41cd-a8a0-233343fe06ed" },
        { .dev = "namespace0.1",
          .name = "fast",
          .chardev = "/dev/dax0.1",
          .uuid = "21911921-b5e3-41d7-b675-ec32be06ad30",
          .raw_uuid = "4fe59054-a83e-4a16-be11-2459a3c0b4ec" },
        { .dev = "namespace0.2",
          .name = "",
          .blockdev = "/dev/pmem0.2",
          .uuid = "16b1ca35-2c7d-497a-b02d-c124d088476f",
          .raw_uuid = "16b1ca35-2c7d-497a-b02d-c124d088476f" },
        /* Label-less: no name, no uuid at all. */
        { .dev = "namespace1.0", .blockdev = "pmem1" },
        /* A label name equal to another namespace's kernel name. */
        { .dev = "namespace2.0",
          .name = "namespace1.0",
          .blockdev = "pmem2",
          .uuid = "0a0a0a0a-0000-4000-8000-000000000001" },
};

static void find(const char *key, int want) {
        char *e = NULL;
        int r = namespace_key_find(ids, ELEMENTSOF(ids), key, &e);

        if (r != want) {
                fprintf(stderr, "key '%s': expected %d, got %d (%s)\n", key, want, r, e ?: "");
                abort();
        }
        ASSERT_TRUE(e == NULL);
}

static void refused(const char *key, int want, const char *words) {
        char *e = NULL;

        ASSERT_EQ(namespace_key_find(ids, ELEMENTSOF(ids), key, &e), want);
        if (!e || !strstr(e, words)) {
                fprintf(stderr, "key '%s': expected '%s' in '%s'\n", key, words, e ?: "(none)");
                abort();
        }
        free(e);
}

TEST(test_forms) {
        find("data", 0);
        find("namespace0.0", 0);
        find("pmem0", 0);
        find("/dev/pmem0", 0);
        find("b68e8f84-fa34-43e0-84c4-dc047fe83fd8", 0);
        find("B68E8F84-FA34-43E0-84C4-DC047FE83FD8", 0);
        find("8fc0151d-adb9-41cd-a8a0-233343fe06ed", 0);

        find("fast", 1);
        find("dax0.1", 1);
        find("/dev/dax0.1", 1);
        find("21911921-b5e3-41d7-b675-ec32be06ad30", 1);
        find("4fe59054-a83e-4a16-be11-2459a3c0b4ec", 1);

        /* uuid and raw uuid are the same (raw mode): one namespace, not two. */
        find("16b1ca35-2c7d-497a-b02d-c124d088476f", 2);
        find("pmem0.2", 2);
        find("/dev/pmem0.2", 2);

        find("pmem1", 3);
        find("0a0a0a0a-0000-4000-8000-000000000001", 4);
        find("pmem2", 4);
        find("namespace2.0", 4);
}

TEST(test_match_mask) {
        ASSERT_EQ(namespace_key_match(&ids[2], "16b1ca35-2c7d-497a-b02d-c124d088476f"),
                  (1u << NAMESPACE_KEY_UUID) | (1u << NAMESPACE_KEY_RAW_UUID));
        ASSERT_EQ(namespace_key_match(&ids[0], "/dev/pmem0"), 1u << NAMESPACE_KEY_BLOCKDEV);
        ASSERT_EQ(namespace_key_match(&ids[1], "dax0.1"), 1u << NAMESPACE_KEY_CHARDEV);
        ASSERT_EQ(namespace_key_match(&ids[0], "data"), 1u << NAMESPACE_KEY_NAME);
        ASSERT_EQ(namespace_key_match(&ids[0], "namespace0.0"), 1u << NAMESPACE_KEY_DEV);
        /* Not a device: a path below /dev, /dev itself, a prefix, a name with /dev/. */
        ASSERT_EQ(namespace_key_match(&ids[0], "/dev/x/pmem0"), 0);
        ASSERT_EQ(namespace_key_match(&ids[0], "/dev/"), 0);
        ASSERT_EQ(namespace_key_match(&ids[0], "pmem"), 0);
        ASSERT_EQ(namespace_key_match(&ids[0], "/dev/data"), 0);
        ASSERT_EQ(namespace_key_match(&ids[0], "/tmp/pmem0"), 0);
        /* Absent forms never match, not even the empty key. */
        ASSERT_EQ(namespace_key_match(&ids[2], ""), 0);
        ASSERT_EQ(namespace_key_match(&ids[3], ""), 0);
        ASSERT_EQ(namespace_key_match(&ids[3], "(null)"), 0);
        ASSERT_EQ(namespace_key_match(NULL, "data"), 0);
}

TEST(test_refusals) {
        refused("nosuch", -ENOENT, "there is no namespace \"nosuch\"");
        refused("", -EINVAL, "must be named");
        refused(NULL, -EINVAL, "must be named");
        refused("namespace1.0", -ENOTUNIQ,
                "\"namespace1.0\" names more than one namespace: namespace1.0 (its kernel name), "
                "namespace2.0 "
                "(its label name); give the one you mean by its uuid");

        /* Nothing to look in. */
        char *e = NULL;
        ASSERT_EQ(namespace_key_find(NULL, 0, "data", &e), -ENOENT);
        free(e);
        ASSERT_EQ(namespace_key_find(ids, ELEMENTSOF(ids), "data", NULL), 0);
        ASSERT_EQ(namespace_key_find(ids, ELEMENTSOF(ids), "namespace1.0", NULL), -ENOTUNIQ);
}

TEST(test_several_forms_one_candidate) {
        /* A label name equal to its own block device and another's kernel name. */
        static const NamespaceIdentity two[] = {
                { .dev = "namespace0.0", .name = "pmem0", .blockdev = "pmem0" },
                { .dev = "pmem0", .blockdev = "pmem9" },
        };
        char *e = NULL;

        ASSERT_EQ(namespace_key_find(two, 1, "pmem0", NULL), 0);
        ASSERT_EQ(namespace_key_find(two, 2, "pmem0", &e), -ENOTUNIQ);
        ASSERT_STREQ(e, "\"pmem0\" names more than one namespace: namespace0.0 (its label name and block "
                        "device), pmem0 (its kernel name); give the one you mean by its uuid (ndctl list -N "
                        "shows it)");
        free(e);
}

TEST(test_form_names) {
        ASSERT_STREQ(namespace_key_form_to_string(NAMESPACE_KEY_RAW_UUID), "raw uuid");
        ASSERT_TRUE(namespace_key_form_to_string(_NAMESPACE_KEY_FORM_MAX) == NULL);
}

DEFINE_TEST_MAIN();
