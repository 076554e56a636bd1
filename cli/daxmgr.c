/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daxmgr: the command line of daxmgrd, over the system bus (org.daxmgr1). Reading verbs print
 * tables for people or, with --json, the daemon's objects with the D-Bus property names;
 * mutating verbs start a job and follow it to its end. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "bus-json.h"
#include "macro.h"
#include "parse-util.h"
#include "size.h"
#include "table.h"

#define DEST      "org.daxmgr1"
#define ROOT_PATH "/org/daxmgr1"
#define MANAGER   "org.daxmgr1.Manager"

/* Exit codes (documented in --help). */
enum {
        EXIT_OK = 0,
        EXIT_FAILURE_ = 1,
        EXIT_USAGE = 2,
        EXIT_NOT_FOUND = 3,
        EXIT_DENIED = 4,
        EXIT_NOT_RUNNING = 5,
};

/* Options, one bit each, so that each verb can refuse the ones that mean nothing to it. */
enum {
        OPT_JSON = 1u << 0,
        OPT_FORCE = 1u << 1,
        OPT_NO_BLOCK = 1u << 2,
        OPT_REGION = 1u << 3,
        OPT_MODE = 1u << 4,
        OPT_SIZE = 1u << 5,
        OPT_ALIGN = 1u << 6,
        OPT_MAP = 1u << 7,
        OPT_NAME = 1u << 8,
        OPT_FS = 1u << 9,
        OPT_LABEL = 1u << 10,
        OPT_DAX = 1u << 11,
        OPT_OPTIONS = 1u << 12,
        OPT_WITH_LIBRARIES = 1u << 13,
        OPT_SERVICE = 1u << 14,
        OPT_NO_ENTRY_POINT = 1u << 15,
        OPT_BIND_HOST = 1u << 16,
};

static struct {
        unsigned given;
        bool ask_password;
        const char *region, *mode, *size, *map, *name, *fs, *label, *dax, *options, *service;
        uint64_t align;
} arg = { .ask_password = true };

static bool use_color;

static const char *const option_names[] = {
        "--json",    "--force",          "--no-block",  "--region", "--mode", "--size", "--align",
        "--map",     "--name",           "--fs",        "--label",  "--dax",  "-o",     "--with-libraries",
        "--service", "--no-entry-point", "--bind-host",
};

static void json_putp(json_object **j) {
        if (*j)
                json_object_put(*j);
}
#define _cleanup_json_ _cleanup_(json_putp)

static void bus_message_unrefp(sd_bus_message **m) {
        sd_bus_message_unref(*m);
}
#define _cleanup_bus_message_ _cleanup_(bus_message_unrefp)

/* ---------------------------------------------------------------- errors */

_printf_(1, 2) static int usage_error(const char *fmt, ...) {
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

static int exit_code_for_error(const char *name, const char *message) {
        if (!name)
                return EXIT_FAILURE_;
        if (error_not_running(name, message))
                return EXIT_NOT_RUNNING;
        if (strcmp(name, "org.daxmgr1.Error.InvalidArgument") == 0 ||
            strcmp(name, SD_BUS_ERROR_INVALID_ARGS) == 0)
                return EXIT_USAGE;
        if (strcmp(name, "org.daxmgr1.Error.NotFound") == 0 ||
            strcmp(name, SD_BUS_ERROR_UNKNOWN_OBJECT) == 0)
                return EXIT_NOT_FOUND;
        if (strcmp(name, "org.daxmgr1.Error.AccessDenied") == 0 ||
            strcmp(name, "org.daxmgr1.Error.InteractiveAuthorizationRequired") == 0 ||
            strcmp(name, SD_BUS_ERROR_ACCESS_DENIED) == 0 ||
            strcmp(name, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED) == 0)
                return EXIT_DENIED;
        return EXIT_FAILURE_;
}

/* One line: what failed, and the daemon's own sentence. */
static int bus_fail(const char *what, const sd_bus_error *e, int r) {
        if (e && sd_bus_error_is_set(e)) {
                if (error_not_running(e->name, e->message)) {
                        fputs("daxmgr: daxmgrd is not running; start it with: systemctl enable --now "
                              "daxmgrd\n",
                              stderr);
                        return EXIT_NOT_RUNNING;
                }
                fprintf(stderr, "daxmgr: %s: %s\n", what, e->message ?: e->name);
                return exit_code_for_error(e->name, e->message);
        }
        fprintf(stderr, "daxmgr: %s: %s\n", what, strerror(r < 0 ? -r : EIO));
        return EXIT_FAILURE_;
}

/* ---------------------------------------------------------------- bus */

static int connect_bus(sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "daxmgr: cannot connect to the system bus: %s\n", strerror(-r));
                return EXIT_FAILURE_;
        }
        (void) sd_bus_set_allow_interactive_authorization(bus, arg.ask_password);
        *ret = bus;
        return EXIT_OK;
}

