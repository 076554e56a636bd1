/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Whether DAX is in effect: the proof by statx(STATX_ATTR_DAX) of a probe file (a new one, one in
 * a directory carrying FS_XFLAG_DAX, or an existing one on a read-only mount), the explanation
 * when it is not, and dax_path_check() for any path. Mounting is in dax-mount.c. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dax-mount.h"
#include "error.h"
#include "fs-util.h"

void dax_path_info_done(DaxPathInfo *i) {
        if (!i)
                return;
        free(i->path);
        free(i->fstype);
        free(i->source);
        free(i->mountpoint);
        free(i->options);
        free(i->device);
        free(i->why_not);
        *i = (DaxPathInfo){ .dax_flag = -1, .queue_dax = -1 };
}

/* ---------------------------------------------------------------- the DAX proof */

/* statx of an open file: 1 if DAX, 0 if not; *ret_reported tells whether the kernel reports
 * the attribute at all. */
static int fd_statx_dax(int fd, bool *ret_reported) {
        struct statx stx = {};

        if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
                return negative_errno();
        *ret_reported = stx.stx_attributes_mask & STATX_ATTR_DAX;
        return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

int fd_map_sync(int fd) {
        struct stat st;
        void *p;

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return -1;
        /* One page, read-only: nothing is read or written, and a page past the end of an empty
         * file is fine as long as nobody touches it. */
        p = mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
        if (p != MAP_FAILED) {
                (void) munmap(p, 4096);
                return 1;
        }
        return errno == EOPNOTSUPP ? 0 : -1;
}

/* Creates an unnamed file in @dir_fd (O_TMPFILE, or a named one unlinked at once where
 * O_TMPFILE is unsupported) and reports whether it is DAX (and, with @ret_map_sync,
 * whether the kernel grants MAP_SYNC on it). */
static int probe_new_file(int dir_fd, bool *ret_reported, int *ret_map_sync) {
        _cleanup_close_ int fd = -1;

        fd = openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
                char name[64];

                (void) snprintf(name, sizeof(name), ".daxmgr-probe-%d-%lx", (int) getpid(), (long) random());
                fd = openat(dir_fd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd >= 0)
                        (void) unlinkat(dir_fd, name, 0);
        }
        if (fd < 0)
                return negative_errno();
        if (ret_map_sync)
                *ret_map_sync = fd_map_sync(fd);
        return fd_statx_dax(fd, ret_reported);
}

/* dax=inode: a temporary directory carrying FS_XFLAG_DAX, a new file in it. */
static int probe_inode_mode(int root_fd, bool *ret_reported, int *ret_flag_error) {
        _cleanup_close_ int dfd = -1;
        char name[64];
        int r;

        (void) snprintf(name, sizeof(name), ".daxmgr-probe-%d-%lx", (int) getpid(), (long) random());
        if (mkdirat(root_fd, name, 0700) < 0)
                return negative_errno();
        dfd = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0) {
                r = negative_errno();
                goto finish;
        }
        r = fd_set_dax_flag(dfd, true);
        if (r < 0) {
                *ret_flag_error = r;
                goto finish;
        }
        r = probe_new_file(dfd, ret_reported, NULL);
finish:
        dfd = safe_close(dfd);
        (void) unlinkat(root_fd, name, AT_REMOVEDIR);
        return r;
}

/* A read-only mount: the first regular file at the top, if any. -ENOENT when there is none. */
static int probe_existing_file(int root_fd, bool *ret_reported) {
        _cleanup_close_ int dfd = -1;
        struct dirent *de;
        DIR *d;
        int r = -ENOENT;

        dfd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        d = fdopendir(dfd);
        if (!d)
                return negative_errno();
        dfd = -1;
        while ((de = readdir(d))) {
                _cleanup_close_ int fd = -1;

                if (de->d_type != DT_REG)
                        continue;
                fd = openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        continue;
                r = fd_statx_dax(fd, ret_reported);
                break;
        }
        (void) closedir(d);
        return r;
}

