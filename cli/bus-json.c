/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bus-json.h"
#include "macro.h"

static void json_putp(json_object **j) {
        if (*j)
                json_object_put(*j);
}
#define _cleanup_json_ _cleanup_(json_putp)

int bus_read_json(sd_bus_message *m, json_object **ret) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENXIO;

        switch (type) {
        case SD_BUS_TYPE_STRING:
        case SD_BUS_TYPE_OBJECT_PATH:
        case SD_BUS_TYPE_SIGNATURE: {
                const char *s;

                r = sd_bus_message_read_basic(m, type, &s);
                if (r < 0)
                        return r;
                *ret = json_object_new_string(s);
                break;
        }
        case SD_BUS_TYPE_BOOLEAN: {
                int b;

                r = sd_bus_message_read_basic(m, type, &b);
                if (r < 0)
                        return r;
                *ret = json_object_new_boolean(b);
                break;
        }
        case SD_BUS_TYPE_BYTE: {
                uint8_t v;

                r = sd_bus_message_read_basic(m, type, &v);
                if (r < 0)
                        return r;
                *ret = json_object_new_int(v);
                break;
        }
        case SD_BUS_TYPE_INT16:
        case SD_BUS_TYPE_UINT16:
        case SD_BUS_TYPE_INT32:
        case SD_BUS_TYPE_UINT32:
        case SD_BUS_TYPE_INT64:
        case SD_BUS_TYPE_UINT64: {
                union {
                        int16_t i16;
                        uint16_t u16;
                        int32_t i32;
                        uint32_t u32;
                        int64_t i64;
                        uint64_t u64;
                } v;

                r = sd_bus_message_read_basic(m, type, &v);
                if (r < 0)
                        return r;
                *ret = type == SD_BUS_TYPE_INT16    ? json_object_new_int64(v.i16)
                       : type == SD_BUS_TYPE_UINT16 ? json_object_new_int64(v.u16)
                       : type == SD_BUS_TYPE_INT32  ? json_object_new_int64(v.i32)
                       : type == SD_BUS_TYPE_UINT32 ? json_object_new_int64(v.u32)
                       : type == SD_BUS_TYPE_INT64  ? json_object_new_int64(v.i64)
                                                    : json_object_new_uint64(v.u64);
                break;
        }
        case SD_BUS_TYPE_DOUBLE: {
                double d;

                r = sd_bus_message_read_basic(m, type, &d);
                if (r < 0)
                        return r;
                *ret = json_object_new_double(d);
                break;
        }
        case SD_BUS_TYPE_VARIANT:
                r = sd_bus_message_enter_container(m, type, contents);
                if (r < 0)
                        return r;
                r = bus_read_json(m, ret);
                if (r < 0)
                        return r;
                return sd_bus_message_exit_container(m);
        case SD_BUS_TYPE_ARRAY:
        case SD_BUS_TYPE_STRUCT:
        case SD_BUS_TYPE_DICT_ENTRY: {
                _cleanup_json_ json_object *a = json_object_new_array();

                r = sd_bus_message_enter_container(m, type, contents);
                if (r < 0)
                        return r;
                for (;;) {
                        json_object *e = NULL;

                        r = sd_bus_message_at_end(m, false);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                break;
                        r = bus_read_json(m, &e);
                        if (r < 0)
                                return r;
                        (void) json_object_array_add(a, e);
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(a);
                break;
        }
        default:
                return -EBADMSG;
        }
        return 0;
}

int bus_read_properties_json(sd_bus_message *m, json_object **ret) {
        _cleanup_json_ json_object *o = json_object_new_object();
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
                json_object *v = NULL;
                const char *name;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = bus_read_json(m, &v);
                if (r < 0)
                        return r;
                (void) json_object_object_add(o, name, v);
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int path_compare(const void *a, const void *b) {
        json_object *const *x = a, *const *y = b;

        return strverscmp(json_object_get_string(json_object_object_get(*x, "Path")),
                          json_object_get_string(json_object_object_get(*y, "Path")));
}

int bus_managed_objects_json(sd_bus_message *reply, json_object **ret) {
        _cleanup_json_ json_object *all = json_object_new_object();
        int r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY, "oa{sa{sv}}")) > 0) {
                const char *path;

                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{sa{sv}}");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY, "sa{sv}")) > 0) {
                        json_object *props = NULL, *list, *o;
                        const char *iface;

                        r = sd_bus_message_read(reply, "s", &iface);
                        if (r < 0)
                                return r;
                        r = bus_read_properties_json(reply, &props);
                        if (r < 0)
                                return r;
                        /* "Path" first, then the properties. */
                        o = json_object_new_object();
                        (void) json_object_object_add(o, "Path", json_object_new_string(path));
                        json_object_object_foreach(props, k, v)(void)
                                json_object_object_add(o, k, json_object_get(v));
                        json_object_put(props);
                        if (!json_object_object_get_ex(all, iface, &list)) {
                                list = json_object_new_array();
                                (void) json_object_object_add(all, iface, list);
                        }
                        (void) json_object_array_add(list, o);
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        json_object_object_foreach(all, k, list) {
                (void) k;
                json_object_array_sort(list, path_compare);
        }
        *ret = TAKE_PTR(all);
        return 0;
}
