/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small file-system helpers without fixed-size path buffers. */

#include <stdbool.h>
#include <sys/types.h>

/* readlinkat() into a malloc'd, NUL-terminated string of any length. */
int readlinkat_malloc(int dir_fd, const char *path, char **ret);

/* Creates @path and its missing parents with exactly @mode (the umask does not apply). Returns 0 if it
 * exists as a directory already, 1 if it created at least the last component, or a negative errno (-ENOTDIR
 * when a component exists and is not a directory). If @ret_created is non-NULL and directories were created,
 * it receives the topmost created one (so a caller can undo with rmdir up to it). */
int mkdir_parents(const char *path, mode_t mode, char **ret_created);

/* Removes the empty directories from @path up to and including @top (as returned by
 * mkdir_parents()); stops silently at the first one that cannot be removed. */
void rmdir_parents(const char *path, const char *top);

/* FS_XFLAG_DAX of an open file or directory (FS_IOC_FSGETXATTR): 1 set, 0 clear, or a
 * negative errno (-ENOTTY when the file system has no such flag). */
int fd_get_dax_flag(int fd);
/* Sets or clears FS_XFLAG_DAX (FS_IOC_FSSETXATTR). On a directory it is inherited by files and
 * directories created in it afterwards; on an existing file it takes effect only once the
 * inode is evicted from the cache. */
int fd_set_dax_flag(int fd, bool on);
