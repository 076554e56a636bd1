/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daxmgr-tool verbs for XIP zones and placements. State lives in --state-dir (default
 * /var/lib/daxmgr), as the daemon will keep it. */

#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "place.h"
#include "tool.h"

typedef struct PlaceArgs {
        const char *state_dir, *unit, *dropin_root;
        bool with_libs, force, bind_host;
        int optind;
} PlaceArgs;

static int parse_place_args(int argc, char *argv[], PlaceArgs *a) {
        static const struct option options[] = {
                { "state-dir", required_argument, NULL, 's' },
                { "with-libs", no_argument, NULL, 'l' },
                { "force", no_argument, NULL, 'f' },
                { "unit", required_argument, NULL, 'u' },
                { "dropin-root", required_argument, NULL, 'd' },
                { "bind-host", no_argument, NULL, 'b' },
                {},
        };
        int c;

        /* No --dropin-root: the drop-in is recorded in the state for daxmgr-generator. */
        *a = (PlaceArgs){ .state_dir = getenv("DAXMGR_STATE_DIR") ?: "/var/lib/daxmgr" };
        optind = 1;
        while ((c = getopt_long(argc, argv, "s:lfu:d:b", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        a->state_dir = optarg;
                        break;
                case 'l':
                        a->with_libs = true;
                        break;
                case 'f':
                        a->force = true;
                        break;
                case 'u':
                        a->unit = optarg;
                        break;
                case 'd':
                        a->dropin_root = optarg;
                        break;
                case 'b':
                        a->bind_host = true;
                        break;
                default:
                        return -EINVAL;
                }
        a->optind = optind;
        return 0;
}

static int load(const char *verb, const PlaceArgs *a, PlaceState **ret) {
        _cleanup_free_ char *e = NULL;
        int r = place_state_load(a->state_dir, ret, &e);

        if (r < 0)
                tool_fail(verb, e, r);
        return r;
}

static int save(const char *verb, const PlaceState *s) {
        _cleanup_free_ char *e = NULL;
        int r = place_state_save(s, &e);

        if (r < 0)
                tool_fail(verb, e, r);
        return r;
}

int verb_zone_create(int argc, char *argv[]) {
        _cleanup_place_state_ PlaceState *s = NULL;
        _cleanup_free_ char *e = NULL;
        PlaceArgs a;

        if (parse_place_args(argc, argv, &a) < 0 || a.optind != argc - 1) {
                fprintf(stderr, "daxmgr-tool zone-create: give one directory\n");
                return 2;
        }
        if (load(argv[0], &a, &s) < 0)
                return 1;
        if (zone_create(s, argv[a.optind], &e) < 0)
                return tool_fail(argv[0], e, -EIO);
        return save(argv[0], s) < 0 ? 1 : 0;
}

/* After placing: a warning for each copy of the program whose 2 MiB windows of text are not
 * aligned on the device (placement_layout_warning() of the layout recorded when it was copied). */
static void print_layout_warnings(const PlaceState *s, const char *zone, const char *program) {
        _cleanup_free_ char *real = realpath(program, NULL);

        for (size_t i = 0; real && i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *w = NULL;

                if (strcmp(p->zone, zone) != 0 || strcmp(p->program, real) != 0)
                        continue;
                if (p->layout_known && placement_layout_warning(p->copy, &p->layout, &w) >= 0 && w)
                        fprintf(stderr, "daxmgr-tool place: warning: %s\n", w);
                free(w);
                w = NULL;
                if (placement_prime_warning(p, &w) >= 0 && w)
                        fprintf(stderr, "daxmgr-tool place: warning: %s\n", w);
        }
}

/* The 2 MiB layout of a copy: its PMD-eligible windows and how many are aligned on the device. */
int verb_layout(int argc, char *argv[]) {
        _cleanup_free_ char *e = NULL, *w = NULL;
        PlacementLayout l;
        int r;

        if (argc != 2) {
                fprintf(stderr, "daxmgr-tool layout: give one file\n");
                return 2;
        }
        r = placement_layout(argv[1], &l, &e);
        if (r < 0)
                return tool_fail(argv[0], e, r);
        printf("%s: %" PRIu64 " PMD-eligible 2 MiB window(s), %.1f%% of %" PRIu64 " bytes of text; ",
               argv[1], l.windows, 100.0 * l.coverage, l.text_bytes);
        if (l.extents_known)
                printf("%" PRIu64 " of them 2 MiB-aligned on the device (FIEMAP)\n", l.aligned_windows);
        else
                printf("extents unknown (no FIEMAP)\n");
        if (placement_layout_warning(argv[1], &l, &w) >= 0 && w)
                printf("warning: %s\n", w);
        return 0;
}

int verb_place(int argc, char *argv[]) {
        _cleanup_place_state_ PlaceState *s = NULL;
        _cleanup_free_ char *e = NULL;
        PlaceArgs a;
        int r;

        if (parse_place_args(argc, argv, &a) < 0 || a.optind != argc - 2) {
                fprintf(stderr, "daxmgr-tool place: give a zone and an absolute program path\n");
                return 2;
        }
        if (load(argv[0], &a, &s) < 0)
                return 1;
        r = place_and_activate(s,
                               &(PlaceActivation){ .zone = argv[a.optind],
                                                   .program = argv[a.optind + 1],
                                                   .place = true,
                                                   .with_libraries = a.with_libs },
                               NULL, NULL, &e);
        if (r < 0)
                return tool_fail(argv[0], e, r);
        print_layout_warnings(s, argv[a.optind], argv[a.optind + 1]);
        return 0;
}

int verb_unplace(int argc, char *argv[]) {
        _cleanup_place_state_ PlaceState *s = NULL;
        _cleanup_free_ char *e = NULL;
        PlaceArgs a;
        int r;

        if (parse_place_args(argc, argv, &a) < 0 || a.optind != argc - 2) {
                fprintf(stderr, "daxmgr-tool unplace: give a zone and the program\n");
                return 2;
        }
        if (load(argv[0], &a, &s) < 0)
                return 1;
        r = place_remove(s, argv[a.optind], argv[a.optind + 1], a.force, &e);
        if (r < 0)
                return tool_fail(argv[0], e, r);
        return save(argv[0], s) < 0 ? 1 : 0;
}

/* Lists placements with their stale state, as JSON; --refresh copies stale ones again. */
int verb_placements(int argc, char *argv[]) {
        _cleanup_place_state_ PlaceState *s = NULL;
        bool refresh = false;
        json_object *arr;
        PlaceArgs a;
        int failed = 0;

        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--refresh") == 0) {
                        refresh = true;
                        memmove(argv + i, argv + i + 1, (size_t) (argc - i - 1) * sizeof(char *));
                        argc--;
                        break;
                }
        if (parse_place_args(argc, argv, &a) < 0 || a.optind != argc) {
                fprintf(stderr, "daxmgr-tool placements: [--refresh] [--state-dir DIR]\n");
                return 2;
        }
        if (load(argv[0], &a, &s) < 0)
                return 1;

        arr = json_object_new_array();
        for (size_t i = 0; i < s->n_placements; i++) {
                Placement *p = &s->placements[i];
                _cleanup_free_ char *why = NULL, *e = NULL;
                bool stale = false;
                json_object *o = json_object_new_object();

                if (placement_is_stale(p, &stale, &why) < 0)
                        stale = true;
                if (stale && refresh) {
                        if (placement_refresh(s, p, &e) < 0) {
                                fprintf(stderr, "daxmgr-tool placements: %s\n", error_message(e, -EIO));
                                failed++;
                        } else {
                                p = &s->placements[i];
                                free(why);
                                why = NULL;
                                stale = false;
                        }
                }
                (void) json_object_object_add(o, "zone", json_object_new_string(p->zone));
                (void) json_object_object_add(o, "program", json_object_new_string(p->program));
                (void) json_object_object_add(o, "role",
                                              json_object_new_string(place_role_to_string(p->role)));
                (void) json_object_object_add(o, "source", json_object_new_string(p->source));
                (void) json_object_object_add(o, "copy", json_object_new_string(p->copy));
                (void) json_object_object_add(o, "sha256", json_object_new_string(p->sha256));
                if (p->hash_pending)
                        (void) json_object_object_add(o, "sha256_pending", json_object_new_boolean(true));
                (void) json_object_object_add(o, "stale", json_object_new_boolean(stale));
                (void) json_object_object_add(o, "why", why ? json_object_new_string(why) : NULL);
                (void) json_object_array_add(arr, o);
        }
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
        if (refresh && save(argv[0], s) < 0)
                return 1;
        return failed ? 1 : 0;
}

int verb_activate(int argc, char *argv[]) {
        _cleanup_place_state_ PlaceState *s = NULL;
        _cleanup_free_ char *e = NULL, *entry = NULL, *dropin = NULL;
        PlaceArgs a;
        int r;

        if (parse_place_args(argc, argv, &a) < 0 || a.optind != argc - 2) {
                fprintf(stderr,
                        "daxmgr-tool activate: ZONE PROGRAM [--unit UNIT [--dropin-root DIR]]: a drop-in "
                        "for UNIT, or without --unit an entry point in ZONE/bin\n");
                return 2;
        }
        if (load(argv[0], &a, &s) < 0)
                return 1;
        /* One activation of what is placed: --bind-host, else --unit, else the entry point. A
         * drop-in is recorded in the state (saved) for daxmgr-generator, and written into
         * --dropin-root too when given: the caller reloads systemd. */
        r = place_and_activate(s,
                               &(PlaceActivation){ .zone = argv[a.optind],
                                                   .program = argv[a.optind + 1],
                                                   .entry_point = !a.bind_host && !a.unit,
                                                   .service = a.bind_host ? NULL : a.unit,
                                                   .dropin_root = a.dropin_root,
                                                   .no_reload = true,
                                                   .bind_host = a.bind_host },
                               &entry, &dropin, &e);
        if (r < 0)
                return tool_fail(argv[0], e, r);
        printf("%s\n", a.bind_host ? "bound read-only over the host's files" : a.unit ? dropin : entry);
        return 0;
}

int verb_deactivate(int argc, char *argv[]) {
        _cleanup_place_state_ PlaceState *s = NULL;
        _cleanup_free_ char *e = NULL;
        PlaceArgs a;
        int r;

        if (parse_place_args(argc, argv, &a) < 0 || a.optind != argc - 2 || (!a.unit && !a.bind_host)) {
                fprintf(stderr, "daxmgr-tool deactivate: ZONE PROGRAM --unit UNIT | --bind-host\n");
                return 2;
        }
        if (load(argv[0], &a, &s) < 0)
                return 1;
        if (a.bind_host)
                r = place_unbind_host(s, argv[a.optind], argv[a.optind + 1], &e);
        else {
                r = place_set_dropin_unit(s, argv[a.optind], argv[a.optind + 1], NULL, &e);
                if (r >= 0)
                        r = place_state_save(s, &e);
                if (r >= 0 && a.dropin_root)
                        r = place_remove_dropin(a.unit, a.dropin_root, &e);
        }
        return r < 0 ? tool_fail(argv[0], e, r) : 0;
}
