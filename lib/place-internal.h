/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the placement files share (place-state.c: the state file; place-zone.c: zones and
 * removal; place-copy.c: copying, refresh and placing a program; place-check.c: the hash cache,
 * staleness and lookups;
 * place-activate.c: drop-ins, entry points, host binds and place_and_activate()). Not for use
 * outside them. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "place.h"

/* place-check.c: copies the data of @from (from its offset to its end) to @to: copy_file_range()
 * where the kernel can do it between the two files, else sendfile() (no user-space copy of the
 * data), else read() and write(). The source is read with POSIX_FADV_SEQUENTIAL, and its page
 * cache is dropped afterwards (POSIX_FADV_DONTNEED: what runs is the copy). No hash: see
 * placement_hash_pending(). */
int place_copy_data(int from, int to);
/* The SHA-256 (hex) of what @fd holds from its offset to its end. */
int place_hash_fd(int fd, char ret_sha[static 65]);
/* Marks @p's hash pending: sha256 becomes 64 zeros (a hash no content has, for older versions
 * that read the state) and the copy's identity @copy_st (fstat of the copy once written) is
 * recorded. */
void placement_hash_pending(Placement *p, const struct stat *copy_st);

/* Creates the directory that will hold @path, and its parents. */
int mkdir_parent_of(const char *path);
/* Frees what @p holds and zeroes it. */
void placement_done(Placement *p);
/* Paths in unit files (and launcher scripts): spaces, quotes and specifiers would need escaping;
 * placed files never need it. */
bool path_is_unit_safe(const char *p);
/* Absolute and canonical: no "//", no "." or ".." component, no trailing slash. */
bool is_abs_clean_path(const char *p);
/* Writes @data to @name in the directory @dfd atomically; @path names the file in messages. */
int write_atomic_at(int dfd, const char *name, const char *path, const char *data, size_t len, mode_t mode,
                    char **ret_error);
/* The same for a path outside any zone (the state file, drop-ins), in a directory daxmgr owns. */
int write_atomic(const char *path, const char *data, size_t len, mode_t mode, char **ret_error);
/* Opens (creating it with @create) the directory holding @path, a file inside @zone_fd's zone,
 * never following a symbolic link; *ret_name gets its last component. */
int zone_open_parent(int zone_fd, const char *zone, const char *path, bool create, const char **ret_name,
                     char **ret_error);
