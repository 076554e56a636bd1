/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bus-error.h"

#define PREFIX "org.daxmgr1.Error."

const sd_bus_error_map bus_error_map[] = {
        /* The daemon's names, each with the errnos it answers with; the first one is what a
         * client reads it as. */
        SD_BUS_ERROR_MAP(PREFIX "InvalidArgument", EINVAL),
        SD_BUS_ERROR_MAP(PREFIX "InvalidArgument", ERANGE),
        SD_BUS_ERROR_MAP(PREFIX "InvalidArgument", ENAMETOOLONG),
        SD_BUS_ERROR_MAP(PREFIX "NotFound", ENOENT),
        SD_BUS_ERROR_MAP(PREFIX "NotFound", ENODEV),
        SD_BUS_ERROR_MAP(PREFIX "NotFound", ENXIO),
        SD_BUS_ERROR_MAP(PREFIX "NotFound", ESRCH),
        SD_BUS_ERROR_MAP(PREFIX "Busy", EBUSY),
        SD_BUS_ERROR_MAP(PREFIX "Busy", ETXTBSY),
        SD_BUS_ERROR_MAP(PREFIX "Busy", EAGAIN),
        SD_BUS_ERROR_MAP(PREFIX "Exists", EEXIST),
        SD_BUS_ERROR_MAP(PREFIX "Exists", ENOTUNIQ),
        SD_BUS_ERROR_MAP(PREFIX "NoSpace", ENOSPC),
        SD_BUS_ERROR_MAP(PREFIX "Conflict", ENOTEMPTY),
        SD_BUS_ERROR_MAP(PREFIX "NotSupported", EOPNOTSUPP),
        SD_BUS_ERROR_MAP(PREFIX "NotSupported", ENOTTY),
        SD_BUS_ERROR_MAP(PREFIX "NotSupported", EROFS),
        SD_BUS_ERROR_MAP(PREFIX "AccessDenied", EACCES),
        SD_BUS_ERROR_MAP(PREFIX "AccessDenied", EPERM),
        SD_BUS_ERROR_MAP(PREFIX "Failed", EIO),

        /* Names the daemon sets by name only. Their errno comes earlier in the table, so that
         * no errno is ever written as them. */
        SD_BUS_ERROR_MAP(PREFIX "InteractiveAuthorizationRequired", EACCES),
        SD_BUS_ERROR_MAP(PREFIX "ConfigInvalid", EIO),

        /* sd-bus's own names that the CLI tells apart, with the errnos sd-bus itself reads them
         * as. Never written: the daemon answers with its own names only. The other names of
         * sd-bus's are not listed, and so are failures to the CLI even where sd-bus reads them
         * as one of these errnos (Failed and AuthFailed as EACCES, InvalidSignature as EINVAL,
         * UnknownMethod, UnknownInterface and UnknownProperty as EBADR). */
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_INVALID_ARGS, EINVAL),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_UNKNOWN_OBJECT, EBADR),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_ACCESS_DENIED, EACCES),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, EACCES),
        SD_BUS_ERROR_MAP_END,
};

int bus_error_map_register(void) {
        int r = sd_bus_error_add_map(bus_error_map);

        return r < 0 ? r : 0;
}

const char *bus_error_name_for_errno(int r) {
        for (const sd_bus_error_map *m = bus_error_map; m->name; m++)
                if (-m->code == r && strncmp(m->name, PREFIX, strlen(PREFIX)) == 0)
                        return m->name;
        return PREFIX "Failed";
}

int bus_error_errno_for_name(const char *name) {
        if (!name)
                return 0;
        for (const sd_bus_error_map *m = bus_error_map; m->name; m++)
                if (strcmp(m->name, name) == 0)
                        return m->code;
        return 0;
}

int exit_code_for_errno(int error) {
        switch (error) {
        case EINVAL: /* InvalidArgument, and sd-bus's InvalidArgs */
                return EXIT_USAGE;
        case ENOENT: /* NotFound */
        case EBADR:  /* sd-bus's UnknownObject (the table lists no other name read as EBADR) */
                return EXIT_NOT_FOUND;
        case EACCES: /* AccessDenied, InteractiveAuthorizationRequired, and sd-bus's own two */
                return EXIT_DENIED;
        default:
                return EXIT_FAILURE_;
        }
}
