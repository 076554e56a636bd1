/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Read a whole file (sysfs attribute, /proc file) into a NUL-terminated buffer. Files that
 * report size 0 (procfs, sysfs) are read until EOF. Fails with -EFBIG beyond @max_size bytes.
 * The returned string never contains the terminating NUL in *ret_size. */
int read_full_file(const char *path, size_t max_size, char **ret, size_t *ret_size);

/* Same, relative to a directory fd (openat semantics, O_CLOEXEC, no following of the last
 * component's symlink is NOT implied: sysfs attributes are regular files). */
int read_full_file_at(int dir_fd, const char *path, size_t max_size, char **ret, size_t *ret_size);

/* Read a one-line attribute and strip the trailing newline. */
int read_one_line_at(int dir_fd, const char *path, char **ret);

#define READ_FULL_FILE_MAX (64u * 1024u * 1024u)

/* Writes all of @s to @fd, again after EINTR and short writes: 0, or a negative errno. */
int write_string_fd(int fd, const char *s);
