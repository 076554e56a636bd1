/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "dax-mount.h"
#include "test-macro.h"

TEST(test_fs_context_message) {
        _cleanup_free_ char *t = NULL;
        char level;

        ASSERT_EQ(fs_context_message_parse("e xfs: DAX unsupported by block device.", 40, &level, &t), 0);
        ASSERT_EQ(level, 'e');
        ASSERT_STREQ(t, "xfs: DAX unsupported by block device.");
        free(t);
        /* read() hands the message without NUL; a trailing newline is dropped; len is honoured. */
        ASSERT_EQ(fs_context_message_parse("w ext4: Unknown parameter 'x'\nGARBAGE", 30, &level, &t), 0);
        ASSERT_EQ(level, 'w');
        ASSERT_STREQ(t, "ext4: Unknown parameter 'x'");
        free(t);
        ASSERT_EQ(fs_context_message_parse("i note", 6, &level, &t), 0);
        ASSERT_EQ(level, 'i');
        ASSERT_STREQ(t, "note");
        free(t);
        ASSERT_EQ(fs_context_message_parse("no prefix here", 14, &level, &t), 0);
        ASSERT_EQ(level, '?');
        ASSERT_STREQ(t, "no prefix here");
        free(t);
        ASSERT_EQ(fs_context_message_parse("x bad", 5, &level, &t), 0);
        ASSERT_EQ(level, '?');
        ASSERT_STREQ(t, "x bad");
        free(t);
        ASSERT_EQ(fs_context_message_parse("e", 1, &level, &t), 0);
        ASSERT_EQ(level, '?');
        ASSERT_STREQ(t, "e");
}

TEST(test_kmsg) {
        static const char rec[] = "3,1234,5678901,-;EXT4-fs (pmem0): DAX unsupported by block device.\n"
                                  " SUBSYSTEM=block\n DEVICE=b259:0\n";
        static const char no_dict[] =
                "4,99,100,c;XFS (pmem1): DAX unsupported by block device. Turning off DAX.";
        _cleanup_free_ char *t = NULL;

        ASSERT_EQ(kmsg_record_text(rec, strlen(rec), &t), 0);
        ASSERT_STREQ(t, "EXT4-fs (pmem0): DAX unsupported by block device.");
        ASSERT_TRUE(kmsg_line_names_device(t, "pmem0"));
        ASSERT_TRUE(!kmsg_line_names_device(t, "pmem0.1"));
        ASSERT_TRUE(!kmsg_line_names_device(t, "pmem"));
        free(t);
        ASSERT_EQ(kmsg_record_text(no_dict, strlen(no_dict), &t), 0);
        ASSERT_STREQ(t, "XFS (pmem1): DAX unsupported by block device. Turning off DAX.");
        ASSERT_TRUE(kmsg_line_names_device(t, "pmem1"));
        ASSERT_TRUE(!kmsg_line_names_device(t, "pmem0"));
        free(t);
        t = NULL;
        ASSERT_EQ(kmsg_record_text("no semicolon\n;x", 15, &t), -EBADMSG);
        ASSERT_TRUE(kmsg_line_names_device("pmem0: detected capacity change", "pmem0"));
        ASSERT_TRUE(!kmsg_line_names_device("pmem0.1: detected capacity change", "pmem0"));
        ASSERT_TRUE(!kmsg_line_names_device("anything", ""));
}

TEST(test_log_lists) {
        _cleanup_free_ char *log = NULL, *picked = NULL;
        char *dax_lines[] = {
                (char *) "XFS (pmem0): Mounting V5 Filesystem",
                (char *) "XFS (pmem0): DAX unsupported by block device. Turning off DAX.",
                (char *) "XFS (pmem0): Ending clean mount",
                NULL,
        };
        char *plain[] = {
                (char *) "one", (char *) "two", (char *) "three", (char *) "four", (char *) "five", NULL,
        };

        ASSERT_EQ(log_append_unique(&log, "a"), 0);
        ASSERT_EQ(log_append_unique(&log, "b"), 0);
        ASSERT_EQ(log_append_unique(&log, "a"), 0);
        ASSERT_EQ(log_append_unique(&log, ""), 0);
        ASSERT_STREQ(log, "a; b");

        ASSERT_EQ(kernel_lines_pick(dax_lines, false, &picked), 0);
        ASSERT_STREQ(picked, "XFS (pmem0): DAX unsupported by block device. Turning off DAX.");
        free(picked);
        ASSERT_EQ(kernel_lines_pick(plain, false, &picked), 0);
        ASSERT_STREQ(picked, "three; four; five");
        free(picked);
        ASSERT_EQ(kernel_lines_pick(plain, true, &picked), 0);
        ASSERT_TRUE(picked == NULL);
        ASSERT_EQ(kernel_lines_pick(NULL, false, &picked), 0);
        ASSERT_TRUE(picked == NULL);
}

