/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs that only read over the bus: status, list, plan, verify and verify-path (config check,
 * which reads without it, is in verbs-config.c). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "cli.h"
#include "config.h"
#include "error.h"
#include "macro.h"
#include "parse-util.h"
#include "size.h"
#include "table.h"

/* ---------------------------------------------------------------- read verbs */

static int print_cxl(sd_bus *bus);

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
                         * MAP_SYNC there by mistake (daxmgr(1), BUGS), and only a file of a DAX
                         * mount can ask it (verify-path does). */
                        printf("  MAP_SYNC: not durable on %s: the flush is asynchronous (a request "
                               "to the host), so only fsync() or msync() make writes durable; the "
                               "kernel refuses MAP_SYNC there, unless it left a stale flag "
                               "(daxmgr(1), BUGS; daxmgr verify-path FILE shows its answer)\n",
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

/* The inotify watches of the placed originals, and the paths polled instead (Manager.Watches,
 * WatchLimit, PolledPaths, PollIntervalUSec). */
static void print_watches(json_object *mgr) {
        json_object *polled = NULL;
        size_t n_polled = json_object_object_get_ex(mgr, "PolledPaths", &polled)
                                  ? json_object_array_length(polled)
                                  : 0;

        printf("Watches: %" PRIu64 " inotify watch(es) of at most %" PRIu64
               " on the placed originals; %zu path(s) polled every %" PRIu64 " s\n",
               u64(mgr, "Watches"), u64(mgr, "WatchLimit"), n_polled,
               u64(mgr, "PollIntervalUSec") / 1000000);
        for (size_t i = 0; i < n_polled; i++)
                printf("  polled: %s\n", json_object_get_string(json_object_array_get_idx(polled, i)));
}

/* The processes still running a superseded copy of a placed program (Placement.RestartNeeded,
 * "PID UNIT COMM" each), under one heading; nothing when there are none. */
static void print_restart_needed(json_object *all) {
        json_object *pl = objects_of(all, "org.daxmgr1.Placement");
        bool any = false;

        for (size_t i = 0; pl && i < json_object_array_length(pl); i++) {
                json_object *o = json_object_array_get_idx(pl, i), *rn;

                if (!json_object_object_get_ex(o, "RestartNeeded", &rn))
                        continue;
                for (size_t k = 0; k < json_object_array_length(rn); k++) {
                        const char *e = json_object_get_string(json_object_array_get_idx(rn, k));
                        char unit[256] = "", comm[64] = "";
                        int pid = 0;

                        if (!any)
                                printf("Restart needed (running a superseded copy):\n");
                        any = true;
                        if (sscanf(e, "%d %255s %63[^\n]", &pid, unit, comm) >= 2)
                                printf("  PID %d (%s), unit %s: %s\n", pid, comm, unit, str(o, "Program"));
                        else
                                printf("  %s: %s\n", e, str(o, "Program"));
                }
        }
}

int verb_status(sd_bus *bus, char **args, size_t n) {
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
                print_watches(mgr);
                print_restart_needed(all);
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

/* What list lists, and the filters that apply to it: checked before connecting to the bus. */
int verb_list_check(const char *what) {
        size_t k = list_kind(what);

        if (k >= ELEMENTSOF(list_kinds))
                return usage_error("cannot list \"%s\": regions, namespaces, devices, zones, placements "
                                   "or jobs",
                                   what);
        if ((arg.given & (OPT_REGION | OPT_MODE)) & ~list_kinds[k].filters)
                return usage_error("%s filters namespaces and devices, not %s",
                                   arg.given & OPT_REGION ? "--region" : "--mode", list_kinds[k].what);
        if ((arg.given & OPT_ZONE) & ~list_kinds[k].filters)
                return usage_error("--zone filters placements, not %s", list_kinds[k].what);
        return EXIT_OK;
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

int verb_list(sd_bus *bus, char **args, size_t n) {
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

/* The daemon renders them (GetMetrics): it measures what a client cannot (the DAX proof of each
 * mount, the pages of the placed services), and writes the same text to [Metrics] TextfilePath=. */
int verb_metrics(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *s;
        int r;

        r = sd_bus_call_method(bus, DEST, ROOT_PATH, MANAGER, "GetMetrics", &e, &reply, "");
        if (r < 0) {
                r = bus_fail("getting the metrics", &e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_read(reply, "s", &s);
        if (r < 0)
                return bus_fail("getting the metrics", NULL, r);
        fputs(s, stdout);
        return EXIT_OK;
}

int verb_plan(sd_bus *bus, char **args, size_t n) {
        _cleanup_json_ json_object *plan = NULL;
        json_object *steps = NULL, *problems = NULL;
        int r;

        r = call_json(bus, "getting the plan", "GetPlan", &plan, NULL);
        if (r != EXIT_OK)
                return r;
        (void) json_object_object_get_ex(plan, "steps", &steps);
        (void) json_object_object_get_ex(plan, "problems", &problems);
        /* Changes are steps; problems are what no reconcile will change (status lists them). */
        changes_found = steps && json_object_array_length(steps) > 0;
        if (arg.given & OPT_QUIET)
                return EXIT_OK;
        if (arg.given & OPT_JSON) {
                print_json(plan);
                return EXIT_OK;
        }
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

/* verify --min: the share of the resident executable pages in pmem (exec_pmem_percent, the
 * figure of the summary line) against the threshold. */
static int verify_min(json_object *rep, json_object *sum, uint32_t pid) {
        json_object *pct = sum ? json_object_object_get(sum, "exec_pmem_percent") : NULL;
        double v = pct ? json_object_get_double(pct) : 0.0;
        bool quiet = arg.given & OPT_QUIET;

        if (boolean(rep, "pfn_hidden")) {
                if (!quiet)
                        fprintf(stderr,
                                "daxmgr: verify %" PRIu32 ": cannot tell whether --min %g%% is met: frame "
                                "numbers are hidden from the daemon, so pmem and DRAM cannot be told "
                                "apart\n",
                                pid, arg.min_percent);
                return EXIT_FAILURE_;
        }
        if (v >= arg.min_percent)
                return EXIT_OK;
        if (!quiet)
                fprintf(stderr,
                        "daxmgr: verify %" PRIu32 ": %.1f%% of the resident executable pages are in pmem, "
                        "below --min %g%%%s\n",
                        pid, v, arg.min_percent,
                        u64(sum, "exec_pmem") + u64(sum, "exec_dram") == 0 ? " (none is resident)" : "");
        return EXIT_FAILURE_;
}

/* The summary line and the table of executable mappings of verify PID. */
static int print_verify(json_object *rep, json_object *sum, uint32_t pid) {
        json_object *maps;

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
        if (boolean(rep, "pmd_known"))
                printf("2 MiB mappings: %" PRIu64 " of %" PRIu64 " PMD-eligible window(s) of its executable "
                       "mappings are mapped with one PMD entry\n",
                       u64(sum, "pmd_mapped_windows"), u64(sum, "pmd_eligible_windows"));
        else
                printf("2 MiB mappings: not measured (the kernel has no PAGEMAP_SCAN, Linux 6.7); %" PRIu64
                       " PMD-eligible window(s) in its executable mappings\n",
                       u64(sum, "pmd_eligible_windows"));
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

/* The argument of verify, checked before connecting to the bus: a PID, or a path (anything with
 * a slash in it, "./prog" for one here), for which --min means nothing. */
int verb_verify_check(const char *what, uint32_t *ret_pid) {
        uint32_t pid;

        if (strchr(what, '/')) {
                if (arg.given & OPT_MIN)
                        return usage_error("verify %s: --min is the share of a process's pages in pmem; "
                                           "a path is DAX or not (-q: exit status 1 when not)",
                                           what);
                return EXIT_OK;
        }
        if (parse_u32(what, 10, &pid) < 0 || pid == 0)
                return usage_error("\"%s\" is neither a process ID nor a path (a path has a \"/\": ./%s)",
                                   what, what);
        if (ret_pid)
                *ret_pid = pid;
        return EXIT_OK;
}

int verb_verify(sd_bus *bus, char **args, size_t n) {
        _cleanup_json_ json_object *rep = NULL;
        json_object *sum;
        uint32_t pid = 0;
        char what[64];
        int r;

        r = verb_verify_check(args[0], &pid);
        if (r != EXIT_OK)
                return r;
        if (pid == 0)
                return verb_verify_path(bus, args, n);
        snprintf(what, sizeof(what), "verifying process %" PRIu32, pid);
        r = call_json(bus, what, "VerifyProcess", &rep, "ua{sv}", pid, 0);
        if (r != EXIT_OK)
                return r;
        if (!json_object_object_get_ex(rep, "summary", &sum))
                sum = NULL;
        if (arg.given & OPT_JSON)
                print_json(rep);
        else if (!(arg.given & OPT_QUIET)) {
                r = print_verify(rep, sum, pid);
                if (r != EXIT_OK)
                        return r;
        }
        return (arg.given & OPT_MIN) ? verify_min(rep, sum, pid) : EXIT_OK;
}

int verb_verify_path(sd_bus *bus, char **args, size_t n) {
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
        /* -q: the answer is the exit status alone; not on an active DAX mount is 1. */
        if (arg.given & OPT_QUIET)
                return boolean(rep, "dax") ? EXIT_OK : EXIT_FAILURE_;
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
