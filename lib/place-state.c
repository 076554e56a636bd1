/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The placement state: the record of zones and placements, and its file (JSON, written
 * atomically). */

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf-advice.h"
#include "error.h"
#include "fs-util.h"
#include "parse-util.h"
#include "place-internal.h"
#include "string-table.h"

/* Creates the directory that will hold @path, and its parents. */
int mkdir_parent_of(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        return mkdir_parents(dir, 0755, NULL);
}
static const char *const place_role_table[_PLACE_ROLE_MAX] = {
        [PLACE_PROGRAM] = "program",
        [PLACE_LIBRARY] = "library",
        [PLACE_INTERPRETER] = "interpreter",
};
DEFINE_STRING_TABLE_LOOKUP(place_role, PlaceRole)

void placement_done(Placement *p) {
        free(p->zone);
        free(p->source);
        free(p->copy);
        free(p->program);
        free(p->service);
        free(p->dropin_unit);
        free(p->applied_service);
        *p = (Placement){};
}

PlaceState *place_state_free(PlaceState *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_placements; i++)
                placement_done(&s->placements[i]);
        free(s->placements);
        for (size_t i = 0; i < s->n_zones; i++)
                free(s->zones[i]);
        free(s->zones);
        free(s->file);
        free(s);
        return NULL;
}

/* ---- state file ------------------------------------------------------------------------- */

int place_state_to_json(const PlaceState *s, json_object **ret) {
        json_object *o = json_object_new_object(), *zones = json_object_new_array(),
                    *ps = json_object_new_array();

        if (!o || !zones || !ps) {
                json_object_put(o);
                json_object_put(zones);
                json_object_put(ps);
                return -ENOMEM;
        }
        for (size_t i = 0; i < s->n_zones; i++)
                (void) json_object_array_add(zones, json_object_new_string(s->zones[i]));
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                json_object *j = json_object_new_object();

                (void) json_object_object_add(j, "zone", json_object_new_string(p->zone));
                (void) json_object_object_add(j, "source", json_object_new_string(p->source));
                (void) json_object_object_add(j, "copy", json_object_new_string(p->copy));
                (void) json_object_object_add(j, "role",
                                              json_object_new_string(place_role_to_string(p->role)));
                (void) json_object_object_add(j, "program", json_object_new_string(p->program));
                (void) json_object_object_add(j, "dev", json_object_new_uint64(p->dev));
                (void) json_object_object_add(j, "ino", json_object_new_uint64(p->ino));
                (void) json_object_object_add(j, "size", json_object_new_uint64(p->size));
                (void) json_object_object_add(j, "mtime_ns", json_object_new_int64(p->mtime_ns));
                if (p->ctime_ns != 0)
                        (void) json_object_object_add(j, "ctime_ns", json_object_new_int64(p->ctime_ns));
                (void) json_object_object_add(j, "sha256", json_object_new_string(p->sha256));
                if (p->hash_pending) {
                        /* Older versions ignore it and read "sha256" (64 zeros: a hash no content
                         * has): a changed original is then stale for them, and placed again. */
                        json_object *a = json_object_new_object();

                        (void) json_object_object_add(a, "ino",
                                                      json_object_new_uint64(p->copy_identity.ino));
                        (void) json_object_object_add(a, "size",
                                                      json_object_new_uint64(p->copy_identity.size));
                        (void) json_object_object_add(a, "mtime_ns",
                                                      json_object_new_int64(p->copy_identity.mtime_ns));
                        (void) json_object_object_add(a, "ctime_ns",
                                                      json_object_new_int64(p->copy_identity.ctime_ns));
                        (void) json_object_object_add(j, "sha256_pending", a);
                }
                if (p->has_activation) {
                        json_object *a = json_object_new_object();

                        (void) json_object_object_add(
                                a, "refresh", json_object_new_string(p->refresh_manual ? "manual" : "auto"));
                        (void) json_object_object_add(a, "entry_point",
                                                      json_object_new_boolean(p->entry_point));
                        (void) json_object_object_add(a, "bind_host", json_object_new_boolean(p->bind_host));
                        if (p->service)
                                (void) json_object_object_add(a, "service",
                                                              json_object_new_string(p->service));
                        (void) json_object_object_add(j, "activation", a);
                }
                if (p->dropin_unit)
                        (void) json_object_object_add(j, "dropin_unit",
                                                      json_object_new_string(p->dropin_unit));
                if (p->applied_service || p->applied_entry_point || p->applied_bind_host) {
                        json_object *a = json_object_new_object();

                        if (p->applied_service)
                                (void) json_object_object_add(a, "service",
                                                              json_object_new_string(p->applied_service));
                        if (p->applied_entry_point)
                                (void) json_object_object_add(a, "entry_point",
                                                              json_object_new_boolean(true));
                        if (p->applied_bind_host)
                                (void) json_object_object_add(a, "bind_host", json_object_new_boolean(true));
                        (void) json_object_object_add(j, "applied", a);
                }
                if (p->layout_known) {
                        json_object *a = json_object_new_object();

                        (void) json_object_object_add(a, "text_bytes",
                                                      json_object_new_uint64(p->layout.text_bytes));
                        (void) json_object_object_add(a, "pmd_windows",
                                                      json_object_new_uint64(p->layout.windows));
                        (void) json_object_object_add(a, "pmd_windows_aligned",
                                                      json_object_new_uint64(p->layout.aligned_windows));
                        (void) json_object_object_add(a, "extents_known",
                                                      json_object_new_boolean(p->layout.extents_known));
                        (void) json_object_object_add(j, "layout", a);
                }
                if (p->n_aligned > 0) {
                        json_object *a = json_object_new_array();

                        for (size_t k = 0; a && k < p->n_aligned; k++) {
                                json_object *e = json_object_new_object();

                                (void) json_object_object_add(e, "phdr",
                                                              json_object_new_uint64(p->aligned[k].phdr));
                                (void) json_object_object_add(e, "was",
                                                              json_object_new_uint64(p->aligned[k].was));
                                (void) json_object_array_add(a, e);
                        }
                        (void) json_object_object_add(j, "p_align_raised", a);
                }
                (void) json_object_array_add(ps, j);
        }
        (void) json_object_object_add(o, "version", json_object_new_int(1));
        (void) json_object_object_add(o, "zones", zones);
        (void) json_object_object_add(o, "placements", ps);
        *ret = o;
        return 0;
}

