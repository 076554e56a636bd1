/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tables of the daemon's objects, one per kind, that status and list print. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "cli.h"
#include "macro.h"
#include "model.h"
#include "size.h"
#include "strv.h"
#include "table.h"

/* ---------------------------------------------------------------- tables */

/* A table, or @none when it has no rows; with --no-legend (list only) the rows alone, and
 * nothing for none. */
static void print_table(const Table *t, const char *none) {
        if (arg.given & OPT_NO_LEGEND)
                table_print_rows(t, stdout);
        else if (table_rows(t) == 0)
                puts(none);
        else
                table_print(t, stdout, use_color);
}

int print_regions(json_object *list) {
        static const char *const h[] = { "REGION",       "KIND",     "SIZE",      "AVAILABLE",
                                         "LARGEST FREE", "LABELLED", "NAMESPACES" };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *ns;
                char n[24];

                snprintf(n, sizeof(n), "%zu",
                         json_object_object_get_ex(o, "Namespaces", &ns) ? json_object_array_length(ns) : 0);
                const char *row[] = { str(o, "Device"),
                                      dash(str(o, "Kind")),
                                      SIZE_FMT(u64(o, "Size")),
                                      SIZE_FMT(u64(o, "AvailableSize")),
                                      SIZE_FMT(u64(o, "MaxAvailableExtent")),
                                      boolean(o, "Labelled") ? "yes" : "no",
                                      n };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        print_table(t, "No pmem regions.");
        return 0;
}
int print_namespaces(json_object *list) {
        static const char *const h[] = {
                "NAMESPACE", "NAME", "MODE", "SIZE", "DEVICE", "FS", "MOUNT", "DAX"
        };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i);
                _cleanup_free_ char *mounts = join(o, "MountPoints");
                const char *dev = *str(o, "BlockDevice") ? str(o, "BlockDevice") : str(o, "CharDevice");
                const char *row[] = { str(o, "Device"), dash(str(o, "Name")),
                                      str(o, "Mode"),   SIZE_FMT(u64(o, "Size")),
                                      dash(dev),        dash(str(o, "Filesystem")),
                                      dash(mounts),     dash(str(o, "Dax")) };

                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        print_table(t, "No namespaces.");
        return 0;
}

int print_zones(json_object *list) {
        static const char *const h[] = { "ZONE", "MOUNTED", "PLACEMENTS", "CONFIG" };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *p;
                char n[24];

                snprintf(n, sizeof(n), "%zu",
                         json_object_object_get_ex(o, "Placements", &p) ? json_object_array_length(p) : 0);
                const char *row[] = { str(o, "Directory"), boolean(o, "Mounted") ? "yes" : "no", n,
                                      dash(str(o, "ConfigSection")) };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        print_table(t, "No zones.");
        return 0;
}

/* Under the table: which programs' copies had their p_align raised, and what that costs. */
static int print_placement_notes(json_object *list) {
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *a;
                _cleanup_strv_free_ char **raised = NULL;
                _cleanup_free_ char *note = NULL;

                if (!json_object_object_get_ex(o, "PAlignRaised", &a) ||
                    !json_object_is_type(a, json_type_array))
                        continue;
                for (size_t k = 0; k < json_object_array_length(a); k++)
                        if (strv_extend(&raised, json_object_get_string(json_object_array_get_idx(a, k))) <
                            0)
                                return -ENOMEM;
                if (placement_align_note(str(o, "Program"), raised, &note) < 0)
                        return -ENOMEM;
                if (note)
                        printf("%s\n", note);
        }
        return 0;
}