static int get_objects(sd_bus *bus, json_object **ret) {
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

static json_object *objects_of(json_object *all, const char *iface) {
        json_object *a;

        if (json_object_object_get_ex(all, iface, &a))
                return a;
        return NULL;
}

static const char *str(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return "";
        return json_object_get_string(v);
}

static uint64_t u64(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        return json_object_get_uint64(v);
}

static bool boolean(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* "a, b" from a JSON array of strings; "" when empty. */
static char *join(json_object *o, const char *key) {
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

static void print_json(json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static const char *dash(const char *s) {
        return s && *s ? s : "-";
}

static void heading(const char *s) {
        if (use_color)
                printf("\033[1m%s\033[0m\n", s);
        else
                printf("%s\n", s);
}

/* ---------------------------------------------------------------- tables */

static int print_regions(json_object *list) {
        static const char *const h[] = { "REGION",       "SIZE",     "AVAILABLE",
                                         "LARGEST FREE", "LABELLED", "NAMESPACES" };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *ns;
                char n[24];

                snprintf(n, sizeof(n), "%zu",
                         json_object_object_get_ex(o, "Namespaces", &ns) ? json_object_array_length(ns) : 0);
                const char *row[] = { str(o, "Device"),
                                      SIZE_FMT(u64(o, "Size")),
                                      SIZE_FMT(u64(o, "AvailableSize")),
                                      SIZE_FMT(u64(o, "MaxAvailableExtent")),
                                      boolean(o, "Labelled") ? "yes" : "no",
                                      n };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        if (table_rows(t) == 0)
                puts("No pmem regions.");
        else
                table_print(t, stdout, use_color);
        return 0;
}

static int print_namespaces(json_object *list) {
        static const char *const h[] = {
                "NAMESPACE", "NAME", "MODE", "SIZE", "DEVICE", "FS", "MOUNT", "DAX"
        };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i);
                _cleanup_free_ char *mounts = join(o, "MountPoints");
                const char *dev = *str(o, "BlockDevice") ? str(o, "BlockDevice") : str(o, "CharDevice");
                const char *row[] = { str(o, "Device"), dash(str(o, "Name")),
                                      str(o, "Mode"),   SIZE_FMT(u64(o, "Size")),
                                      dash(dev),        dash(str(o, "Filesystem")),
                                      dash(mounts),     dash(str(o, "Dax")) };

                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        if (table_rows(t) == 0)
                puts("No namespaces.");
        else
                table_print(t, stdout, use_color);
        return 0;
}

static int print_zones(json_object *list) {
        static const char *const h[] = { "ZONE", "MOUNTED", "PLACEMENTS", "CONFIG" };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *p;
                char n[24];

                snprintf(n, sizeof(n), "%zu",
                         json_object_object_get_ex(o, "Placements", &p) ? json_object_array_length(p) : 0);
                const char *row[] = { str(o, "Directory"), boolean(o, "Mounted") ? "yes" : "no", n,
                                      dash(str(o, "ConfigSection")) };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        if (table_rows(t) == 0)
                puts("No zones.");
        else
                table_print(t, stdout, use_color);
        return 0;
}

static int print_placements(json_object *list) {
        static const char *const h[] = { "PROGRAM", "ZONE", "FILES", "SIZE", "STALE" };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *f;
                char n[24];
                _cleanup_free_ char *stale = NULL;

                snprintf(n, sizeof(n), "%zu",
                         json_object_object_get_ex(o, "Files", &f) ? json_object_array_length(f) : 0);
                if (boolean(o, "Stale") && asprintf(&stale, "yes: %s", str(o, "StaleReason")) < 0)
                        return -ENOMEM;
                const char *row[] = { str(o, "Program"), str(o, "Zone"), n, SIZE_FMT(u64(o, "Size")),
                                      stale ?: "no" };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        if (table_rows(t) == 0)
                puts("No placements.");
        else
                table_print(t, stdout, use_color);
        return 0;
}

static int print_jobs(json_object *list) {
        static const char *const h[] = { "JOB", "OPERATION", "TARGET", "STATE", "PROGRESS", "MESSAGE" };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *p;
                char id[24], pct[24];

                snprintf(id, sizeof(id), "%" PRIu64, u64(o, "Id"));
                snprintf(pct, sizeof(pct), "%.0f%%",
                         json_object_object_get_ex(o, "Progress", &p) ? 100.0 * json_object_get_double(p)
                                                                      : 0.0);
                const char *row[] = { id,
                                      str(o, "Operation"),
                                      dash(str(o, "Target")),
                                      str(o, "State"),
                                      pct,
                                      dash(*str(o, "Message") ? str(o, "Message")
                                                              : str(o, "ProgressText")) };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        if (table_rows(t) == 0)
                puts("No jobs.");
        else
                table_print(t, stdout, use_color);
        return 0;
}

/* ---------------------------------------------------------------- read verbs */

static int verb_status(sd_bus *bus, char **args, size_t n) {
        _cleanup_json_ json_object *all = NULL;
        json_object *mgr, *problems;
        const char *state;
        int r;

        r = get_objects(bus, &all);
        if (r != EXIT_OK)
                return r;
        if (arg.given & OPT_JSON) {
                print_json(all);
                return EXIT_OK;
        }
        mgr = objects_of(all, MANAGER) ? json_object_array_get_idx(objects_of(all, MANAGER), 0) : NULL;
        state = mgr ? str(mgr, "State") : "unknown";
        printf("daxmgrd %s: %s%s%s", mgr ? str(mgr, "Version") : "?",
               use_color ? (strcmp(state, "degraded") == 0 ? "\033[1;31m" : "\033[1;32m") : "", state,
               use_color ? "\033[0m" : "");
        if (mgr && u64(mgr, "PendingSteps") > 0)
                printf(", %" PRIu64 " step(s) pending", u64(mgr, "PendingSteps"));
        putchar('\n');
        if (mgr) {
                _cleanup_free_ char *files = join(mgr, "ConfigFiles");

                printf("Configuration: %s\n", *files ? files : "none");
                if (*str(mgr, "ConfigError"))
                        printf("Configuration error: %s\n", str(mgr, "ConfigError"));
                if (*str(mgr, "LastReconcileResult"))
                        printf("Last reconcile: %s\n", str(mgr, "LastReconcileResult"));
                if (json_object_object_get_ex(mgr, "Problems", &problems) &&
                    json_object_array_length(problems) > 0) {
                        printf("Problems:\n");
                        for (size_t i = 0; i < json_object_array_length(problems); i++)
                                printf("  %s\n",
                                       json_object_get_string(json_object_array_get_idx(problems, i)));
                } else
                        printf("Problems: none\n");
        }
        putchar('\n');
        heading("Regions");
        if (print_regions(objects_of(all, "org.daxmgr1.Region")) < 0)
                return bus_fail("status", NULL, -ENOMEM);
        putchar('\n');
        heading("Namespaces");
        if (print_namespaces(objects_of(all, "org.daxmgr1.Namespace")) < 0)
                return bus_fail("status", NULL, -ENOMEM);
        putchar('\n');
        heading("Zones");
        if (print_zones(objects_of(all, "org.daxmgr1.Zone")) < 0)
                return bus_fail("status", NULL, -ENOMEM);
        putchar('\n');
        heading("Placements");
        if (print_placements(objects_of(all, "org.daxmgr1.Placement")) < 0)
                return bus_fail("status", NULL, -ENOMEM);
        if (objects_of(all, "org.daxmgr1.Job")) {
                putchar('\n');
                heading("Jobs");
                if (print_jobs(objects_of(all, "org.daxmgr1.Job")) < 0)
                        return bus_fail("status", NULL, -ENOMEM);
        }
        return EXIT_OK;
}

static const struct {
        const char *what;
        const char *iface;
        int (*print)(json_object *list);
} list_kinds[] = {
        { "regions", "org.daxmgr1.Region", print_regions },
        { "namespaces", "org.daxmgr1.Namespace", print_namespaces },
        { "zones", "org.daxmgr1.Zone", print_zones },
        { "placements", "org.daxmgr1.Placement", print_placements },
        { "jobs", "org.daxmgr1.Job", print_jobs },
};

/* "namespaces", or the singular. */
static size_t list_kind(const char *what) {
        size_t k;

        for (k = 0; k < ELEMENTSOF(list_kinds); k++)
                if (strcmp(what, list_kinds[k].what) == 0 ||
                    (strlen(what) + 1 == strlen(list_kinds[k].what) &&
                     strncmp(what, list_kinds[k].what, strlen(what)) == 0))
                        break;
        return k;
}

static int verb_list(sd_bus *bus, char **args, size_t n) {
        _cleanup_json_ json_object *all = NULL;
        json_object *list;
        size_t k;
        int r;

        k = list_kind(args[0]);
        r = get_objects(bus, &all);
        if (r != EXIT_OK)
                return r;
        list = objects_of(all, list_kinds[k].iface);
        if (arg.given & OPT_JSON) {
                _cleanup_json_ json_object *empty = json_object_new_array();

                print_json(list ?: empty);
                return EXIT_OK;
        }
        if (list_kinds[k].print(list) < 0)
                return bus_fail("list", NULL, -ENOMEM);
        return EXIT_OK;
}

/* Calls a Manager method that answers one JSON string. */
static int call_json(sd_bus *bus, const char *what, const char *method, json_object **ret, const char *types,
                     ...) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *s;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, DEST, ROOT_PATH, MANAGER, method);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return bus_fail(what, NULL, r);
        r = sd_bus_call(bus, m, 0, &e, &reply);
        if (r < 0) {
                r = bus_fail(what, &e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_read(reply, "s", &s);
        if (r < 0)
                return bus_fail(what, NULL, r);
        *ret = json_tokener_parse(s);
        if (!*ret) {
                fprintf(stderr, "daxmgr: %s: the daemon's answer is not JSON\n", what);
                return EXIT_FAILURE_;
        }
        return EXIT_OK;
}

static int verb_plan(sd_bus *bus, char **args, size_t n) {
        _cleanup_json_ json_object *plan = NULL;
        json_object *steps = NULL, *problems = NULL;
        int r;

        r = call_json(bus, "getting the plan", "GetPlan", &plan, NULL);
        if (r != EXIT_OK)
                return r;
        if (arg.given & OPT_JSON) {
                print_json(plan);
                return EXIT_OK;
        }
        (void) json_object_object_get_ex(plan, "steps", &steps);
        (void) json_object_object_get_ex(plan, "problems", &problems);
        if (!steps || json_object_array_length(steps) == 0)
                puts("Nothing to do: the system matches the configuration.");
        else {
                static const char *const h[] = { "#", "STEP", "SECTION", "DESCRIPTION" };
                _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

                if (!t)
                        return bus_fail("plan", NULL, -ENOMEM);
                for (size_t i = 0; i < json_object_array_length(steps); i++) {
                        json_object *o = json_object_array_get_idx(steps, i);
                        char num[24];

                        snprintf(num, sizeof(num), "%zu", i + 1);
                        const char *row[] = { num, str(o, "type"), dash(str(o, "section")),
                                              str(o, "description") };
                        if (table_add_row(t, row) < 0)
                                return bus_fail("plan", NULL, -ENOMEM);
                }
                table_print(t, stdout, use_color);
        }
        if (problems && json_object_array_length(problems) > 0) {
                static const char *const h[] = { "PROBLEM", "SECTION", "MESSAGE" };
                _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

                if (!t)
                        return bus_fail("plan", NULL, -ENOMEM);
                for (size_t i = 0; i < json_object_array_length(problems); i++) {
                        json_object *o = json_object_array_get_idx(problems, i);
                        const char *row[] = { str(o, "kind"), dash(str(o, "section")), str(o, "message") };

                        if (table_add_row(t, row) < 0)
                                return bus_fail("plan", NULL, -ENOMEM);
                }
                putchar('\n');
                table_print(t, stdout, use_color);
        }
        return EXIT_OK;
}

static int verb_verify(sd_bus *bus, char **args, size_t n) {
        _cleanup_json_ json_object *rep = NULL;
        json_object *sum, *maps;
        uint32_t pid;
        char what[64];
        int r;

        if (parse_u32(args[0], 10, &pid) < 0 || pid == 0)
                return usage_error("\"%s\" is not a process ID", args[0]);
        snprintf(what, sizeof(what), "verifying process %" PRIu32, pid);
        r = call_json(bus, what, "VerifyProcess", &rep, "ua{sv}", pid, 0);
        if (r != EXIT_OK)
                return r;
        if (arg.given & OPT_JSON) {
                print_json(rep);
                return EXIT_OK;
        }
        if (!json_object_object_get_ex(rep, "summary", &sum))
                sum = NULL;
        printf("Process %" PRIu32 " (%s): %" PRIu64 " of %" PRIu64
               " resident executable pages in pmem (%.1f%%), %" PRIu64 " in DRAM, %" PRIu64
               " not resident; %" PRIu64 " page(s) copied by writes\n",
               pid, str(rep, "comm"), u64(sum, "exec_pmem"), u64(sum, "exec_pmem") + u64(sum, "exec_dram"),
               sum && json_object_object_get(sum, "exec_pmem_percent")
                       ? json_object_get_double(json_object_object_get(sum, "exec_pmem_percent"))
                       : 0.0,
               u64(sum, "exec_dram"), u64(sum, "exec_not_resident"), u64(sum, "cow_pages"));
        if (boolean(rep, "pfn_hidden"))
                puts("Frame numbers are hidden from the daemon: pmem and DRAM cannot be told apart.");
        if (json_object_object_get_ex(rep, "mappings", &maps)) {
                static const char *const h[] = { "MAPPING", "PERMS",        "PMEM",
                                                 "DRAM",    "NOT RESIDENT", "IN PMEM" };
                _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

                if (!t)
                        return bus_fail("verify", NULL, -ENOMEM);
                for (size_t i = 0; i < json_object_array_length(maps); i++) {
                        json_object *m = json_object_array_get_idx(maps, i);
                        const char *perms = str(m, "perms");
                        char pm[24], dr[24], nr[24], pct[24];
                        uint64_t p = u64(m, "pmem"), d = u64(m, "dram");

                        if (strlen(perms) < 3 || perms[2] != 'x')
                                continue;
                        snprintf(pm, sizeof(pm), "%" PRIu64, p);
                        snprintf(dr, sizeof(dr), "%" PRIu64, d);
                        snprintf(nr, sizeof(nr), "%" PRIu64, u64(m, "not-resident"));
                        if (p + d > 0)
                                snprintf(pct, sizeof(pct), "%.1f%%", 100.0 * (double) p / (double) (p + d));
                        else
                                snprintf(pct, sizeof(pct), "-");
                        const char *row[] = { dash(str(m, "path")), perms, pm, dr, nr, pct };
                        if (table_add_row(t, row) < 0)
                                return bus_fail("verify", NULL, -ENOMEM);
                }
                putchar('\n');
                table_print(t, stdout, use_color);
        }
        return EXIT_OK;
}

static int verb_verify_path(sd_bus *bus, char **args, size_t n) {
        _cleanup_json_ json_object *rep = NULL;
        _cleanup_free_ char *abs = NULL, *what = NULL;
        int r;

        abs = realpath(args[0], NULL);
        if (!abs && !(abs = strdup(args[0])))
                return bus_fail("verify-path", NULL, -ENOMEM);
        if (asprintf(&what, "checking %s", abs) < 0)
                return bus_fail("verify-path", NULL, -ENOMEM);
        r = call_json(bus, what, "VerifyPath", &rep, "sa{sv}", abs, 0);
        if (r != EXIT_OK)
                return r;
        if (arg.given & OPT_JSON) {
                print_json(rep);
                return EXIT_OK;
        }
        if (boolean(rep, "dax"))
                printf("%s: DAX (%s on %s, mounted at %s, dax=%s)\n", str(rep, "path"), dash(str(rep, "fs")),
                       dash(str(rep, "source")), dash(str(rep, "mountpoint")), dash(str(rep, "dax_mode")));
        else
                printf("%s: not DAX: %s\n", str(rep, "path"), dash(str(rep, "why_not")));
        return EXIT_OK;
}

/* ---------------------------------------------------------------- jobs */

static int get_job(sd_bus *bus, const char *path, json_object **ret, sd_bus_error *e) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, DEST, path, "org.freedesktop.DBus.Properties", "GetAll", e, &reply, "s",
                               "org.daxmgr1.Job");
        if (r < 0)
                return r;
        return bus_read_properties_json(reply, ret);
}

static void progress_bar(double p, const char *text) {
        const int width = 30;
        int filled = (int) (p * width + 0.5);

        if (filled < 0)
                filled = 0;
        if (filled > width)
                filled = width;
        fprintf(stderr, "\r\033[K[%.*s%*s] %3.0f%% %.60s", filled, "##############################",
                width - filled, "", 100.0 * p, text);
        fflush(stderr);
}

/* Follows a job to its end: a progress bar on a terminal, one line per new progress text
 * otherwise. */
static int on_job_signal(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        *(bool *) userdata = true;
        return 0;
}

static void bus_slot_unrefp(sd_bus_slot **s) {
        sd_bus_slot_unref(*s);
}

/* Waits for a signal of the job (then true), or up to a second (then false: poll again, in
 * case a signal could not reach us). */
static int wait_job_signal(sd_bus *bus, bool *changed) {
        uint64_t deadline = 0, now;
        struct timespec ts;
        int r;

        *changed = false;
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (*changed)
                        return 1;
                if (r > 0)
                        continue;
                (void) clock_gettime(CLOCK_MONOTONIC, &ts);
                now = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
                if (deadline == 0)
                        deadline = now + 1000000;
                if (now >= deadline)
                        return 0;
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0 && r != -EINTR)
                        return r;
        }
}

