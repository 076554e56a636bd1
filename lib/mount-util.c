/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "error.h"
#include "fileio.h"
#include "fs-util.h"
#include "mount-util.h"

DaxMode mount_options_dax_mode(const char *options) {
        DaxMode mode = DAX_MODE_INODE;

        if (!options)
                return mode;

        for (const char *p = options; *p;) {
                size_t n = strcspn(p, ",");

                if (n == 3 && strncmp(p, "dax", 3) == 0)
                        mode = DAX_MODE_ALWAYS;
                else if (n > 4 && strncmp(p, "dax=", 4) == 0) {
                        for (DaxMode m = 0; m < _DAX_MODE_MAX; m++)
                                if (strlen(dax_mode_to_string(m)) == n - 4 &&
                                    strncmp(p + 4, dax_mode_to_string(m), n - 4) == 0)
                                        mode = m;
                }
                p += n;
                if (*p == ',')
                        p++;
        }
        return mode;
}

void mount_options_done(MountOptions *o) {
        if (!o)
                return;
        for (size_t i = 0; i < o->n_fs; i++)
                free(o->fs[i]);
        o->fs = (free(o->fs), NULL);
        o->n_fs = 0;
}

/* Per-mount flags: "set" adds the attribute, the positive forms clear it. The atime ones
 * replace each other (MOUNT_ATTR__ATIME is a field, not a bit set). */
static const struct {
        const char *name;
        unsigned attr;
        unsigned long ms;
        bool set;
} mount_flag_table[] = {
        { "ro", MOUNT_ATTR_RDONLY, MS_RDONLY, true },
        { "rw", MOUNT_ATTR_RDONLY, MS_RDONLY, false },
        { "nosuid", MOUNT_ATTR_NOSUID, MS_NOSUID, true },
        { "suid", MOUNT_ATTR_NOSUID, MS_NOSUID, false },
        { "nodev", MOUNT_ATTR_NODEV, MS_NODEV, true },
        { "dev", MOUNT_ATTR_NODEV, MS_NODEV, false },
        { "noexec", MOUNT_ATTR_NOEXEC, MS_NOEXEC, true },
        { "exec", MOUNT_ATTR_NOEXEC, MS_NOEXEC, false },
        { "nodiratime", MOUNT_ATTR_NODIRATIME, MS_NODIRATIME, true },
        { "diratime", MOUNT_ATTR_NODIRATIME, MS_NODIRATIME, false },
        { "nosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0, true },
        { "symfollow", MOUNT_ATTR_NOSYMFOLLOW, 0, false },
};

static const struct {
        const char *name;
        unsigned attr;
        unsigned long ms;
} mount_atime_table[] = {
        { "relatime", MOUNT_ATTR_RELATIME, MS_RELATIME },
        { "noatime", MOUNT_ATTR_NOATIME, MS_NOATIME },
        { "strictatime", MOUNT_ATTR_STRICTATIME, MS_STRICTATIME },
        { "atime", MOUNT_ATTR_RELATIME, 0 }, /* the kernel's default */
};

static bool option_is_sane(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= ' ' || s[i] == 0x7f)
                        return false;
        return true;
}

