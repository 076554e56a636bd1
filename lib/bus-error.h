/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.daxmgr1.Error.*: the one table between errnos and the daemon's error names, read both
 * ways: the daemon names an errno with it, the CLI turns a name back into an errno and that
 * into its exit status. Pure: libc and libsystemd only (the CLI links it without the rest of
 * lib/). */

#include <systemd/sd-bus.h>

/* The CLI's exit statuses (docs/CLI.md, daxmgr(1), --help). */
enum {
        EXIT_OK = 0,
        EXIT_FAILURE_ = 1,
        EXIT_USAGE = 2,
        EXIT_NOT_FOUND = 3,
        EXIT_DENIED = 4,
        EXIT_NOT_RUNNING = 5,
        EXIT_INTERRUPTED = 130, /* 128 + SIGINT, as the shell reports a Ctrl-C */
};

/* The table, in sd-bus's form. Written, an errno is named by its first entry among the
 * org.daxmgr1.Error.* ones; read, a name gives the errno of its first entry. */
extern const sd_bus_error_map bus_error_map[];

/* Registers the table with sd-bus (sd_bus_error_add_map()), so that sd_bus_error_get_errno()
 * and a failed sd_bus_call()'s return value read our names as the table does. The names of
 * sd-bus's own that the table lists have the errnos sd-bus already gives them: registering
 * changes nothing for them. Returns 0 or a negative errno. */
int bus_error_map_register(void);

/* The org.daxmgr1.Error.* name for @r, a negative errno; org.daxmgr1.Error.Failed for any
 * errno the table does not list, and for 0 or a positive @r. Never sd-bus's own names. */
const char *bus_error_name_for_errno(int r);

/* The (positive) errno the table reads @name as, or 0 when the table does not list it (a
 * NULL @name included). Unlike sd_bus_error_get_errno(), only this table: the names sd-bus
 * alone knows give 0, not sd-bus's errno for them. */
int bus_error_errno_for_name(const char *name);

/* The CLI's exit status for an error that bus_error_errno_for_name() read as @error. */
int exit_code_for_errno(int error);
