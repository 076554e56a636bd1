/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daxmgr: the command line of daxmgrd, over the system bus (org.daxmgr1). Reading verbs print
 * tables for people or, with --json, the daemon's objects with the D-Bus property names;
 * mutating verbs start a job and follow it to its end. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-error.h"
#include "bus-json.h"
#include "config.h"
#include "error.h"
#include "strv.h"
#include "macro.h"
#include "model.h"
#include "ns-key.h"
#include "parse-util.h"
#include "size.h"
#include "table.h"

#define DEST      "org.daxmgr1"
#define ROOT_PATH "/org/daxmgr1"
#define MANAGER   "org.daxmgr1.Manager"

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
        OPT_ZONE = 1u << 17,
        OPT_ROOT = 1u << 18,
        OPT_REFRESH_POLICY = 1u << 19,
        OPT_ALL = 1u << 20,
};

static struct {
        unsigned given;
        bool ask_password;
        const char *region, *mode, *size, *map, *name, *fs, *label, *dax, *options, *service, *zone, *root,
                *refresh_policy;
        uint64_t align;
} arg = { .ask_password = true };

static bool use_color;

static const char *const option_names[] = {
        "--json",      "--force",
        "--no-block",  "--region",
        "--mode",      "--size",
        "--align",     "--map",
        "--name",      "--fs",
        "--label",     "--dax",
        "-o",          "--with-libraries",
        "--service",   "--no-entry-point",
        "--bind-host", "--zone",
        "--root",      "--refresh-policy",
        "--all",
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

static char *absolute(const char *p);

static const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);

        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

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
        return exit_code_for_errno(bus_error_errno_for_name(name));
}

static int not_running(void) {
        fputs("daxmgr: daxmgrd is not running; start it with: systemctl enable --now daxmgrd\n", stderr);
        return EXIT_NOT_RUNNING;
}

