/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "error.h"
#include "mount-util.h"
#include "test-macro.h"

TEST(test_dax_mode_strings) {
        ASSERT_STREQ(dax_mode_to_string(DAX_MODE_ALWAYS), "always");
        ASSERT_STREQ(dax_mode_to_string(DAX_MODE_INODE), "inode");
        ASSERT_STREQ(dax_mode_to_string(DAX_MODE_NEVER), "never");
        ASSERT_TRUE(dax_mode_to_string(_DAX_MODE_MAX) == NULL);
        ASSERT_EQ(dax_mode_from_string("always"), DAX_MODE_ALWAYS);
        ASSERT_EQ(dax_mode_from_string("inode"), DAX_MODE_INODE);
        ASSERT_EQ(dax_mode_from_string("never"), DAX_MODE_NEVER);
        ASSERT_EQ(dax_mode_from_string("Always"), -EINVAL);
        ASSERT_EQ(dax_mode_from_string(""), -EINVAL);
        ASSERT_EQ(dax_mode_from_string(NULL), -EINVAL);
}

TEST(test_options_dax_mode) {
        ASSERT_EQ(mount_options_dax_mode("rw,attr2,dax=always,inode64"), DAX_MODE_ALWAYS);
        ASSERT_EQ(mount_options_dax_mode("rw,dax"), DAX_MODE_ALWAYS); /* ext2 / old ext4 spelling */
        ASSERT_EQ(mount_options_dax_mode("dax=never"), DAX_MODE_NEVER);
        ASSERT_EQ(mount_options_dax_mode("rw,dax=inode"), DAX_MODE_INODE);
        ASSERT_EQ(mount_options_dax_mode("rw,attr2,inode64"), DAX_MODE_INODE); /* xfs does not show inode */
        ASSERT_EQ(mount_options_dax_mode("rw,dax=always,dax=never"), DAX_MODE_NEVER); /* last wins */
        ASSERT_EQ(mount_options_dax_mode("daxx,nodax,dax=,dax=alwaysx"), DAX_MODE_INODE);
        ASSERT_EQ(mount_options_dax_mode(""), DAX_MODE_INODE);
        ASSERT_EQ(mount_options_dax_mode(NULL), DAX_MODE_INODE);
}