static int wait_job(sd_bus *bus, const char *what, const char *path) {
        _cleanup_(bus_slot_unrefp) sd_bus_slot *slot_props = NULL;
        _cleanup_(bus_slot_unrefp) sd_bus_slot *slot_done = NULL;
        _cleanup_free_ char *last = NULL;
        bool tty = isatty(STDERR_FILENO), changed = false;

        /* Subscribe first, then read: no change can fall between the two. Without the
         * subscriptions (a bus that refuses them) the loop below still polls every second. */
        (void) sd_bus_match_signal(bus, &slot_props, DEST, path, "org.freedesktop.DBus.Properties",
                                   "PropertiesChanged", on_job_signal, &changed);
        (void) sd_bus_match_signal(bus, &slot_done, DEST, path, "org.daxmgr1.Job", "Completed",
                                   on_job_signal, &changed);
        for (;;) {
                _cleanup_json_ json_object *job = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                const char *state, *text;
                json_object *p;
                int r;

                r = get_job(bus, path, &job, &e);
                if (r < 0) {
                        if (tty)
                                fputs("\r\033[K", stderr);
                        r = bus_fail(what, &e, r);
                        sd_bus_error_free(&e);
                        return r;
                }
                state = str(job, "State");
                text = str(job, "ProgressText");
                if (tty)
                        progress_bar(json_object_object_get_ex(job, "Progress", &p)
                                             ? json_object_get_double(p)
                                             : 0,
                                     text);
                else if (*text && (!last || strcmp(last, text) != 0)) {
                        printf("%s\n", text);
                        fflush(stdout);
                }
                if (!last || strcmp(last, text) != 0) {
                        free(last);
                        last = strdup(text);
                }
                if (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0) {
                        if (tty)
                                fputs("\r\033[K", stderr);
                        if (strcmp(state, "failed") == 0) {
                                fprintf(stderr, "daxmgr: %s: %s\n", what,
                                        *str(job, "Message") ? str(job, "Message") : str(job, "Error"));
                                return exit_code_for_error(str(job, "Error"), str(job, "Message"));
                        }
                        _cleanup_json_ json_object *res = json_tokener_parse(str(job, "Result"));
                        printf("%s: done", what);
                        if (res && json_object_is_type(res, json_type_object)) {
                                bool first = true;

                                json_object_object_foreach(res, k, v) {
                                        printf("%s %s %s", first ? ":" : ",", k, json_object_get_string(v));
                                        first = false;
                                }
                        }
                        putchar('\n');
                        return EXIT_OK;
                }
                r = wait_job_signal(bus, &changed);
                if (r < 0)
                        return bus_fail(what, NULL, r);
        }
}

