/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs that change the machine: each starts a job in daxmgrd and follows it to its end. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "bus-json.h"
#include "cli.h"
#include "macro.h"
#include "ns-key.h"
#include "size.h"

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

int get_job(sd_bus *bus, const char *path, json_object **ret, sd_bus_error *e) {
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

/* @ret_result: the job's Result, parsed, when it ends well (NULL: not wanted). */
static int wait_job(sd_bus *bus, const char *what, const char *path, json_object **ret_result) {
        _cleanup_(bus_slot_unrefp) sd_bus_slot *slot_props = NULL;
        _cleanup_(bus_slot_unrefp) sd_bus_slot *slot_done = NULL;
        _cleanup_free_ char *last = NULL;
        bool quiet = arg.given & OPT_QUIET, tty = !quiet && isatty(STDERR_FILENO), changed = false;

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
                else if (!quiet && *text && (!last || strcmp(last, text) != 0)) {
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
                        if (quiet) {
                                if (ret_result)
                                        *ret_result = TAKE_PTR(res);
                                return EXIT_OK;
                        }
                        printf("%s: done", what);
                        if (res && json_object_is_type(res, json_type_object)) {
                                bool first = true;

                                json_object_object_foreach(res, k, v) {
                                        printf("%s %s %s", first ? ":" : ",", k, json_object_get_string(v));
                                        first = false;
                                }
                        }
                        putchar('\n');
                        if (ret_result)
                                *ret_result = TAKE_PTR(res);
                        return EXIT_OK;
                }
                r = wait_job_signal(bus, &changed);
                if (interrupted)
                        return job_interrupted(path);
                if (r < 0)
                        return bus_fail(what, NULL, r);
        }
}

/* Sends a mutating Manager method @m, prints or follows the job it returns (and gives its
 * Result in *ret_result when it ends well, if asked). */
static int run_job_result(sd_bus *bus, const char *what, sd_bus_message *m, json_object **ret_result) {
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
                if (!(arg.given & OPT_QUIET))
                        puts(path);
                return EXIT_OK;
        }
        if (interrupted)
                return job_interrupted(path);
        return wait_job(bus, what, path, ret_result);
}

static int run_job(sd_bus *bus, const char *what, sd_bus_message *m) {
        return run_job_result(bus, what, m, NULL);
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

int verb_reconcile(sd_bus *bus, char **args, size_t n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_json_ json_object *result = NULL;
        const char *what = "reconcile";
        json_object *steps;
        int r;

        CHECK(new_call(bus, "Reconcile", &m));
        CHECK(sd_bus_message_append(m, "a{sv}", 0));
        r = run_job_result(bus, what, m, &result);
        if (r != EXIT_OK || !(arg.given & OPT_DETAILED_EXITCODE))
                return r;
        /* A reconcile job's Result is {"steps": N}, the steps it carried out. */
        if (!result || !json_object_object_get_ex(result, "steps", &steps)) {
                fprintf(stderr, "daxmgr: %s: the job's result does not say how many steps it took\n", what);
                return EXIT_FAILURE_;
        }
        changes_found = json_object_get_int64(steps) > 0;
        return EXIT_OK;
}

int verb_reload(sd_bus *bus, char **args, size_t n) {
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
        if (!(arg.given & OPT_QUIET))
                puts("Configuration reloaded; the daemon reconciles it now.");
        return EXIT_OK;
}

int verb_create_namespace(sd_bus *bus, char **args, size_t n) {
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

int verb_destroy_namespace(sd_bus *bus, char **args, size_t n) {
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

int verb_format(sd_bus *bus, char **args, size_t n) {
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

char *absolute(const char *p) {
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

int verb_mount(sd_bus *bus, char **args, size_t n) {
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

int verb_unmount(sd_bus *bus, char **args, size_t n) {
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

int verb_zone(sd_bus *bus, char **args, size_t n) {
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

int verb_place(sd_bus *bus, char **args, size_t n) {
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

int verb_refresh(sd_bus *bus, char **args, size_t n) {
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

int verb_unplace(sd_bus *bus, char **args, size_t n) {
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