/* One line: what failed, and the daemon's own sentence. */
static int bus_fail(const char *what, const sd_bus_error *e, int r) {
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

static int connect_bus(sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        /* So that sd-bus reads our error names as the daemon meant them. The exit status does
         * not depend on it (it reads the table itself): only ENOMEM can fail this. */
        (void) bus_error_map_register();
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                /* No bus, no daemon: the same advice as when only the daemon is missing. */
                fprintf(stderr, "daxmgr: the system bus is not running (%s)\n", strerror(-r));
                return not_running();
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
        static const char *const h[] = { "REGION",       "KIND",     "SIZE",      "AVAILABLE",
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
                                      dash(str(o, "Kind")),
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

/* "v1 (region0, region1); v2 (region2)": the regions grouped by the value of @key, in the order
 * values first appear; regions for which @keep says no are left out. NULL on ENOMEM. */
static char *regions_by(json_object *regions, const char *key, bool (*keep)(json_object *o)) {
        size_t n = regions ? json_object_array_length(regions) : 0, len = 0;
        char *s = NULL;
        FILE *f = open_memstream(&s, &len);
        bool first = true;

        if (!f)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(regions, i);
                const char *v = dash(str(o, key));
                bool seen = false, any = false;

                if (keep && !keep(o))
                        continue;
                for (size_t k = 0; k < i && !seen; k++) {
                        json_object *p = json_object_array_get_idx(regions, k);
                        seen = (!keep || keep(p)) && strcmp(dash(str(p, key)), v) == 0;
                }
                if (seen)
                        continue;
                fprintf(f, "%s%s (", first ? "" : "; ", v);
                first = false;
                for (size_t k = i; k < n; k++) {
                        json_object *p = json_object_array_get_idx(regions, k);

                        if ((!keep || keep(p)) && strcmp(dash(str(p, key)), v) == 0) {
                                fprintf(f, "%s%s", any ? ", " : "", str(p, "Device"));
                                any = true;
                        }
                }
                fputc(')', f);
        }
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

static bool flush_asynchronous(json_object *o) {
        return strcmp(str(o, "Flush"), "asynchronous") == 0;
}

static bool kind_unknown(json_object *o) {
        return strcmp(str(o, "Kind"), "unknown") == 0;
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
        static const char *const h[] = { "PROGRAM", "ZONE", "FILES", "SIZE", "REFRESH", "STALE" };
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
                const char *row[] = { str(o, "Program"),        str(o, "Zone"),          n,
                                      SIZE_FMT(u64(o, "Size")), str(o, "RefreshPolicy"), stale ?: "no" };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        if (table_rows(t) == 0)
                puts("No placements.");
        else
                table_print(t, stdout, use_color);
        return 0;
}

/* The block and character devices of the namespaces, as list devices --json shows them. */
static json_object *devices_of(json_object *namespaces) {
        json_object *list = json_object_new_array();

        for (size_t i = 0; list && namespaces && i < json_object_array_length(namespaces); i++) {
                json_object *ns = json_object_array_get_idx(namespaces, i);
                const char *devs[2] = { str(ns, "BlockDevice"), str(ns, "CharDevice") };

                for (size_t d = 0; d < 2; d++) {
                        _cleanup_free_ char *region = NULL;
                        json_object *o, *numa;

                        if (!*devs[d])
                                continue;
                        (void) sd_bus_path_decode(str(ns, "Region"), ROOT_PATH "/region", &region);
                        o = json_object_new_object();
                        (void) json_object_object_add(o, "Device", json_object_new_string(devs[d]));
                        (void) json_object_object_add(o, "Type",
                                                      json_object_new_string(d ? "char" : "block"));
                        (void) json_object_object_add(
                                o, "Mode",
                                json_object_new_string(d ? str(ns, "DaxDeviceMode") : str(ns, "Mode")));
                        (void) json_object_object_add(o, "Size", json_object_new_uint64(u64(ns, "Size")));
                        (void) json_object_object_add(
                                o, "NumaNode",
                                json_object_new_int(json_object_object_get_ex(ns, "NumaNode", &numa)
                                                            ? json_object_get_int(numa)
                                                            : -1));
                        (void) json_object_object_add(o, "Namespace",
                                                      json_object_new_string(str(ns, "Device")));
                        (void) json_object_object_add(o, "Name", json_object_new_string(str(ns, "Name")));
                        (void) json_object_object_add(o, "Region", json_object_new_string(region ?: ""));
                        (void) json_object_object_add(o, "NamespacePath",
                                                      json_object_new_string(str(ns, "Path")));
                        (void) json_object_array_add(list, o);
                }
        }
        return list;
}

static int print_devices(json_object *list) {
        static const char *const h[] = { "DEVICE", "TYPE", "MODE", "SIZE", "NUMA", "NAMESPACE", "NAME" };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *v;
                char numa[24] = "-";

                if (json_object_object_get_ex(o, "NumaNode", &v) && json_object_get_int(v) >= 0)
                        snprintf(numa, sizeof(numa), "%d", json_object_get_int(v));
                const char *row[] = { str(o, "Device"),         str(o, "Type"), dash(str(o, "Mode")),
                                      SIZE_FMT(u64(o, "Size")), numa,           str(o, "Namespace"),
                                      dash(str(o, "Name")) };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        if (table_rows(t) == 0)
                puts("No devices.");
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

static int print_cxl(sd_bus *bus);

/* What the kernel's auto-online policy means for a dax device handed to kmem. */
static const char *auto_online_meaning(const char *policy) {
        if (strcmp(policy, "offline") == 0)
                return "hot-added memory stays offline until daxmgr (or another agent) onlines it";
        if (strcmp(policy, "online") == 0)
                return "the kernel onlines hot-added memory at once, in the zone it picks (usually "
                       "ZONE_NORMAL, which it may never give back)";
        if (strcmp(policy, "online_kernel") == 0)
                return "the kernel onlines hot-added memory at once into ZONE_NORMAL, which it may never "
                       "give back";
        if (strcmp(policy, "online_movable") == 0)
                return "the kernel onlines hot-added memory at once into ZONE_MOVABLE";
        return "unknown policy";
}

/* The memory half of the Platform block of `daxmgr status`: the auto-online policy, the memory
 * tiers and every dax device with its node and tier (Manager.MemoryAutoOnline, MemoryTiers,
 * DaxDevices). */
static void print_platform_memory(json_object *mgr) {
        json_object *tiers = NULL, *devs = NULL;
        const char *policy = str(mgr, "MemoryAutoOnline");

        if (*policy)
                printf("  Memory auto-online: %s (%s)\n", policy, auto_online_meaning(policy));
        else
                printf("  Memory auto-online: unknown (no /sys/devices/system/memory/auto_online_blocks)\n");
        if (json_object_object_get_ex(mgr, "MemoryTiers", &tiers) && json_object_array_length(tiers) > 0) {
                printf("  Memory tiers:");
                for (size_t i = 0; i < json_object_array_length(tiers); i++) {
                        const char *t = json_object_get_string(json_object_array_get_idx(tiers, i));
                        const char *sp = strchr(t, ' ');

                        printf("%s %.*s nodes %s", i > 0 ? ";" : "", sp ? (int) (sp - t) : (int) strlen(t),
                               t, sp ? sp + 1 : "?");
                }
                putchar('\n');
        } else
                printf("  Memory tiers: none shown (Linux 6.1 or later shows them)\n");
        if (json_object_object_get_ex(mgr, "DaxDevices", &devs) && json_object_array_length(devs) > 0) {
                printf("  Dax devices:\n");
                for (size_t i = 0; i < json_object_array_length(devs); i++)
                        printf("    %s\n", json_object_get_string(json_object_array_get_idx(devs, i)));
        }
}

/* The "Platform" block of status, one line per fact: which kinds of pmem the regions are, their
 * persistence domains, what a kind cannot do (MAP_SYNC on an asynchronous flush) and which
 * regions daxmgr leaves alone; then the memory half (print_platform_memory). */
static int print_platform(json_object *all, json_object *mgr) {
        json_object *regions = objects_of(all, "org.daxmgr1.Region");

        heading("Platform");
        if (!regions || json_object_array_length(regions) == 0) {
                printf("  Kinds: none (no pmem region)\n");
        } else {
                _cleanup_free_ char *kinds = regions_by(regions, "Kind", NULL),
                                    *domains = regions_by(regions, "PersistenceDomain", NULL),
                                    *async = regions_by(regions, "Kind", flush_asynchronous),
                                    *unknown = regions_by(regions, "Provider", kind_unknown);

                if (!kinds || !domains || !async || !unknown)
                        return -ENOMEM;
                printf("  Kinds: %s\n", kinds);
                printf("  Persistence domain: %s\n", domains);
                if (*async)
                        /* Said from the kind, not from the kernel's answer: the kernel can grant
                         * MAP_SYNC there by mistake (daxmgr(8), BUGS), and only a file of a DAX
                         * mount can ask it (verify-path does). */
                        printf("  MAP_SYNC: not durable on %s: the flush is asynchronous (a request "
                               "to the host), so only fsync() or msync() make writes durable; the "
                               "kernel refuses MAP_SYNC there, unless it left a stale flag "
                               "(daxmgr(8), BUGS; daxmgr verify-path FILE shows its answer)\n",
                               async);
                if (*unknown)
                        printf("  Left alone: nd bus provider %s: a kind of pmem daxmgr does not know; it "
                               "shows it and never changes it\n",
                               unknown);
        }
        if (mgr)
                print_platform_memory(mgr);
        return 0;
}

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
                {
                        json_object *polled = NULL;
                        size_t n_polled = json_object_object_get_ex(mgr, "PolledPaths", &polled)
                                                  ? json_object_array_length(polled)
                                                  : 0;

                        printf("Watches: %" PRIu64 " inotify watch(es) of at most %" PRIu64
                               " on the placed originals; %zu path(s) polled every %" PRIu64 " s\n",
                               u64(mgr, "Watches"), u64(mgr, "WatchLimit"), n_polled,
                               u64(mgr, "PollIntervalUSec") / 1000000);
                        for (size_t i = 0; i < n_polled; i++)
                                printf("  polled: %s\n",
                                       json_object_get_string(json_object_array_get_idx(polled, i)));
                }
                {
                        json_object *pl = objects_of(all, "org.daxmgr1.Placement");
                        bool any = false;

                        for (size_t i = 0; pl && i < json_object_array_length(pl); i++) {
                                json_object *o = json_object_array_get_idx(pl, i), *rn;

                                if (!json_object_object_get_ex(o, "RestartNeeded", &rn))
                                        continue;
                                for (size_t k = 0; k < json_object_array_length(rn); k++) {
                                        const char *e =
                                                json_object_get_string(json_object_array_get_idx(rn, k));
                                        char unit[256] = "", comm[64] = "";
                                        int pid = 0;

                                        if (!any)
                                                printf("Restart needed (running a superseded copy):\n");
                                        any = true;
                                        if (sscanf(e, "%d %255s %63[^\n]", &pid, unit, comm) >= 2)
                                                printf("  PID %d (%s), unit %s: %s\n", pid, comm, unit,
                                                       str(o, "Program"));
                                        else
                                                printf("  %s: %s\n", e, str(o, "Program"));
                                }
                        }
                }
        }
        putchar('\n');
        if (print_platform(all, mgr) < 0)
                return bus_fail("status", NULL, -ENOMEM);
        putchar('\n');
        heading("Regions");
        if (print_regions(objects_of(all, "org.daxmgr1.Region")) < 0)
                return bus_fail("status", NULL, -ENOMEM);
        putchar('\n');
        r = print_cxl(bus);
        if (r != EXIT_OK)
                return r;
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
        unsigned filters; /* the options that filter this list */
} list_kinds[] = {
        { "regions", "org.daxmgr1.Region", print_regions, 0 },
        { "namespaces", "org.daxmgr1.Namespace", print_namespaces, OPT_REGION | OPT_MODE },
        { "devices", "org.daxmgr1.Namespace", print_devices, OPT_REGION | OPT_MODE },
        { "zones", "org.daxmgr1.Zone", print_zones, 0 },
        { "placements", "org.daxmgr1.Placement", print_placements, OPT_ZONE },
        { "jobs", "org.daxmgr1.Job", print_jobs, 0 },
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

/* "a, b, c" of the string @key of every object of @list; "none" when empty. */
static char *values_of(json_object *list, const char *key) {
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);

        if (!f)
                return NULL;
        for (size_t i = 0; list && i < json_object_array_length(list); i++)
                fprintf(f, "%s%s", i ? ", " : "", str(json_object_array_get_idx(list, i), key));
        if (!list || json_object_array_length(list) == 0)
                fputs("none", f);
        fclose(f);
        return s;
}

/* Checks the filter values against the objects there are: a filter that cannot match anything
 * is a mistake, said with the values that would do. */
static int check_filters(json_object *all, char **ret_zone) {
        if (arg.given & OPT_REGION) {
                json_object *regions = objects_of(all, "org.daxmgr1.Region");
                bool found = false;

                for (size_t i = 0; regions && i < json_object_array_length(regions); i++)
                        found = found || strcmp(str(json_object_array_get_idx(regions, i), "Device"),
                                                arg.region) == 0;
                if (!found) {
                        _cleanup_free_ char *have = values_of(regions, "Device");

                        return usage_error("--region: there is no region \"%s\"; the regions are: %s",
                                           arg.region, have ?: "?");
                }
        }
        if (arg.given & OPT_ZONE) {
                json_object *zones = objects_of(all, "org.daxmgr1.Zone");
                _cleanup_free_ char *dir = absolute(arg.zone);
                size_t l;

                if (!dir)
                        return bus_fail("list", NULL, -ENOMEM);
                l = strlen(dir);
                while (l > 1 && dir[l - 1] == '/')
                        dir[--l] = 0;
                for (size_t i = 0; zones && i < json_object_array_length(zones); i++)
                        if (strcmp(str(json_object_array_get_idx(zones, i), "Directory"), dir) == 0) {
                                *ret_zone = TAKE_PTR(dir);
                                return EXIT_OK;
                        }
                _cleanup_free_ char *have = values_of(zones, "Directory");
                return usage_error("--zone: %s is not a zone; the zones are: %s", dir, have ?: "?");
        }
        return EXIT_OK;
}

/* @o: a namespace (devices are filtered through their namespace: the --mode of a /dev/daxX.Y
 * is its namespace's devdax, not its own devdax or system-ram), or a placement. */
static bool filter_match(json_object *o, const char *zone) {
        if (arg.given & OPT_REGION) {
                _cleanup_free_ char *region = NULL;

                (void) sd_bus_path_decode(str(o, "Region"), ROOT_PATH "/region", &region);
                if (!region || strcmp(region, arg.region) != 0)
                        return false;
        }
        if ((arg.given & OPT_MODE) && strcmp(str(o, "Mode"), arg.mode) != 0)
                return false;
        if (zone && strcmp(str(o, "Zone"), zone) != 0)
                return false;
        return true;
}

static int verb_list(sd_bus *bus, char **args, size_t n) {
        _cleanup_json_ json_object *all = NULL, *devices = NULL, *filtered = NULL;
        _cleanup_free_ char *zone = NULL;
        json_object *list;
        bool dev;
        size_t k;
        int r;

        k = list_kind(args[0]);
        dev = list_kinds[k].print == print_devices;
        r = get_objects(bus, &all);
        if (r != EXIT_OK)
                return r;
        r = check_filters(all, &zone);
        if (r != EXIT_OK)
                return r;
        list = objects_of(all, list_kinds[k].iface);
        filtered = json_object_new_array();
        if (!filtered)
                return bus_fail("list", NULL, -ENOMEM);
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i);

                if (!filter_match(o, zone))
                        continue;
                (void) json_object_array_add(filtered, json_object_get(o));
        }
        if (dev) {
                devices = devices_of(filtered);
                if (!devices)
                        return bus_fail("list", NULL, -ENOMEM);
                list = devices;
        } else
                list = filtered;
        if (arg.given & OPT_JSON) {
                print_json(list);
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

/* The CXL block of the daemon's topology, when there is one: memory devices, the platform's
 * fixed memory windows (root decoders) and regions, with the nd region each one produced. */
static int print_cxl(sd_bus *bus) {
        static const char *const hm[] = { "MEMDEV", "SERIAL", "PMEM", "RAM", "ENDPOINT" };
        static const char *const hw[] = { "WINDOW", "SIZE", "PMEM", "FREE", "REGION" };
        static const char *const hr[] = { "CXL REGION", "SIZE", "STATE", "MEMDEVS", "ND REGION" };
        _cleanup_table_ Table *tm = table_new(ELEMENTSOF(hm), hm);
        _cleanup_table_ Table *tw = table_new(ELEMENTSOF(hw), hw);
        _cleanup_table_ Table *tr = table_new(ELEMENTSOF(hr), hr);
        _cleanup_json_ json_object *topo = NULL;
        json_object *cxl = NULL, *a;
        int r;

        if (!tm || !tw || !tr)
                return bus_fail("status", NULL, -ENOMEM);
        r = call_json(bus, "getting the topology", "GetTopology", &topo, NULL);
        if (r != EXIT_OK)
                return r;
        if (!json_object_object_get_ex(topo, "cxl", &cxl) || !cxl)
                return EXIT_OK;
        if (json_object_object_get_ex(cxl, "memdevs", &a) && a)
                for (size_t i = 0; i < json_object_array_length(a); i++) {
                        json_object *o = json_object_array_get_idx(a, i);
                        const char *row[] = { str(o, "memdev"), dash(str(o, "serial")),
                                              SIZE_FMT(u64(o, "pmem_size")), SIZE_FMT(u64(o, "ram_size")),
                                              dash(str(o, "endpoint")) };

                        if (table_add_row(tm, row) < 0)
                                return bus_fail("status", NULL, -ENOMEM);
                }
        if (json_object_object_get_ex(cxl, "decoders", &a) && a)
                for (size_t i = 0; i < json_object_array_length(a); i++) {
                        json_object *o = json_object_array_get_idx(a, i);

                        if (strcmp(str(o, "kind"), "root") != 0)
                                continue;
                        const char *row[] = { str(o, "decoder"), SIZE_FMT(u64(o, "size")),
                                              boolean(o, "pmem_capable") ? "yes" : "no",
                                              SIZE_FMT(u64(o, "max_available_extent")),
                                              dash(str(o, "region")) };
                        if (table_add_row(tw, row) < 0)
                                return bus_fail("status", NULL, -ENOMEM);
                }
        if (json_object_object_get_ex(cxl, "regions", &a) && a)
                for (size_t i = 0; i < json_object_array_length(a); i++) {
                        json_object *o = json_object_array_get_idx(a, i);
                        _cleanup_free_ char *memdevs = join(o, "memdevs"), *state = NULL;

                        if (!memdevs || asprintf(&state, "%s, %s", dash(str(o, "decode_state")),
                                                 boolean(o, "enabled") ? "enabled" : "disabled") < 0)
                                return bus_fail("status", NULL, -ENOMEM);
                        const char *row[] = { str(o, "region"), SIZE_FMT(u64(o, "size")), state,
                                              dash(memdevs), dash(str(o, "nd_region")) };
                        if (table_add_row(tr, row) < 0)
                                return bus_fail("status", NULL, -ENOMEM);
                }
        if (table_rows(tm) == 0 && table_rows(tw) == 0)
                return EXIT_OK; /* no CXL memory on this host: no block */
        heading("CXL");
        table_print(tm, stdout, use_color);
        if (table_rows(tw) > 0)
                table_print(tw, stdout, use_color);
        if (table_rows(tr) > 0)
                table_print(tr, stdout, use_color);
        else
                puts("No CXL regions.");
        putchar('\n');
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

static int verb_verify_path(sd_bus *bus, char **args, size_t n);

static int verb_verify(sd_bus *bus, char **args, size_t n) {
        _cleanup_json_ json_object *rep = NULL;
        json_object *sum, *maps;
        uint32_t pid;
        char what[64];
        int r;

        /* "verify PID|PATH": a path is anything with a slash in it ("./prog" for one here). */
        if (strchr(args[0], '/'))
                return verb_verify_path(bus, args, n);
        if (parse_u32(args[0], 10, &pid) < 0 || pid == 0)
                return usage_error("\"%s\" is neither a process ID nor a path (a path has a \"/\": ./%s)",
                                   args[0], args[0]);
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
        if (*str(rep, "region"))
                printf("Region: %s (%s, %s flush)\n", str(rep, "region"), dash(str(rep, "kind")),
                       dash(str(rep, "flush")));
        {
                json_object *ms = NULL;

                if (json_object_object_get_ex(rep, "map_sync", &ms) && ms) {
                        if (json_object_get_boolean(ms) && *str(rep, "map_sync_warning"))
                                printf("MAP_SYNC: granted, but NOT durable: %s\n",
                                       str(rep, "map_sync_warning"));
                        else if (json_object_get_boolean(ms))
                                puts("MAP_SYNC: granted (writes through a MAP_SYNC mapping are durable once "
                                     "flushed from the CPU cache)");
                        else if (strcmp(str(rep, "flush"), "asynchronous") == 0)
                                puts("MAP_SYNC: refused: the region's flush is asynchronous (virtio-pmem: a "
                                     "request to the host); use fsync() or msync() to make writes durable");
                        else
                                puts("MAP_SYNC: refused by the kernel");
                }
        }
        return EXIT_OK;
}

/* ---------------------------------------------------------------- jobs */

/* Ctrl-C while following a job stops the following, not the job. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
        interrupted = sig;
}

static void catch_interrupts(void) {
        struct sigaction sa = { .sa_handler = on_interrupt }; /* no SA_RESTART: wake sd_bus_wait() */

        (void) sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
}

static int job_interrupted(const char *path) {
        if (isatty(STDERR_FILENO))
                fputs("\r\033[K", stderr);
        fprintf(stderr, "daxmgr: the job %s keeps running in daxmgrd; follow it with: daxmgr monitor\n",
                path);
        return EXIT_INTERRUPTED;
}

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
                if (interrupted)
                        return -EINTR;
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

                if (interrupted)
                        return job_interrupted(path);
                r = get_job(bus, path, &job, &e);
                if (r < 0 && interrupted) {
                        sd_bus_error_free(&e);
                        return job_interrupted(path);
                }
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
                if (interrupted)
                        return job_interrupted(path);
                if (r < 0)
                        return bus_fail(what, NULL, r);
        }
}