/* Sends a mutating Manager method @m, prints or follows the job it returns. */
static int run_job(sd_bus *bus, const char *what, sd_bus_message *m) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *path;
        int r;

        r = sd_bus_call(bus, m, 0, &e, &reply);
        if (r < 0) {
                r = bus_fail(what, &e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return bus_fail(what, NULL, r);
        if (arg.given & OPT_NO_BLOCK) {
                puts(path);
                return EXIT_OK;
        }
        return wait_job(bus, what, path);
}

static int new_call(sd_bus *bus, const char *method, sd_bus_message **ret) {
        int r = sd_bus_message_new_method_call(bus, ret, DEST, ROOT_PATH, MANAGER, method);

        if (r < 0)
                return r;
        return sd_bus_message_set_allow_interactive_authorization(*ret, arg.ask_password);
}

static int opt_s(sd_bus_message *m, const char *key, const char *value) {
        if (!value)
                return 0;
        return sd_bus_message_append(m, "{sv}", key, "s", value);
}

static int opt_b(sd_bus_message *m, const char *key, bool value) {
        return sd_bus_message_append(m, "{sv}", key, "b", (int) value);
}

#define CHECK(expr)                                                                                         \
        do {                                                                                                \
                int _r = (expr);                                                                            \
                if (_r < 0)                                                                                 \
                        return bus_fail(what, NULL, _r);                                                    \
        } while (0)

static int verb_reconcile(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        const char *what = "reconcile";

        CHECK(new_call(bus, "Reconcile", &m));
        CHECK(sd_bus_message_append(m, "a{sv}", 0));
        return run_job(bus, what, m);
}

static int verb_reload(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *what = "reloading the configuration";
        int r;

        CHECK(new_call(bus, "Reload", &m));
        r = sd_bus_call(bus, m, 0, &e, NULL);
        if (r < 0) {
                r = bus_fail(what, &e, r);
                sd_bus_error_free(&e);
                return r;
        }
        puts("Configuration reloaded; the daemon reconciles it now.");
        return EXIT_OK;
}

static int verb_create_namespace(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        const char *what = "create-namespace";

        CHECK(new_call(bus, "CreateNamespace", &m));
        CHECK(sd_bus_message_open_container(m, 'a', "{sv}"));
        CHECK(opt_s(m, "region", arg.region));
        CHECK(opt_s(m, "mode", arg.mode));
        CHECK(opt_s(m, "size", arg.size));
        if (arg.given & OPT_ALIGN)
                CHECK(sd_bus_message_append(m, "{sv}", "align", "t", arg.align));
        CHECK(opt_s(m, "map", arg.map));
        CHECK(opt_s(m, "name", arg.name));
        CHECK(sd_bus_message_close_container(m));
        return run_job(bus, what, m);
}

/* The namespace @id names, as the daemon matches it: name, uuid, device, block or char device. */
static json_object *find_namespace(json_object *all, const char *id) {
        json_object *list = objects_of(all, "org.daxmgr1.Namespace");
        const char *base = strrchr(id, '/') ? strrchr(id, '/') + 1 : id;

        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i);
                const char *blk = str(o, "BlockDevice"), *chr = str(o, "CharDevice");

                if (strcmp(str(o, "Name"), id) == 0 || strcmp(str(o, "UUID"), id) == 0 ||
                    strcmp(str(o, "Device"), id) == 0 || (*blk && strcmp(blk, id) == 0) ||
                    (*chr && strcmp(chr, id) == 0) ||
                    (*blk && strcmp(strrchr(blk, '/') + 1, base) == 0 && !strchr(id, '/')) ||
                    (*chr && strcmp(strrchr(chr, '/') + 1, base) == 0 && !strchr(id, '/')))
                        return o;
        }
        return NULL;
}

