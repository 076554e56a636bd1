/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Formatting an fsdax block device (/dev/pmemN[.M]) with pmem-tuned defaults, so that huge
 * (2 MiB) DAX faults work end to end:
 *
 *   xfs:  mkfs.xfs -f -b size=4096 -m reflink=0 -d su=2m,sw=1,extszinherit=512
 *         (+ agcount=4 below 1 GiB, where the stripe unit would leave no room for the log)
 *         (reflink is incompatible with DAX; the stripe unit aligns allocations to 2 MiB; the
 *         root directory gets a 2 MiB extent-size hint that new files and directories inherit)
 *   ext4: mkfs.ext4 -F -b 4096 -E stride=512,stripe_width=512
 *
 * Safety: the device must be a block device, not mounted (in this mount namespace, and not
 * claimed by the kernel in any other way: an O_EXCL open must succeed), and libblkid must
 * find no signature on it (file system, RAID member, partition table, …) unless the caller
 * forces it. Even forced, a mounted device is refused. mkfs is the one program run: by argv,
 * no shell, stdout discarded, its stderr carried into the error message. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "model.h"
#include "strv.h"

typedef struct FormatOptions {
        FsType fs;
        const char *label; /* NULL: none. At most 12 bytes for xfs, 16 for ext4. */
        const char *uuid;  /* NULL: mkfs picks one. Canonical 8-4-4-4-12 hex form. */
        bool force;        /* overwrite existing signatures (never a mounted device) */
} FormatOptions;

/* The longest label the file system keeps. */
size_t fs_type_label_max(FsType t) _pure_;

/* True for the canonical textual UUID form (36 characters, hex digits and dashes). */
bool uuid_string_is_valid(const char *s) _pure_;

/* Builds the mkfs argv for @device of @size bytes (0: unknown) (pure: no I/O). *ret is a NULL-terminated,
 * malloc'd array of malloc'd strings; free it with strv_free(). -EINVAL with a sentence for a bad label,
 * UUID or file system type. */
int format_build_argv(const char *device, uint64_t size, const FormatOptions *o, char ***ret,
                      char **ret_error);

/* What libblkid finds on a device or image. */
typedef struct FormatSignature {
        char *type;      /* "xfs", "ext4", "swap", "LVM2_member", … ; NULL if only a partition table */
        char *usage;     /* "filesystem", "raid", "crypto", "other" */
        char *label;     /* NULL if none */
        char *uuid;      /* NULL if none */
        char *pttype;    /* partition table type ("gpt", "dos"), NULL if none */
        bool ambivalent; /* more than one signature was found */
} FormatSignature;

void format_signature_done(FormatSignature *s);

/* Probes @fd (a block device or an image file) for superblocks and partition tables.
 * Returns 1 with *ret filled when something was found, 0 when the device is blank, or a
 * negative errno. */
int format_probe_fd(int fd, FormatSignature *ret);

/* "an xfs file system (label "data", UUID 1234…)"; "a gpt partition table"; … */
int format_signature_describe(const FormatSignature *s, char **ret);

/* A program's stderr as one line: lines joined by "; ", blank lines dropped, cut after about
 * 1000 bytes. malloc'd; NULL on ENOMEM. */
char *format_stderr_line(const char *s);

/* Formats @device. On success returns 0 and, if @ret_uuid is non-NULL, the new file
 * system's UUID as libblkid reads it back. Errors (with a sentence): -ENOTBLK not a block
 * device, -EBUSY mounted or claimed, -EEXIST a signature was found and @o->force is not set,
 * -ENOENT mkfs is not installed, -EIO mkfs failed (its stderr in the sentence). */
int format_device(const char *device, const FormatOptions *o, char **ret_uuid, char **ret_error);