/* Sends a mutating Manager method @m, prints or follows the job it returns. */
static int run_job(sd_bus *bus, const char *what, sd_bus_message *m) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sigset_t mask, old;
        const char *path;
        int r;

        /* From here a Ctrl-C leaves the job to the daemon and says where to find it; held back
         * until the call returned the job's path (sd_bus_call() would fail with EINTR). */
        if (!(arg.given & OPT_NO_BLOCK)) {
                catch_interrupts();
                (void) sigemptyset(&mask);
                (void) sigaddset(&mask, SIGINT);
                (void) sigaddset(&mask, SIGTERM);
                (void) sigprocmask(SIG_BLOCK, &mask, &old);
        }
        r = sd_bus_call(bus, m, 0, &e, &reply);
        if (!(arg.given & OPT_NO_BLOCK))
                (void) sigprocmask(SIG_SETMASK, &old, NULL);
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
        if (interrupted)
                return job_interrupted(path);
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

/* The namespace @id names, matched as the daemon matches it (ns-key.h). NULL with a sentence in
 * *ret_error and *ret_exit (not found, or a key that names several) when there is none. */
static json_object *find_namespace(json_object *all, const char *id, char **ret_error, int *ret_exit) {
        json_object *list = objects_of(all, "org.daxmgr1.Namespace");
        size_t n = list ? json_object_array_length(list) : 0;
        _cleanup_free_ NamespaceIdentity *ids = calloc(n ?: 1, sizeof(*ids));
        int r;

        if (!ids) {
                *ret_exit = EXIT_FAILURE_;
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(list, i);

                ids[i] = (NamespaceIdentity){
                        .dev = str(o, "Device"),
                        .name = str(o, "Name"),
                        .blockdev = str(o, "BlockDevice"),
                        .chardev = str(o, "CharDevice"),
                        .uuid = str(o, "UUID"),
                        .raw_uuid = str(o, "RawUUID"),
                };
        }
        r = namespace_key_find(ids, n, id, ret_error);
        if (r < 0) {
                *ret_exit = r == -ENOENT ? EXIT_NOT_FOUND : r == -ENOMEM ? EXIT_FAILURE_ : EXIT_USAGE;
                return NULL;
        }
        return json_object_array_get_idx(list, (size_t) r);
}

