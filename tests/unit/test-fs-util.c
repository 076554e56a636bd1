/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
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

/* openat_beneath() and mkdirat_beneath(): a fake zone with symbolic links planted in it, and one
 * swapped in between a check and the write; the directory outside must stay empty. */
TEST(test_open_beneath) {
        char base[] = "/tmp/test-fs-util-beneath-XXXXXX";
        _cleanup_free_ char *zone = NULL, *outside = NULL, *p = NULL, *cmd = NULL;
        _cleanup_close_ int zfd = -1, fd = -1, d = -1;
        _cleanup_free_ char *msg = NULL;
        struct stat st;

        ASSERT_TRUE(mkdtemp(base));
        ASSERT_TRUE(asprintf(&zone, "%s/zone", base) > 0);
        ASSERT_TRUE(asprintf(&outside, "%s/outside", base) > 0);
        ASSERT_EQ(mkdir(zone, 0755), 0);
        ASSERT_EQ(mkdir(outside, 0755), 0);
        zfd = open(zone, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(zfd >= 0);

        /* Plain files and directories below: fine. */
        fd = openat_beneath(zfd, "f", O_WRONLY | O_CREAT | O_EXCL, 0644);
        ASSERT_TRUE(fd >= 0);
        fd = safe_close(fd);
        d = mkdirat_beneath(zfd, "root/usr/bin", 0755);
        ASSERT_TRUE(d >= 0);
        ASSERT_EQ(fstat(d, &st), 0);
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        ASSERT_EQ(st.st_mode & 07777, 0755);
        d = safe_close(d);
        d = mkdirat_beneath(zfd, "root/usr/bin", 0755); /* exists: opened again */
        ASSERT_TRUE(d >= 0);
        d = safe_close(d);
        d = mkdirat_beneath(zfd, "", 0755); /* the zone itself */
        ASSERT_TRUE(d >= 0);
        d = safe_close(d);

        /* Escapes: "..", absolute paths. */
        ASSERT_EQ(openat_beneath(zfd, "../outside/x", O_WRONLY | O_CREAT, 0644), -EXDEV);
        ASSERT_EQ(openat_beneath(zfd, "root/../../outside/x", O_WRONLY | O_CREAT, 0644), -EXDEV);
        ASSERT_EQ(openat_beneath(zfd, "/tmp", O_RDONLY | O_DIRECTORY, 0), -EXDEV);
        ASSERT_EQ(mkdirat_beneath(zfd, "root/../../outside/y", 0755), -EXDEV);

        /* A symbolic link planted as a directory, as the last component, and a relative one
         * that stays inside: all refused, nothing followed. */
        ASSERT_TRUE(asprintf(&p, "%s/root/lib", zone) > 0);
        ASSERT_EQ(symlink(outside, p), 0);
        ASSERT_EQ(openat_beneath(zfd, "root/lib/x", O_WRONLY | O_CREAT, 0644), -ELOOP);
        ASSERT_EQ(mkdirat_beneath(zfd, "root/lib/sub", 0755), -ELOOP);
        ASSERT_EQ(openat_beneath(zfd, "root/lib", O_RDONLY | O_DIRECTORY, 0), -ELOOP);
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/root/usr/bin/last", zone) > 0);
        ASSERT_TRUE(asprintf(&cmd, "%s/victim", outside) > 0);
        ASSERT_EQ(symlink(cmd, p), 0);
        ASSERT_EQ(openat_beneath(zfd, "root/usr/bin/last", O_WRONLY | O_CREAT | O_TRUNC, 0644), -ELOOP);
        ASSERT_EQ(access(cmd, F_OK), -1);
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/root/inside", zone) > 0);
        ASSERT_EQ(symlink("usr", p), 0);
        ASSERT_EQ(openat_beneath(zfd, "root/inside/bin", O_RDONLY | O_DIRECTORY, 0), -ELOOP);
        ASSERT_EQ(beneath_error(-ELOOP, "/z/root/lib", "/z", &msg), 0);
        ASSERT_STREQ(msg,
                     "/z/root/lib is, or passes through, a symbolic link inside the zone /z; refusing to "
                     "follow it");

        /* Check, then swap, then use: the directory was checked (opened beneath), a symbolic link
         * to the outside is renamed over it, and the write by path below the zone fd is refused. */
        {
                _cleanup_free_ char *dir = NULL, *tmp = NULL;

                ASSERT_TRUE(asprintf(&dir, "%s/swap", zone) > 0);
                ASSERT_TRUE(asprintf(&tmp, "%s/swap.tmp", zone) > 0);
                ASSERT_EQ(mkdir(dir, 0755), 0);
                d = openat_beneath(zfd, "swap", O_RDONLY | O_DIRECTORY, 0); /* the check */
                ASSERT_TRUE(d >= 0);
                d = safe_close(d);
                ASSERT_EQ(symlink(outside, tmp), 0); /* the swap */
                ASSERT_EQ(rmdir(dir), 0);
                ASSERT_EQ(rename(tmp, dir), 0);
                ASSERT_EQ(openat_beneath(zfd, "swap/x", O_WRONLY | O_CREAT, 0644), -ELOOP); /* the use */
                ASSERT_EQ(mkdirat_beneath(zfd, "swap/y", 0755), -ELOOP);
        }

        /* A child flips the name between a directory and a symbolic link to the outside as fast
         * as it can while the parent creates files under it: some creations succeed (inside),
         * the rest are refused, and the outside stays empty. */
        {
                _cleanup_free_ char *dir = NULL, *lnk = NULL;
                unsigned made = 0, refused = 0;
                pid_t child;
                DIR *o;
                int n = 0;

                ASSERT_TRUE(asprintf(&dir, "%s/flip", zone) > 0);
                ASSERT_TRUE(asprintf(&lnk, "%s/flip.lnk", zone) > 0);
                ASSERT_EQ(mkdir(dir, 0755), 0);
                ASSERT_EQ(symlink(outside, lnk), 0);
                child = fork();
                ASSERT_TRUE(child >= 0);
                if (child == 0)
                        for (;;) /* atomically: "flip" is the directory, then the link, then ... */
                                (void) renameat2(AT_FDCWD, dir, AT_FDCWD, lnk, RENAME_EXCHANGE);
                for (int i = 0; i < 3000; i++) {
                        _cleanup_free_ char *name = NULL;
                        int f;

                        ASSERT_TRUE(asprintf(&name, "flip/f%d", i) > 0);
                        f = openat_beneath(zfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
                        if (f >= 0) {
                                made++;
                                (void) close(f);
                                (void) unlinkat(zfd, name, 0);
                        } else
                                refused++;
                }
                stop_child(child);
                o = opendir(outside);
                ASSERT_TRUE(o);
                for (struct dirent *de; (de = readdir(o));)
                        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                                n++;
                (void) closedir(o);
                fprintf(stderr, "flip race: %u created inside, %u refused, %d outside\n", made, refused, n);
                ASSERT_EQ(n, 0);
        }

        zfd = safe_close(zfd);
        free(cmd);
        ASSERT_TRUE(asprintf(&cmd, "rm -rf '%s'", base) > 0);
        ASSERT_EQ(system(cmd), 0);
}

DEFINE_TEST_MAIN();
