/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* device-dax without libdaxctl: names, owners and modes, access, and whether a device holds
 * data. The planner gathers these facts in the daemon, which does not load libdaxctl (the mode
 * changes through it are in devdax.c, run by the worker). */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devdax.h"
#include "error.h"
#include "fileio.h"
#include "fs-util.h"
#include "parse-util.h"

static bool all_digits(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

int devdax_name_normalize(const char *s, char **ret) {
        const char *dot;
        char *n;

        if (!s || !ret)
                return -EINVAL;
        if (strncmp(s, "/dev/", 5) == 0)
                s += 5;
        if (strncmp(s, "dax", 3) != 0)
                return -EINVAL;
        dot = strchr(s + 3, '.');
        if (!dot || !all_digits(s + 3, (size_t) (dot - s - 3)) || !all_digits(dot + 1, strlen(dot + 1)))
                return -EINVAL;
        if (strlen(s) > 32)
                return -EINVAL;
        n = strdup(s);
        if (!n)
                return -ENOMEM;
        *ret = n;
        return 0;
}

/* Runs getpwnam_r()/getgrnam_r() with a growing buffer. */
#define LOOKUP_BY_NAME(func, type, field, name, ret)                                                        \
        ({                                                                                                  \
                size_t _size = 4096;                                                                        \
                int _r;                                                                                     \
                for (;;) {                                                                                  \
                        _cleanup_free_ char *_buf = malloc(_size);                                          \
                        type _ent, *_res = NULL;                                                            \
                        if (!_buf) {                                                                        \
                                _r = -ENOMEM;                                                               \
                                break;                                                                      \
                        }                                                                                   \
                        _r = func(name, &_ent, _buf, _size, &_res);                                         \
                        if (_r == ERANGE && _size < 1024 * 1024) {                                          \
                                _size *= 4;                                                                 \
                                continue;                                                                   \
                        }                                                                                   \
                        if (_r != 0)                                                                        \
                                _r = -_r;                                                                   \
                        else if (!_res)                                                                     \
                                _r = -ESRCH;                                                                \
                        else                                                                                \
                                *(ret) = _res->field;                                                       \
                        break;                                                                              \
                }                                                                                           \
                _r;                                                                                         \
        })

static int parse_id(const char *s, uint32_t *ret) {
        uint32_t v;
        int r;

        r = parse_u32(s, 10, &v);
        if (r < 0)
                return r;
        if (v == UINT32_MAX || (strlen(s) > 1 && s[0] == '0'))
                return -EINVAL;
        *ret = v;
        return 0;
}

int devdax_parse_user(const char *s, uid_t *ret) {
        uint32_t v;

        if (!s || !ret || !*s || strchr(s, '\n'))
                return -EINVAL;
        if (all_digits(s, strlen(s))) {
                if (parse_id(s, &v) < 0)
                        return -EINVAL;
                *ret = (uid_t) v;
                return 0;
        }
        return LOOKUP_BY_NAME(getpwnam_r, struct passwd, pw_uid, s, ret);
}

int devdax_parse_group(const char *s, gid_t *ret) {
        uint32_t v;

        if (!s || !ret || !*s || strchr(s, '\n'))
                return -EINVAL;
        if (all_digits(s, strlen(s))) {
                if (parse_id(s, &v) < 0)
                        return -EINVAL;
                *ret = (gid_t) v;
                return 0;
        }
        return LOOKUP_BY_NAME(getgrnam_r, struct group, gr_gid, s, ret);
}

int devdax_parse_mode(const char *s, mode_t *ret) {
        mode_t m = 0;
        size_t n;

        if (!s || !ret)
                return -EINVAL;
        n = strlen(s);
        if (n == 0 || n > 4)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '7')
                        return -EINVAL;
                m = m * 8 + (mode_t) (s[i] - '0');
        }
        if (m > 0777)
                return -EINVAL;
        *ret = m;
        return 0;
}

/* Checks that @fd (an O_PATH fd of /dev/NAME) is a device-dax character device. */
static int fd_is_devdax(int fd, struct stat *ret_st) {
        char path[sizeof("/sys/dev/char/:/subsystem") + 2 * 3 * sizeof(unsigned)];
        _cleanup_free_ char *subsystem = NULL;
        const char *base;
        int r;

        if (fstat(fd, ret_st) < 0)
                return negative_errno();
        if (!S_ISCHR(ret_st->st_mode))
                return -ENOTTY;
        (void) snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/subsystem", major(ret_st->st_rdev),
                        minor(ret_st->st_rdev));
        r = readlinkat_malloc(AT_FDCWD, path, &subsystem);
        if (r < 0)
                return r == -ENOENT ? -ENOTTY : r;
        base = strrchr(subsystem, '/');
        base = base ? base + 1 : subsystem;
        return strcmp(base, "dax") == 0 ? 0 : -ENOTTY;
}

