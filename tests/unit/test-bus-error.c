/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>

#include "bus-error.h"
#include "fileio.h"
#include "macro.h"
#include "test-macro.h"

#define E "org.daxmgr1.Error."

/* What the daemon has answered each errno with since the first release; every other errno,
 * and 0, is Failed. */
static const struct {
        int error;
        const char *name;
} names[] = {
        { EINVAL, E "InvalidArgument" },
        { ERANGE, E "InvalidArgument" },
        { ENAMETOOLONG, E "InvalidArgument" },
        { ENOENT, E "NotFound" },
        { ENODEV, E "NotFound" },
        { ENXIO, E "NotFound" },
        { ESRCH, E "NotFound" },
        { EBUSY, E "Busy" },
        { ETXTBSY, E "Busy" },
        { EAGAIN, E "Busy" },
        { EEXIST, E "Exists" },
        { ENOTUNIQ, E "Exists" },
        { ENOSPC, E "NoSpace" },
        { ENOTEMPTY, E "Conflict" },
        { EOPNOTSUPP, E "NotSupported" },
        { ENOTTY, E "NotSupported" },
        { EROFS, E "NotSupported" },
        { EPERM, E "AccessDenied" },
        { EACCES, E "AccessDenied" },
};

/* The CLI's exit status for each error name it may be given (the "not running" names are
 * told apart before, in the CLI). */
static const struct {
        const char *name;
        int exit;
} exits[] = {
        { E "InvalidArgument", EXIT_USAGE },
        { E "NotFound", EXIT_NOT_FOUND },
        { E "Busy", EXIT_FAILURE_ },
        { E "Exists", EXIT_FAILURE_ },
        { E "NoSpace", EXIT_FAILURE_ },
        { E "Conflict", EXIT_FAILURE_ },
        { E "NotSupported", EXIT_FAILURE_ },
        { E "AccessDenied", EXIT_DENIED },
        { E "InteractiveAuthorizationRequired", EXIT_DENIED },
        { E "ConfigInvalid", EXIT_FAILURE_ },
        { E "Failed", EXIT_FAILURE_ },
        { E "NoSuchName", EXIT_FAILURE_ },
        { SD_BUS_ERROR_INVALID_ARGS, EXIT_USAGE },
        { SD_BUS_ERROR_UNKNOWN_OBJECT, EXIT_NOT_FOUND },
        { SD_BUS_ERROR_ACCESS_DENIED, EXIT_DENIED },
        { SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, EXIT_DENIED },
        /* sd-bus reads these as EACCES, ENOENT, EINVAL or EBADR; to the CLI they are failures. */
        { SD_BUS_ERROR_FAILED, EXIT_FAILURE_ },
        { SD_BUS_ERROR_AUTH_FAILED, EXIT_FAILURE_ },
        { SD_BUS_ERROR_FILE_NOT_FOUND, EXIT_FAILURE_ },
        { SD_BUS_ERROR_MATCH_RULE_NOT_FOUND, EXIT_FAILURE_ },
        { SD_BUS_ERROR_INVALID_SIGNATURE, EXIT_FAILURE_ },
        { SD_BUS_ERROR_UNKNOWN_METHOD, EXIT_FAILURE_ },
        { SD_BUS_ERROR_UNKNOWN_INTERFACE, EXIT_FAILURE_ },
        { SD_BUS_ERROR_UNKNOWN_PROPERTY, EXIT_FAILURE_ },
        { SD_BUS_ERROR_PROPERTY_READ_ONLY, EXIT_FAILURE_ },
        { SD_BUS_ERROR_NO_REPLY, EXIT_FAILURE_ },
        { SD_BUS_ERROR_TIMEOUT, EXIT_FAILURE_ },
        { SD_BUS_ERROR_NOT_SUPPORTED, EXIT_FAILURE_ },
        { SD_BUS_ERROR_NO_MEMORY, EXIT_FAILURE_ },
        { SD_BUS_ERROR_IO_ERROR, EXIT_FAILURE_ },
        { "org.freedesktop.systemd1.UnitMasked", EXIT_FAILURE_ },
        { "System.Error.EINVAL", EXIT_FAILURE_ },
        { "System.Error.ENOENT", EXIT_FAILURE_ },
        { "System.Error.ENODEV", EXIT_FAILURE_ },
        { "", EXIT_FAILURE_ },
};

static const char *expected_name(int error) {
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i].error == error)
                        return names[i].name;
        return E "Failed";
}

static bool has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

