/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The mount table as the kernel sees it (/proc/self/mountinfo, read through libmount), and
 * the small pure pieces of mount handling: the "dax" option and splitting caller-supplied
 * mount options into mount attributes (MOUNT_ATTR_*, for fsmount()) and file-system
 * parameters (for fsconfig()). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/types.h>

#include <libmount.h>

#include "model.h"

/* glibc 2.36 (Debian 12) declares fsopen() and friends in <sys/mount.h>; older ones get thin
 * syscall wrappers and the constants from the kernel headers. */
#if !__GLIBC_PREREQ(2, 36)
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
static inline int fsopen(const char *fs, unsigned flags) {
        return (int) syscall(__NR_fsopen, fs, flags);
}
static inline int fsconfig(int fd, unsigned cmd, const char *key, const void *value, int aux) {
        return (int) syscall(__NR_fsconfig, fd, cmd, key, value, aux);
}
static inline int fsmount(int fd, unsigned flags, unsigned attr) {
        return (int) syscall(__NR_fsmount, fd, flags, attr);
}
static inline int move_mount(int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags) {
        return (int) syscall(__NR_move_mount, from_dfd, from, to_dfd, to, flags);
}
#endif

#include "macro.h"

/* The "dax=" mount option of ext4 and xfs. Both file systems behave as dax=inode when no
 * option is given: a file is DAX when it carries FS_XFLAG_DAX (inherited from its directory). */

/* The DAX mode a mounted ext4/xfs is in, from its option string as /proc/self/mountinfo shows
 * it ("rw,relatime,attr2,dax=always,..."): "dax" and "dax=always" mean always, "dax=never"
 * never, anything else inode (the default, which xfs does not show). */
DaxMode mount_options_dax_mode(const char *options) _pure_;

/* Caller options split for the new mount API. */
typedef struct MountOptions {
        unsigned attr;    /* MOUNT_ATTR_* for fsmount() */
        unsigned long ms; /* the same as MS_* flags, for the mount(2) fallback */
        char **fs;        /* NULL-terminated "key" or "key=value" parameters for fsconfig() */
        size_t n_fs;
        bool read_only;
} MountOptions;

void mount_options_done(MountOptions *o);

/* Splits a comma-separated option string ("noatime,nodev,commit=5"). Per-mount flags
 * (ro, nosuid, nodev, noexec, noatime, nodiratime, relatime, strictatime) become attributes;
 * their positive forms and "defaults" are accepted and do nothing; everything else is passed
 * to the file system. "dax"/"dax=…" and "source=…" are refused (the caller chooses DAX and the
 * source through their own arguments), as are empty items. NULL or "" gives no options.
 * Returns 0, or -EINVAL with a sentence. */
int mount_options_parse(const char *options, MountOptions *ret, char **ret_error);

/* Joins the fs parameters with commas (for the mount(2) fallback's data argument), prefixed
 * by @first if non-NULL. */
int mount_options_join(const MountOptions *o, const char *first, char **ret);

/* libmount table helpers. */
static inline void mnt_unref_tablep(struct libmnt_table **t) {
        if (*t)
                mnt_unref_table(*t);
}
#define _cleanup_mnt_table_ _cleanup_(mnt_unref_tablep)

/* Loads a mountinfo file (NULL: /proc/self/mountinfo). */
int mount_table_load(const char *path, struct libmnt_table **ret);

/* The top-most mount at exactly @target (a canonical path), or NULL. */
struct libmnt_fs *mount_table_find_target(struct libmnt_table *t, const char *target);
/* The first mount of the file system on device @devno (mountinfo's major:minor), or NULL. */
struct libmnt_fs *mount_table_find_devno(struct libmnt_table *t, dev_t devno);
/* The mount with mount ID @id (statx STATX_MNT_ID), or NULL. */
struct libmnt_fs *mount_table_find_id(struct libmnt_table *t, uint64_t id);
/* The mount a canonical @path lives on: the top-most mount whose target is @path or its
 * nearest parent. */
struct libmnt_fs *mount_table_find_path(struct libmnt_table *t, const char *path);

/* Mounts strictly below @target ("/mnt/a/b" is below "/mnt/a"), newline-free list
 * "T1, T2" in *ret (NULL when none). */
int mount_table_submounts(struct libmnt_table *t, const char *target, char **ret);

/* True for file systems with no backing device where "dax" means nothing. */
bool fstype_is_virtual_memory(const char *fstype) _pure_;
/* True for file systems that support DAX on a pmem block device (ext2, ext4, xfs). */
bool fstype_supports_dax(const char *fstype) _pure_;

/* "/sys/dev/block/MAJ:MIN/queue/dax" (or the parent disk's for a partition): 1, 0, or a
 * negative errno when the attribute is missing. */
int blockdev_queue_dax(dev_t devno);
/* The text of that attribute as read_one_line_at() returns it: "1" → 1, "0" → 0, anything
 * else -EBADMSG. */
int blockdev_queue_dax_parse(const char *v);
/* The kernel name of a block device ("pmem0"), from /sys/dev/block/MAJ:MIN. */
int blockdev_name(dev_t devno, char **ret);