TEST(test_options_parse) {
        _cleanup_free_ char *error = NULL, *joined = NULL;
        MountOptions o = {};

        ASSERT_EQ(mount_options_parse("noatime,nodev,commit=5,nosuid,errors=remount-ro,noexec", &o, &error),
                  0);
        ASSERT_EQ(o.attr, MOUNT_ATTR_NOATIME | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
        ASSERT_EQ(o.ms, MS_NOATIME | MS_NODEV | MS_NOSUID | MS_NOEXEC);
        ASSERT_EQ(o.n_fs, 2);
        ASSERT_STREQ(o.fs[0], "commit=5");
        ASSERT_STREQ(o.fs[1], "errors=remount-ro");
        ASSERT_TRUE(o.fs[2] == NULL);
        ASSERT_TRUE(!o.read_only);
        ASSERT_EQ(mount_options_join(&o, "dax=always", &joined), 0);
        ASSERT_STREQ(joined, "dax=always,commit=5,errors=remount-ro");
        mount_options_done(&o);
        ASSERT_EQ(o.n_fs, 0);

        /* Later flags override earlier ones; the atime choices replace each other. */
        ASSERT_EQ(mount_options_parse("ro,noatime,strictatime,nodev,dev,defaults", &o, NULL), 0);
        ASSERT_EQ(o.attr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_STRICTATIME);
        ASSERT_EQ(o.ms, MS_RDONLY | MS_STRICTATIME);
        ASSERT_TRUE(o.read_only);
        ASSERT_EQ(o.n_fs, 0);
        free(joined);
        ASSERT_EQ(mount_options_join(&o, NULL, &joined), 0);
        ASSERT_STREQ(joined, "");
        mount_options_done(&o);

        ASSERT_EQ(mount_options_parse("ro,rw,relatime", &o, NULL), 0);
        ASSERT_EQ(o.attr, MOUNT_ATTR_RELATIME);
        ASSERT_TRUE(!o.read_only);
        mount_options_done(&o);

        ASSERT_EQ(mount_options_parse(NULL, &o, NULL), 0);
        ASSERT_EQ(o.attr, 0);
        ASSERT_EQ(o.n_fs, 0);
        mount_options_done(&o);
        ASSERT_EQ(mount_options_parse("", &o, NULL), 0);
        mount_options_done(&o);

        /* Refusals, each with a sentence naming the culprit. */
        ASSERT_EQ(mount_options_parse("noatime,dax=never", &o, &error), -EINVAL);
        ASSERT_TRUE(strstr(error, "\"dax=never\""));
        ASSERT_EQ(mount_options_parse("dax", &o, &error), -EINVAL);
        ASSERT_EQ(mount_options_parse("source=/dev/sda", &o, &error), -EINVAL);
        ASSERT_TRUE(strstr(error, "source=/dev/sda"));
        ASSERT_EQ(mount_options_parse("noatime,,nodev", &o, &error), -EINVAL);
        ASSERT_EQ(mount_options_parse("noatime,", &o, &error), -EINVAL);
        ASSERT_EQ(mount_options_parse("=5", &o, &error), -EINVAL);
        ASSERT_EQ(mount_options_parse("commit= 5", &o, &error), -EINVAL);
        ASSERT_EQ(mount_options_parse("a\tb", &o, &error), -EINVAL);
}

/* tests/unit/mountinfo-dax.txt: a root, proc, tmpfs, an xfs dax=always mount with an ext4 below
 * it, a mount point with a space, an ext4 mounted over the xfs, and a bind mount of the xfs. */
TEST(test_table) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        _cleanup_free_ char *below = NULL;
        struct libmnt_fs *fs;

        ASSERT_EQ(mount_table_load("mountinfo-dax.txt", &t), 0);

        /* The top-most of the two mounts at /mnt/pmem0. */
        fs = mount_table_find_target(t, "/mnt/pmem0");
        ASSERT_TRUE(fs);
        ASSERT_EQ(mnt_fs_get_id(fs), 44);
        ASSERT_STREQ(mnt_fs_get_source(fs), "/dev/pmem0.1");
        ASSERT_EQ(mount_options_dax_mode(mnt_fs_get_fs_options(fs)), DAX_MODE_NEVER);
        ASSERT_TRUE(mount_table_find_target(t, "/mnt/pmem") == NULL);
        ASSERT_TRUE(mount_table_find_target(t, "/mnt/pmem0/sub/x") == NULL);

        /* Octal escapes in mountinfo are undone. */
        fs = mount_table_find_target(t, "/mnt/with space");
        ASSERT_TRUE(fs);
        ASSERT_EQ(mnt_fs_get_id(fs), 43);
        ASSERT_EQ(mount_options_dax_mode(mnt_fs_get_fs_options(fs)), DAX_MODE_ALWAYS);

        /* By device: the first mount of 259:0, not its bind mount. */
        fs = mount_table_find_devno(t, makedev(259, 0));
        ASSERT_TRUE(fs);
        ASSERT_EQ(mnt_fs_get_id(fs), 41);
        ASSERT_EQ(mount_options_dax_mode(mnt_fs_get_fs_options(fs)), DAX_MODE_ALWAYS);
        ASSERT_TRUE(mount_table_find_devno(t, makedev(259, 9)) == NULL);
        ASSERT_TRUE(mount_table_find_devno(t, 0) == NULL);

        fs = mount_table_find_id(t, 42);
        ASSERT_TRUE(fs);
        ASSERT_STREQ(mnt_fs_get_target(fs), "/mnt/pmem0/sub");
        ASSERT_STREQ(mnt_fs_get_fstype(fs), "ext4");
        ASSERT_EQ(mount_options_dax_mode(mnt_fs_get_fs_options(fs)), DAX_MODE_INODE);
        ASSERT_TRUE(mount_table_find_id(t, 99) == NULL);

        /* The mount a path lives on: the longest target, the top-most on a tie. */
        ASSERT_EQ(mnt_fs_get_id(mount_table_find_path(t, "/mnt/pmem0/sub/a/b")), 42);
        ASSERT_EQ(mnt_fs_get_id(mount_table_find_path(t, "/mnt/pmem0/sub")), 42);
        ASSERT_EQ(mnt_fs_get_id(mount_table_find_path(t, "/mnt/pmem0/subway")), 44);
        ASSERT_EQ(mnt_fs_get_id(mount_table_find_path(t, "/mnt/pmem0")), 44);
        ASSERT_EQ(mnt_fs_get_id(mount_table_find_path(t, "/mnt/pmem")), 22);
        ASSERT_EQ(mnt_fs_get_id(mount_table_find_path(t, "/etc/passwd")), 22);
        ASSERT_EQ(mnt_fs_get_id(mount_table_find_path(t, "/tmp/x")), 30);
        ASSERT_EQ(mnt_fs_get_id(mount_table_find_path(t, "/")), 22);

        ASSERT_EQ(mount_table_submounts(t, "/mnt/pmem0", &below), 0);
        ASSERT_STREQ(below, "/mnt/pmem0/sub");
        free(below);
        ASSERT_EQ(mount_table_submounts(t, "/mnt/pmem0/sub", &below), 0);
        ASSERT_TRUE(below == NULL);
        ASSERT_EQ(mount_table_submounts(t, "/srv", &below), 0);
        ASSERT_STREQ(below, "/srv/bind");

        ASSERT_EQ(mount_table_load("does-not-exist.txt", &t), -ENOENT);
}

TEST(test_fstype) {
        ASSERT_TRUE(fstype_is_virtual_memory("tmpfs"));
        ASSERT_TRUE(fstype_is_virtual_memory("ramfs"));
        ASSERT_TRUE(!fstype_is_virtual_memory("xfs"));
        ASSERT_TRUE(!fstype_is_virtual_memory(NULL));
        ASSERT_TRUE(fstype_supports_dax("xfs"));
        ASSERT_TRUE(fstype_supports_dax("ext4"));
        ASSERT_TRUE(!fstype_supports_dax("btrfs"));
        ASSERT_TRUE(!fstype_supports_dax("tmpfs"));
        ASSERT_TRUE(!fstype_supports_dax(NULL));
}

DEFINE_TEST_MAIN();
