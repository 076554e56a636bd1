/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/openat2.h>

#include "fs-util.h"
#include "macro.h"

int readlinkat_malloc(int dir_fd, const char *path, char **ret) {
        size_t size = 256;

        if (!path || !ret)
                return -EINVAL;
        for (;;) {
                _cleanup_free_ char *buf = malloc(size);
                ssize_t n;

                if (!buf)
                        return -ENOMEM;
                n = readlinkat(dir_fd, path, buf, size);
                if (n < 0)
                        return negative_errno();
                if ((size_t) n < size) {
                        buf[n] = '\0';
                        *ret = TAKE_PTR(buf);
                        return 0;
                }
                if (size > 1024 * 1024)
                        return -ENAMETOOLONG;
                size *= 2;
        }
}

int mkdir_parents(const char *path, mode_t mode, char **ret_created) {
        _cleanup_free_ char *p = NULL, *top = NULL;
        struct stat st;
        char *s;

        if (!path || path[0] == '\0')
                return -EINVAL;
        if (stat(path, &st) == 0)
                return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
        if (errno != ENOENT)
                return negative_errno();

        p = strdup(path);
        if (!p)
                return -ENOMEM;
        /* Walk down component by component; "s" points at each separator in turn. */
        for (s = p + strspn(p, "/");; s += strspn(s, "/")) {
                bool last;

                s += strcspn(s, "/");
                last = s[strspn(s, "/")] == '\0';
                *s = '\0';
                if (mkdir(p, mode) == 0) {
                        /* The mode asked for, whatever the umask. */
                        if (chmod(p, mode) < 0)
                                return negative_errno();
                        if (!top) {
                                top = strdup(p);
                                if (!top)
                                        return -ENOMEM;
                        }
                } else if (errno != EEXIST)
                        return negative_errno();
                else if (stat(p, &st) < 0)
                        return negative_errno();
                else if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                if (last)
                        break;
                *s++ = '/';
        }

        if (ret_created)
                *ret_created = TAKE_PTR(top);
        return 1;
}

void rmdir_parents(const char *path, const char *top) {
        _cleanup_free_ char *p = NULL;
        size_t n;

        if (!path || !top)
                return;
        n = strlen(top);
        if (strncmp(path, top, n) != 0 || (path[n] != '\0' && path[n] != '/'))
                return;
        p = strdup(path);
        if (!p)
                return;
        for (;;) {
                char *slash;

                if (rmdir(p) < 0)
                        return;
                if (strlen(p) <= n)
                        return;
                slash = strrchr(p, '/');
                if (!slash || slash == p)
                        return;
                *slash = '\0';
        }
}

int fd_get_dax_flag(int fd) {
        struct fsxattr fsx = {};

        if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx) < 0)
                return negative_errno();
        return !!(fsx.fsx_xflags & FS_XFLAG_DAX);
}

int fd_set_dax_flag(int fd, bool on) {
        struct fsxattr fsx = {};

        if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx) < 0)
                return negative_errno();
        if (!!(fsx.fsx_xflags & FS_XFLAG_DAX) == on)
                return 0;
        if (on)
                fsx.fsx_xflags |= FS_XFLAG_DAX;
        else
                fsx.fsx_xflags &= ~FS_XFLAG_DAX;
        if (ioctl(fd, FS_IOC_FSSETXATTR, &fsx) < 0)
                return negative_errno();
        return 0;
}

int openat_beneath(int dir_fd, const char *path, int flags, mode_t mode) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC | O_NOFOLLOW),
                .mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };

        if (dir_fd < 0 || !path)
                return -EBADF;
        if (path[0] == '\0')
                path = ".";
        for (int tries = 0;; tries++) {
                long fd = syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));

                if (fd >= 0)
                        return (int) fd;
                if (errno == EAGAIN && tries < 64)
                        continue; /* a rename elsewhere on the file system: the kernel asks to retry */
                if (errno == ENOTDIR && (flags & O_DIRECTORY)) {
                        struct stat st;

                        /* O_NOFOLLOW|O_DIRECTORY on a symbolic link says "not a directory": say what
                         * it is. (Only the words depend on this lstat, nothing else.) */
                        if (fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                                return -ELOOP;
                        errno = ENOTDIR;
                }
                return negative_errno();
        }
}

int beneath_error(int r, const char *what, const char *zone, char **ret) {
        int k;

        switch (-r) {
        case ELOOP:
                k = asprintf(ret,
                             "%s is, or passes through, a symbolic link inside the zone %s; refusing to "
                             "follow it",
                             what, zone);
                break;
        case EXDEV:
                k = asprintf(ret,
                             "%s leads out of the zone %s (\"..\", an absolute path or a mount point); "
                             "refusing it",
                             what, zone);
                break;
        case ENOSYS:
                k = asprintf(ret,
                             "the kernel has no openat2() (Linux 5.6 or later is needed), so %s cannot be "
                             "opened safely inside the zone %s",
                             what, zone);
                break;
        default:
                k = asprintf(ret, "cannot open %s: %s", what, strerror(-r));
        }
        return k < 0 ? -ENOMEM : 0;
}

int mkdirat_beneath(int dir_fd, const char *path, mode_t mode) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int cur = -1;
        char *comp, *save = NULL;

        if (!path)
                return -EINVAL;
        cur = openat_beneath(dir_fd, ".", O_RDONLY | O_DIRECTORY, 0);
        if (cur < 0)
                return cur;
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (comp = strtok_r(p, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
                bool made = false;
                int next;

                if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0)
                        return -EXDEV;
                if (mkdirat(cur, comp, mode) == 0)
                        made = true;
                else if (errno != EEXIST)
                        return negative_errno();
                /* Whatever is there now (a directory, or a symbolic link someone swapped in since
                 * mkdirat()) is opened without following anything. */
                next = openat_beneath(cur, comp, O_RDONLY | O_DIRECTORY, 0);
                if (next < 0)
                        return next;
                /* The mode asked for, whatever the umask; only on what this call created. */
                if (made && fchmod(next, mode) < 0) {
                        int r = negative_errno();
                        (void) close(next);
                        return r;
                }
                (void) close(cur);
                cur = next;
        }
        return TAKE_FD(cur);
}