static int json_str(json_object *o, const char *key, char **ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int json_u64(json_object *o, const char *key, uint64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
            json_object_get_int64(v) < 0)
                return -EBADMSG;
        *ret = json_object_get_uint64(v);
        return 0;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t l = strlen(s), n = strlen(suffix);

        return l >= n && strcmp(s + l - n, suffix) == 0;
}

/* Absolute and canonical: no "//", no "." or ".." component, no trailing slash. */
bool is_abs_clean_path(const char *p) {
        return p && p[0] == '/' && !strstr(p, "/../") && !strstr(p, "/./") && !strstr(p, "//") &&
               !ends_with(p, "/..") && !ends_with(p, "/.") && (p[1] == '\0' || !ends_with(p, "/")) &&
               strlen(p) < PATH_MAX;
}

/* What the placement was asked for (a program placed by hand). */
static int activation_from_json(json_object *v, const char *file, size_t i, Placement *p, char **ret_error) {
        json_object *w;

        if (!json_object_is_type(v, json_type_object))
                return error_set(ret_error, -EBADMSG, "%s: placements[%zu].activation is not an object",
                                 file, i);
        p->has_activation = true;
        if (json_object_object_get_ex(v, "refresh", &w))
                p->refresh_manual = json_object_is_type(w, json_type_string) &&
                                    strcmp(json_object_get_string(w), "manual") == 0;
        if (json_object_object_get_ex(v, "entry_point", &w))
                p->entry_point = json_object_get_boolean(w);
        if (json_object_object_get_ex(v, "bind_host", &w))
                p->bind_host = json_object_get_boolean(w);
        if (json_object_object_get_ex(v, "service", &w)) {
                if (!json_object_is_type(w, json_type_string) ||
                    !service_name_is_valid(json_object_get_string(w)))
                        return error_set(ret_error, -EBADMSG,
                                         "%s: placements[%zu].activation.service is not a "
                                         "service unit name",
                                         file, i);
                p->service = strdup(json_object_get_string(w));
                if (!p->service)
                        return -ENOMEM;
        }
        return 0;
}