int mount_options_parse(const char *options, MountOptions *ret, char **ret_error) {
        MountOptions o = {};
        int r;

        if (!ret)
                return -EINVAL;
        if (options && *options && options[strlen(options) - 1] == ',')
                return error_set(ret_error, -EINVAL,
                                 "Mount options \"%s\" end in a comma: options are comma-separated words or "
                                 "key=value pairs.",
                                 options);

        for (const char *p = options ?: ""; *p;) {
                size_t n = strcspn(p, ",");
                _cleanup_free_ char *item = NULL;
                bool done = false;
                char **a;

                item = strndup(p, n);
                if (!item) {
                        r = -ENOMEM;
                        goto fail;
                }
                p += n;
                if (*p == ',')
                        p++;

                if (n == 0 || item[0] == '=' || !option_is_sane(item, n)) {
                        r = error_set(
                                ret_error, -EINVAL,
                                "Mount options \"%s\" contain an empty or malformed item \"%s\": options "
                                "are comma-separated words or key=value pairs without spaces.",
                                options, item);
                        goto fail;
                }
                if (strcmp(item, "dax") == 0 || strncmp(item, "dax=", 4) == 0) {
                        r = error_set(
                                ret_error, -EINVAL,
                                "Mount option \"%s\" is not allowed among the extra options: choose the DAX "
                                "mode (always or inode) with its own setting.",
                                item);
                        goto fail;
                }
                if (strncmp(item, "source=", 7) == 0 || strcmp(item, "source") == 0) {
                        r = error_set(ret_error, -EINVAL,
                                      "Mount option \"%s\" is not allowed: the device to mount is its own "
                                      "argument.",
                                      item);
                        goto fail;
                }

                if (strcmp(item, "defaults") == 0)
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(mount_flag_table); i++)
                        if (strcmp(item, mount_flag_table[i].name) == 0) {
                                if (mount_flag_table[i].set) {
                                        o.attr |= mount_flag_table[i].attr;
                                        o.ms |= mount_flag_table[i].ms;
                                } else {
                                        o.attr &= ~mount_flag_table[i].attr;
                                        o.ms &= ~mount_flag_table[i].ms;
                                }
                                done = true;
                        }
                for (size_t i = 0; i < ELEMENTSOF(mount_atime_table); i++)
                        if (strcmp(item, mount_atime_table[i].name) == 0) {
                                o.attr =
                                        (o.attr & ~(unsigned) MOUNT_ATTR__ATIME) | mount_atime_table[i].attr;
                                o.ms = (o.ms & ~(MS_RELATIME | MS_NOATIME | MS_STRICTATIME)) |
                                       mount_atime_table[i].ms;
                                done = true;
                        }
                if (done)
                        continue;

                a = reallocarray(o.fs, o.n_fs + 2, sizeof(char *));
                if (!a) {
                        r = -ENOMEM;
                        goto fail;
                }
                o.fs = a;
                o.fs[o.n_fs++] = TAKE_PTR(item);
                o.fs[o.n_fs] = NULL;
        }

        o.read_only = o.attr & MOUNT_ATTR_RDONLY;
        *ret = o;
        return 0;

fail:
        mount_options_done(&o);
        return r;
}

int mount_options_join(const MountOptions *o, const char *first, char **ret) {
        size_t len = first ? strlen(first) + 1 : 1;
        char *s, *p;

        if (!o || !ret)
                return -EINVAL;
        for (size_t i = 0; i < o->n_fs; i++)
                len += strlen(o->fs[i]) + 1;
        s = p = malloc(len);
        if (!s)
                return -ENOMEM;
        *p = '\0';
        if (first)
                p = stpcpy(p, first);
        for (size_t i = 0; i < o->n_fs; i++) {
                if (p > s)
                        *p++ = ',';
                p = stpcpy(p, o->fs[i]);
        }
        *ret = s;
        return 0;
}

int mount_table_load(const char *path, struct libmnt_table **ret) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        t = mnt_new_table();
        if (!t)
                return -ENOMEM;
        r = mnt_table_parse_file(t, path ?: "/proc/self/mountinfo");
        if (r < 0)
                return r == -1 ? -EBADMSG : r;
        *ret = TAKE_PTR(t);
        return 0;
}

static void mnt_free_iterp(struct libmnt_iter **i) {
        if (*i)
                mnt_free_iter(*i);
}

struct libmnt_fs *mount_table_find_target(struct libmnt_table *t, const char *target) {
        struct libmnt_iter *i __attribute__((cleanup(mnt_free_iterp))) = NULL;
        struct libmnt_fs *fs, *found = NULL;

        if (!t || !target)
                return NULL;
        i = mnt_new_iter(MNT_ITER_FORWARD);
        if (!i)
                return NULL;
        /* Forward, keeping the last: mountinfo lists a mount after the one it covers. */
        while (mnt_table_next_fs(t, i, &fs) == 0) {
                const char *tg = mnt_fs_get_target(fs);
                if (tg && strcmp(tg, target) == 0)
                        found = fs;
        }
        return found;
}

struct libmnt_fs *mount_table_find_devno(struct libmnt_table *t, dev_t devno) {
        struct libmnt_iter *i __attribute__((cleanup(mnt_free_iterp))) = NULL;
        struct libmnt_fs *fs;

        if (!t || devno == 0)
                return NULL;
        i = mnt_new_iter(MNT_ITER_FORWARD);
        if (!i)
                return NULL;
        while (mnt_table_next_fs(t, i, &fs) == 0)
                if (mnt_fs_get_devno(fs) == devno)
                        return fs;
        return NULL;
}

struct libmnt_fs *mount_table_find_id(struct libmnt_table *t, uint64_t id) {
        struct libmnt_iter *i __attribute__((cleanup(mnt_free_iterp))) = NULL;
        struct libmnt_fs *fs;