static int verb_destroy_namespace(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_free_ char *what = NULL;

        if (asprintf(&what, "destroy-namespace %s", args[0]) < 0)
                return bus_fail("destroy-namespace", NULL, -ENOMEM);
        if (!(arg.given & OPT_FORCE)) {
                _cleanup_json_ json_object *all = NULL;
                _cleanup_free_ char *mounts = NULL, *why = NULL;
                json_object *ns;
                int r;

                r = get_objects(bus, &all);
                if (r != EXIT_OK)
                        return r;
                ns = find_namespace(all, args[0], &why, &r);
                if (!ns) {
                        fprintf(stderr, "daxmgr: %s: %s\n", what, why ?: "out of memory");
                        return r;
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
        _cleanup_free_ char *cwd = NULL;
        char *s;

        if (p[0] == '/')
                return strdup(p);
        /* As long as the working directory is: no PATH_MAX buffer on the stack. */
        cwd = get_current_dir_name();
        if (!cwd)
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
        CHECK(opt_s(m, "refresh_policy", arg.refresh_policy));
        CHECK(sd_bus_message_close_container(m));
        return run_job(bus, what, m);
}

static int verb_refresh(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_free_ char *what = NULL, *prog = n > 0 ? absolute(args[0]) : strdup(""),
                            *zone = arg.zone ? absolute(arg.zone) : NULL;

        if (!prog || (arg.zone && !zone) ||
            asprintf(&what, "refresh %s", n > 0 ? prog : "every placement") < 0)
                return bus_fail("refresh", NULL, -ENOMEM);
        CHECK(new_call(bus, "Refresh", &m));
        CHECK(sd_bus_message_append(m, "s", prog));
        CHECK(sd_bus_message_open_container(m, 'a', "{sv}"));
        CHECK(opt_s(m, "zone", zone));
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

/* ---------------------------------------------------------------- config check */

/* The daemon's ConfigError, when it runs (never starting it): NULL when it does not run. */
static char *daemon_config_error(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        char *error = NULL;
        int has = 0;

        if (sd_bus_open_system(&bus) < 0)
                return NULL;
        if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", NULL, &reply, "s", DEST) < 0 ||
            sd_bus_message_read(reply, "b", &has) < 0 || !has)
                return NULL;
        if (sd_bus_get_property_string(bus, DEST, ROOT_PATH, MANAGER, "ConfigError", NULL, &error) < 0)
                return NULL;
        return error;
}

static int verb_config(sd_bus *bus, char **args, size_t n) {
        _cleanup_config_ Config *c = NULL;
        _cleanup_free_ char *error = NULL, *daemon_error = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        bool system = !arg.root || strcmp(arg.root, "/") == 0 || !*arg.root;
        int r;

        r = config_load(arg.root ?: "", &c, &warnings, &error);
        /* Only the system's configuration is the daemon's: compare with what it says. */
        if (system)
                daemon_error = daemon_config_error();
        if (r < 0) {
                fprintf(stderr, "daxmgr: config check: %s\n", error_message(error, r));
                if (daemon_error && !*daemon_error)
                        fprintf(stderr,
                                "daxmgr: daxmgrd keeps running the last configuration that loaded\n");
                return EXIT_FAILURE_;
        }
        for (size_t i = 0; warnings && warnings[i]; i++)
                fprintf(stderr, "warning: %s\n", warnings[i]);
        if (arg.given & OPT_JSON) {
                _cleanup_json_ json_object *j = NULL;

                r = config_to_json(c, &j);
                if (r < 0)
                        return bus_fail("config check", NULL, r);
                print_json(j);
        } else {
                printf("valid: %zu namespaces, %zu zones, %zu placements from %zu file(s)\n",
                       c->n_namespaces, c->n_zones, c->n_placements, c->n_files);
                if (c->n_files == 0)
                        printf("No configuration file: daxmgrd only observes.\n");
        }
        if (daemon_error && *daemon_error)
                fprintf(stderr,
                        "daxmgr: daxmgrd still reports the error of the configuration it last read: %s; "
                        "apply this one with: daxmgr reload\n",
                        daemon_error);
        return EXIT_OK;
}

/* ---------------------------------------------------------------- monitor */

static bool monitor_bar; /* a progress bar is on the last line of the terminal */

/* "namespace", "namespace0.0" of /org/daxmgr1/namespace/namespace0_2e0; "daxmgrd", "" of the
 * manager. */
static void path_kind_key(const char *path, char **ret_kind, char **ret_key) {
        const char *rest = startswith(path, ROOT_PATH "/"), *slash;
        _cleanup_free_ char *kind = NULL, *prefix = NULL;
        char *key = NULL;

        *ret_kind = *ret_key = NULL;
        if (!rest || !(slash = strchr(rest, '/'))) {
                *ret_kind = strdup(rest ?: "daxmgrd");
                *ret_key = strdup("");
                return;
        }
        kind = strndup(rest, (size_t) (slash - rest));
        prefix = strndup(path, (size_t) (slash - path));
        if (!kind || !prefix)
                return;
        if (sd_bus_path_decode(path, prefix, &key) <= 0)
                key = strdup(slash + 1);
        *ret_kind = TAKE_PTR(kind);
        *ret_key = key;
}

/* "namespace0.0", "job 5", "zone /mnt/pm0/xip", "daxmgrd": how a line names the object. */
static char *path_label(const char *path) {
        _cleanup_free_ char *kind = NULL, *key = NULL;
        char *s = NULL;

        path_kind_key(path, &kind, &key);
        if (!kind || !key)
                return strdup(path);
        if (!*key)
                return TAKE_PTR(kind);
        if (strcmp(kind, "region") == 0 || strcmp(kind, "namespace") == 0)
                return TAKE_PTR(key);
        if (asprintf(&s, "%s %s", kind, key) < 0)
                return NULL;
        return s;
}

static void monitor_line_start(void) {
        if (monitor_bar) {
                fputs("\r\033[K", stdout);
                monitor_bar = false;
        }
}

_printf_(1, 2) static void monitor_line(const char *fmt, ...) {
        va_list ap;

        monitor_line_start();
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

static void monitor_json(const char *event, const char *path, const char *iface, json_object *props) {
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o)
                return;
        (void) json_object_object_add(o, "event", json_object_new_string(event));
        (void) json_object_object_add(o, "path", json_object_new_string(path));
        if (iface)
                (void) json_object_object_add(o, "interface", json_object_new_string(iface));
        (void) json_object_object_add(o, "properties",
                                      props ? json_object_get(props) : json_object_new_object());
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        fflush(stdout);
}

/* A property's value for people: strings bare, string arrays joined, the rest as JSON. */
static char *human_value(json_object *v) {
        if (!v)
                return strdup("");
        if (json_object_is_type(v, json_type_string))
                return strdup(json_object_get_string(v));
        if (json_object_is_type(v, json_type_array)) {
                _cleanup_json_ json_object *w = json_object_new_object();

                if (!w)
                        return NULL;
                (void) json_object_object_add(w, "a", json_object_get(v));
                return join(w, "a");
        }
        return strdup(
                json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void monitor_added(const char *path, const char *iface, json_object *props) {
        _cleanup_free_ char *kind = NULL, *key = NULL, *detail = NULL;
        const char *k;

        if (arg.given & OPT_JSON)
                return monitor_json("added", path, iface, props);
        path_kind_key(path, &kind, &key);
        k = kind ?: path;
        if (strcmp(iface, "org.daxmgr1.Namespace") == 0) {
                if (*str(props, "Name"))
                        detail = asprintf_safe(" (name %s, %s)", str(props, "Name"), str(props, "Mode"));
                else
                        detail = asprintf_safe(" (%s)", str(props, "Mode"));
                monitor_line("+ namespace %s%s", dash(str(props, "Device")), detail ?: "");
        } else if (strcmp(iface, "org.daxmgr1.Region") == 0)
                monitor_line("+ region %s (%s)", dash(str(props, "Device")), SIZE_FMT(u64(props, "Size")));
        else if (strcmp(iface, "org.daxmgr1.Zone") == 0)
                monitor_line("+ zone %s", dash(str(props, "Directory")));
        else if (strcmp(iface, "org.daxmgr1.Placement") == 0)
                monitor_line("+ placement %s in %s", dash(str(props, "Program")), dash(str(props, "Zone")));
        else if (strcmp(iface, "org.daxmgr1.Job") == 0)
                monitor_line("+ job %" PRIu64 " %s%s%s", u64(props, "Id"), str(props, "Operation"),
                             *str(props, "Target") ? " " : "", str(props, "Target"));
        else
                monitor_line("+ %s %s", k, key ?: "");
}

static int on_interfaces_added(sd_bus_message *m) {
        const char *path;
        int r;

        r = sd_bus_message_read(m, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sa{sv}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sa{sv}")) > 0) {
                _cleanup_json_ json_object *props = NULL;
                const char *iface;

                r = sd_bus_message_read(m, "s", &iface);
                if (r < 0)
                        return r;
                r = bus_read_properties_json(m, &props);
                if (r < 0)
                        return r;
                if (startswith(iface, "org.daxmgr1."))
                        monitor_added(path, iface, props);
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return r;
}

static int on_interfaces_removed(sd_bus_message *m) {
        const char *path, *iface;
        int r;

        r = sd_bus_message_read(m, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "s", &iface)) > 0) {
                _cleanup_free_ char *kind = NULL, *key = NULL;

                if (!startswith(iface, "org.daxmgr1."))
                        continue;
                if (arg.given & OPT_JSON) {
                        monitor_json("removed", path, iface, NULL);
                        continue;
                }
                path_kind_key(path, &kind, &key);
                monitor_line("- %s %s", kind ?: path, key ?: "");
        }
        return r;
}

static void monitor_progress(const char *path, json_object *job) {
        _cleanup_free_ char *label = path_label(path);
        json_object *p;
        double progress = json_object_object_get_ex(job, "Progress", &p) ? json_object_get_double(p) : 0;
        const char *text = str(job, "ProgressText");

        if (isatty(STDOUT_FILENO)) { /* a terminal: one live bar */
                const int width = 30;
                int filled = (int) (progress * width + 0.5);

                filled = filled < 0 ? 0 : filled > width ? width : filled;
                printf("\r\033[K%s [%.*s%*s] %3.0f%% %.50s", label ?: path, filled,
                       "##############################", width - filled, "", 100.0 * progress, text);
                fflush(stdout);
                monitor_bar = true;
        } else
                monitor_line("%s: %.0f%% %s", label ?: path, 100.0 * progress, text);
}

static int on_properties_changed(sd_bus_message *m) {
        _cleanup_json_ json_object *props = NULL;
        _cleanup_free_ char *label = NULL;
        const char *path = sd_bus_message_get_path(m), *iface;
        int r;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                return r;
        r = bus_read_properties_json(m, &props);
        if (r < 0)
                return r;
        if (arg.given & OPT_JSON) {
                monitor_json("changed", path, iface, props);
                return 0;
        }
        if (strcmp(iface, "org.daxmgr1.Job") == 0) {
                /* Progress as a bar or a line; the end comes with Completed. */
                if (json_object_object_get_ex(props, "Progress", NULL) ||
                    json_object_object_get_ex(props, "ProgressText", NULL)) {
                        _cleanup_json_ json_object *job = NULL;
                        sd_bus *bus = sd_bus_message_get_bus(m);

                        if (get_job(bus, path, &job, NULL) >= 0)
                                monitor_progress(path, job);
                        else
                                monitor_progress(path, props);
                }
                return 0;
        }
        label = path_label(path);
        json_object_object_foreach(props, k, v) {
                _cleanup_free_ char *value = human_value(v);
                size_t l = strlen(k);

                /* The manager's job list repeats the "+ job" and "- job" lines. */
                if (strcmp(iface, MANAGER) == 0 && strcmp(k, "Jobs") == 0)
                        continue;
                if (json_object_is_type(v, json_type_int) && ((l >= 4 && strcmp(k + l - 4, "Size") == 0) ||
                                                              (l >= 6 && strcmp(k + l - 6, "Extent") == 0)))
                        monitor_line("%s %s: %s", label ?: path, k, SIZE_FMT(json_object_get_uint64(v)));
                else
                        monitor_line("%s %s: %s", label ?: path, k, value ? dash(value) : "?");
        }
        return 0;
}

static int on_monitor_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *path = sd_bus_message_get_path(m);
        int r = 0;

        if (!path)
                return 0;
        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded"))
                r = on_interfaces_added(m);
        else if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved"))
                r = on_interfaces_removed(m);
        else if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Properties", "PropertiesChanged"))
                r = on_properties_changed(m);
        else if (sd_bus_message_is_signal(m, "org.daxmgr1.Job", "Completed")) {
                const char *error, *message;
                int success;

                r = sd_bus_message_read(m, "bss", &success, &error, &message);
                if (r < 0)
                        goto fail;
                if (arg.given & OPT_JSON) {
                        _cleanup_json_ json_object *o = json_object_new_object();

                        (void) json_object_object_add(o, "success", json_object_new_boolean(success));
                        (void) json_object_object_add(o, "error", json_object_new_string(error));
                        (void) json_object_object_add(o, "message", json_object_new_string(message));
                        monitor_json("job-completed", path, "org.daxmgr1.Job", o);
                } else {
                        _cleanup_free_ char *label = path_label(path);

                        if (success)
                                monitor_line("%s: done", label ?: path);
                        else
                                monitor_line("%s: failed: %s", label ?: path, *message ? message : error);
                }
        } else if (sd_bus_message_is_signal(m, MANAGER, "Reconciled")) {
                uint32_t steps, problems;

                r = sd_bus_message_read(m, "uu", &steps, &problems);
                if (r < 0)
                        goto fail;
                if (arg.given & OPT_JSON) {
                        _cleanup_json_ json_object *o = json_object_new_object();

                        (void) json_object_object_add(o, "steps_done", json_object_new_int64(steps));
                        (void) json_object_object_add(o, "problems", json_object_new_int64(problems));
                        monitor_json("reconciled", path, MANAGER, o);
                } else
                        monitor_line("reconciled: %" PRIu32 " step(s) done, %" PRIu32 " problem(s)", steps,
                                     problems);
        }
        /* JobNew and JobRemoved repeat what InterfacesAdded and Completed said. */
fail:
        if (r < 0)
                fprintf(stderr, "daxmgr: monitor: a %s signal of %s cannot be read: %s\n",
                        sd_bus_message_get_member(m) ?: "?", path, strerror(-r));
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || strcmp(name, DEST) != 0)
                return 0;
        if (arg.given & OPT_JSON) {
                _cleanup_json_ json_object *o = json_object_new_object();

                (void) json_object_object_add(o, "owner", json_object_new_string(new_owner));
                monitor_json(*new_owner ? "daemon-started" : "daemon-stopped", ROOT_PATH, NULL, o);
        } else if (*new_owner)
                monitor_line("daxmgrd started");
        else
                monitor_line("daxmgrd stopped; waiting for it to start again");
        return 0;
}

static int verb_monitor(sd_bus *bus, char **args, size_t n) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        sigset_t mask;
        int has = 0, r;

        /* Subscribe first: an event between the check below and the subscription is not lost. */
        r = sd_bus_add_match(bus, NULL, "type='signal',sender='" DEST "',path_namespace='" ROOT_PATH "'",
                             on_monitor_signal, NULL);
        if (r >= 0)
                r = sd_bus_add_match(
                        bus, NULL,
                        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                        "member='NameOwnerChanged',arg0='" DEST "'",
                        on_name_owner_changed, NULL);
        if (r < 0)
                return bus_fail("monitor: subscribing to the daemon's signals", NULL, r);
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", NULL, &reply, "s", DEST);
        if (r >= 0)
                r = sd_bus_message_read(reply, "b", &has);
        if (r >= 0 && !has)
                fprintf(stderr, "daxmgr: daxmgrd is not running (start it with: systemctl enable --now "
                                "daxmgrd); waiting for it\n");
        if (isatty(STDOUT_FILENO) && !(arg.given & OPT_JSON))
                fprintf(stderr, "Monitoring daxmgrd; Ctrl-C to stop.\n");

        (void) sigemptyset(&mask);
        (void) sigaddset(&mask, SIGINT);
        (void) sigaddset(&mask, SIGTERM);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        /* A shell starts background commands with SIGINT ignored; an ignored signal never reaches
         * the event loop, and "kill -INT" should stop a monitor wherever it runs. */
        (void) signal(SIGINT, SIG_DFL);
        (void) signal(SIGTERM, SIG_DFL);
        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0) /* the loop ends with 1 (EXIT_FAILURE) if the bus goes away, 0 on a signal */
                r = sd_bus_set_exit_on_disconnect(bus, true);
        if (r < 0)
                return bus_fail("monitor", NULL, r);
        r = sd_event_loop(event);
        monitor_line_start();
        fflush(stdout);
        (void) sd_bus_detach_event(bus);
        if (r != 0) {
                fprintf(stderr, "daxmgr: monitor: %s\n", r > 0 ? "the system bus went away" : strerror(-r));
                return EXIT_FAILURE_;
        }
        return EXIT_OK;
}

