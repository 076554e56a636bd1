/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daxmgr-tool config-check: load and validate the declarative configuration, as the daemon's
 * --check-config will, and print the effective configuration. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"
#include "strv.h"
#include "config.h"
#include "tool.h"

static void print_size(const SizeSpec *s) {
        switch (s->kind) {
        case SIZE_BYTES:
                printf("%s", SIZE_FMT(s->bytes));
                break;
        case SIZE_PERCENT:
                if (s->basis_points % 100 == 0)
                        printf("%" PRIu32 "%%", s->basis_points / 100);
                else
                        printf("%" PRIu32 ".%02" PRIu32 "%%", s->basis_points / 100, s->basis_points % 100);
                printf(" of the region");
                break;
        case SIZE_REST:
                printf("the rest of the region");
                break;
        case _SIZE_KIND_MAX:
        default:
                break;
        }
}

/* One line per section: what the daemon will make of it. */
static void print_summary(const Config *c) {
        if (c->n_files == 0)
                printf("no configuration file: daxmgrd only observes\n");
        for (size_t i = 0; i < c->n_files; i++)
                printf("read %s\n", c->files[i]);

        for (size_t i = 0; i < c->n_namespaces; i++) {
                const ConfigNamespace *ns = &c->namespaces[i];
                _cleanup_free_ char *region = NULL;

                (void) config_region_format(&ns->region, &region);
                printf("namespace %s: %s, ", ns->name, namespace_mode_to_string(ns->mode));
                print_size(&ns->size);
                printf(", in %s%s", region ?: "?", ns->region.kind == CONFIG_REGION_ANY ? " region" : "");
                if (ns->align)
                        printf(", align %s", SIZE_FMT(ns->align));
                if (ns->mode == NAMESPACE_MODE_FSDAX) {
                        printf(", %s", fs_type_to_string(ns->filesystem));
                        if (ns->mount_point)
                                printf(" at %s (dax=%s%s%s)", ns->mount_point, dax_mode_to_string(ns->dax),
                                       ns->mount_options ? "," : "", ns->mount_options ?: "");
                }
                if (ns->mode == NAMESPACE_MODE_DEVDAX) {
                        if (ns->system_ram != CONFIG_SYSTEM_RAM_NO)
                                printf(", system RAM (%s)", config_system_ram_to_string(ns->system_ram));
                        if (ns->owner || ns->group)
                                printf(", owner %s:%s", ns->owner ?: "-", ns->group ?: "-");
                        if (ns->permissions != (mode_t) -1)
                                printf(", mode %04o", (unsigned) ns->permissions);
                }
                printf("%s\n", ns->destroy ? ", may be destroyed to match" : "");
        }
        for (size_t i = 0; i < c->n_zones; i++)
                printf("zone %s: %s (namespace %s)\n", c->zones[i].name, c->zones[i].path,
                       c->zones[i].namespace);
        for (size_t i = 0; i < c->n_placements; i++) {
                const ConfigPlacement *p = &c->placements[i];

                printf("placement %s: %s%s in zone %s", p->name, p->program,
                       p->with_libraries ? " with its libraries" : "", p->zone);
                if (p->service)
                        printf(", for %s", p->service);
                if (p->entry_point)
                        printf(", entry point");
                if (p->bind_host)
                        printf(", bound host-wide");
                printf("\n");
        }
}

int verb_config_check(int argc, char *argv[]) {
        static const struct option options[] = {
                { "root", required_argument, NULL, 'r' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_config_ Config *c = NULL;
        _cleanup_free_ char *e = NULL;
        const char *root = "";
        bool json = false;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "r:jh", options, NULL)) >= 0)
                switch (opt) {
                case 'r':
                        root = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                default:
                        fprintf(stderr, "Usage: daxmgr-tool %s [--root DIR] [--json]\n", argv[0]);
                        return 2;
                }
        if (optind != argc) {
                fprintf(stderr, "Usage: daxmgr-tool %s [--root DIR] [--json]\n", argv[0]);
                return 2;
        }

        r = config_load(root, &c, &warnings, &e);
        if (r < 0)
                return tool_fail(argv[0], e, r);
        for (char **w = warnings; w && *w; w++)
                fprintf(stderr, "daxmgr-tool %s: warning: %s\n", argv[0], *w);

        if (json) {
                json_object *j;

                r = config_to_json(c, &j);
                if (r < 0)
                        return tool_fail(argv[0], NULL, r);
                printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(j);
        } else
                print_summary(c);
        return 0;
}