        if (!t || id > INT_MAX)
                return NULL;
        i = mnt_new_iter(MNT_ITER_FORWARD);
        if (!i)
                return NULL;
        while (mnt_table_next_fs(t, i, &fs) == 0)
                if (mnt_fs_get_id(fs) == (int) id)
                        return fs;
        return NULL;
}

/* True if @path is @target or lies below it. */
static bool path_is_under(const char *path, const char *target) {
        size_t n = strlen(target);

        if (strcmp(target, "/") == 0)
                return path[0] == '/';
        return strncmp(path, target, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

struct libmnt_fs *mount_table_find_path(struct libmnt_table *t, const char *path) {
        struct libmnt_iter *i __attribute__((cleanup(mnt_free_iterp))) = NULL;
        struct libmnt_fs *fs, *found = NULL;
        size_t best = 0;

        if (!t || !path)
                return NULL;
        i = mnt_new_iter(MNT_ITER_FORWARD);
        if (!i)
                return NULL;
        while (mnt_table_next_fs(t, i, &fs) == 0) {
                const char *tg = mnt_fs_get_target(fs);

                if (!tg || !path_is_under(path, tg))
                        continue;
                if (!found || strlen(tg) >= best) {
                        found = fs;
                        best = strlen(tg);
                }
        }
        return found;
}

int mount_table_submounts(struct libmnt_table *t, const char *target, char **ret) {
        struct libmnt_iter *i __attribute__((cleanup(mnt_free_iterp))) = NULL;
        _cleanup_free_ char *list = NULL;
        struct libmnt_fs *fs;
        size_t len = 0;

        if (!t || !target || !ret)
                return -EINVAL;
        i = mnt_new_iter(MNT_ITER_FORWARD);
        if (!i)
                return -ENOMEM;
        while (mnt_table_next_fs(t, i, &fs) == 0) {
                const char *tg = mnt_fs_get_target(fs);
                char *p;

                if (!tg || strcmp(tg, target) == 0 || !path_is_under(tg, target))
                        continue;
                p = realloc(list, len + strlen(tg) + 3);
                if (!p)
                        return -ENOMEM;
                list = p;
                if (len > 0) {
                        memcpy(list + len, ", ", 2);
                        len += 2;
                }
                strcpy(list + len, tg);
                len += strlen(tg);
        }
        *ret = TAKE_PTR(list);
        return 0;
}

bool fstype_is_virtual_memory(const char *fstype) {
        return fstype && (strcmp(fstype, "tmpfs") == 0 || strcmp(fstype, "ramfs") == 0 ||
                          strcmp(fstype, "devtmpfs") == 0 || strcmp(fstype, "hugetlbfs") == 0);
}

bool fstype_supports_dax(const char *fstype) {
        return fstype &&
               (strcmp(fstype, "ext4") == 0 || strcmp(fstype, "xfs") == 0 || strcmp(fstype, "ext2") == 0);
}

int blockdev_queue_dax_parse(const char *v) {
        if (!v)
                return -EBADMSG;
        if (strcmp(v, "1") == 0)
                return 1;
        if (strcmp(v, "0") == 0)
                return 0;
        return -EBADMSG;
}

int blockdev_queue_dax(dev_t devno) {
        char path[sizeof("/sys/dev/block/:/../queue/dax") + 2 * 3 * sizeof(unsigned)];
        _cleanup_free_ char *v = NULL;
        int r;

        (void) snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/dax", major(devno), minor(devno));
        r = read_one_line_at(AT_FDCWD, path, &v);
        if (r == -ENOENT) {
                /* A partition has no queue of its own: its disk's is the parent directory. */
                (void) snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../queue/dax", major(devno),
                                minor(devno));
                r = read_one_line_at(AT_FDCWD, path, &v);
        }
        if (r < 0)
                return r;
        return blockdev_queue_dax_parse(v);
}

int blockdev_name(dev_t devno, char **ret) {
        char path[sizeof("/sys/dev/block/:") + 2 * 3 * sizeof(unsigned)];
        _cleanup_free_ char *target = NULL;
        const char *slash;
        char *s;
        int r;

        if (!ret)
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(devno), minor(devno));
        r = readlinkat_malloc(AT_FDCWD, path, &target);
        if (r < 0)
                return r;
        slash = strrchr(target, '/');
        s = strdup(slash ? slash + 1 : target);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