/* ---------------------------------------------------------------- main */

static const struct Verb {
        const char *name;
        size_t min_args, max_args;
        unsigned options;
        int (*run)(sd_bus *bus, char **args, size_t n);
        const char *synopsis;
        bool local; /* needs no daemon */
} verbs[] = {
        { "status", 0, 0, OPT_JSON, verb_status, "status [--json]" },
        { "list", 1, 1, OPT_JSON | OPT_REGION | OPT_MODE | OPT_ZONE, verb_list,
          "list regions|namespaces|devices|zones|placements|jobs [--json]\n"
          "       [--region regionN] [--mode fsdax|devdax|raw] (namespaces, devices) [--zone DIR] "
          "(placements)" },
        { "monitor", 0, 0, OPT_JSON, verb_monitor, "monitor [--json]" },
        { "config", 1, 1, OPT_ROOT | OPT_JSON, verb_config, "config check [--root DIR] [--json]",
          .local = true },
        { "plan", 0, 0, OPT_JSON, verb_plan, "plan [--json]" },
        { "reconcile", 0, 0, OPT_NO_BLOCK, verb_reconcile, "reconcile [--no-block]" },
        { "reload", 0, 0, 0, verb_reload, "reload" },
        { "verify", 1, 1, OPT_JSON, verb_verify, "verify PID|PATH [--json]" },
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
          OPT_WITH_LIBRARIES | OPT_SERVICE | OPT_NO_ENTRY_POINT | OPT_BIND_HOST | OPT_REFRESH_POLICY |
                  OPT_NO_BLOCK,
          verb_place,
          "place ZONE PROGRAM [--with-libraries] [--service UNIT] [--no-entry-point] [--bind-host]\n"
          "       [--refresh-policy auto|manual]" },
        { "refresh", 0, 1, OPT_ALL | OPT_ZONE | OPT_NO_BLOCK, verb_refresh,
          "refresh PROGRAM|--all [--zone DIR]" },
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
               "     --region regionN  list: only the namespaces or devices of this region\n"
               "     --mode MODE       list: only the namespaces or devices of this mode\n"
               "     --zone DIR        list, refresh: only the placements in this zone\n"
               "     --root DIR        config check: read the configuration below DIR\n"
               "\nSizes: 512M, 2G, 50%%, rest. Namespaces: name, uuid, namespace0.0, pmem0, dax0.0.\n"
               "\nmonitor streams the daemon's events until Ctrl-C (--json: one object per line).\n"
               "config check validates the configuration files without the daemon.\n"
               "Ctrl-C while a job runs stops following it; the job goes on in daxmgrd.\n"
               "\nExit status: 0 success, 1 failure (or an invalid configuration), 2 bad arguments,\n"
               "3 no such object, 4 access denied, 5 daxmgrd (or the system bus) is not running,\n"
               "130 interrupted while following a job.\n");
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
        ARG_ZONE,
        ARG_ROOT,
        ARG_REFRESH_POLICY,
        ARG_ALL,
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
                { "zone", required_argument, NULL, ARG_ZONE },
                { "root", required_argument, NULL, ARG_ROOT },
                { "refresh-policy", required_argument, NULL, ARG_REFRESH_POLICY },
                { "all", no_argument, NULL, ARG_ALL },
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
                        if (dax_mount_mode_from_string(optarg) < 0)
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
                case ARG_ZONE:
                        arg.given |= OPT_ZONE;
                        arg.zone = optarg;
                        break;
                case ARG_ROOT:
                        arg.given |= OPT_ROOT;
                        arg.root = optarg;
                        break;
                case ARG_REFRESH_POLICY:
                        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "manual") != 0)
                                return -usage_error("--refresh-policy is auto or manual, not \"%s\"",
                                                    optarg);
                        arg.given |= OPT_REFRESH_POLICY;
                        arg.refresh_policy = optarg;
                        break;
                case ARG_ALL:
                        arg.given |= OPT_ALL;
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

/* Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): what D-Bus accepts
 * in a string. */
static bool utf8_valid(const char *s) {
        for (size_t len; *s; s += len) {
                len = utf8_char_len(s, SIZE_MAX);
                if (len == 0)
                        return false;
        }
        return true;
}

/* Every argument before anything else looks at it (and before any message quotes it): at most
 * PATH_MAX - 1 bytes, valid UTF-8 (D-Bus strings must be). */
static int check_argv(int argc, char **argv) {
        for (int i = 1; i < argc; i++) {
                size_t l = strlen(argv[i]);

                if (l >= PATH_MAX)
                        return usage_error("argument %d is %zu bytes long; at most %d are accepted", i, l,
                                           PATH_MAX - 1);
                if (!utf8_valid(argv[i]))
                        return usage_error(
                                "argument %d is not valid UTF-8; names and paths given to daxmgr must be",
                                i);
        }
        return EXIT_OK;
}

int main(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const struct Verb *v = NULL;
        size_t n;
        int r;

        r = check_argv(argc, argv);
        if (r != EXIT_OK)
                return r;
        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        use_color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
                    !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
        if (optind >= argc)
                return usage_error("which verb? (status, list, monitor, plan, create-namespace, …)");
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
        if (v->run == verb_list) {
                size_t k = list_kind(argv[optind + 1]);

                if (k >= ELEMENTSOF(list_kinds))
                        return usage_error(
                                "cannot list \"%s\": regions, namespaces, devices, zones, placements "
                                "or jobs",
                                argv[optind + 1]);
                if ((arg.given & (OPT_REGION | OPT_MODE)) & ~list_kinds[k].filters)
                        return usage_error("%s filters namespaces and devices, not %s",
                                           arg.given & OPT_REGION ? "--region" : "--mode",
                                           list_kinds[k].what);
                if ((arg.given & OPT_ZONE) & ~list_kinds[k].filters)
                        return usage_error("--zone filters placements, not %s", list_kinds[k].what);
        }
        if (v->run == verb_refresh && (n > 0) == !!(arg.given & OPT_ALL))
                return usage_error("refresh: name one PROGRAM, or --all (usage: daxmgr %s)", v->synopsis);
        if (v->run == verb_config && strcmp(argv[optind + 1], "check") != 0)
                return usage_error("config %s: the config verb is: check", argv[optind + 1]);
        if (v->local)
                return v->run(NULL, argv + optind + 1, n);
        r = connect_bus(&bus);
        if (r != EXIT_OK)
                return r;
        return v->run(bus, argv + optind + 1, n);
}
