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

/* Opens @path below the directory @dir_fd with openat2(): RESOLVE_BENEATH (no absolute path, no ".."
 * out of it), RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS (no symbolic link in any component,
 * the last one included, whenever it was planted or swapped in) and RESOLVE_NO_XDEV (no mount point
 * crossed). Returns the fd or a negative errno: -ELOOP for a symbolic link, -EXDEV for an escape or
 * a mount point, -ENOSYS when the kernel has no openat2() (Linux < 5.6). Retries the kernel's
 * -EAGAIN (a concurrent rename). */
int openat_beneath(int dir_fd, const char *path, int flags, mode_t mode);

/* A sentence for an errno openat_beneath() returned on @what ("/mnt/pmem/z/root/usr" etc.), into
 * *ret: the symbolic link and escape cases in words, else strerror. */
int beneath_error(int r, const char *what, const char *zone, char **ret);

/* Creates the relative directory path @path (components without "." or "..") below @dir_fd,
 * each missing component with @mode, never following a symbolic link (a component that is one
 * gives -ELOOP), and returns an fd of the last directory (O_DIRECTORY|O_CLOEXEC) or a negative
 * errno. An empty @path gives a new fd of @dir_fd itself. */
int mkdirat_beneath(int dir_fd, const char *path, mode_t mode);