/* What the reconcile made for a configured placement. */
static int applied_from_json(json_object *v, const char *file, size_t i, Placement *p, char **ret_error) {
        json_object *w;

        if (!json_object_is_type(v, json_type_object))
                return error_set(ret_error, -EBADMSG, "%s: placements[%zu].applied is not an object", file,
                                 i);
        if (json_object_object_get_ex(v, "entry_point", &w))
                p->applied_entry_point = json_object_get_boolean(w);
        if (json_object_object_get_ex(v, "bind_host", &w))
                p->applied_bind_host = json_object_get_boolean(w);
        if (json_object_object_get_ex(v, "service", &w)) {
                if (!json_object_is_type(w, json_type_string) ||
                    !service_name_is_valid(json_object_get_string(w)))
                        return error_set(ret_error, -EBADMSG,
                                         "%s: placements[%zu].applied.service is not a "
                                         "service unit name",
                                         file, i);
                p->applied_service = strdup(json_object_get_string(w));
                if (!p->applied_service)
                        return -ENOMEM;
        }
        return 0;
}

/* The copy's 2 MiB layout, recorded when it was written. */
static int layout_from_json(json_object *v, const char *file, size_t i, Placement *p, char **ret_error) {
        json_object *w;

        if (!json_object_is_type(v, json_type_object) ||
            json_u64(v, "text_bytes", &p->layout.text_bytes) < 0 ||
            json_u64(v, "pmd_windows", &p->layout.windows) < 0 ||
            json_u64(v, "pmd_windows_aligned", &p->layout.aligned_windows) < 0 ||
            !json_object_object_get_ex(v, "extents_known", &w) ||
            !json_object_is_type(w, json_type_boolean) || p->layout.aligned_windows > p->layout.windows)
                return error_set(ret_error, -EBADMSG,
                                 "%s: placements[%zu].layout lacks a field or has a wrong "
                                 "value",
                                 file, i);
        p->layout.extents_known = json_object_get_boolean(w);
        p->layout.coverage = elf_pmd_coverage(p->layout.windows, p->layout.text_bytes);
        p->layout_known = true;
        return 0;
}

/* The program headers whose p_align the copy has at 2 MiB and its source has not. */
static int aligned_from_json(json_object *v, const char *file, size_t i, Placement *p, char **ret_error) {
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : SIZE_MAX;

        if (n > PLACEMENT_ALIGN_MAX)
                return error_set(ret_error, -EBADMSG,
                                 "%s: placements[%zu].p_align_raised is not a short list", file, i);
        for (size_t k = 0; k < n; k++) {
                json_object *e = json_object_array_get_idx(v, k);
                uint64_t phdr, was;

                if (json_u64(e, "phdr", &phdr) < 0 || json_u64(e, "was", &was) < 0 || phdr > UINT32_MAX)
                        return error_set(
                                ret_error, -EBADMSG,
                                "%s: placements[%zu].p_align_raised[%zu] lacks a field or has a wrong "
                                "value",
                                file, i, k);
                p->aligned[k] = (PlacementAlign){ .phdr = (uint32_t) phdr, .was = was };
        }
        p->n_aligned = n;
        return 0;
}

/* The hash of what was placed is not taken yet: the copy's identity when it was written. */
static int pending_from_json(json_object *v, const char *file, size_t i, Placement *p, char **ret_error) {
        json_object *m, *c;

        if (!json_object_is_type(v, json_type_object) || json_u64(v, "ino", &p->copy_identity.ino) < 0 ||
            json_u64(v, "size", &p->copy_identity.size) < 0 ||
            !json_object_object_get_ex(v, "mtime_ns", &m) || !json_object_is_type(m, json_type_int) ||
            !json_object_object_get_ex(v, "ctime_ns", &c) || !json_object_is_type(c, json_type_int))
                return error_set(ret_error, -EBADMSG,
                                 "%s: placements[%zu].sha256_pending lacks a field or has a wrong "
                                 "value",
                                 file, i);
        p->copy_identity.mtime_ns = json_object_get_int64(m);
        p->copy_identity.ctime_ns = json_object_get_int64(c);
        p->hash_pending = true;
        return 0;
}