int devdax_set_access(const char *dev, uid_t uid, gid_t gid, mode_t mode, char **ret_error) {
        _cleanup_free_ char *name = NULL, *node = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (!dev)
                return -EINVAL;
        if (devdax_name_normalize(dev, &name) < 0)
                return error_set(ret_error, -EINVAL,
                                 "\"%s\" is not a device-dax name (daxX.Y or /dev/daxX.Y).", dev);
        if (mode != (mode_t) -1 && (mode & ~(mode_t) 0777))
                return error_set(ret_error, -EINVAL,
                                 "Mode %o for %s has bits beyond the permission bits (0777).",
                                 (unsigned) mode, name);
        if (asprintf(&node, "/dev/%s", name) < 0)
                return -ENOMEM;

        fd = open(node, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return error_set(ret_error, negative_errno(), "Cannot set the permissions of %s: %m.", node);
        r = fd_is_devdax(fd, &st);
        if (r == -ENOTTY)
                return error_set(ret_error, -ENOTTY,
                                 "Refusing to change %s: it is not a device-dax character device.", node);
        if (r < 0)
                return error_set(ret_error, r, "Cannot inspect %s: %s.", node, strerror(-r));

        if ((uid != (uid_t) -1 || gid != (gid_t) -1) && fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
                return error_set(ret_error, negative_errno(), "Cannot change the owner of %s to %d:%d: %m.",
                                 node, uid == (uid_t) -1 ? -1 : (int) uid,
                                 gid == (gid_t) -1 ? -1 : (int) gid);
        if (mode != (mode_t) -1) {
                char proc[sizeof("/proc/self/fd/") + 3 * sizeof(int)];

                /* fchmod() does not work on O_PATH fds; chmod() through /proc does, on the very
                 * inode we checked. */
                (void) snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
                if (chmod(proc, mode) < 0)
                        return error_set(ret_error, negative_errno(),
                                         "Cannot change the mode of %s to %04o: %m.", node, (unsigned) mode);
        }
        return 0;
}

#define PROBE_BYTES (2u * 1024u * 1024u)

static int sysfs_u64(const char *name, const char *attr, int base, uint64_t *ret) {
        _cleanup_free_ char *path = NULL, *v = NULL;
        int r;

        if (asprintf(&path, "/sys/bus/dax/devices/%s/%s", name, attr) < 0)
                return -ENOMEM;
        r = read_one_line_at(AT_FDCWD, path, &v);
        if (r < 0)
                return r;
        return parse_u64(v, base, ret);
}

int devdax_probe_content(const char *dev, char **ret_error) {
        _cleanup_free_ char *name = NULL, *node = NULL;
        _cleanup_close_ int fd = -1;
        uint64_t size = 0, align = 0, len;
        struct stat st;
        const uint8_t *p;
        void *map;
        int r = 0;

        if (!dev)
                return -EINVAL;
        if (devdax_name_normalize(dev, &name) < 0)
                return error_set(ret_error, -EINVAL,
                                 "\"%s\" is not a device-dax name (daxX.Y or /dev/daxX.Y).", dev);
        if (asprintf(&node, "/dev/%s", name) < 0)
                return -ENOMEM;
        if (sysfs_u64(name, "size", 10, &size) < 0 || size == 0)
                return error_set(ret_error, -ENXIO, "Cannot read the size of %s from sysfs.", name);
        /* The mapping's length must be a multiple of the device's alignment (sysfs "align",
         * Linux >= 5.10; 2 MiB before, the default). */
        if (sysfs_u64(name, "align", 10, &align) < 0 || align == 0 || (align & (align - 1)))
                align = PROBE_BYTES;
        len = (PROBE_BYTES + align - 1) / align * align;
        if (len > size)
                len = size;

        /* Read-write although nothing is written: a read-only open turns MAP_SHARED into a
         * private mapping, which device-dax refuses. */
        fd = open(node, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return error_set(ret_error, negative_errno(),
                                 "Cannot open %s to see whether it holds data: %m.", node);
        r = fd_is_devdax(fd, &st);
        if (r < 0)
                return error_set(ret_error, r == -ENOTTY ? -ENOTTY : r,
                                 "%s is not a device-dax character device.", node);
        map = mmap(NULL, (size_t) len, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED)
                return error_set(ret_error, negative_errno(),
                                 "Cannot map the first %llu bytes of %s to see whether it holds data: %m.",
                                 (unsigned long long) len, node);
        p = map;
        r = 0;
        for (size_t i = 0; i < (len < PROBE_BYTES ? len : PROBE_BYTES); i++)
                if (p[i]) {
                        r = 1;
                        break;
                }
        (void) munmap(map, (size_t) len);
        return r;
}
