/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "fileio.h"
#include "fs-util.h"
#include "holders.h"
#include "macro.h"
#include "parse-util.h"
#include "proc-maps.h"
#include "string-table.h"

typedef struct HolderMatch {
        dev_t fs_dev;    /* files on this file system, or 0 */
        dev_t node_rdev; /* this device node, or 0 */
        dev_t node_dev;  /* the node's own inode, for mappings */
        ino_t node_ino;
} HolderMatch;

static const char *const holder_use_table[_HOLDER_USE_MAX] = {
        [HOLDER_CWD] = "cwd", [HOLDER_ROOT] = "root",  [HOLDER_EXE] = "exe",
        [HOLDER_FD] = "fd",   [HOLDER_MAP] = "mapped",
};
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(holder_use, HolderUse)

Holders *holders_free(Holders *h) {
        if (!h)
                return NULL;
        for (size_t i = 0; i < h->n; i++) {
                free(h->entries[i].comm);
                free(h->entries[i].path);
        }
        free(h->entries);
        free(h);
        return NULL;
}

static bool stat_matches(const struct stat *st, const HolderMatch *m) {
        if (m->fs_dev != 0 && st->st_dev == m->fs_dev)
                return true;
        if (m->node_rdev != 0 && (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) &&
            st->st_rdev == m->node_rdev)
                return true;
        if (m->node_rdev == 0 && m->node_ino != 0 && st->st_dev == m->node_dev && st->st_ino == m->node_ino)
                return true; /* holders_of_file(): this very file open, or running as exe */
        return false;
}

static int add_holder(Holders *h, pid_t pid, int pid_fd, HolderUse use, char *path) {
        _cleanup_free_ char *comm = NULL;
        Holder *a;

        (void) read_one_line_at(pid_fd, "comm", &comm);
        a = reallocarray(h->entries, h->n + 1, sizeof(Holder));
        if (!a) {
                free(path);
                return -ENOMEM;
        }
        h->entries = a;
        h->entries[h->n++] = (Holder){ .pid = pid, .comm = TAKE_PTR(comm), .use = use, .path = path };
        return 1;
}

/* Checks one process; returns 1 if it was added, 0 if it holds nothing, <0 on ENOMEM. */
static int scan_pid(Holders *h, pid_t pid, int pid_fd, const HolderMatch *m) {
        static const struct {
                const char *link;
                HolderUse use;
        } links[] = {
                { "cwd", HOLDER_CWD },
                { "root", HOLDER_ROOT },
                { "exe", HOLDER_EXE },
        };
        _cleanup_maps_ Maps *maps = NULL;
        _cleanup_close_ int fd_dir = -1;
        struct stat st;
        DIR *d;

        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                char *path = NULL;

                if (fstatat(pid_fd, links[i].link, &st, 0) < 0 || !stat_matches(&st, m))
                        continue;
                (void) readlinkat_malloc(pid_fd, links[i].link, &path);
                return add_holder(h, pid, pid_fd, links[i].use, path);
        }

        fd_dir = openat(pid_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d = fd_dir >= 0 ? fdopendir(fd_dir) : NULL;
        if (d)
                fd_dir = -1; /* owned by d now */
        while (d) {
                _cleanup_free_ char *target = NULL;
                struct dirent *de = readdir(d);
                char *path;

                if (!de)
                        break;
                if (de->d_name[0] == '.')
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !stat_matches(&st, m))
                        continue;
                (void) readlinkat_malloc(dirfd(d), de->d_name, &target);
                if (asprintf(&path, "%s %s", de->d_name, target ?: "?") < 0)
                        path = NULL;
                (void) closedir(d);
                return add_holder(h, pid, pid_fd, HOLDER_FD, path);
        }
        if (d)
                (void) closedir(d);

        if (maps_read(pid, &maps) < 0)
                return 0;
        for (size_t i = 0; i < maps->n; i++) {
                const MapsEntry *e = &maps->entries[i];
                dev_t dev = makedev(e->dev_major, e->dev_minor);
                char *path;

                if (e->inode == 0)
                        continue;
                if (!((m->fs_dev != 0 && dev == m->fs_dev) ||
                      (m->node_ino != 0 && dev == m->node_dev && e->inode == m->node_ino)))
                        continue;
                path = e->path ? strdup(e->path) : NULL;
                return add_holder(h, pid, pid_fd, HOLDER_MAP, path);
        }
        return 0;
}

static int holders_scan(const HolderMatch *m, Holders **ret) {
        Holders *h __attribute__((cleanup(holders_freep))) = NULL;
        _cleanup_close_ int proc_fd = -1;
        struct dirent *de;
        DIR *d;
        int r = 0;

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return negative_errno();
        d = fdopendir(TAKE_FD(proc_fd));
        if (!d)
                return negative_errno();

        while ((de = readdir(d))) {
                _cleanup_close_ int pid_fd = -1;
                uint32_t pid;

                if (parse_u32(de->d_name, 10, &pid) < 0 || pid == 0 || de->d_name[0] == '0')
                        continue;
                /* Not ourselves: an fd we inherited is not someone else holding the object, and we
                 * are about to let go of whatever we hold. */
                if ((pid_t) pid == getpid())
                        continue;
                pid_fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pid_fd < 0)
                        continue;
                r = scan_pid(h, (pid_t) pid, pid_fd, m);
                if (r < 0)
                        break;
                r = 0;
        }
        (void) closedir(d);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(h);
        return 0;
}

int holders_of_fs(dev_t fs_dev, Holders **ret) {
        HolderMatch m = { .fs_dev = fs_dev };

        if (fs_dev == 0 || !ret)
                return -EINVAL;
        return holders_scan(&m, ret);
}

int holders_of_node(const char *node, Holders **ret) {
        HolderMatch m = {};
        struct stat st;

        if (!node || !ret)
                return -EINVAL;
        if (stat(node, &st) < 0)
                return negative_errno();
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return -ENOTTY;
        m.node_rdev = st.st_rdev;
        m.node_dev = st.st_dev;
        m.node_ino = st.st_ino;
        return holders_scan(&m, ret);
}

int holders_of_node_lasting(const char *node, unsigned wait_ms, Holders **ret) {
        const unsigned step_ms = 50;
        Holders *h = NULL;
        int r;

        for (unsigned waited = 0;; waited += step_ms) {
                r = holders_of_node(node, &h);
                if (r < 0 || h->n == 0 || waited >= wait_ms)
                        break;
                h = holders_free(h);
                (void) nanosleep(&(struct timespec){ .tv_nsec = step_ms * 1000000L }, NULL);
        }
        if (r < 0)
                return r;
        *ret = h;
        return 0;
}

int holders_of_file(dev_t dev, ino_t ino, Holders **ret) {
        HolderMatch m = { .node_dev = dev, .node_ino = ino };

        if (ino == 0 || !ret)
                return -EINVAL;
        return holders_scan(&m, ret);
}

int holders_describe(const Holders *h, size_t max, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        if (!h || !ret)
                return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < h->n && i < max; i++) {
                const Holder *e = &h->entries[i];

                fprintf(f, "%s%s (pid %d, %s%s%s)", i > 0 ? ", " : "", e->comm ?: "?", (int) e->pid,
                        holder_use_to_string(e->use), e->path ? " " : "", e->path ?: "");
        }
        if (h->n > max)
                fprintf(f, " and %zu more", h->n - max);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}
