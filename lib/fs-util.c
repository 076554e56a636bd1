/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/fs.h>

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