int print_placements(json_object *list) {
        static const char *const h[] = {
                "PROGRAM", "ZONE", "FILES", "SIZE", "2M WINDOWS", "REFRESH", "STALE"
        };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *f;
                char n[24], w[48];
                _cleanup_free_ char *stale = NULL;

                snprintf(n, sizeof(n), "%zu",
                         json_object_object_get_ex(o, "Files", &f) ? json_object_array_length(f) : 0);
                /* PMD-eligible windows of text, and how many of them lie aligned on the device. */
                if (u64(o, "PmdWindows") == 0)
                        snprintf(w, sizeof(w), "none");
                else
                        snprintf(w, sizeof(w), "%" PRIu64 "/%" PRIu64 " aligned",
                                 u64(o, "PmdWindowsAligned"), u64(o, "PmdWindows"));
                if (boolean(o, "Stale") && asprintf(&stale, "yes: %s", str(o, "StaleReason")) < 0)
                        return -ENOMEM;
                const char *row[] = {
                        str(o, "Program"),       str(o, "Zone"), n, SIZE_FMT(u64(o, "Size")), w,
                        str(o, "RefreshPolicy"), stale ?: "no"
                };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        print_table(t, "No placements.");
        if (!(arg.given & OPT_NO_LEGEND))
                return print_placement_notes(list);
        return 0;
}

/* The block and character devices of the namespaces, as list devices --json shows them. */
json_object *devices_of(json_object *namespaces) {
        json_object *list = json_object_new_array();

        for (size_t i = 0; list && namespaces && i < json_object_array_length(namespaces); i++) {
                json_object *ns = json_object_array_get_idx(namespaces, i);
                const char *devs[2] = { str(ns, "BlockDevice"), str(ns, "CharDevice") };

                for (size_t d = 0; d < 2; d++) {
                        _cleanup_free_ char *region = NULL;
                        json_object *o, *numa;

                        if (!*devs[d])
                                continue;
                        (void) sd_bus_path_decode(str(ns, "Region"), ROOT_PATH "/region", &region);
                        o = json_object_new_object();
                        (void) json_object_object_add(o, "Device", json_object_new_string(devs[d]));
                        (void) json_object_object_add(o, "Type",
                                                      json_object_new_string(d ? "char" : "block"));
                        (void) json_object_object_add(
                                o, "Mode",
                                json_object_new_string(d ? str(ns, "DaxDeviceMode") : str(ns, "Mode")));
                        (void) json_object_object_add(o, "Size", json_object_new_uint64(u64(ns, "Size")));
                        (void) json_object_object_add(
                                o, "NumaNode",
                                json_object_new_int(json_object_object_get_ex(ns, "NumaNode", &numa)
                                                            ? json_object_get_int(numa)
                                                            : -1));
                        (void) json_object_object_add(o, "Namespace",
                                                      json_object_new_string(str(ns, "Device")));
                        (void) json_object_object_add(o, "Name", json_object_new_string(str(ns, "Name")));
                        (void) json_object_object_add(o, "Region", json_object_new_string(region ?: ""));
                        (void) json_object_object_add(o, "NamespacePath",
                                                      json_object_new_string(str(ns, "Path")));
                        (void) json_object_array_add(list, o);
                }
        }
        return list;
}

int print_devices(json_object *list) {
        static const char *const h[] = { "DEVICE", "TYPE", "MODE", "SIZE", "NUMA", "NAMESPACE", "NAME" };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *v;
                char numa[24] = "-";

                if (json_object_object_get_ex(o, "NumaNode", &v) && json_object_get_int(v) >= 0)
                        snprintf(numa, sizeof(numa), "%d", json_object_get_int(v));
                const char *row[] = { str(o, "Device"),         str(o, "Type"), dash(str(o, "Mode")),
                                      SIZE_FMT(u64(o, "Size")), numa,           str(o, "Namespace"),
                                      dash(str(o, "Name")) };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        print_table(t, "No devices.");
        return 0;
}

int print_jobs(json_object *list) {
        static const char *const h[] = { "JOB", "OPERATION", "TARGET", "STATE", "PROGRESS", "MESSAGE" };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(h), h);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *p;
                char id[24], pct[24];

                snprintf(id, sizeof(id), "%" PRIu64, u64(o, "Id"));
                snprintf(pct, sizeof(pct), "%.0f%%",
                         json_object_object_get_ex(o, "Progress", &p) ? 100.0 * json_object_get_double(p)
                                                                      : 0.0);
                const char *row[] = { id,
                                      str(o, "Operation"),
                                      dash(str(o, "Target")),
                                      str(o, "State"),
                                      pct,
                                      dash(*str(o, "Message") ? str(o, "Message")
                                                              : str(o, "ProgressText")) };
                if (table_add_row(t, row) < 0)
                        return -ENOMEM;
        }
        print_table(t, "No jobs.");
        return 0;
}