static char *explain(DaxFacts f) {
        char *s = NULL;

        ASSERT_EQ(dax_explain(&f, &s), 0);
        return s;
}

#define ASSERT_EXPLAINS(facts, needle)                                                                      \
        do {                                                                                                \
                _cleanup_free_ char *_s = explain(facts);                                                   \
                if (!_s || !strstr(_s, needle)) {                                                           \
                        fprintf(stderr, "%s:%d: expected \"%s\" in \"%s\"\n", __FILE__, __LINE__, needle,   \
                                _s ?: "(null)");                                                            \
                        abort();                                                                            \
                }                                                                                           \
        } while (0)

TEST(test_explain) {
        DaxFacts ok = { .fstype = "xfs",
                        .device = "pmem0",
                        .mode = DAX_MODE_ALWAYS,
                        .dax_flag = 0,
                        .queue_dax = 1,
                        .reported = true,
                        .dax = true };
        DaxFacts f;

        ASSERT_TRUE(explain(ok) == NULL);

        f = ok, f.dax = false, f.reported = false;
        ASSERT_EXPLAINS(f, "STATX_ATTR_DAX");
        f = ok, f.dax = false, f.fstype = "tmpfs", f.device = NULL, f.queue_dax = -1;
        ASSERT_EXPLAINS(f, "tmpfs keeps files in ordinary RAM");
        f = ok, f.dax = false, f.fstype = "btrfs";
        ASSERT_EXPLAINS(f, "btrfs cannot do DAX");
        f = ok, f.dax = false, f.fstype = "ext4", f.device = "pmem1", f.queue_dax = 0;
        ASSERT_EXPLAINS(f, "/sys/block/pmem1/queue/dax is 0");
        f = ok, f.dax = false, f.mode = DAX_MODE_NEVER;
        ASSERT_EXPLAINS(f, "dax=never");
        f = ok, f.dax = false, f.mode = DAX_MODE_INODE, f.is_dir = true;
        ASSERT_EXPLAINS(f, "this directory does not carry FS_XFLAG_DAX");
        f = ok, f.dax = false, f.mode = DAX_MODE_INODE, f.dax_flag = 0;
        ASSERT_EXPLAINS(f, "this file does not carry FS_XFLAG_DAX");
        f = ok, f.dax = false, f.mode = DAX_MODE_INODE, f.dax_flag = 1;
        ASSERT_EXPLAINS(f, "evicted");
        f = ok, f.dax = false;
        ASSERT_EXPLAINS(f, "turned DAX off");
        ASSERT_EQ(dax_explain(NULL, NULL), -EINVAL);
}

/* Off pmem, the kernel refuses MAP_SYNC (EOPNOTSUPP): fd_map_sync() says 0, not an error; what
 * cannot be mapped at all (a directory) is -1. Granted (1) needs a DAX file: the guest tests. */
TEST(test_fd_map_sync) {
        char path[] = "/tmp/daxmgr-test-map-sync-XXXXXX";
        int fd = mkstemp(path), dfd;

        ASSERT_TRUE(fd >= 0);
        (void) unlink(path);
        ASSERT_EQ(fd_map_sync(fd), 0);
        ASSERT_EQ(write(fd, "x", 1), 1);
        ASSERT_EQ(fd_map_sync(fd), 0);
        (void) close(fd);
        dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(dfd >= 0);
        ASSERT_EQ(fd_map_sync(dfd), -1);
        (void) close(dfd);
}

DEFINE_TEST_MAIN();