int dax_explain(const DaxFacts *f, char **ret) {
        int r;

        if (!f || !ret)
                return -EINVAL;
        if (f->dax) {
                *ret = NULL;
                return 0;
        }
        if (!f->reported)
                r = asprintf(ret,
                             "the kernel does not report the DAX state of files (STATX_ATTR_DAX needs Linux "
                             "5.8 or later)");
        else if (fstype_is_virtual_memory(f->fstype))
                r = asprintf(ret,
                             "%s keeps files in ordinary RAM (the page cache): \"dax\" means nothing there",
                             f->fstype);
        else if (!fstype_supports_dax(f->fstype))
                r = asprintf(ret, "%s cannot do DAX: use xfs or ext4 on a pmem block device (/dev/pmemN)",
                             f->fstype ?: "this file system");
        else if (f->queue_dax == 0)
                r = asprintf(ret,
                             "the block device %s cannot do DAX (/sys/block/%s/queue/dax is 0): a raw-mode "
                             "namespace or a disk that is not pmem; an fsdax namespace is needed",
                             f->device ?: "?", f->device ?: "?");
        else if (f->mode == DAX_MODE_NEVER)
                r = asprintf(ret, "the file system is mounted with dax=never");
        else if (f->mode == DAX_MODE_INODE && f->dax_flag == 1 && !f->is_dir)
                r = asprintf(
                        ret,
                        "the file carries FS_XFLAG_DAX but its in-memory inode predates the flag: it takes "
                        "effect once the inode is evicted (unused, then dropped from the cache)");
        else if (f->mode == DAX_MODE_INODE && f->is_dir)
                r = asprintf(
                        ret,
                        "the file system is mounted with dax=inode and this directory does not carry "
                        "FS_XFLAG_DAX, so files created in it are not DAX (set the flag on the directory, "
                        "or mount with dax=always)");
        else if (f->mode == DAX_MODE_INODE)
                r = asprintf(ret, "the file system is mounted with dax=inode and this file does not carry "
                                  "FS_XFLAG_DAX");
        else
                r = asprintf(ret,
                             "the file system is mounted with dax=always but the kernel turned DAX off (see "
                             "the kernel log for the device)");
        return r < 0 ? -ENOMEM : 0;
}

int dax_verify_mount(int root_fd, DaxMode dax, bool read_only, int queue_dax, char **ret_why) {
        bool reported = false;
        int flag_error = 0, r;

        if (read_only) {
                r = dax == DAX_MODE_ALWAYS ? probe_existing_file(root_fd, &reported) : -ENOENT;
                if (r == -ENOENT) {
                        /* Nothing to ask the kernel about: trust the device's capability. */
                        if (queue_dax == 1)
                                return 1;
                        *ret_why = asprintf_safe(
                                "the mount is read-only and the device reports no DAX support");
                        return 0;
                }
        } else if (dax == DAX_MODE_INODE)
                r = probe_inode_mode(root_fd, &reported, &flag_error);
        else
                r = probe_new_file(root_fd, &reported, NULL);

        if (flag_error < 0) {
                *ret_why = asprintf_safe("the file system refused FS_XFLAG_DAX on a directory (%s)",
                                         strerror(-flag_error));
                return 0;
        }
        if (r < 0) {
                *ret_why = asprintf_safe("creating a probe file failed (%s)", strerror(-r));
                return r;
        }
        if (!reported) {
                *ret_why = asprintf_safe(
                        "the kernel does not report the DAX state of files (STATX_ATTR_DAX needs "
                        "Linux 5.8 or later), so DAX cannot be proven");
                return 0;
        }
        if (r == 0)
                *ret_why = asprintf_safe("a new file %s is not DAX",
                                         dax == DAX_MODE_INODE ? "in a directory carrying FS_XFLAG_DAX"
                                                               : "in the mount");
        return r;
}

/* ---------------------------------------------------------------- checking a path */

int dax_dir_set_inherit(const char *dir, bool on, char **ret_error) {
        _cleanup_close_ int fd = -1;
        int r;

        if (!dir)
                return -EINVAL;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return error_set(ret_error, negative_errno(), "Cannot open the directory %s: %m.", dir);
        r = fd_set_dax_flag(fd, on);
        if (r < 0)
                return error_set(ret_error, r, "Cannot %s FS_XFLAG_DAX on %s: %s.", on ? "set" : "clear",
                                 dir, strerror(-r));
        return 0;
}