int place_state_from_json(json_object *j, const char *file, PlaceState **ret, char **ret_error) {
        _cleanup_place_state_ PlaceState *s = NULL;
        json_object *zones, *ps;

        s = calloc(1, sizeof(*s));
        if (!s || !(s->file = strdup(file)))
                return -ENOMEM;
        if (!json_object_is_type(j, json_type_object) || !json_object_object_get_ex(j, "zones", &zones) ||
            !json_object_is_type(zones, json_type_array) ||
            !json_object_object_get_ex(j, "placements", &ps) || !json_object_is_type(ps, json_type_array))
                return error_set(ret_error, -EBADMSG,
                                 "%s is not a daxmgr placement state (no zones and placements)", file);

        for (size_t i = 0; i < json_object_array_length(zones); i++) {
                json_object *z = json_object_array_get_idx(zones, i);
                char **a;

                if (!json_object_is_type(z, json_type_string) ||
                    !is_abs_clean_path(json_object_get_string(z)))
                        return error_set(ret_error, -EBADMSG, "%s: zones[%zu] is not an absolute path", file,
                                         i);
                a = reallocarray(s->zones, s->n_zones + 1, sizeof(char *));
                if (!a)
                        return -ENOMEM;
                s->zones = a;
                if (!(s->zones[s->n_zones] = strdup(json_object_get_string(z))))
                        return -ENOMEM;
                s->n_zones++;
        }
        for (size_t i = 0; i < json_object_array_length(ps); i++) {
                json_object *o = json_object_array_get_idx(ps, i);
                _cleanup_free_ char *role = NULL, *sha = NULL;
                Placement *p = reallocarray(s->placements, s->n_placements + 1, sizeof(*p));
                json_object *v;
                int k;

                if (!p)
                        return -ENOMEM;
                s->placements = p;
                p = &s->placements[s->n_placements++];
                *p = (Placement){};
                if ((k = json_str(o, "zone", &p->zone)) < 0 || (k = json_str(o, "source", &p->source)) < 0 ||
                    (k = json_str(o, "copy", &p->copy)) < 0 ||
                    (k = json_str(o, "program", &p->program)) < 0 || (k = json_str(o, "role", &role)) < 0 ||
                    (k = json_str(o, "sha256", &sha)) < 0 || (k = json_u64(o, "dev", &p->dev)) < 0 ||
                    (k = json_u64(o, "ino", &p->ino)) < 0 || (k = json_u64(o, "size", &p->size)) < 0 ||
                    !json_object_object_get_ex(o, "mtime_ns", &v) ||
                    !json_object_is_type(v, json_type_int)) {
                        if (k == -ENOMEM)
                                return k;
                        return error_set(ret_error, -EBADMSG,
                                         "%s: placements[%zu] lacks a field or has a wrong type", file, i);
                }
                p->mtime_ns = json_object_get_int64(v);
                if (json_object_object_get_ex(o, "ctime_ns", &v) && json_object_is_type(v, json_type_int))
                        p->ctime_ns = json_object_get_int64(v);
                if (json_object_object_get_ex(o, "activation", &v)) {
                        int k2 = activation_from_json(v, file, i, p, ret_error);

                        if (k2 < 0)
                                return k2;
                }
                if (json_object_object_get_ex(o, "dropin_unit", &v)) {
                        if (!json_object_is_type(v, json_type_string) ||
                            !service_name_is_valid(json_object_get_string(v)))
                                return error_set(
                                        ret_error, -EBADMSG,
                                        "%s: placements[%zu].dropin_unit is not a service unit name", file,
                                        i);
                        p->dropin_unit = strdup(json_object_get_string(v));
                        if (!p->dropin_unit)
                                return -ENOMEM;
                }
                if (json_object_object_get_ex(o, "applied", &v)) {
                        int k2 = applied_from_json(v, file, i, p, ret_error);

                        if (k2 < 0)
                                return k2;
                }
                if (json_object_object_get_ex(o, "layout", &v)) {
                        int k2 = layout_from_json(v, file, i, p, ret_error);

                        if (k2 < 0)
                                return k2;
                }
                if (json_object_object_get_ex(o, "p_align_raised", &v)) {
                        int k2 = aligned_from_json(v, file, i, p, ret_error);

                        if (k2 < 0)
                                return k2;
                }
                if (json_object_object_get_ex(o, "sha256_pending", &v)) {
                        int k2 = pending_from_json(v, file, i, p, ret_error);

                        if (k2 < 0)
                                return k2;
                }
                p->role = place_role_from_string(role);
                if (p->role < 0 || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64 ||
                    !is_abs_clean_path(p->zone) || !is_abs_clean_path(p->source) ||
                    !is_abs_clean_path(p->copy) || !is_abs_clean_path(p->program))
                        return error_set(ret_error, -EBADMSG, "%s: placements[%zu] has an invalid value",
                                         file, i);
                memcpy(p->sha256, sha, 65);
        }
        *ret = TAKE_PTR(s);
        return 0;
}

