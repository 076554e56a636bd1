/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "strv.h"
#include "test-macro.h"

/* Every value has a string, the string reads back as the value, and anything else is -EINVAL. */
#define CHECK_TABLE(name, max)                                                                              \
        do {                                                                                                \
                for (int _i = 0; _i < (max); _i++) {                                                        \
                        const char *_s = name##_to_string(_i);                                              \
                        ASSERT_TRUE(_s);                                                                    \
                        ASSERT_EQ(name##_from_string(_s), _i);                                              \
                }                                                                                           \
                ASSERT_TRUE(!name##_to_string(max));                                                        \
                ASSERT_TRUE(!name##_to_string(-1));                                                         \
                ASSERT_TRUE(!name##_to_string(-EINVAL));                                                    \
                ASSERT_EQ(name##_from_string(NULL), -EINVAL);                                               \
                ASSERT_EQ(name##_from_string(""), -EINVAL);                                                 \
                ASSERT_EQ(name##_from_string("no-such-value"), -EINVAL);                                    \
        } while (0)

TEST(test_tables) {
        CHECK_TABLE(namespace_mode, _NAMESPACE_MODE_MAX);
        CHECK_TABLE(pfn_map, _PFN_MAP_MAX);
        CHECK_TABLE(dax_mode, _DAX_MODE_MAX);
        CHECK_TABLE(devdax_mode, _DEVDAX_MODE_MAX);
        CHECK_TABLE(fs_type, _FS_TYPE_MAX);
        CHECK_TABLE(dax_provider, _DAX_PROVIDER_MAX);

        /* The words users and the kernel write; case matters, as in sysfs and ndctl. */
        ASSERT_EQ(namespace_mode_from_string("fsdax"), NAMESPACE_MODE_FSDAX);
        ASSERT_EQ(namespace_mode_from_string("devdax"), NAMESPACE_MODE_DEVDAX);
        ASSERT_EQ(namespace_mode_from_string("FSDAX"), _NAMESPACE_MODE_INVALID);
        ASSERT_EQ(namespace_mode_from_string("memory"), _NAMESPACE_MODE_INVALID); /* ndctl's old name */
        ASSERT_EQ(pfn_map_from_string("dev"), PFN_MAP_DEV);
        ASSERT_EQ(dax_mode_from_string("inode"), DAX_MODE_INODE);
        ASSERT_EQ(dax_mount_mode_from_string("always"), DAX_MODE_ALWAYS);
        ASSERT_EQ(dax_mount_mode_from_string("inode"), DAX_MODE_INODE);
        ASSERT_EQ(dax_mount_mode_from_string("never"), -EINVAL);
        ASSERT_EQ(dax_mount_mode_from_string(NULL), -EINVAL);
        ASSERT_EQ(dax_mount_mode_from_string("Always"), -EINVAL);
        ASSERT_EQ(devdax_mode_from_string("system-ram"), DEVDAX_MODE_SYSTEM_RAM);
        ASSERT_EQ(devdax_mode_from_string("system_ram"), _DEVDAX_MODE_INVALID);
        ASSERT_EQ(fs_type_from_string("ext4"), FS_TYPE_EXT4);
        ASSERT_EQ(fs_type_from_string("ext3"), _FS_TYPE_INVALID);
        ASSERT_STREQ(dax_provider_to_string(DAX_PROVIDER_HMEM), "hmem");
}

TEST(test_namespace_name_is_valid) {
        char longest[NAMESPACE_NAME_MAX + 2];

        ASSERT_TRUE(namespace_name_is_valid("data"));
        ASSERT_TRUE(namespace_name_is_valid("a.b-c_d:1"));
        ASSERT_TRUE(!namespace_name_is_valid(NULL));
        ASSERT_TRUE(!namespace_name_is_valid(""));
        ASSERT_TRUE(!namespace_name_is_valid("has space"));
        ASSERT_TRUE(!namespace_name_is_valid("a/b"));
        ASSERT_TRUE(!namespace_name_is_valid("tab\there"));
        ASSERT_TRUE(!namespace_name_is_valid("caf\xc3\xa9"));
        memset(longest, 'n', NAMESPACE_NAME_MAX);
        longest[NAMESPACE_NAME_MAX] = 0;
        ASSERT_TRUE(namespace_name_is_valid(longest));
        longest[NAMESPACE_NAME_MAX] = 'n';
        longest[NAMESPACE_NAME_MAX + 1] = 0;
        ASSERT_TRUE(!namespace_name_is_valid(longest));
}

TEST(test_strv) {
        _cleanup_strv_free_ char **l = NULL;
        char *s;

        ASSERT_EQ(strv_length(NULL), 0);
        ASSERT_TRUE(!strv_contains(NULL, "a"));
        ASSERT_EQ(strv_extend(&l, "a"), 0);
        ASSERT_EQ(strv_extend_many(&l, "b", "c", NULL), 0);
        s = strdup("d");
        ASSERT_TRUE(s);
        ASSERT_EQ(strv_consume(&l, s), 0); /* l owns it now */
        ASSERT_EQ(strv_length(l), 4);
        ASSERT_STREQ(l[0], "a");
        ASSERT_STREQ(l[2], "c");
        ASSERT_STREQ(l[3], "d");
        ASSERT_TRUE(!l[4]);
        ASSERT_TRUE(strv_contains(l, "b"));
        ASSERT_TRUE(!strv_contains(l, "e"));

        /* A failed allocation passed straight in: -ENOMEM, and the list is as it was. */
        ASSERT_EQ(strv_consume(&l, NULL), -ENOMEM);
        ASSERT_EQ(strv_extend(&l, NULL), -ENOMEM);
        ASSERT_EQ(strv_length(l), 4);

        l = strv_free(l);
        ASSERT_TRUE(!l);
        ASSERT_EQ(strv_extend_many(&l, NULL), 0);
        ASSERT_TRUE(!l);
}

TEST(test_placement_align_note) {
        char *one[] = { (char *) "3 4096", NULL };
        char *two[] = { (char *) "3 4096", (char *) "5 65536", NULL };
        char *odd[] = { (char *) "three", (char *) "3 4096 1", NULL };
        char *none[] = { NULL };
        char *s = NULL;

        ASSERT_EQ(placement_align_note("/usr/bin/x", one, &s), 0);
        ASSERT_STREQ(
                s, "/usr/bin/x: p_align raised to 2 MiB in its copy (program header 3, was 4096): the base "
                   "address of this program is 2 MiB-aligned, 9 fewer random bits (docs/XIP.md)");
        free(s);
        ASSERT_EQ(placement_align_note("/usr/bin/x", two, &s), 0);
        ASSERT_TRUE(strstr(s, "(program headers 3, was 4096; 5, was 65536): "));
        free(s);
        /* Not "PHDR WAS": shown as it is. */
        ASSERT_EQ(placement_align_note("/usr/bin/x", odd, &s), 0);
        ASSERT_TRUE(strstr(s, "(program headers three; 3 4096 1): "));
        free(s);
        s = (char *) "untouched";
        ASSERT_EQ(placement_align_note("/usr/bin/x", none, &s), 0);
        ASSERT_TRUE(!s);
        ASSERT_EQ(placement_align_note("/usr/bin/x", NULL, &s), 0);
        ASSERT_TRUE(!s);
        ASSERT_EQ(placement_align_note(NULL, one, &s), -EINVAL);
}

DEFINE_TEST_MAIN();
