/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* DAX mounts, and the proof that DAX is in effect.
 *
 * A mount option proves nothing: ramfs/tmpfs ignore "dax", xfs logs "Turning off DAX" on a
 * device without DAX support and mounts anyway. So dax_mount() mounts with the new mount API
 * (fsopen/fsconfig/fsmount/move_mount; mount(2) only if the kernel lacks fsopen), then creates
 * a probe file and asks the kernel (statx STATX_ATTR_DAX) whether it is DAX. If not, it
 * unmounts again and says why, in the kernel's own words where it has any: the file-system
 * context's messages and the kernel log lines naming the device. dax_path_check() answers the
 * same question for any path. */

#include <stdbool.h>

#include "mount-util.h"

typedef struct DaxMountRequest {
        DaxMode dax;         /* DAX_MODE_ALWAYS (the default) or DAX_MODE_INODE */
        const char *fstype;  /* NULL: the type libblkid finds on the device */
        const char *options; /* extra mount options ("noatime,nodev"), NULL: none */
} DaxMountRequest;

/* Mounts the block device @source at @target (created with mode 0755, parents too, if
 * missing) and proves DAX:
 *  - dax=always: a new file in the mount root must be DAX;
 *  - dax=inode: a new file in a temporary directory carrying FS_XFLAG_DAX must be DAX (the
 *    mount root's own flag is left alone: new files are DAX only below directories that
 *    carry the flag, see dax_dir_set_inherit()).
 * Read-only mounts cannot create a probe: an existing regular file in the root is checked
 * instead, or, if there is none, the device's queue/dax and the mount's dax option.
 * Returns 0 when mounted, 1 when @source was already mounted at @target as asked (same
 * device, type and DAX mode, DAX in effect), or a negative errno with a sentence: -ENOTBLK
 * (not a block device; tmpfs/ramfs), -ENODATA (no file system), -EOPNOTSUPP (a file system
 * without DAX, or DAX not in effect after mounting), -EBUSY (mounted elsewhere, or something
 * else mounted at @target), or the kernel's error. */
int dax_mount(const char *source, const char *target, const DaxMountRequest *req, char **ret_error);

/* Unmounts @target with umount2(…, 0): never lazily, never forced. -EBUSY names the mounts
 * below it or the processes holding it; -EINVAL when @target is not a mount point. */
int dax_unmount(const char *target, char **ret_error);

/* Sets (or clears) FS_XFLAG_DAX on directory @dir, so that files created in it afterwards are
 * DAX on a dax=inode mount. */
int dax_dir_set_inherit(const char *dir, bool on, char **ret_error);

typedef struct DaxPathInfo {
        char *path; /* canonical */
        bool is_dir;
        bool dax;          /* DAX in effect: on the file itself; for a directory, on a new file in it */
        bool dax_reported; /* the kernel reports STATX_ATTR_DAX (Linux >= 5.8) */
        bool probed;       /* a directory's answer comes from a probe file (false: inferred, read-only) */
        char *fstype;
        char *source;
        char *mountpoint;
        char *options;    /* the mount's options, VFS and file system */
        DaxMode dax_mode; /* the mount's dax= mode */
        int dax_flag;     /* FS_XFLAG_DAX of the path: 1, 0, -1 unknown */
        int queue_dax;    /* the backing block device's queue/dax: 1, 0, -1 unknown or none */
        char *device;     /* the backing block device's kernel name ("pmem0"), or NULL */
        int map_sync;     /* the kernel grants MAP_SYNC on the file (a directory: a new file in it):
                           * 1, 0 (refused: not DAX, or an asynchronous flush as virtio-pmem's), -1 unknown */
        char *why_not;    /* NULL when dax */
} DaxPathInfo;

void dax_path_info_done(DaxPathInfo *i);

/* Whether the kernel grants a MAP_SYNC mapping (MAP_SHARED_VALIDATE | MAP_SYNC) of the regular
 * file @fd: 1 yes, 0 refused (EOPNOTSUPP: the file is not DAX, or its device flushes
 * asynchronously, as virtio-pmem does), -1 not known (not a regular file, another error). Maps one
 * page read-only and unmaps it at once. */
int fd_map_sync(int fd);

/* Is DAX in effect for @path (a file: on it; a directory: for new files in it), on which
 * mount, with which options, and if not, why not. */
int dax_path_check(const char *path, DaxPathInfo *ret, char **ret_error);

/* Whether DAX is in effect on the fresh mount at @root_fd, with @dax, read-only or not, on a
 * device whose queue reports DAX (@queue_dax 1, 0, -1 unknown): 1 yes, 0 no (*ret_why says why),
 * <0 on errors while probing (also with *ret_why). A probe file is made and removed unless
 * @read_only (dax-proof.c). */
int dax_verify_mount(int root_fd, DaxMode dax, bool read_only, int queue_dax, char **ret_why);

/* The reason DAX is not in effect, from the facts (pure). */
typedef struct DaxFacts {
        const char *fstype;
        const char *device; /* kernel name of the backing device, or NULL */
        DaxMode mode;
        int dax_flag;
        int queue_dax;
        bool reported;
        bool dax;
        bool is_dir;
} DaxFacts;

/* *ret = NULL when @f says DAX is in effect, else a malloc'd reason ("mounted with dax=never"). */
int dax_explain(const DaxFacts *f, char **ret);

/* The pure pieces of reading kernel messages, exposed for the unit tests. */

/* A message read from a file-system context fd: "e xfs: …" / "w …" / "i …". *ret_level gets
 * 'e', 'w' or 'i' ('?' if there is no such prefix), *ret the text without the prefix and the
 * trailing newline. */
int fs_context_message_parse(const char *msg, size_t len, char *ret_level, char **ret);

/* A /dev/kmsg record ("6,1234,5678,-;XFS (pmem0): text\n SUBSYSTEM=…"): the text. */
int kmsg_record_text(const char *rec, size_t len, char **ret);

/* True when a kernel log line is about block device @devname: "XFS (pmem0): …",
 * "EXT4-fs (pmem0): …", "pmem0: …". */
bool kmsg_line_names_device(const char *line, const char *devname);

/* Of the kernel log lines about a device (NULL-terminated), the ones worth quoting: those
 * mentioning DAX if any do (or if @only_dax), else the last three; joined with "; " into *ret
 * (NULL if none). */
int kernel_lines_pick(char *const *lines, bool only_dax, char **ret);

/* Appends @line to the "; "-separated list *log, unless it is already in it. */
int log_append_unique(char **log, const char *line);