TEST(test_name_for_errno) {
        /* Every errno there is, so that no errno changes its name unseen. */
        for (int e = 1; e < 4096; e++)
                ASSERT_STREQ(bus_error_name_for_errno(-e), expected_name(e));
        ASSERT_STREQ(bus_error_name_for_errno(-ENOTSUP), E "NotSupported");
        ASSERT_STREQ(bus_error_name_for_errno(-EWOULDBLOCK), E "Busy");
        /* Not a negative errno: a worker that sent none, or one with the wrong sign. */
        ASSERT_STREQ(bus_error_name_for_errno(0), E "Failed");
        ASSERT_STREQ(bus_error_name_for_errno(EINVAL), E "Failed");
        ASSERT_STREQ(bus_error_name_for_errno(INT_MIN), E "Failed");
        ASSERT_STREQ(bus_error_name_for_errno(INT_MAX), E "Failed");
}

TEST(test_exit_code) {
        for (size_t i = 0; i < ELEMENTSOF(exits); i++) {
                int code = exit_code_for_errno(bus_error_errno_for_name(exits[i].name));

                if (code != exits[i].exit) {
                        fprintf(stderr, "%s: exit %d, not %d\n", exits[i].name, code, exits[i].exit);
                        abort();
                }
        }
        ASSERT_EQ(bus_error_errno_for_name(NULL), 0);
        ASSERT_EQ(exit_code_for_errno(0), EXIT_FAILURE_);
}

/* A name written for an errno reads back as an errno written as that name, and gives the same
 * exit status whichever errno the daemon had. */
TEST(test_round_trip) {
        for (int e = 1; e < 4096; e++) {
                const char *name = bus_error_name_for_errno(-e);
                int back = bus_error_errno_for_name(name);

                ASSERT_TRUE(back > 0);
                ASSERT_STREQ(bus_error_name_for_errno(-back), name);
        }
}

/* Registered, the table is how sd-bus reads names; its entries for sd-bus's own names change
 * nothing sd-bus did before. */
TEST(test_registered) {
        for (const sd_bus_error_map *m = bus_error_map; m->name; m++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;

                if (has_prefix(m->name, E))
                        continue;
                ASSERT_TRUE(sd_bus_error_set(&e, m->name, "x") < 0);
                ASSERT_EQ(sd_bus_error_get_errno(&e), bus_error_errno_for_name(m->name));
                sd_bus_error_free(&e);
        }
        ASSERT_EQ(bus_error_map_register(), 0);
        ASSERT_EQ(bus_error_map_register(), 0);
        for (const sd_bus_error_map *m = bus_error_map; m->name; m++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;

                ASSERT_TRUE(sd_bus_error_set(&e, m->name, "x") < 0);
                ASSERT_EQ(sd_bus_error_get_errno(&e), bus_error_errno_for_name(m->name));
                sd_bus_error_free(&e);
        }
}

/* Every org.daxmgr1.Error.NAME in @text is in the table; returns how many there were. */
static unsigned check_names_in(const char *path, const char *text) {
        unsigned n = 0;

        for (const char *p = strstr(text, E); p; p = strstr(p + 1, E)) {
                size_t len = strlen(E);
                char name[128];

                while ((p[len] >= 'A' && p[len] <= 'Z') || (p[len] >= 'a' && p[len] <= 'z'))
                        len++;
                if (len == strlen(E)) /* "org.daxmgr1.Error.*" */
                        continue;
                ASSERT_TRUE(len < sizeof(name));
                memcpy(name, p, len);
                name[len] = 0;
                if (bus_error_errno_for_name(name) == 0) {
                        fprintf(stderr, "%s: %s is not in lib/bus-error.c's table\n", path, name);
                        abort();
                }
                n++;
        }
        return n;
}

/* The names docs/dbus/ documents are the table's, and the table's are documented in the
 * README's list of errors. */
TEST(test_documented) {
        _cleanup_free_ char *readme = NULL;
        DIR *d = opendir("../../docs/dbus");
        struct dirent *de;
        unsigned n = 0;

        ASSERT_TRUE(d);
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                size_t l = strlen(de->d_name);

                if (l < 3 || strcmp(de->d_name + l - 3, ".md") != 0)
                        continue;
                path = asprintf_safe("../../docs/dbus/%s", de->d_name);
                ASSERT_TRUE(path);
                ASSERT_EQ(read_full_file(path, 1024 * 1024, &text, NULL), 0);
                n += check_names_in(path, text);
        }
        closedir(d);
        ASSERT_TRUE(n > 0);

        ASSERT_EQ(read_full_file("../../docs/dbus/README.md", 1024 * 1024, &readme, NULL), 0);
        for (const sd_bus_error_map *m = bus_error_map; m->name; m++) {
                _cleanup_free_ char *row = NULL;

                if (!has_prefix(m->name, E))
                        continue;
                row = asprintf_safe("| `%s` |", m->name);
                ASSERT_TRUE(row);
                if (!strstr(readme, row)) {
                        fprintf(stderr, "docs/dbus/README.md does not list %s\n", m->name);
                        abort();
                }
        }
}

DEFINE_TEST_MAIN();