static int verb_destroy_namespace(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_free_ char *what = NULL;

        if (asprintf(&what, "destroy-namespace %s", args[0]) < 0)
                return bus_fail("destroy-namespace", NULL, -ENOMEM);
        if (!(arg.given & OPT_FORCE)) {
                _cleanup_json_ json_object *all = NULL;
                _cleanup_free_ char *mounts = NULL;
                json_object *ns;
                int r;

                r = get_objects(bus, &all);
                if (r != EXIT_OK)
                        return r;
                ns = find_namespace(all, args[0]);
                if (!ns) {
                        fprintf(stderr, "daxmgr: %s: there is no namespace \"%s\"\n", what, args[0]);
                        return EXIT_NOT_FOUND;
                }
                mounts = join(ns, "MountPoints");
                fprintf(stderr,
                        "daxmgr: %s: refusing without --force: this destroys %s (%s%s%s%s %s%s%s%s%s%s), "
                        "and every byte on it is lost\n",
                        what, str(ns, "Device"), *str(ns, "Name") ? "\"" : "", str(ns, "Name"),
                        *str(ns, "Name") ? "\", " : "", SIZE_FMT(u64(ns, "Size")), str(ns, "Mode"),
                        *str(ns, "Filesystem") ? ", with its " : "", str(ns, "Filesystem"),
                        *str(ns, "Filesystem") ? " file system" : "",
                        mounts && *mounts ? " mounted at " : "", mounts ?: "");
                return EXIT_FAILURE_;
        }
        CHECK(new_call(bus, "DestroyNamespace", &m));
        CHECK(sd_bus_message_append(m, "sa{sv}", args[0], 1, "force", "b", 1));
        return run_job(bus, what, m);
}

