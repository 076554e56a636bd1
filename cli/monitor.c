/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daxmgr monitor: the daemon's signals as one line each (or one JSON object each) until Ctrl-C. */

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-json.h"
#include "cli.h"
#include "macro.h"
#include "size.h"

/* ---------------------------------------------------------------- monitor */

static const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);

        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

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
        /* One line per event, unless --json=pretty asked for indented objects. */
        puts(json_object_to_json_string_ext(
                o, (arg.json == JSON_PRETTY ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) |
                           JSON_C_TO_STRING_NOSLASHESCAPE));
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

int verb_monitor(sd_bus *bus, char **args, size_t n) {
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
