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

/* place-check.c: copies the data of @from to @to (/dev/null to only hash it), hashing it on the
 * way into @ret_sha (hex). */
int place_copy_and_hash(int from, int to, char ret_sha[static 65]);

/* place-copy.c: the extents of @fd (FIEMAP, after syncing its data), and where the file
 * system's device @dev starts within its namespace (a partition's start; 0 for a whole device). */
int place_read_extents(int fd, FileExtent **ret, size_t *ret_n);
uint64_t place_device_start(dev_t dev);

/* place-pmd.c, on a copy being written (@fd open for reading and writing, not yet linked):
 * raises the p_align of the PT_LOAD segments elf_pmd_align_segments() picks to 2 MiB with
 * pwrite(), recording them in @p->aligned; nothing for a file that is not an ELF object of this
 * machine. A negative errno only when the copy could not be read or written. */
int place_copy_align_pmd(int fd, Placement *p);
/* Maps @fd, when it is DAX, at an address congruent with its file offsets modulo 2 MiB and
 * faults in once each of its PMD-eligible windows that lies 2 MiB-aligned on the device, so that
 * its DAX index holds 2 MiB entries before any other mapping can leave 4 KiB ones;
 * *ret_primed gets how many. */
int place_copy_prime(int fd, uint64_t *ret_primed);

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
