/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* /proc/PID/maps: one line per mapping,
 *   start-end perms offset major:minor inode [path]
 * (Documentation/filesystems/proc.rst). Paths may contain spaces and end in " (deleted)". */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct MapsEntry {
        uint64_t start, end; /* [start, end) */
        uint64_t offset;     /* file offset of start */
        bool read, write, exec, shared;
        unsigned dev_major, dev_minor;
        uint64_t inode;
        char *path;   /* NULL for anonymous mappings; "[heap]" and friends kept as is */
        bool deleted; /* path ended in " (deleted)"; the suffix is removed from path */
} MapsEntry;

typedef struct Maps {
        MapsEntry *entries;
        size_t n;
} Maps;

Maps *maps_free(Maps *m);
static inline void maps_freep(Maps **m) {
        maps_free(*m);
}
#define _cleanup_maps_ __attribute__((cleanup(maps_freep)))

/* Parses one line (without or with its newline). -EBADMSG on malformed input. */
int maps_parse_line(const char *line, size_t len, MapsEntry *ret);
void maps_entry_done(MapsEntry *e);

int maps_parse(const char *text, Maps **ret);
/* Reads /proc/<pid>/maps (pid 0 = self). */
int maps_read(pid_t pid, Maps **ret);

/* True for a mapping of a file (has an inode and a path that is not a [pseudo] name). */
bool maps_entry_is_file(const MapsEntry *e);

/* The unit of @pid from its cgroup ("0::/system.slice/foo.service" → "foo.service"), or NULL
 * (no such process, or in no service or scope). */
char *pid_unit(pid_t pid);
