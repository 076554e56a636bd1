/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "macro.h"
#include "proc-maps.h"
#include "test-macro.h"

static const char maps_text[] =
        "55d5c4a00000-55d5c4a02000 r--p 00000000 103:02 1234                      /usr/bin/cat\n"
        "55d5c4a02000-55d5c4a07000 r-xp 00002000 103:02 1234                      /usr/bin/cat\n"
        "55d5c6a2b000-55d5c6a4c000 rw-p 00000000 00:00 0                          [heap]\n"
        "7f1e2a000000-7f1e2a200000 r-xs 00000000 fd:10 98765                      /mnt/pmem zone/a b "
        "(deleted)\n"
        "7f1e2a400000-7f1e2a401000 rw-p 00000000 00:00 0 \n"
        "7ffd1e5f0000-7ffd1e611000 rw-p 00000000 00:00 0                          [stack]\n"
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

TEST(test_parse_text) {
        _cleanup_maps_ Maps *m = NULL;
        const MapsEntry *e;

        ASSERT_EQ(maps_parse(maps_text, &m), 0);
        ASSERT_EQ(m->n, 7);

        e = &m->entries[1];
        ASSERT_EQ_U64(e->start, 0x55d5c4a02000);
        ASSERT_EQ_U64(e->end, 0x55d5c4a07000);
        ASSERT_EQ_U64(e->offset, 0x2000);
        ASSERT_TRUE(e->read && !e->write && e->exec && !e->shared);
        ASSERT_EQ(e->dev_major, 0x103);
        ASSERT_EQ(e->dev_minor, 2);
        ASSERT_EQ(e->inode, 1234);
        ASSERT_STREQ(e->path, "/usr/bin/cat");
        ASSERT_TRUE(!e->deleted);
        ASSERT_TRUE(maps_entry_is_file(e));

        e = &m->entries[2];
        ASSERT_STREQ(e->path, "[heap]");
        ASSERT_TRUE(!maps_entry_is_file(e));

        e = &m->entries[3]; /* spaces in the path, " (deleted)" suffix, shared */
        ASSERT_STREQ(e->path, "/mnt/pmem zone/a b");
        ASSERT_TRUE(e->deleted && e->shared && e->exec);
        ASSERT_EQ(e->dev_major, 0xfd);
        ASSERT_EQ(e->dev_minor, 0x10);

        e = &m->entries[4]; /* anonymous, trailing space */
        ASSERT_TRUE(e->path == NULL);
        ASSERT_TRUE(!maps_entry_is_file(e));

        e = &m->entries[6];
        ASSERT_EQ_U64(e->start, 0xffffffffff600000);
        ASSERT_TRUE(!e->read && e->exec);
}

TEST(test_parse_bad) {
        static const char *const bad[] = {
                "",
                "55d5c4a00000 r--p 00000000 103:02 1234 /x",
                "55d5c4a00000-55d5c4a02000 r--q 00000000 103:02 1234 /x",
                "55d5c4a00000-55d5c4a02000 rw 00000000 103:02 1234 /x",
                "55d5c4a00000-55d5c4a02000 r--p 0000zz00 103:02 1234 /x",
                "55d5c4a00000-55d5c4a02000 r--p 00000000 10302 1234 /x",
                "55d5c4a00000-55d5c4a02000 r--p 00000000 103:02 12x4 /x",
                "55d5c4a02000-55d5c4a00000 r--p 00000000 103:02 1234 /x", /* end before start */
                "55d5c4a00000-55d5c4a02000 r--p 00000000 103:02",
                "55d5c4a00000-55d5c4a02000 r--p 00000000 1ffffffff:02 1 /x",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                MapsEntry e = {};
                int r = maps_parse_line(bad[i], strlen(bad[i]), &e);
                if (r != -EBADMSG) {
                        fprintf(stderr, "accepted bad line %zu: \"%s\" (r=%d)\n", i, bad[i], r);
                        abort();
                }
        }
}

/* Our own maps: our executable is in there, with our own inode. */
TEST(test_read_self) {
        _cleanup_maps_ Maps *m = NULL;
        struct stat st;
        bool found = false;

        ASSERT_EQ(stat("/proc/self/exe", &st), 0);
        ASSERT_EQ(maps_read(0, &m), 0);
        ASSERT_TRUE(m->n > 3);
        for (size_t i = 0; i < m->n; i++) {
                const MapsEntry *e = &m->entries[i];
                if (e->exec && e->inode == st.st_ino && makedev(e->dev_major, e->dev_minor) == st.st_dev)
                        found = true;
        }
        ASSERT_TRUE(found);
        ASSERT_EQ(maps_read(-1, &m), -EINVAL);
}

DEFINE_TEST_MAIN();
