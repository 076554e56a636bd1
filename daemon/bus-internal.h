/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the bus files share (bus-objects.c: the objects, their JSON, the change signals, getters,
 * finder and enumerator; bus.c: the methods, their argument checks, the vtables and the bus
 * name; bus-calls.c: the methods answered from a child). Not for use outside them. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "manager.h"

#define ROOT_PATH "/org/daxmgr1"

typedef struct PropDef {
        const char *name;
        const char *sig;
} PropDef;

/* One interface: its name, the path prefix of its objects and its property list, the single
 * source of its vtable and getter. */
typedef struct BusKind {
        const char *interface;
        const char *prefix; /* NULL: the root object */
        const PropDef *props;
} BusKind;

extern const BusKind kinds[_BUS_OBJECT_KIND_MAX];

static inline struct json_object *jstr(const char *s) {
        return json_object_new_string(s ?: "");
}

static inline struct json_object *ju64(uint64_t v) {
        return json_object_new_uint64(v);
}

static inline void add(struct json_object *o, const char *k, struct json_object *v) {
        json_object_object_add(o, k, v);
}

/* The key of a placement's object path: "ZONE:PROGRAM". */
char *placement_key(const char *zone, const char *program);
/* How a store to this region's pmem becomes durable: "synchronous", "asynchronous", "unknown". */
bool path_is_mounted_dax(const Topology *t, const char *dir);
/* Replies with @j as JSON text, made valid UTF-8. */
int reply_json(sd_bus_message *msg, struct json_object *j);
int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                 sd_bus_message *reply, void *userdata, sd_bus_error *error);
int object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                sd_bus_error *error);
int object_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes, sd_bus_error *error);

/* Argument checks (bus.c): an InvalidArgs error with a sentence; is @p an absolute, canonical
 * path of bounded length; an InvalidArgs error naming @what and @p. */
int invalid(sd_bus_error *e, const char *fmt, ...) _printf_(2, 3);
bool path_ok(const char *p);
int invalid_path(sd_bus_error *e, const char *what, const char *p);

/* The methods answered from a child (bus-calls.c). */
int method_get_plan(sd_bus_message *msg, void *userdata, sd_bus_error *e);
int method_get_metrics(sd_bus_message *msg, void *userdata, sd_bus_error *e);
int method_verify_process(sd_bus_message *msg, void *userdata, sd_bus_error *e);
int method_verify_path(sd_bus_message *msg, void *userdata, sd_bus_error *e);
