/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which processes hold a file system or a device node: a scan of /proc/PID/{cwd,root,exe},
 * /proc/PID/fd/ and /proc/PID/maps. Used to say *who* keeps a mount busy or a devdax device
 * open, so that the user can act. Processes that vanish or cannot be inspected are skipped;
 * the result is a best effort, never a proof that nobody holds it. */

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum HolderUse {
        HOLDER_CWD,
        HOLDER_ROOT,
        HOLDER_EXE,
        HOLDER_FD,
        HOLDER_MAP,
        _HOLDER_USE_MAX,
        _HOLDER_USE_INVALID = -EINVAL,
} HolderUse;

const char *holder_use_to_string(HolderUse u);

typedef struct Holder {
        pid_t pid;
        char *comm;    /* /proc/PID/comm, or NULL */
        HolderUse use; /* the first evidence found, in the order of the enum */
        char *path;    /* what it holds (link target or mapped path), or NULL */
} Holder;

typedef struct Holders {
        Holder *entries; /* one per process, by ascending pid */
        size_t n;
} Holders;

Holders *holders_free(Holders *h);
static inline void holders_freep(Holders **h) {
        holders_free(*h);
}
#define _cleanup_holders_ __attribute__((cleanup(holders_freep)))

/* The calling process itself is never listed. */
/* Processes using any file on the file system whose st_dev is @fs_dev. */
int holders_of_fs(dev_t fs_dev, Holders **ret);
/* Processes with the device node @node (a character or block special file) open or mapped. */
int holders_of_node(const char *node, Holders **ret);

/* holders_of_node(), looked at again for up to @wait_ms while anyone holds @node: a prober
 * that opens devices for a moment (udev's blkid, daxmgrd's own topology refresh) is gone by
 * then, a program that keeps the device open is not. */
int holders_of_node_lasting(const char *node, unsigned wait_ms, Holders **ret);

/* Processes running, mapping or holding open the file (@dev, @ino): a placed copy in use. */
int holders_of_file(dev_t dev, ino_t ino, Holders **ret);

/* "sleep (pid 42, cwd /mnt/a), bash (pid 7, fd 3 → /mnt/a/log)", at most @max processes
 * and then "and N more". */
int holders_describe(const Holders *h, size_t max, char **ret);