static int verb_format(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_free_ char *what = NULL;

        if (asprintf(&what, "format %s", args[0]) < 0)
                return bus_fail("format", NULL, -ENOMEM);
        CHECK(new_call(bus, "Format", &m));
        CHECK(sd_bus_message_append(m, "s", args[0]));
        CHECK(sd_bus_message_open_container(m, 'a', "{sv}"));
        CHECK(opt_s(m, "filesystem", arg.fs));
        CHECK(opt_s(m, "label", arg.label));
        if (arg.given & OPT_FORCE)
                CHECK(opt_b(m, "force", true));
        CHECK(sd_bus_message_close_container(m));
        return run_job(bus, what, m);
}

static char *absolute(const char *p) {
        char cwd[PATH_MAX];
        char *s;

        if (p[0] == '/')
                return strdup(p);
        if (!getcwd(cwd, sizeof(cwd)))
                return NULL;
        if (asprintf(&s, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, p) < 0)
                return NULL;
        return s;
}

static int verb_mount(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_free_ char *what = NULL, *dir = absolute(args[1]);

        if (!dir || asprintf(&what, "mount %s on %s", args[0], dir) < 0)
                return bus_fail("mount", NULL, -ENOMEM);
        CHECK(new_call(bus, "Mount", &m));
        CHECK(sd_bus_message_append(m, "ss", args[0], dir));
        CHECK(sd_bus_message_open_container(m, 'a', "{sv}"));
        CHECK(opt_s(m, "dax", arg.dax));
        CHECK(opt_s(m, "options", arg.options));
        CHECK(sd_bus_message_close_container(m));
        return run_job(bus, what, m);
}

static int verb_unmount(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_free_ char *what = NULL, *target = NULL;

        /* A mount point may be relative; a namespace name never contains '/'. */
        target = strchr(args[0], '/') || access(args[0], F_OK) == 0 ? absolute(args[0]) : strdup(args[0]);
        if (!target || asprintf(&what, "unmount %s", target) < 0)
                return bus_fail("unmount", NULL, -ENOMEM);
        CHECK(new_call(bus, "Unmount", &m));
        CHECK(sd_bus_message_append(m, "sa{sv}", target, 0));
        return run_job(bus, what, m);
}

static int verb_zone(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_free_ char *what = NULL, *dir = NULL;
        bool create;

        if (strcmp(args[0], "create") == 0)
                create = true;
        else if (strcmp(args[0], "remove") == 0)
                create = false;
        else
                return usage_error("zone %s: the zone verbs are create and remove", args[0]);
        dir = absolute(args[1]);
        if (!dir || asprintf(&what, "zone %s %s", args[0], dir) < 0)
                return bus_fail("zone", NULL, -ENOMEM);
        CHECK(new_call(bus, create ? "CreateZone" : "RemoveZone", &m));
        CHECK(sd_bus_message_append(m, "sa{sv}", dir, 0));
        return run_job(bus, what, m);
}

