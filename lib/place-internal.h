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

#include "elf-closure.h"
#include "place.h"

/* place-check.c: copies the data of @from (from its offset to its end) to @to: copy_file_range()
 * where the kernel can do it between the two files, else sendfile() (no user-space copy of the
 * data), else read() and write(). The source is read with POSIX_FADV_SEQUENTIAL, and its page
 * cache is dropped afterwards (POSIX_FADV_DONTNEED: what runs is the copy). No hash: see
 * placement_hash_pending(). */
int place_copy_data(int from, int to);
/* The SHA-256 (hex) of the whole file @fd (read with pread(), from offset 0). */
int place_hash_fd(int fd, char ret_sha[static 65]);
/* The SHA-256 (hex) of the copy @fd of @p as its source had it: with the p_align values the copy
 * has raised (@p->aligned) put back. -ESTALE when @fd is not the ELF object those belong to. */
int place_hash_copy_fd(int fd, const Placement *p, char ret_sha[static 65]);
/* Marks @p's hash pending: sha256 becomes 64 zeros (a hash no content has, for older versions
 * that read the state) and the copy's identity @copy_st (fstat of the copy once written) is
 * recorded. */
void placement_hash_pending(Placement *p, const struct stat *copy_st);

/* place-copy.c: the extents of @fd (FIEMAP, after syncing its data), and where the file
 * system's device @dev starts within its namespace (a partition's start; 0 for a whole device). */
int place_read_extents(int fd, FileExtent **ret, size_t *ret_n);
uint64_t place_device_start(dev_t dev);
/* place-copy.c, on a copy written and synced but not yet linked (@fd), whose ELF object @o was
 * read from it with elf_object_read_fd() (NULL: not ELF, or damaged): its layout, from @o and
 * one FIEMAP, recorded in @p (layout_known false when it cannot be read), and the windows it
 * finds aligned on the device primed (place_copy_prime(): @p->prime_error, primed_windows; a
 * copy with windows whose extents cannot be read gets that error). @copy names it in messages. */
void place_copy_layout(int fd, const char *copy, const ElfObject *o, Placement *p);

/* place-pmd.c, on a copy being written (@fd open for reading and writing, not yet linked) and its
 * ELF object @o read from it (NULL: not ELF): raises the p_align of the PT_LOAD segments
 * elf_pmd_align_segments() picks to 2 MiB with pwrite(), in @o too, recording them in
 * @p->aligned; nothing for a file that is not an ELF object of this machine. A negative errno
 * only when the copy could not be written. */
int place_copy_align_pmd(int fd, ElfObject *o, Placement *p);
/* Maps @fd, when it is DAX, at an address congruent with its file offsets modulo 2 MiB and
 * faults in once each of the @n_windows 2 MiB windows at @windows (file offsets: the
 * PMD-eligible windows that lie 2 MiB-aligned on the device), so that its DAX index holds 2 MiB
 * entries before any other mapping can leave 4 KiB ones; *ret_primed gets how many. */
int place_copy_prime(int fd, const uint64_t *windows, size_t n_windows, uint64_t *ret_primed);

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
