/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What reconcile-gather.c (planning) and reconcile-run.c (carrying out) share about the state
 * directory. Not for use outside them. */

#include <fcntl.h>
#include <stdbool.h>

#include "fileio.h"

/* "refused-mode-daxX.Y": "BOOT-ID\nSYSTEMRAM\nMESSAGE\n" (reconcile-gather.c). */
#define RECONCILE_REFUSAL_PREFIX "refused-mode-"

static inline int reconcile_boot_id(char **ret) {
        return read_one_line_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", ret);
}

/* A temporary of placements.json whose writer died before the rename. */
bool reconcile_state_is_temporary(const char *name);