static int verb_place(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_free_ char *what = NULL, *zone = absolute(args[0]), *prog = absolute(args[1]);

        if (!zone || !prog || asprintf(&what, "place %s in %s", prog, zone) < 0)
                return bus_fail("place", NULL, -ENOMEM);
        CHECK(new_call(bus, "Place", &m));
        CHECK(sd_bus_message_append(m, "ss", zone, prog));
        CHECK(sd_bus_message_open_container(m, 'a', "{sv}"));
        if (arg.given & OPT_WITH_LIBRARIES)
                CHECK(opt_b(m, "with_libraries", true));
        CHECK(opt_s(m, "service", arg.service));
        if (arg.given & OPT_NO_ENTRY_POINT)
                CHECK(opt_b(m, "entry_point", false));
        if (arg.given & OPT_BIND_HOST)
                CHECK(opt_b(m, "bind_host", true));
        CHECK(sd_bus_message_close_container(m));
        return run_job(bus, what, m);
}

static int verb_unplace(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_free_ char *what = NULL, *zone = absolute(args[0]), *prog = absolute(args[1]);

        if (!zone || !prog || asprintf(&what, "unplace %s from %s", prog, zone) < 0)
                return bus_fail("unplace", NULL, -ENOMEM);
        CHECK(new_call(bus, "Unplace", &m));
        CHECK(sd_bus_message_append(m, "ss", zone, prog));
        CHECK(sd_bus_message_open_container(m, 'a', "{sv}"));
        if (arg.given & OPT_FORCE)
                CHECK(opt_b(m, "force", true));
        CHECK(sd_bus_message_close_container(m));
        return run_job(bus, what, m);
}

/* ---------------------------------------------------------------- main */

static const struct Verb {
        const char *name;
        size_t min_args, max_args;
        unsigned options;
        int (*run)(sd_bus *bus, char **args, size_t n);
        const char *synopsis;
} verbs[] = {
        { "status", 0, 0, OPT_JSON, verb_status, "status [--json]" },
        { "list", 1, 1, OPT_JSON, verb_list, "list regions|namespaces|zones|placements|jobs [--json]" },
        { "plan", 0, 0, OPT_JSON, verb_plan, "plan [--json]" },
        { "reconcile", 0, 0, OPT_NO_BLOCK, verb_reconcile, "reconcile [--no-block]" },
        { "reload", 0, 0, 0, verb_reload, "reload" },
        { "verify", 1, 1, OPT_JSON, verb_verify, "verify PID [--json]" },
        { "verify-path", 1, 1, OPT_JSON, verb_verify_path, "verify-path PATH [--json]" },
        { "create-namespace", 0, 0,
          OPT_REGION | OPT_MODE | OPT_SIZE | OPT_ALIGN | OPT_MAP | OPT_NAME | OPT_NO_BLOCK,
          verb_create_namespace,
          "create-namespace [--region R] [--mode fsdax|devdax|raw] [--size S] [--align A] [--map dev|mem] "
          "[--name N]" },
        { "destroy-namespace", 1, 1, OPT_FORCE | OPT_NO_BLOCK, verb_destroy_namespace,
          "destroy-namespace NS --force" },
        { "format", 1, 1, OPT_FS | OPT_LABEL | OPT_FORCE | OPT_NO_BLOCK, verb_format,
          "format NS [--fs xfs|ext4] [--label L] [--force]" },
        { "mount", 2, 2, OPT_DAX | OPT_OPTIONS | OPT_NO_BLOCK, verb_mount,
          "mount NS DIR [--dax always|inode] [-o OPTS]" },
        { "unmount", 1, 1, OPT_NO_BLOCK, verb_unmount, "unmount DIR|NS" },
        { "zone", 2, 2, OPT_NO_BLOCK, verb_zone, "zone create|remove DIR" },
        { "place", 2, 2,
          OPT_WITH_LIBRARIES | OPT_SERVICE | OPT_NO_ENTRY_POINT | OPT_BIND_HOST | OPT_NO_BLOCK, verb_place,
          "place ZONE PROGRAM [--with-libraries] [--service UNIT] [--no-entry-point] [--bind-host]" },
        { "unplace", 2, 2, OPT_FORCE | OPT_NO_BLOCK, verb_unplace, "unplace ZONE PROGRAM [--force]" },
};

static void help(void) {
        printf("daxmgr [OPTIONS] VERB [ARGS]\n\n"
               "Provision persistent memory through daxmgrd.\n\nVerbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %s\n", verbs[i].synopsis);
        printf("\nOptions:\n"
               "  -h --help            this help\n"
               "     --version         the version\n"
               "     --json            JSON output (reading verbs); field names are the D-Bus property "
               "names\n"
               "     --no-block        print the job's object path and return without waiting\n"
               "     --no-ask-password do not let polkit ask for a password\n"
               "\nSizes: 512M, 2G, 50%%, rest. Namespaces: name, uuid, namespace0.0, pmem0, dax0.0.\n"
               "\nExit status: 0 success, 1 failure, 2 bad arguments, 3 no such object,\n"
               "4 access denied, 5 daxmgrd is not running.\n");
}

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_FORCE,
        ARG_NO_BLOCK,
        ARG_NO_ASK_PASSWORD,
        ARG_REGION,
        ARG_MODE,
        ARG_SIZE,
        ARG_ALIGN,
        ARG_MAP,
        ARG_NAME,
        ARG_FS,
        ARG_LABEL,
        ARG_DAX,
        ARG_WITH_LIBRARIES,
        ARG_SERVICE,
        ARG_NO_ENTRY_POINT,
        ARG_BIND_HOST,
};

