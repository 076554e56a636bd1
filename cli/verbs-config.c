/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config check [FILE... [--as DEST]]: the configuration validated without the daemon, the live
 * files alone or with candidate files (docs/CLI.md). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "cli.h"
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "macro.h"
#include "strv.h"

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

/* The live files, as config_load() finds and reads them, read here rather than by config_load()
 * so that a candidate can replace a live file that does not parse. main: whether paths[0] is the
 * main file. A file that vanished since the listing is left out, as config_load() does. */
typedef struct LiveFiles {
        char **paths, **texts;
        size_t *sizes, n;
        bool main;
} LiveFiles;

static void live_files_done(LiveFiles *l) {
        strv_free(l->paths);
        strv_free(l->texts);
        free(l->sizes);
}

static int live_files_read(const char *root, LiveFiles *l, char **error) {
        _cleanup_strv_free_ char **paths = NULL;
        size_t n;
        int r;

        r = config_files_list(root, &paths, &l->main, error);
        if (r < 0)
                return r;
        n = strv_length(paths);
        l->sizes = calloc(n ?: 1, sizeof(size_t));
        if (!l->sizes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *text = NULL;

                r = config_file_read(paths[i], &text, &l->sizes[l->n], error);
                if (r == -ENOENT) {
                        l->main = l->main && i > 0;
                        continue;
                }
                if (r < 0)
                        return r;
                if (strv_extend(&l->paths, paths[i]) < 0 || strv_consume(&l->texts, TAKE_PTR(text)) < 0)
                        return -ENOMEM;
                l->n++;
        }
        return 0;
}

/* config check FILE...: the live files with the candidates added as drop-ins read last, or with
 * --as DEST the one candidate in the place of the live file DEST names (the main file, or the
 * drop-in of that file name, in whichever directory), where that file would be read. */
static int config_load_candidates(char **files, size_t n, Config **ret, char ***ret_warnings, char **error) {
        _cleanup_(live_files_done) LiveFiles l = {};
        _cleanup_strv_free_ char **names = NULL, **texts = NULL;
        _cleanup_free_ size_t *sizes = NULL;
        const char *as_name = NULL;
        bool as_main = false;
        size_t at, total;
        int r;

        if (arg.as) {
                const char *slash = strrchr(arg.as, '/');

                as_name = slash ? slash + 1 : arg.as;
                as_main = strcmp(as_name, "daxmgr.conf") == 0 &&
                          (!slash || (slash - arg.as >= 7 && strncmp(slash - 7, "/daxmgr", 7) == 0));
        }
        r = live_files_read(arg.root ?: "", &l, error);
        if (r < 0)
                return r;

        /* Where the candidates go, and whether one replaces a live file. */
        at = l.n;
        total = l.n + n;
        if (arg.as && as_main) {
                at = 0;
                if (l.main)
                        total--;
        } else if (arg.as) {
                for (at = l.main ? 1 : 0; at < l.n; at++) {
                        int c = strcmp(strrchr(l.paths[at], '/') + 1, as_name);

                        if (c == 0)
                                total--;
                        if (c >= 0)
                                break;
                }
        }
        sizes = calloc(total ?: 1, sizeof(size_t));
        if (!sizes)
                return -ENOMEM;
        for (size_t i = 0, k = 0; i <= l.n; i++) {
                if (i == at)
                        for (size_t j = 0; j < n; j++, k++) {
                                _cleanup_free_ char *text = NULL, *name = NULL;

                                r = read_full_file(files[j], CONFIG_FILE_MAX, &text, &sizes[k]);
                                if (r == -EFBIG)
                                        return error_set(
                                                error, r,
                                                "%s: larger than %u KiB: daxmgr reads configuration "
                                                "files of at most that size",
                                                files[j], CONFIG_FILE_MAX / 1024);
                                if (r < 0)
                                        return error_set(error, r, "%s: cannot read it: %s", files[j],
                                                         strerror(-r));
                                if (arg.as && asprintf(&name, "%s (candidate %s)", arg.as, files[j]) < 0)
                                        return -ENOMEM;
                                if (strv_consume(&names, name ? TAKE_PTR(name) : strdup(files[j])) < 0 ||
                                    strv_consume(&texts, TAKE_PTR(text)) < 0)
                                        return -ENOMEM;
                        }
                if (i == l.n)
                        break;
                if (i == at && total < l.n + n)
                        continue; /* replaced */
                sizes[k++] = l.sizes[i];
                if (strv_extend(&names, l.paths[i]) < 0 || strv_extend(&texts, l.texts[i]) < 0)
                        return -ENOMEM;
        }
        return config_parse_texts(names, texts, sizes, total, ret, ret_warnings, error);
}

int verb_config(sd_bus *bus, char **args, size_t n) {
        _cleanup_config_ Config *c = NULL;
        _cleanup_free_ char *error = NULL, *daemon_error = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        bool system = !arg.root || strcmp(arg.root, "/") == 0 || !*arg.root;
        int r;

        if (n > 1 || (arg.given & OPT_AS)) {
                if (n == 1)
                        return usage_error("config check --as DEST: name the candidate FILE");
                if ((arg.given & OPT_AS) && n > 2)
                        return usage_error("config check --as DEST: one FILE takes the place of DEST");
                if ((arg.given & OPT_AS) &&
                    (strlen(arg.as) <= 5 || strcmp(arg.as + strlen(arg.as) - 5, ".conf") != 0))
                        return usage_error("config check --as %s: not daxmgr.conf nor a *.conf drop-in",
                                           arg.as);
                system = false; /* the daemon's error is not about these candidates */
                r = config_load_candidates(args + 1, n - 1, &c, &warnings, &error);
        } else
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
        if (arg.given & OPT_QUIET)
                return EXIT_OK; /* valid: the exit status says it */
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