int place_state_load(const char *state_dir, PlaceState **ret, char **ret_error) {
        _cleanup_free_ char *file = NULL;
        json_object *j;
        int r;

        if (asprintf(&file, "%s/placements.json", state_dir) < 0)
                return -ENOMEM;
        if (access(file, F_OK) < 0) {
                PlaceState *s;

                if (errno != ENOENT)
                        return error_set(ret_error, negative_errno(), "cannot read %s: %m", file);
                s = calloc(1, sizeof(*s));
                if (!s)
                        return -ENOMEM;
                s->file = TAKE_PTR(file);
                *ret = s;
                return 0;
        }
        j = json_object_from_file(file);
        if (!j)
                return error_set(ret_error, -EBADMSG,
                                 "%s is not valid JSON (%s); move it aside to start afresh", file,
                                 json_util_get_last_err() ?: "unknown error");
        r = place_state_from_json(j, file, ret, ret_error);
        json_object_put(j);
        return r;
}

/* Writes @data to @name in the directory @dfd atomically: a new temporary file there (never
 * following a symbolic link), fsync, rename over @name (which replaces a symbolic link rather
 * than following it), fsync the directory. @path names the file in messages. */
int write_atomic_at(int dfd, const char *name, const char *path, const char *data, size_t len, mode_t mode,
                    char **ret_error) {
        static unsigned counter;
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;

        if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return error_set(ret_error, -EINVAL, "'%s' is not a file name", name);
        for (int tries = 0; fd < 0; tries++) {
                free(tmp);
                if (asprintf(&tmp, ".%s.tmp-%d-%u", name, (int) getpid(), counter++) < 0)
                        return -ENOMEM;
                fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0 && (errno != EEXIST || tries > 100))
                        return error_set(ret_error, negative_errno(),
                                         "cannot create a temporary file next to %s: %m", path);
        }
        if (fchmod(fd, mode) < 0)
                goto fail;
        for (size_t done = 0; done < len;) {
                ssize_t n = write(fd, data + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        goto fail;
                }
                done += (size_t) n;
        }
        if (fsync(fd) < 0 || renameat(dfd, tmp, dfd, name) < 0)
                goto fail;
        if (fsync(dfd) < 0)
                return error_set(ret_error, negative_errno(), "cannot sync the directory of %s: %m", path);
        return 0;
fail:;
        int r = negative_errno();
        (void) unlinkat(dfd, tmp, 0);
        return error_set(ret_error, r, "cannot write %s: %s", path, strerror(-r));
}

/* The same for a path outside any zone (the state file, drop-ins), in a directory daxmgr owns. */
int write_atomic(const char *path, const char *data, size_t len, mode_t mode, char **ret_error) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -1;
        char *slash;

        if (!(dir = strdup(path)))
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                return -EINVAL;
        *(slash == dir ? slash + 1 : slash) = '\0';
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return error_set(ret_error, negative_errno(), "cannot open the directory of %s: %m", path);
        return write_atomic_at(dfd, strrchr(path, '/') + 1, path, data, len, mode, ret_error);
}

int place_state_save(const PlaceState *s, char **ret_error) {
        _cleanup_free_ char *dir = NULL;
        json_object *j;
        const char *text;
        int r;

        r = place_state_to_json(s, &j);
        if (r < 0)
                return r;
        dir = strdup(s->file);
        if (!dir) {
                json_object_put(j);
                return -ENOMEM;
        }
        *strrchr(dir, '/') = '\0';
        r = mkdir_parent_of(s->file);
        if (r < 0) {
                json_object_put(j);
                return error_set(ret_error, r, "cannot create the state directory %s: %s", dir,
                                 strerror(-r));
        }
        text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = write_atomic(s->file, text, strlen(text), 0644, ret_error);
        json_object_put(j);
        return r;
}