static int parse_argv(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "force", no_argument, NULL, ARG_FORCE },
                { "no-block", no_argument, NULL, ARG_NO_BLOCK },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                { "region", required_argument, NULL, ARG_REGION },
                { "mode", required_argument, NULL, ARG_MODE },
                { "size", required_argument, NULL, ARG_SIZE },
                { "align", required_argument, NULL, ARG_ALIGN },
                { "map", required_argument, NULL, ARG_MAP },
                { "name", required_argument, NULL, ARG_NAME },
                { "fs", required_argument, NULL, ARG_FS },
                { "label", required_argument, NULL, ARG_LABEL },
                { "dax", required_argument, NULL, ARG_DAX },
                { "options", required_argument, NULL, 'o' },
                { "with-libraries", no_argument, NULL, ARG_WITH_LIBRARIES },
                { "service", required_argument, NULL, ARG_SERVICE },
                { "no-entry-point", no_argument, NULL, ARG_NO_ENTRY_POINT },
                { "bind-host", no_argument, NULL, ARG_BIND_HOST },
                {},
        };
        _cleanup_free_ char *error = NULL;
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "ho:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("daxmgr %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        arg.given |= OPT_JSON;
                        break;
                case ARG_FORCE:
                        arg.given |= OPT_FORCE;
                        break;
                case ARG_NO_BLOCK:
                        arg.given |= OPT_NO_BLOCK;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg.ask_password = false;
                        break;
                case ARG_REGION:
                        arg.given |= OPT_REGION;
                        arg.region = optarg;
                        break;
                case ARG_MODE:
                        if (namespace_mode_from_string(optarg) < 0)
                                return -usage_error("--mode: \"%s\" is not fsdax, devdax, raw or sector",
                                                    optarg);
                        arg.given |= OPT_MODE;
                        arg.mode = optarg;
                        break;
                case ARG_SIZE: {
                        SizeSpec s;

                        if (size_spec_parse(optarg, &s, &error) < 0)
                                return -usage_error("--size: %s", error ?: "not a size");
                        arg.given |= OPT_SIZE;
                        arg.size = optarg;
                        break;
                }
                case ARG_ALIGN:
                        if (size_parse_bytes(optarg, &arg.align, &error) < 0)
                                return -usage_error("--align: %s", error ?: "not a size");
                        arg.given |= OPT_ALIGN;
                        break;
                case ARG_MAP:
                        if (pfn_map_from_string(optarg) < 0)
                                return -usage_error("--map: \"%s\" is not dev or mem", optarg);
                        arg.given |= OPT_MAP;
                        arg.map = optarg;
                        break;
                case ARG_NAME:
                        arg.given |= OPT_NAME;
                        arg.name = optarg;
                        break;
                case ARG_FS:
                        if (strcmp(optarg, "xfs") != 0 && strcmp(optarg, "ext4") != 0)
                                return -usage_error("--fs: \"%s\" is not xfs or ext4", optarg);
                        arg.given |= OPT_FS;
                        arg.fs = optarg;
                        break;
                case ARG_LABEL:
                        arg.given |= OPT_LABEL;
                        arg.label = optarg;
                        break;
                case ARG_DAX:
                        if (strcmp(optarg, "always") != 0 && strcmp(optarg, "inode") != 0)
                                return -usage_error("--dax: \"%s\" is not always or inode", optarg);
                        arg.given |= OPT_DAX;
                        arg.dax = optarg;
                        break;
                case 'o':
                        arg.given |= OPT_OPTIONS;
                        arg.options = optarg;
                        break;
                case ARG_WITH_LIBRARIES:
                        arg.given |= OPT_WITH_LIBRARIES;
                        break;
                case ARG_SERVICE:
                        arg.given |= OPT_SERVICE;
                        arg.service = optarg;
                        break;
                case ARG_NO_ENTRY_POINT:
                        arg.given |= OPT_NO_ENTRY_POINT;
                        break;
                case ARG_BIND_HOST:
                        arg.given |= OPT_BIND_HOST;
                        break;
                case '?':
                        if (optopt)
                                return -usage_error("unknown option -%c, or it lacks its argument", optopt);
                        return -usage_error("unknown option %s, or it lacks its argument", argv[optind - 1]);
                default:
                        return -usage_error("unknown option");
                }
        return 1;
}

int main(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const struct Verb *v = NULL;
        size_t n;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        use_color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
                    !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
        if (optind >= argc)
                return usage_error("which verb? (status, list, plan, create-namespace, …)");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verbs[i].name, argv[optind]) == 0)
                        v = &verbs[i];
        if (!v)
                return usage_error("unknown verb \"%s\"", argv[optind]);
        n = (size_t) (argc - optind - 1);
        if (n < v->min_args || n > v->max_args)
                return usage_error("usage: daxmgr %s", v->synopsis);
        for (size_t b = 0; b < ELEMENTSOF(option_names); b++)
                if ((arg.given & (1u << b)) && !(v->options & (1u << b)))
                        return usage_error("%s is not an option of %s", option_names[b], v->name);
        if (v->run == verb_list && list_kind(argv[optind + 1]) >= ELEMENTSOF(list_kinds))
                return usage_error("cannot list \"%s\": regions, namespaces, zones, placements or jobs",
                                   argv[optind + 1]);
        r = connect_bus(&bus);
        if (r != EXIT_OK)
                return r;
        return v->run(bus, argv + optind + 1, n);
}
