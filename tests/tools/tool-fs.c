/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daxmgr-tool verbs for file systems and device-dax: format, mount, unmount, check-path,
 * devdax-set, devdax-mode. Results are JSON on stdout, with the time the operation took. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "dax-mount.h"
#include "devdax.h"
#include "error.h"
#include "format.h"
#include "tool.h"

static int usage(const char *verb, const char *synopsis) {
        fprintf(stderr, "Usage: daxmgr-tool %s %s\n", verb, synopsis);
        return 2;
}

static double now(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void print_json(json_object *j) {
        printf("%s\n",
               json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
}

static json_object *json_string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

/* Seconds since @t0, printed with millisecond precision. */
static json_object *json_seconds(double t0) {
        double d = now() - t0;
        char s[32];

        (void) snprintf(s, sizeof(s), "%.3f", d);
        return json_object_new_double_s(d, s);
}

int verb_format(int argc, char *argv[]) {
        static const char synopsis[] = "DEV --fs xfs|ext4 [--force] [--label L] [--uuid U]";
        static const struct option options[] = {
                { "fs", required_argument, NULL, 't' },    { "force", no_argument, NULL, 'f' },
                { "label", required_argument, NULL, 'L' }, { "uuid", required_argument, NULL, 'U' },
                { "help", no_argument, NULL, 'h' },        {},
        };
        FormatOptions o = { .fs = _FS_TYPE_INVALID };
        _cleanup_free_ char *error = NULL, *uuid = NULL;
        json_object *j;
        double t0;
        int c, r;

        while ((c = getopt_long(argc, argv, "t:fL:U:h", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        o.fs = fs_type_from_string(optarg);
                        if (o.fs < 0) {
                                fprintf(stderr,
                                        "daxmgr-tool format: unknown file system \"%s\" (xfs or ext4)\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case 'f':
                        o.force = true;
                        break;
                case 'L':
                        o.label = optarg;
                        break;
                case 'U':
                        o.uuid = optarg;
                        break;
                default:
                        return usage(argv[0], synopsis);
                }
        if (optind != argc - 1 || o.fs < 0)
                return usage(argv[0], synopsis);

        t0 = now();
        r = format_device(argv[optind], &o, &uuid, &error);
        if (r < 0)
                return tool_fail(argv[0], error, r);

        j = json_object_new_object();
        json_object_object_add(j, "device", json_object_new_string(argv[optind]));
        json_object_object_add(j, "fs", json_object_new_string(fs_type_to_string(o.fs)));
        json_object_object_add(j, "uuid", json_string_or_null(uuid));
        json_object_object_add(j, "label", json_string_or_null(o.label));
        json_object_object_add(j, "seconds", json_seconds(t0));
        print_json(j);
        return 0;
}

int verb_mount(int argc, char *argv[]) {
        static const char synopsis[] = "DEV DIR [--dax always|inode] [--fs T] [--options O]";
        static const struct option options[] = {
                { "dax", required_argument, NULL, 'd' },
                { "fs", required_argument, NULL, 't' },
                { "options", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        DaxMountRequest req = { .dax = DAX_MODE_ALWAYS };
        _cleanup_free_ char *error = NULL;
        json_object *j;
        double t0;
        int c, r;

        while ((c = getopt_long(argc, argv, "d:t:o:h", options, NULL)) >= 0)
                switch (c) {
                case 'd':
                        req.dax = dax_mode_from_string(optarg);
                        if (req.dax != DAX_MODE_ALWAYS && req.dax != DAX_MODE_INODE) {
                                fprintf(stderr,
                                        "daxmgr-tool mount: --dax takes always or inode, not \"%s\"\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case 't':
                        req.fstype = optarg;
                        break;
                case 'o':
                        req.options = optarg;
                        break;
                default:
                        return usage(argv[0], synopsis);
                }
        if (optind != argc - 2)
                return usage(argv[0], synopsis);

        t0 = now();
        r = dax_mount(argv[optind], argv[optind + 1], &req, &error);
        if (r < 0)
                return tool_fail(argv[0], error, r);

        j = json_object_new_object();
        json_object_object_add(j, "device", json_object_new_string(argv[optind]));
        json_object_object_add(j, "mountpoint", json_object_new_string(argv[optind + 1]));
        json_object_object_add(j, "dax", json_object_new_string(dax_mode_to_string(req.dax)));
        json_object_object_add(j, "result", json_object_new_string(r > 0 ? "already mounted" : "mounted"));
        json_object_object_add(j, "seconds", json_seconds(t0));
        print_json(j);
        return 0;
}

int verb_unmount(int argc, char *argv[]) {
        _cleanup_free_ char *error = NULL;
        json_object *j;
        double t0;
        int r;

        if (argc != 2 || argv[1][0] == '-')
                return usage(argv[0], "DIR");

        t0 = now();
        r = dax_unmount(argv[1], &error);
        if (r < 0)
                return tool_fail(argv[0], error, r);

        j = json_object_new_object();
        json_object_object_add(j, "mountpoint", json_object_new_string(argv[1]));
        json_object_object_add(j, "result", json_object_new_string("unmounted"));
        json_object_object_add(j, "seconds", json_seconds(t0));
        print_json(j);
        return 0;
}

static json_object *json_tristate(int v) {
        return v < 0 ? NULL : json_object_new_boolean(v);
}

int verb_check_path(int argc, char *argv[]) {
        _cleanup_free_ char *error = NULL;
        DaxPathInfo i = {};
        json_object *j;
        int r;

        if (argc != 2 || argv[1][0] == '-')
                return usage(argv[0], "PATH");

        r = dax_path_check(argv[1], &i, &error);
        if (r < 0)
                return tool_fail(argv[0], error, r);

        j = json_object_new_object();
        json_object_object_add(j, "path", json_object_new_string(i.path));
        json_object_object_add(j, "type", json_object_new_string(i.is_dir ? "directory" : "file"));
        json_object_object_add(j, "dax", json_object_new_boolean(i.dax));
        json_object_object_add(j, "dax_reported", json_object_new_boolean(i.dax_reported));
        json_object_object_add(j, "probed", json_object_new_boolean(i.probed));
        json_object_object_add(j, "fs", json_string_or_null(i.fstype));
        json_object_object_add(j, "source", json_string_or_null(i.source));
        json_object_object_add(j, "mountpoint", json_string_or_null(i.mountpoint));
        json_object_object_add(j, "options", json_string_or_null(i.options));
        json_object_object_add(j, "dax_mode", json_string_or_null(dax_mode_to_string(i.dax_mode)));
        json_object_object_add(j, "dax_flag", json_tristate(i.dax_flag));
        json_object_object_add(j, "device", json_string_or_null(i.device));
        json_object_object_add(j, "queue_dax", json_tristate(i.queue_dax));
        json_object_object_add(j, "why_not", json_string_or_null(i.why_not));
        dax_path_info_done(&i);
        print_json(j);
        return 0;
}

int verb_devdax_set(int argc, char *argv[]) {
        static const char synopsis[] = "DEV [--owner U] [--group G] [--mode 0660]";
        static const struct option options[] = {
                { "owner", required_argument, NULL, 'u' },
                { "group", required_argument, NULL, 'g' },
                { "mode", required_argument, NULL, 'm' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_free_ char *error = NULL, *msg = NULL;
        uid_t uid = (uid_t) -1;
        gid_t gid = (gid_t) -1;
        mode_t mode = (mode_t) -1;
        json_object *j;
        int c, r;

        while ((c = getopt_long(argc, argv, "u:g:m:h", options, NULL)) >= 0)
                switch (c) {
                case 'u':
                        r = devdax_parse_user(optarg, &uid);
                        if (r == -ESRCH) {
                                msg = asprintf_safe("there is no user \"%s\"", optarg);
                                return tool_fail(argv[0], msg, r);
                        }
                        if (r < 0) {
                                fprintf(stderr, "daxmgr-tool devdax-set: \"%s\" is not a user name or id\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case 'g':
                        r = devdax_parse_group(optarg, &gid);
                        if (r == -ESRCH) {
                                msg = asprintf_safe("there is no group \"%s\"", optarg);
                                return tool_fail(argv[0], msg, r);
                        }
                        if (r < 0) {
                                fprintf(stderr, "daxmgr-tool devdax-set: \"%s\" is not a group name or id\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case 'm':
                        if (devdax_parse_mode(optarg, &mode) < 0) {
                                fprintf(stderr,
                                        "daxmgr-tool devdax-set: \"%s\" is not an octal permission mode "
                                        "(such as "
                                        "0660)\n",
                                        optarg);
                                return 2;
                        }
                        break;
                default:
                        return usage(argv[0], synopsis);
                }
        if (optind != argc - 1)
                return usage(argv[0], synopsis);

        r = devdax_set_access(argv[optind], uid, gid, mode, &error);
        if (r < 0)
                return tool_fail(argv[0], error, r);

        j = json_object_new_object();
        json_object_object_add(j, "device", json_object_new_string(argv[optind]));
        json_object_object_add(j, "uid", uid == (uid_t) -1 ? NULL : json_object_new_int64(uid));
        json_object_object_add(j, "gid", gid == (gid_t) -1 ? NULL : json_object_new_int64(gid));
        if (mode != (mode_t) -1) {
                char m[16];

                (void) snprintf(m, sizeof(m), "%04o", (unsigned) mode);
                json_object_object_add(j, "mode", json_object_new_string(m));
        } else
                json_object_object_add(j, "mode", NULL);
        print_json(j);
        return 0;
}

int verb_devdax_mode(int argc, char *argv[]) {
        static const char synopsis[] = "DEV devdax|system-ram [--movable|--no-movable]";
        static const struct option options[] = {
                { "movable", no_argument, NULL, 'm' },
                { "no-movable", no_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_free_ char *error = NULL;
        DevdaxState st = {};
        bool movable = true;
        DevdaxMode mode;
        json_object *j;
        double t0;
        int c, r;

        while ((c = getopt_long(argc, argv, "mnh", options, NULL)) >= 0)
                switch (c) {
                case 'm':
                        movable = true;
                        break;
                case 'n':
                        movable = false;
                        break;
                default:
                        return usage(argv[0], synopsis);
                }
        if (optind != argc - 2)
                return usage(argv[0], synopsis);
        mode = devdax_mode_from_string(argv[optind + 1]);
        if (mode < 0) {
                fprintf(stderr, "daxmgr-tool devdax-mode: the mode is devdax or system-ram, not \"%s\"\n",
                        argv[optind + 1]);
                return 2;
        }

        t0 = now();
        r = devdax_set_mode(argv[optind], mode, movable, &error);
        if (r < 0)
                return tool_fail(argv[0], error, r);
        j = json_object_new_object();
        json_object_object_add(j, "device", json_object_new_string(argv[optind]));
        json_object_object_add(j, "changed", json_object_new_boolean(r == 0));
        json_object_object_add(j, "seconds", json_seconds(t0));
        if (devdax_get_state(argv[optind], &st, NULL) >= 0) {
                json_object_object_add(j, "mode", json_object_new_string(devdax_mode_to_string(st.mode)));
                json_object_object_add(j, "enabled", json_object_new_boolean(st.enabled));
                json_object_object_add(j, "size", json_object_new_uint64(st.size));
                json_object_object_add(j, "memory_blocks", json_object_new_int(st.memory_blocks));
                json_object_object_add(j, "online_blocks", json_object_new_int(st.online_blocks));
                json_object_object_add(j, "movable", json_object_new_boolean(st.movable));
                devdax_state_done(&st);
        }
        print_json(j);
        return 0;
}
