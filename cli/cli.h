/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the files of daxmgr share: the options given, the bus names, the errors and exit codes,
 * the daemon's objects as JSON and the verbs that main() dispatches to. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "bus-error.h" /* the exit codes */
#include "macro.h"

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
        OPT_DETAILED_EXITCODE = 1u << 21,
        OPT_WAIT = 1u << 22,
        OPT_MIN = 1u << 23,
        OPT_QUIET = 1u << 24,
        OPT_NO_LEGEND = 1u << 25,
        OPT_AS = 1u << 26,
};

/* --json, --json=pretty, --json=short. */
typedef enum JsonForm {
        JSON_DEFAULT, /* pretty, but monitor's events one line each */
        JSON_PRETTY,
        JSON_SHORT, /* one line per object (an array's elements) or event */
} JsonForm;

/* --detailed-exitcode (plan, reconcile), as Terraform's: 0 succeeded and nothing to change, 2
 * succeeded and there are (plan) or were (reconcile) changes, 1 any error. */
#define EXIT_CHANGES 2

typedef struct Arguments {
        unsigned given;
        bool ask_password;
        const char *region, *mode, *size, *map, *name, *fs, *label, *dax, *options, *service, *zone, *root,
                *refresh_policy, *as;
        uint64_t align;
        double min_percent; /* verify --min */
        JsonForm json;
} Arguments;

/* Set by main() (daxmgr.c) before any verb runs. */
extern Arguments arg;
extern bool use_color;
/* Set by plan and reconcile: there are steps to take, or the reconcile took some (for
 * --detailed-exitcode). */
extern bool changes_found;

static inline void json_putp(json_object **j) {
        if (*j)
                json_object_put(*j);
}
#define _cleanup_json_ _cleanup_(json_putp)

static inline void bus_message_unrefp(sd_bus_message **m) {
        sd_bus_message_unref(*m);
}
#define _cleanup_bus_message_ _cleanup_(bus_message_unrefp)

/* cli-bus.c: errors */
_printf_(1, 2) int usage_error(const char *fmt, ...);
int exit_code_for_error(const char *name, const char *message);
int bus_fail(const char *what, const sd_bus_error *e, int r);

/* cli-bus.c: the bus and the daemon's objects */
int connect_bus(sd_bus **ret);
int get_objects(sd_bus *bus, json_object **ret);
json_object *objects_of(json_object *all, const char *iface);
const char *str(json_object *o, const char *key);
uint64_t u64(json_object *o, const char *key);
bool boolean(json_object *o, const char *key);
char *join(json_object *o, const char *key);
void print_json(json_object *o);
const char *dash(const char *s);
void heading(const char *s);

/* object-tables.c */
int print_regions(json_object *list);
int print_namespaces(json_object *list);
int print_zones(json_object *list);
int print_placements(json_object *list);
json_object *devices_of(json_object *namespaces);
int print_devices(json_object *list);
int print_jobs(json_object *list);

/* verbs-read.c */
int verb_status(sd_bus *bus, char **args, size_t n);
int verb_list(sd_bus *bus, char **args, size_t n);
int verb_list_check(const char *what);
int verb_plan(sd_bus *bus, char **args, size_t n);
int verb_metrics(sd_bus *bus, char **args, size_t n);
int verb_verify_check(const char *what, uint32_t *ret_pid);
int verb_verify(sd_bus *bus, char **args, size_t n);
int verb_verify_path(sd_bus *bus, char **args, size_t n);
int verb_config(sd_bus *bus, char **args, size_t n);

/* verbs-job.c */
char *absolute(const char *p);
int get_job(sd_bus *bus, const char *path, json_object **ret, sd_bus_error *e);
int verb_reconcile(sd_bus *bus, char **args, size_t n);
int verb_reload(sd_bus *bus, char **args, size_t n);
int verb_create_namespace(sd_bus *bus, char **args, size_t n);
int verb_destroy_namespace(sd_bus *bus, char **args, size_t n);
int verb_format(sd_bus *bus, char **args, size_t n);
int verb_mount(sd_bus *bus, char **args, size_t n);
int verb_unmount(sd_bus *bus, char **args, size_t n);
int verb_zone(sd_bus *bus, char **args, size_t n);
int verb_place(sd_bus *bus, char **args, size_t n);
int verb_refresh(sd_bus *bus, char **args, size_t n);
int verb_unplace(sd_bus *bus, char **args, size_t n);

/* monitor.c */
int verb_monitor(sd_bus *bus, char **args, size_t n);
