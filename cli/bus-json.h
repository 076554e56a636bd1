/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* D-Bus values as JSON, so that --json can print exactly what the daemon says, with the D-Bus
 * property names as field names. */

#include <json-c/json.h>
#include <systemd/sd-bus.h>

/* Reads the next value of @m, whatever its type (variants unwrapped, arrays as arrays, structs and
 * dict entries as arrays). */
int bus_read_json(sd_bus_message *m, json_object **ret);

/* Reads an a{sv} of properties into a new JSON object. */
int bus_read_properties_json(sd_bus_message *m, json_object **ret);

/* GetManagedObjects() of @path as {"<interface>": [{"Path": …, <properties>…}, …], …}, each array
 * sorted by path (natural order: region2 before region10). */
int bus_managed_objects_json(sd_bus_message *reply, json_object **ret);