static int strdup_or_null(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int dax_path_check(const char *path, DaxPathInfo *ret, char **ret_error) {
        _cleanup_mnt_table_ struct libmnt_table *table = NULL;
        DaxPathInfo i = { .dax_flag = -1, .queue_dax = -1, .map_sync = -1 };
        _cleanup_close_ int fd = -1;
        struct libmnt_fs *fs = NULL;
        struct statx stx = {};
        DaxFacts facts;
        int r;

        if (!path || !ret)
                return -EINVAL;
        i.path = realpath(path, NULL);
        if (!i.path)
                return error_set(ret_error, negative_errno(), "Cannot check %s: %m.", path);
        fd = open(i.path, O_PATH | O_CLOEXEC);
        if (fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_MNT_ID, &stx) < 0) {
                r = error_set(ret_error, negative_errno(), "Cannot check %s: %m.", i.path);
                goto fail;
        }
        i.is_dir = S_ISDIR(stx.stx_mode);

        r = mount_table_load(NULL, &table);
        if (r < 0) {
                error_set(ret_error, r, "Cannot check %s: cannot read the mount table: %s.", i.path,
                          strerror(-r));
                goto fail;
        }
        if (stx.stx_mask & STATX_MNT_ID)
                fs = mount_table_find_id(table, stx.stx_mnt_id);
        if (!fs)
                fs = mount_table_find_path(table, i.path);
        if (fs) {
                if (strdup_or_null(mnt_fs_get_fstype(fs), &i.fstype) < 0 ||
                    strdup_or_null(mnt_fs_get_source(fs), &i.source) < 0 ||
                    strdup_or_null(mnt_fs_get_target(fs), &i.mountpoint) < 0 ||
                    strdup_or_null(mnt_fs_get_options(fs), &i.options) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                i.dax_mode = mount_options_dax_mode(mnt_fs_get_fs_options(fs));
        } else
                i.dax_mode = DAX_MODE_INODE;

        if (stx.stx_dev_major != 0) {
                dev_t devno = makedev(stx.stx_dev_major, stx.stx_dev_minor);

                r = blockdev_queue_dax(devno);
                i.queue_dax = r < 0 ? -1 : r;
                (void) blockdev_name(devno, &i.device);
        }

        {
                _cleanup_close_ int rfd = open(i.path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                                                               (i.is_dir ? O_DIRECTORY : 0));
                if (rfd >= 0) {
                        r = fd_get_dax_flag(rfd);
                        i.dax_flag = r < 0 ? -1 : r;
                        if (!i.is_dir)
                                i.map_sync = fd_map_sync(rfd);
                }
        }

        i.dax_reported = stx.stx_attributes_mask & STATX_ATTR_DAX;
        if (!i.is_dir)
                i.dax = stx.stx_attributes & STATX_ATTR_DAX;
        else {
                _cleanup_close_ int dfd = open(i.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                bool reported = false;

                r = dfd >= 0 ? probe_new_file(dfd, &reported, &i.map_sync) : negative_errno();
                if (r >= 0) {
                        i.probed = true;
                        i.dax = r;
                        i.dax_reported = reported;
                } else
                        /* Cannot create a file here (read-only, no permission): infer. */
                        i.dax = i.dax_reported && i.queue_dax == 1 && fstype_supports_dax(i.fstype) &&
                                (i.dax_mode == DAX_MODE_ALWAYS ||
                                 (i.dax_mode == DAX_MODE_INODE && i.dax_flag == 1));
        }

        facts = (DaxFacts){
                .fstype = i.fstype,
                .device = i.device,
                .mode = i.dax_mode,
                .dax_flag = i.dax_flag,
                .queue_dax = i.queue_dax,
                .reported = i.dax_reported,
                .dax = i.dax,
                .is_dir = i.is_dir,
        };
        r = dax_explain(&facts, &i.why_not);
        if (r < 0)
                goto fail;

        *ret = i;
        return 0;

fail:
        dax_path_info_done(&i);
        return r;
}
