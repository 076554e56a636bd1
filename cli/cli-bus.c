/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daxmgr's errors (one line, and the exit status they mean) and its bus: the connection, the
 * daemon's objects as JSON, and the accessors and printers every verb reads them with. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "bus-error.h"
#include "bus-json.h"
#include "cli.h"
#include "macro.h"

/* ---------------------------------------------------------------- errors */

_printf_(1, 2) int usage_error(const char *fmt, ...) {
        va_list ap;

        fputs("daxmgr: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'daxmgr --help'.\n", stderr);
        return EXIT_USAGE;
}

static bool error_not_running(const char *name, const char *message) {
        if (!name)
                return false;
        return strcmp(name, SD_BUS_ERROR_SERVICE_UNKNOWN) == 0 ||
               strcmp(name, SD_BUS_ERROR_NAME_HAS_NO_OWNER) == 0 ||
               strcmp(name, "org.freedesktop.systemd1.NoSuchUnit") == 0 ||
               strncmp(name, "org.freedesktop.DBus.Error.Spawn.", 33) == 0 ||
               (message && strstr(message, "dbus-org.daxmgr1.service"));
}

int exit_code_for_error(const char *name, const char *message) {
        if (!name)
                return EXIT_FAILURE_;
        if (error_not_running(name, message))
                return EXIT_NOT_RUNNING;
        return exit_code_for_errno(bus_error_errno_for_name(name));
}

static int not_running(void) {
        fputs("daxmgr: daxmgrd is not running; start it with: systemctl enable --now daxmgrd\n", stderr);
        return EXIT_NOT_RUNNING;
}

/* One line: what failed, and the daemon's own sentence. */
int bus_fail(const char *what, const sd_bus_error *e, int r) {
        if (e && sd_bus_error_is_set(e)) {
                if (error_not_running(e->name, e->message))
                        return not_running();
                fprintf(stderr, "daxmgr: %s: %s\n", what, e->message ?: e->name);
                return exit_code_for_error(e->name, e->message);
        }
        fprintf(stderr, "daxmgr: %s: %s\n", what, strerror(r < 0 ? -r : EIO));
        return EXIT_FAILURE_;
}

/* ---------------------------------------------------------------- bus */

int connect_bus(sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        /* So that sd-bus reads our error names as the daemon meant them. The exit status does
         * not depend on it (it reads the table itself): only ENOMEM can fail this. */
        (void) bus_error_map_register();
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                /* One line, about the bus: whether daxmgrd runs cannot be known without it. */
                const char *address =
                        getenv("DBUS_SYSTEM_BUS_ADDRESS") ?: "unix:path=/run/dbus/system_bus_socket";

                if (r == -ENOENT || r == -ECONNREFUSED)
                        fprintf(stderr,
                                "daxmgr: the system bus is not running (%s: %s); daxmgr reaches daxmgrd "
                                "through it: start it with: systemctl start dbus\n",
                                address, strerror(-r));
                else
                        fprintf(stderr, "daxmgr: cannot connect to the system bus (%s: %s)\n", address,
                                strerror(-r));
                return EXIT_NOT_RUNNING;
        }
        (void) sd_bus_set_allow_interactive_authorization(bus, arg.ask_password);
        *ret = bus;
        return EXIT_OK;
}

int get_objects(sd_bus *bus, json_object **ret) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *all = NULL, *props = NULL;
        json_object *mgr, *list;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, DEST, ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", &e, &reply, NULL);
        if (r < 0) {
                r = bus_fail("reading the daemon's objects", &e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = bus_managed_objects_json(reply, &all);
        if (r < 0)
                return bus_fail("reading the daemon's objects", NULL, r);
        /* The object manager's own object is not among its managed objects. */
        reply = sd_bus_message_unref(reply);
        r = sd_bus_call_method(bus, DEST, ROOT_PATH, "org.freedesktop.DBus.Properties", "GetAll", &e, &reply,
                               "s", MANAGER);
        if (r < 0) {
                r = bus_fail("reading the daemon's state", &e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = bus_read_properties_json(reply, &props);
        if (r < 0)
                return bus_fail("reading the daemon's state", NULL, r);
        mgr = json_object_new_object();
        (void) json_object_object_add(mgr, "Path", json_object_new_string(ROOT_PATH));
        json_object_object_foreach(props, k, v)(void) json_object_object_add(mgr, k, json_object_get(v));
        list = json_object_new_array();
        (void) json_object_array_add(list, mgr);
        (void) json_object_object_add(all, MANAGER, list);
        *ret = TAKE_PTR(all);
        return EXIT_OK;
}

json_object *objects_of(json_object *all, const char *iface) {
        json_object *a;

        if (json_object_object_get_ex(all, iface, &a))
                return a;
        return NULL;
}

const char *str(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return "";
        return json_object_get_string(v);
}

uint64_t u64(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        return json_object_get_uint64(v);
}

bool boolean(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* "a, b" from a JSON array of strings; "" when empty. */
char *join(json_object *o, const char *key) {
        json_object *a;
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);

        if (!f)
                return NULL;
        if (json_object_object_get_ex(o, key, &a) && json_object_is_type(a, json_type_array))
                for (size_t i = 0; i < json_object_array_length(a); i++)
                        fprintf(f, "%s%s", i ? ", " : "",
                                json_object_get_string(json_object_array_get_idx(a, i)));
        fclose(f);
        return s;
}

/* --json and --json=pretty: indented; --json=short: an array one element per line (JSON lines;
 * nothing for an empty one), anything else on one line. */
void print_json(json_object *o) {
        if (arg.json != JSON_SHORT) {
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
                return;
        }
        if (!json_object_is_type(o, json_type_array)) {
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
                return;
        }
        for (size_t i = 0; i < json_object_array_length(o); i++)
                puts(json_object_to_json_string_ext(json_object_array_get_idx(o, i),
                                                    JSON_C_TO_STRING_PLAIN |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *dash(const char *s) {
        return s && *s ? s : "-";
}

void heading(const char *s) {
        if (use_color)
                printf("\033[1m%s\033[0m\n", s);
        else
                printf("%s\n", s);
}
