/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs-util.h"
#include "holders.h"
#include "macro.h"
#include "test-macro.h"

static bool is_dir(const char *p) {
        struct stat st;

        return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(test_mkdir_parents) {
        char base[] = "/tmp/test-fs-util-XXXXXX";
        _cleanup_free_ char *deep = NULL, *top = NULL, *file = NULL, *link = NULL, *target = NULL;
        struct stat st;
        int fd;

        (void) umask(077); /* must not matter */
        ASSERT_TRUE(mkdtemp(base));
        ASSERT_TRUE(asprintf(&deep, "%s/a/b//c/", base) > 0);
        ASSERT_EQ(mkdir_parents(deep, 0755, &top), 1);
        ASSERT_TRUE(is_dir(deep));
        ASSERT_TRUE(top && strlen(top) == strlen(base) + 2 && strncmp(top, base, strlen(base)) == 0);
        ASSERT_EQ(stat(deep, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0755);

        /* Existing: 0 and nothing reported as created. */
        free(top);
        top = NULL;
        ASSERT_EQ(mkdir_parents(deep, 0755, &top), 0);
        ASSERT_TRUE(top == NULL);

        /* A file in the way. */
        ASSERT_TRUE(asprintf(&file, "%s/f", base) > 0);
        fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        close(fd);
        free(deep);
        ASSERT_TRUE(asprintf(&deep, "%s/f/x", base) > 0);
        ASSERT_EQ(mkdir_parents(deep, 0755, NULL), -ENOTDIR);
        ASSERT_EQ(mkdir_parents(file, 0755, NULL), -ENOTDIR);

        /* Undo: removes c, b, a (up to the topmost created), not base. */
        free(deep);
        ASSERT_TRUE(asprintf(&deep, "%s/a/b/c", base) > 0);
        free(top);
        ASSERT_TRUE(asprintf(&top, "%s/a", base) > 0);
        rmdir_parents(deep, top);
        ASSERT_TRUE(!is_dir(top));
        ASSERT_TRUE(is_dir(base));

        /* readlinkat_malloc on a long target. */
        ASSERT_TRUE(asprintf(&link, "%s/l", base) > 0);
        target = malloc(1001);
        ASSERT_TRUE(target);
        memset(target, 'y', 1000);
        target[1000] = '\0';
        ASSERT_EQ(symlink(target, link), 0);
        {
                _cleanup_free_ char *got = NULL;

                ASSERT_EQ(readlinkat_malloc(AT_FDCWD, link, &got), 0);
                ASSERT_STREQ(got, target);
                ASSERT_EQ(readlinkat_malloc(AT_FDCWD, file, &got), -EINVAL);
        }
        ASSERT_EQ(unlink(link), 0);
        ASSERT_EQ(unlink(file), 0);
        ASSERT_EQ(rmdir(base), 0);
}

/* We hold a file open in a directory: the scan must name us, by fd; a directory we sit in is
 * found as cwd. */
/* A child that opens @path and waits until killed: holders are other processes, never the
 * caller itself. */
static pid_t hold_in_child(const char *path) {
        int p[2];
        pid_t pid;
        char c;

        ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || write(p[1], "x", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        (void) close(p[1]);
        ASSERT_EQ(read(p[0], &c, 1), 1);
        (void) close(p[0]);
        return pid;
}

static void stop_child(pid_t pid) {
        ASSERT_EQ(kill(pid, SIGKILL), 0);
        ASSERT_EQ(waitpid(pid, NULL, 0), pid);
}

TEST(test_holders) {
        char base[] = "/tmp/test-holders-XXXXXX";
        _cleanup_holders_ Holders *h = NULL;
        _cleanup_free_ char *file = NULL, *desc = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        bool found = false;
        pid_t child;

        ASSERT_TRUE(mkdtemp(base));
        ASSERT_TRUE(asprintf(&file, "%s/held", base) > 0);
        fd = open(file, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(fstat(fd, &st), 0);
        child = hold_in_child(file);

        ASSERT_EQ(holders_of_fs(st.st_dev, &h), 0);
        for (size_t i = 0; i < h->n; i++) {
                ASSERT_TRUE(h->entries[i].pid != getpid()); /* never the caller */
                if (h->entries[i].pid == child) {
                        found = true;
                        /* Our cwd may be on the same file system; either evidence is right. */
                        ASSERT_TRUE(h->entries[i].use == HOLDER_FD || h->entries[i].use == HOLDER_CWD ||
                                    h->entries[i].use == HOLDER_ROOT || h->entries[i].use == HOLDER_EXE ||
                                    h->entries[i].use == HOLDER_MAP);
                        ASSERT_TRUE(h->entries[i].comm != NULL);
                }
        }
        ASSERT_TRUE(found);
        ASSERT_EQ(holders_describe(h, 1, &desc), 0);
        ASSERT_TRUE(strstr(desc, "(pid "));
        if (h->n > 1)
                ASSERT_TRUE(strstr(desc, " more"));
        h = holders_free(h);

        /* A device node nobody has open: /dev/null is likely open by someone, so use a fresh
         * dev_t that nothing can hold. */
        ASSERT_EQ(holders_of_fs(makedev(4095, 1048575), &h), 0);
        ASSERT_EQ(h->n, 0);
        free(desc);
        ASSERT_EQ(holders_describe(h, 8, &desc), 0);
        ASSERT_STREQ(desc, "");
        h = holders_free(h);
        ASSERT_EQ(holders_of_node(file, &h), -ENOTTY);
        ASSERT_TRUE(h == NULL);

        stop_child(child);

        /* A character device another process holds open is found by its fd. */
        {
                pid_t holder = hold_in_child("/dev/null");
                bool by_fd = false;

                ASSERT_EQ(holders_of_node("/dev/null", &h), 0);
                for (size_t i = 0; i < h->n; i++)
                        if (h->entries[i].pid == holder && h->entries[i].use == HOLDER_FD &&
                            h->entries[i].path && strstr(h->entries[i].path, "/dev/null"))
                                by_fd = true;
                ASSERT_TRUE(by_fd);
                h = holders_free(h);
                stop_child(holder);
        }

        ASSERT_EQ(unlink(file), 0);
        ASSERT_EQ(rmdir(base), 0);
}

int main(void) {
        test_mkdir_parents();
        test_holders();
        return 0;
}
