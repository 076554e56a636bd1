/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/openat2.h>
#include <systemd/sd-bus.h>

#include "dax-mount.h"
#include "elf-closure.h"
#include "error.h"
#include "fileio.h"
#include "fs-util.h"
#include "holders.h"
#include "parse-util.h"
#include "place.h"
#include "string-table.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

static int place_alias(PlaceState *s, const char *zone, const char *alias, const char *target_copy,
                       const char *program, char **ret_error);

/* Creates the directory that will hold @path, and its parents. */
static int mkdir_parent_of(const char *path) {
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

static void placement_done(Placement *p) {
        free(p->zone);
        free(p->source);
        free(p->copy);
        free(p->program);
        free(p->service);
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
static bool is_abs_clean_path(const char *p) {
        return p && p[0] == '/' && !strstr(p, "/../") && !strstr(p, "/./") && !strstr(p, "//") &&
               !ends_with(p, "/..") && !ends_with(p, "/.") && (p[1] == '\0' || !ends_with(p, "/")) &&
               strlen(p) < PATH_MAX;
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
                        json_object *w;

                        if (!json_object_is_type(v, json_type_object))
                                return error_set(ret_error, -EBADMSG,
                                                 "%s: placements[%zu].activation is not an object", file, i);
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
static int write_atomic_at(int dfd, const char *name, const char *path, const char *data, size_t len,
                           mode_t mode, char **ret_error) {
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
static int write_atomic(const char *path, const char *data, size_t len, mode_t mode, char **ret_error) {
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

/* ---- zones -------------------------------------------------------------------------------- */

bool place_state_has_zone(const PlaceState *s, const char *dir) {
        for (size_t i = 0; i < s->n_zones; i++)
                if (strcmp(s->zones[i], dir) == 0)
                        return true;
        return false;
}

int zone_open(const char *zone, char **ret_error) {
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd;

        if (!is_abs_clean_path(zone))
                return error_set(ret_error, -EINVAL, "the zone '%s' is not an absolute canonical path",
                                 zone ?: "");
        /* Zones are recorded canonical (realpath() when made): a symbolic link anywhere on the way
         * now was put there since. */
        do
                fd = syscall(SYS_openat2, AT_FDCWD, zone, &how, sizeof(how));
        while (fd < 0 && errno == EAGAIN);
        if (fd < 0) {
                int r = negative_errno();
                struct stat st;

                /* O_NOFOLLOW|O_DIRECTORY on a symbolic link gives ENOTDIR: say what it is. */
                if (r == -ENOTDIR && lstat(zone, &st) == 0 && S_ISLNK(st.st_mode))
                        r = -ELOOP;
                if (r == -ELOOP)
                        return error_set(ret_error, r,
                                         "the zone %s is, or passes through, a symbolic link; refusing to "
                                         "follow it",
                                         zone);
                if (r == -ENOSYS)
                        return error_set(
                                ret_error, r,
                                "the kernel has no openat2() (Linux 5.6 or later is needed), so the "
                                "zone %s cannot be used safely",
                                zone);
                return error_set(ret_error, r, "cannot open the zone %s: %s", zone, strerror(-r));
        }
        return (int) fd;
}

/* @path relative to @zone ("root/usr/bin/foo"), or NULL when it is not strictly inside. */
static const char *zone_relative(const char *zone, const char *path) {
        size_t n = strlen(zone);

        if (!is_abs_clean_path(path) || strncmp(path, zone, n) != 0 || path[n] != '/' || path[n + 1] == '\0')
                return NULL;
        return path + n + 1;
}

/* Opens (creating it with @create) the directory holding @path, a file inside @zone_fd's zone,
 * never following a symbolic link; *ret_name gets its last component. */
static int zone_open_parent(int zone_fd, const char *zone, const char *path, bool create,
                            const char **ret_name, char **ret_error) {
        _cleanup_free_ char *dir = NULL, *msg = NULL;
        const char *rel = zone_relative(zone, path), *slash;
        int fd;

        if (!rel)
                return error_set(ret_error, -EXDEV, "%s is not inside the zone %s; refusing to write it",
                                 path ?: "", zone);
        slash = strrchr(rel, '/');
        dir = strndup(rel, slash ? (size_t) (slash - rel) : 0);
        if (!dir)
                return -ENOMEM;
        fd = create ? mkdirat_beneath(zone_fd, dir, 0755)
                    : openat_beneath(zone_fd, dir, O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0) {
                _cleanup_free_ char *what = NULL;

                if (asprintf(&what, "%s/%s", zone, dir) < 0 || beneath_error(fd, what, zone, &msg) < 0)
                        return -ENOMEM;
                return error_set(ret_error, fd, "%s", msg);
        }
        *ret_name = slash ? slash + 1 : rel;
        return fd;
}

int zone_create(PlaceState *s, const char *dir, char **ret_error) {
        _cleanup_free_ char *canon = NULL, *root = NULL;
        DaxPathInfo info = {};
        int r;

        if (!dir || dir[0] != '/')
                return error_set(ret_error, -EINVAL, "a zone needs an absolute directory path, not '%s'",
                                 dir ?: "");
        r = mkdir_parents(dir, 0755, NULL);
        if (r < 0)
                return error_set(ret_error, r, "cannot create the zone directory %s: %s", dir, strerror(-r));
        {
                struct stat st;

                if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
                        return error_set(
                                ret_error, -ELOOP,
                                "%s is a symbolic link; a zone must be a real directory, refusing to "
                                "follow it",
                                dir);
        }
        canon = realpath(dir, NULL);
        if (!canon)
                return error_set(ret_error, negative_errno(), "cannot resolve %s: %m", dir);

        r = dax_path_check(canon, &info, ret_error);
        if (r < 0)
                return r;
        if (!info.dax && info.dax_mode == DAX_MODE_INODE && info.queue_dax == 1) {
                /* dax=inode on a device that can do DAX: the directory's flag makes what is
                 * created in it DAX. (Anywhere else the flag would change nothing.) */
                dax_path_info_done(&info);
                r = dax_dir_set_inherit(canon, true, ret_error);
                if (r < 0)
                        return r;
                r = dax_path_check(canon, &info, ret_error);
                if (r < 0)
                        return r;
        }
        if (!info.dax) {
                r = error_set(
                        ret_error, -EOPNOTSUPP,
                        "%s cannot be an XIP zone: files created there would not be DAX (%s), so programs "
                        "would be copied into RAM anyway",
                        canon, info.why_not ?: "the kernel does not say why");
                dax_path_info_done(&info);
                return r;
        }
        dax_path_info_done(&info);

        {
                _cleanup_close_ int zfd = zone_open(canon, ret_error), rfd = -1, bfd = -1;
                _cleanup_free_ char *msg = NULL;

                if (zfd < 0)
                        return zfd;
                rfd = mkdirat_beneath(zfd, "root", 0755);
                bfd = rfd < 0 ? rfd : mkdirat_beneath(zfd, "bin", 0755);
                if (bfd < 0) {
                        if (asprintf(&root, "%s/%s", canon, rfd < 0 ? "root" : "bin") < 0 ||
                            beneath_error(bfd, root, canon, &msg) < 0)
                                return -ENOMEM;
                        return error_set(ret_error, bfd, "cannot create the layout of zone %s: %s", canon,
                                         msg);
                }
        }

        if (!place_state_has_zone(s, canon)) {
                char **a = reallocarray(s->zones, s->n_zones + 1, sizeof(char *));
                if (!a)
                        return -ENOMEM;
                s->zones = a;
                s->zones[s->n_zones++] = TAKE_PTR(canon);
        }
        return 0;
}

int zone_remove(PlaceState *s, const char *dir, char **ret_error) {
        for (size_t i = 0; i < s->n_placements; i++)
                if (strcmp(s->placements[i].zone, dir) == 0)
                        return error_set(ret_error, -ENOTEMPTY,
                                         "zone %s still holds %s (placed for %s); unplace it first", dir,
                                         s->placements[i].copy, s->placements[i].program);
        for (size_t i = 0; i < s->n_zones; i++)
                if (strcmp(s->zones[i], dir) == 0) {
                        free(s->zones[i]);
                        memmove(s->zones + i, s->zones + i + 1, (s->n_zones - i - 1) * sizeof(char *));
                        s->n_zones--;
                        return 0;
                }
        return error_set(ret_error, -ENOENT, "%s is not a zone", dir);
}

/* ---- copying ------------------------------------------------------------------------------ */

int place_copy_path(const char *zone, const char *source, char **ret) {
        if (!is_abs_clean_path(zone) || !is_abs_clean_path(source))
                return -EINVAL;
        return asprintf(ret, "%s/root%s", zone, source) < 0 ? -ENOMEM : 0;
}

static int copy_xattrs(int from, int to) {
        _cleanup_free_ char *names = NULL, *caps = NULL;
        ssize_t n, caps_len = -1;

        n = flistxattr(from, NULL, 0);
        if (n <= 0)
                return n < 0 && errno != ENOTSUP ? negative_errno() : 0;
        names = malloc((size_t) n);
        if (!names)
                return -ENOMEM;
        n = flistxattr(from, names, (size_t) n);
        if (n < 0)
                return negative_errno();
        for (char *k = names; k < names + n; k += strlen(k) + 1) {
                _cleanup_free_ char *v = NULL;
                ssize_t vl = fgetxattr(from, k, NULL, 0);

                if (vl < 0)
                        continue;
                v = malloc((size_t) vl + 1);
                if (!v)
                        return -ENOMEM;
                vl = fgetxattr(from, k, v, (size_t) vl);
                if (vl < 0)
                        continue;
                if (strcmp(k, "security.capability") == 0) {
                        caps = TAKE_PTR(v);
                        caps_len = vl;
                        continue;
                }
                if (fsetxattr(to, k, v, (size_t) vl, 0) < 0 && errno != ENOTSUP && errno != EPERM)
                        return negative_errno();
        }
        /* Capabilities last: any later chown would drop them. */
        if (caps && fsetxattr(to, "security.capability", caps, (size_t) caps_len, 0) < 0)
                return negative_errno();
        return 0;
}

/* Copies the data of @from to @to, hashing it on the way. */
static int copy_and_hash(int from, int to, char ret_sha[static 65]) {
        static const char hex[] = "0123456789abcdef";
        uint8_t digest[SHA256_DIGEST_SIZE];
        struct sha256_ctx ctx;
        _cleanup_free_ char *buf = NULL;
        const size_t size = 1024 * 1024;

        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        sha256_init(&ctx);
        for (;;) {
                ssize_t n = read(from, buf, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                sha256_update(&ctx, (size_t) n, (const uint8_t *) buf);
                for (ssize_t done = 0; done < n;) {
                        ssize_t w = write(to, buf + done, (size_t) (n - done));
                        if (w < 0) {
                                if (errno == EINTR)
                                        continue;
                                return negative_errno();
                        }
                        done += w;
                }
        }
        sha256_digest(&ctx, sizeof(digest), digest);
        for (size_t i = 0; i < sizeof(digest); i++) {
                ret_sha[2 * i] = hex[digest[i] >> 4];
                ret_sha[2 * i + 1] = hex[digest[i] & 15];
        }
        ret_sha[64] = '\0';
        return 0;
}

static int hash_file(const char *path, char ret_sha[static 65]) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), null = -1;

        if (fd < 0)
                return negative_errno();
        null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null < 0)
                return negative_errno();
        return copy_and_hash(fd, null, ret_sha);
}

/* Removes leftovers of a copy that was interrupted between link and rename. */
static void remove_stale_temporaries(int dfd, const char *name) {
        _cleanup_free_ char *prefix = NULL;
        DIR *d;
        int fd2;

        if (asprintf(&prefix, ".%s.daxmgr-", name) < 0)
                return;
        fd2 = dup(dfd);
        if (fd2 < 0)
                return;
        d = fdopendir(fd2);
        if (!d) {
                (void) close(fd2);
                return;
        }
        for (struct dirent *de; (de = readdir(d));)
                if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
                        (void) unlinkat(dfd, de->d_name, 0);
        (void) closedir(d);
}

/* A file shared by several placed programs (libc) has one record per program and one copy. */
static Placement *find_placement(PlaceState *s, const char *zone, const char *source, const char *program) {
        for (size_t i = 0; i < s->n_placements; i++)
                if (strcmp(s->placements[i].zone, zone) == 0 &&
                    strcmp(s->placements[i].source, source) == 0 &&
                    strcmp(s->placements[i].program, program) == 0)
                        return &s->placements[i];
        return NULL;
}

/* The copy itself: everything but the bookkeeping. Fills identity fields of @p. */
static int copy_into_zone(int zone_fd, const char *zone, const char *source, const char *copy, Placement *p,
                          char **ret_error) {
        _cleanup_free_ char *dir = NULL, *tmpname = NULL, *procfd = NULL;
        _cleanup_close_ int in = -1, out = -1, dfd = -1;
        const char *name;
        struct statx sx;
        struct stat st;
        int r;

        /* Opened once, and everything below read from this fd: a name swapped afterwards changes
         * nothing. Not through a symbolic link (the caller resolved it), and not blocking on a FIFO
         * swapped in since the caller's check. */
        in = open(source, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (in < 0 && errno == ELOOP)
                return error_set(
                        ret_error, -ELOOP,
                        "%s is a symbolic link; refusing to follow it (place the file it points to)",
                        source);
        if (in < 0)
                return error_set(ret_error, negative_errno(), "cannot open %s: %m", source);
        if (fstat(in, &st) < 0)
                return error_set(ret_error, negative_errno(), "cannot stat %s: %m", source);
        if (!S_ISREG(st.st_mode))
                return error_set(ret_error, -EINVAL, "%s is not a regular file, so it cannot be placed",
                                 source);

        dir = strdup(copy);
        if (!dir)
                return -ENOMEM;
        *strrchr(dir, '/') = '\0';
        dfd = zone_open_parent(zone_fd, zone, copy, true, &name, ret_error);
        if (dfd < 0)
                return dfd;
        remove_stale_temporaries(dfd, name);

        /* An anonymous inode: if we die before the link, nothing is left anywhere. */
        out = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (out < 0)
                return error_set(ret_error, negative_errno(), "cannot create a file in %s: %m", dir);

        r = copy_and_hash(in, out, p->sha256);
        if (r < 0)
                return error_set(ret_error, r, "cannot copy %s into %s: %s", source, dir, strerror(-r));
        if (fchown(out, st.st_uid, st.st_gid) < 0 || fchmod(out, st.st_mode & 07777) < 0)
                return error_set(ret_error, negative_errno(),
                                 "cannot give the copy of %s its owner and mode: %m", source);
        r = copy_xattrs(in, out);
        if (r < 0)
                return error_set(ret_error, r,
                                 "cannot copy the extended attributes (capabilities) of %s: %s", source,
                                 strerror(-r));
        (void) futimens(out, (struct timespec[2]){ st.st_atim, st.st_mtim });
        if (fsync(out) < 0)
                return error_set(ret_error, negative_errno(), "cannot sync the copy of %s: %m", source);

        if (asprintf(&tmpname, ".%s.daxmgr-%d", name, (int) getpid()) < 0 ||
            asprintf(&procfd, "/proc/self/fd/%d", out) < 0)
                return -ENOMEM;
        (void) unlinkat(dfd, tmpname, 0);
        if (linkat(AT_FDCWD, procfd, dfd, tmpname, AT_SYMLINK_FOLLOW) < 0)
                return error_set(ret_error, negative_errno(), "cannot link the copy of %s into %s: %m",
                                 source, dir);
        if (renameat(dfd, tmpname, dfd, name) < 0) {
                r = negative_errno();
                (void) unlinkat(dfd, tmpname, 0);
                return error_set(ret_error, r, "cannot rename the copy of %s into place: %s", source,
                                 strerror(-r));
        }
        if (fsync(dfd) < 0)
                return error_set(ret_error, negative_errno(), "cannot sync %s: %m", dir);

        if (statx(out, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0)
                return error_set(ret_error, negative_errno(), "cannot statx %s: %m", copy);
        if (!(sx.stx_attributes & STATX_ATTR_DAX)) {
                (void) unlinkat(dfd, name, 0);
                return error_set(
                        ret_error, -EOPNOTSUPP,
                        "the copy %s is not DAX (the kernel did not set STATX_ATTR_DAX), so it would not "
                        "execute in place; removed it. Is the zone still on a DAX mount?",
                        copy);
        }

        p->dev = st.st_dev;
        p->ino = st.st_ino;
        p->size = (uint64_t) st.st_size;
        p->mtime_ns = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        p->ctime_ns = (int64_t) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
        return 0;
}

int place_file(PlaceState *s, const char *zone, const char *source, PlaceRole role, const char *program,
               char **ret_error) {
        _cleanup_free_ char *copy = NULL;
        _cleanup_close_ int zone_fd = -1;
        Placement n = {}, *p;
        int r;

        if (!place_state_has_zone(s, zone))
                return error_set(ret_error, -ENOENT, "%s is not a zone; create it first", zone);
        if (!is_abs_clean_path(source))
                return error_set(ret_error, -EINVAL,
                                 "'%s' must be an absolute path without . or .. components", source);
        r = place_copy_path(zone, source, &copy);
        if (r < 0)
                return r;
        zone_fd = zone_open(zone, ret_error);
        if (zone_fd < 0)
                return zone_fd;

        r = copy_into_zone(zone_fd, zone, source, copy, &n, ret_error);
        if (r < 0)
                return r;

        p = find_placement(s, zone, source, program ?: source);
        if (!p) {
                p = reallocarray(s->placements, s->n_placements + 1, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                s->placements = p;
                p = &s->placements[s->n_placements++];
                *p = (Placement){};
        } else {
                /* What the program's record remembers of its activation stays. */
                n.has_activation = p->has_activation;
                n.refresh_manual = p->refresh_manual;
                n.entry_point = p->entry_point;
                n.bind_host = p->bind_host;
                n.service = TAKE_PTR(p->service);
                free(p->zone);
                free(p->source);
                free(p->copy);
                free(p->program);
        }
        n.zone = strdup(zone);
        n.source = strdup(source);
        n.copy = TAKE_PTR(copy);
        n.program = strdup(program ?: source);
        n.role = role;
        *p = n;
        if (!p->zone || !p->source || !p->program)
                return -ENOMEM;
        return 0;
}

void place_hash_cache_done(PlaceHashCache *c) {
        free(c->entries);
        *c = (PlaceHashCache){};
}

static bool identity_is(const PlaceHashEntry *e, const struct stat *st) {
        return e->dev == (uint64_t) st->st_dev && e->ino == (uint64_t) st->st_ino &&
               e->size == (uint64_t) st->st_size &&
               e->mtime_ns == (int64_t) st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec &&
               e->ctime_ns == (int64_t) st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

const PlaceHashEntry *place_hash_cache_find(const PlaceHashCache *c, const struct stat *st) {
        for (size_t i = 0; c && i < c->n; i++)
                if (identity_is(&c->entries[i], st))
                        return &c->entries[i];
        return NULL;
}

int place_hash_cache_add(PlaceHashCache *c, const PlaceHashEntry *e) {
        for (size_t i = 0; i < c->n; i++)
                if (c->entries[i].dev == e->dev && c->entries[i].ino == e->ino &&
                    c->entries[i].size == e->size && c->entries[i].mtime_ns == e->mtime_ns &&
                    c->entries[i].ctime_ns == e->ctime_ns) {
                        c->entries[i] = *e;
                        return 0;
                }
        if (!c->entries) {
                c->entries = calloc(PLACE_HASH_CACHE_MAX, sizeof(*c->entries));
                if (!c->entries)
                        return -ENOMEM;
        }
        c->entries[c->next] = *e;
        c->next = (c->next + 1) % PLACE_HASH_CACHE_MAX;
        if (c->n < PLACE_HASH_CACHE_MAX)
                c->n++;
        return 0;
}

/* The file capabilities of @path (security.capability), or none. */
static ssize_t get_caps(const char *path, char *buf, size_t size) {
        ssize_t n = lgetxattr(path, "security.capability", buf, size);

        return n < 0 ? 0 : n;
}

int placement_check(const Placement *p, PlaceHashCache *cache, bool may_hash, PlaceCheck *ret,
                    char **ret_why) {
        const PlaceHashEntry *e;
        PlaceHashEntry n;
        struct stat st, cst;
        int64_t mtime, ctime;
        int r;

        if (ret_why)
                *ret_why = NULL;
        if (stat(p->source, &st) < 0) {
                *ret = PLACE_CHECK_STALE;
                if (ret_why)
                        *ret_why = asprintf_safe("%s is gone (%m)", p->source);
                return 0;
        }
        mtime = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        ctime = (int64_t) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
        if ((uint64_t) st.st_dev == p->dev && (uint64_t) st.st_ino == p->ino &&
            (uint64_t) st.st_size == p->size && mtime == p->mtime_ns &&
            (p->ctime_ns == 0 || ctime == p->ctime_ns)) {
                *ret = PLACE_CHECK_FRESH;
                return 0;
        }

        /* The identity changed (a package upgrade renames a new file into place, an editor
         * rewrites it, chmod changes the ctime): the content decides, hashed once per identity. */
        e = place_hash_cache_find(cache, &st);
        if (!e) {
                if (!may_hash) {
                        *ret = PLACE_CHECK_UNKNOWN;
                        return 0;
                }
                n = (PlaceHashEntry){ .dev = (uint64_t) st.st_dev,
                                      .ino = (uint64_t) st.st_ino,
                                      .size = (uint64_t) st.st_size,
                                      .mtime_ns = mtime,
                                      .ctime_ns = ctime };
                r = hash_file(p->source, n.sha256);
                if (r < 0)
                        return r;
                if (cache)
                        (void) place_hash_cache_add(cache, &n);
                e = &n;
        }
        if (strcmp(e->sha256, p->sha256) != 0) {
                *ret = PLACE_CHECK_STALE;
                if (ret_why)
                        *ret_why = asprintf_safe(
                                "%s changed since it was placed (content differs: sha256 %.12s… now, "
                                "%.12s… placed)",
                                p->source, e->sha256, p->sha256);
                return 0;
        }
        /* Same bytes: what else the copy took from the original must still be the same. */
        if (lstat(p->copy, &cst) < 0 || S_ISLNK(cst.st_mode)) {
                *ret = PLACE_CHECK_FRESH; /* an alias: its file is checked on its own */
                return 0;
        }
        if ((st.st_mode & 07777) != (cst.st_mode & 07777) || st.st_uid != cst.st_uid ||
            st.st_gid != cst.st_gid) {
                *ret = PLACE_CHECK_STALE;
                if (ret_why)
                        *ret_why = asprintf_safe(
                                "the owner or mode of %s changed since it was placed (%u:%u %04o now, "
                                "%u:%u %04o placed)",
                                p->source, (unsigned) st.st_uid, (unsigned) st.st_gid,
                                (unsigned) (st.st_mode & 07777), (unsigned) cst.st_uid,
                                (unsigned) cst.st_gid, (unsigned) (cst.st_mode & 07777));
                return 0;
        }
        {
                char a[256], b[256];
                ssize_t na = get_caps(p->source, a, sizeof(a)), nb = get_caps(p->copy, b, sizeof(b));

                if (na != nb || memcmp(a, b, (size_t) na) != 0) {
                        *ret = PLACE_CHECK_STALE;
                        if (ret_why)
                                *ret_why = asprintf_safe(
                                        "the file capabilities of %s changed since it was placed",
                                        p->source);
                        return 0;
                }
        }
        *ret = PLACE_CHECK_FRESH;
        return 0;
}

int placement_is_stale(const Placement *p, bool *ret_stale, char **ret_why) {
        PlaceCheck c;
        int r;

        r = placement_check(p, NULL, true, &c, ret_why);
        if (r < 0)
                return r;
        *ret_stale = c == PLACE_CHECK_STALE;
        return 0;
}

Placement *place_state_find_program(const PlaceState *s, const char *zone, const char *program) {
        for (size_t i = 0; s && i < s->n_placements; i++)
                if (s->placements[i].role == PLACE_PROGRAM && strcmp(s->placements[i].zone, zone) == 0 &&
                    strcmp(s->placements[i].source, program) == 0)
                        return &s->placements[i];
        return NULL;
}

bool place_state_with_libraries(const PlaceState *s, const char *zone, const char *program) {
        for (size_t i = 0; s && i < s->n_placements; i++)
                if (s->placements[i].role == PLACE_INTERPRETER && strcmp(s->placements[i].zone, zone) == 0 &&
                    strcmp(s->placements[i].program, program) == 0)
                        return true;
        return false;
}

static bool placed_source(const PlaceState *s, const char *zone, const char *program, const char *source) {
        for (size_t i = 0; i < s->n_placements; i++)
                if (strcmp(s->placements[i].zone, zone) == 0 &&
                    strcmp(s->placements[i].program, program) == 0 &&
                    strcmp(s->placements[i].source, source) == 0)
                        return true;
        return false;
}

int placement_closure_changed(const PlaceState *s, const char *zone, const char *program, char **ret_why) {
        _cleanup_elf_closure_ ElfClosure *c = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        *ret_why = NULL;
        if (!place_state_with_libraries(s, zone, program))
                return 0;
        r = elf_closure(program, NULL, &c, &error);
        if (r < 0)
                return asprintf(ret_why, "the libraries of %s cannot be read now: %s", program,
                                error_message(error, r)) < 0
                               ? -ENOMEM
                               : 0;
        if (c->n_unresolved > 0)
                return asprintf(ret_why, "%s would not find %s (needed by %s) now: %s", program,
                                c->unresolved[0].name, c->unresolved[0].needed_by,
                                c->unresolved[0].reason) < 0
                               ? -ENOMEM
                               : 0;
        if (c->interpreter_realpath && !placed_source(s, zone, program, c->interpreter_realpath))
                return asprintf(ret_why, "the loader of %s is %s now, which is not placed", program,
                                c->interpreter_realpath) < 0
                               ? -ENOMEM
                               : 0;
        for (size_t i = 0; i < c->n_libraries; i++) {
                const ElfLibrary *l = &c->libraries[i];

                if (!placed_source(s, zone, program, l->realpath))
                        return asprintf(ret_why, "ld.so would now load %s as %s, which is not placed",
                                        l->name, l->realpath) < 0
                                       ? -ENOMEM
                                       : 0;
        }
        return 0;
}

int placement_refresh(PlaceState *s, Placement *p, char **ret_error) {
        _cleanup_free_ char *zone = strdup(p->zone), *source = strdup(p->source),
                            *program = strdup(p->program), *target = NULL;
        struct stat st;

        if (!zone || !source || !program)
                return -ENOMEM;
        if (lstat(p->copy, &st) == 0 && S_ISLNK(st.st_mode)) {
                /* An alias follows its file: refresh that, then the alias's record. */
                target = realpath(p->copy, NULL);
                if (!target)
                        return error_set(ret_error, negative_errno(), "the alias %s points nowhere: %m",
                                         p->copy);
                return place_alias(s, zone, source, target, program, ret_error);
        }
        return place_file(s, zone, source, p->role, program, ret_error);
}

/* Records @alias (a name ld.so looks up, a symlink on the host: libz.so.1) as a symlink in the
 * zone to the copy of the file it resolves to, so that the placed loader finds it by that name. */
static int place_alias(PlaceState *s, const char *zone, const char *alias, const char *target_copy,
                       const char *program, char **ret_error) {
        _cleanup_free_ char *copy = NULL, *tmp = NULL;
        _cleanup_close_ int zone_fd = -1, dfd = -1;
        size_t real = SIZE_MAX; /* an index: the array may move when it grows below */
        const char *name;
        Placement *p;
        struct stat st;
        int r;

        r = place_copy_path(zone, alias, &copy);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_placements; i++)
                if (strcmp(s->placements[i].copy, target_copy) == 0)
                        real = i;
        if (real == SIZE_MAX || stat(alias, &st) < 0)
                return error_set(ret_error, -ENOENT, "cannot place %s: %s is not placed", alias,
                                 target_copy);
        zone_fd = zone_open(zone, ret_error);
        if (zone_fd < 0)
                return zone_fd;
        dfd = zone_open_parent(zone_fd, zone, copy, true, &name, ret_error);
        if (dfd < 0)
                return dfd;
        if (asprintf(&tmp, ".%s.daxmgr-%d", name, (int) getpid()) < 0)
                return -ENOMEM;
        (void) unlinkat(dfd, tmp, 0);
        /* A symbolic link is what is wanted here; renameat() replaces whatever @name is without
         * following it. */
        if (symlinkat(target_copy, dfd, tmp) < 0 || renameat(dfd, tmp, dfd, name) < 0) {
                r = negative_errno();
                (void) unlinkat(dfd, tmp, 0);
                return error_set(ret_error, r, "cannot link %s in the zone: %s", alias, strerror(-r));
        }

        p = find_placement(s, zone, alias, program);
        if (!p) {
                p = reallocarray(s->placements, s->n_placements + 1, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                s->placements = p;
                p = &s->placements[s->n_placements++];
        } else
                placement_done(p);
        *p = (Placement){ .role = PLACE_LIBRARY,
                          .dev = (uint64_t) st.st_dev,
                          .ino = (uint64_t) st.st_ino,
                          .size = (uint64_t) st.st_size,
                          .mtime_ns = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                          .ctime_ns = (int64_t) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec };
        memcpy(p->sha256, s->placements[real].sha256, sizeof(p->sha256));
        p->zone = strdup(zone);
        p->source = strdup(alias);
        p->copy = TAKE_PTR(copy);
        p->program = strdup(program);
        return p->zone && p->source && p->program ? 0 : -ENOMEM;
}

int place_program(PlaceState *s, const char *zone, const char *program, bool with_libs, char **ret_error) {
        _cleanup_elf_closure_ ElfClosure *c = NULL;
        _cleanup_free_ char *real = NULL;
        int r;

        if (!program || program[0] != '/')
                return error_set(ret_error, -EINVAL, "give the program as an absolute path, not '%s'",
                                 program ?: "");
        real = realpath(program, NULL);
        if (!real)
                return error_set(ret_error, negative_errno(), "cannot find %s: %m", program);
        if (!place_state_has_zone(s, zone))
                return error_set(ret_error, -ENOENT, "%s is not a zone; create it first", zone);

        if (with_libs) {
                /* Resolve everything before copying anything: an unresolvable library is an error
                 * the user must see, not a half-placed program. */
                r = elf_closure(real, NULL, &c, ret_error);
                if (r < 0)
                        return r;
                if (c->n_unresolved > 0)
                        return error_set(ret_error, -ENOENT,
                                         "cannot place %s with its libraries: %s (needed by %s) %s%s", real,
                                         c->unresolved[0].name, c->unresolved[0].needed_by,
                                         c->unresolved[0].reason, c->n_unresolved > 1 ? "; and more" : "");
        }

        r = place_file(s, zone, real, PLACE_PROGRAM, real, ret_error);
        if (r < 0 || !c)
                return r;

        if (c->interpreter_realpath) {
                r = place_file(s, zone, c->interpreter_realpath, PLACE_INTERPRETER, real, ret_error);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_libraries; i++) {
                const ElfLibrary *l = &c->libraries[i];
                _cleanup_free_ char *copy = NULL;

                r = place_file(s, zone, l->realpath, PLACE_LIBRARY, real, ret_error);
                if (r < 0)
                        return r;
                /* The name ld.so opens (libz.so.1) may be a symlink to the file (libz.so.1.2.13). */
                if (l->path && l->path[0] == '/' && strcmp(l->path, l->realpath) != 0) {
                        r = place_copy_path(zone, l->realpath, &copy);
                        if (r < 0)
                                return r;
                        r = place_alias(s, zone, l->path, copy, real, ret_error);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ---- removal ------------------------------------------------------------------------------ */

/* Does another program's placement use the same copy? */
static bool copy_shared(const PlaceState *s, const Placement *p) {
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *q = &s->placements[i];
                if (q != p && strcmp(q->copy, p->copy) == 0 && strcmp(q->program, p->program) != 0)
                        return true;
        }
        return false;
}

/* lstat() of a file in a zone without following any symbolic link on the way. */
static int zone_stat(const char *zone, const char *path, struct stat *ret) {
        _cleanup_close_ int zone_fd = zone_open(zone, NULL), dfd = -1;
        const char *name;

        if (zone_fd < 0)
                return zone_fd;
        dfd = zone_open_parent(zone_fd, zone, path, false, &name, NULL);
        if (dfd < 0)
                return dfd;
        return fstatat(dfd, name, ret, AT_SYMLINK_NOFOLLOW) < 0 ? negative_errno() : 0;
}

int place_remove(PlaceState *s, const char *zone, const char *program, bool force, char **ret_error) {
        _cleanup_close_ int zone_fd = -1;
        bool found = false;

        /* First refuse if anything runs from a copy, then remove. */
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_holders_ Holders *h = NULL;
                _cleanup_free_ char *who = NULL;
                struct stat st;

                if (strcmp(p->zone, zone) != 0 || strcmp(p->program, program) != 0)
                        continue;
                found = true;
                if (force || copy_shared(s, p) || zone_stat(zone, p->copy, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (holders_of_file(st.st_dev, st.st_ino, &h) >= 0 && h->n > 0) {
                        (void) holders_describe(h, 3, &who);
                        return error_set(
                                ret_error, -EBUSY,
                                "%s is in use by %s; stop it first, or force (running processes keep "
                                "their mapping until they exit)",
                                p->copy, who ?: "a process");
                }
        }
        if (!found)
                return error_set(ret_error, -ENOENT, "%s is not placed in %s", program, zone);
        zone_fd = zone_open(zone, ret_error);
        if (zone_fd < 0)
                return zone_fd;

        for (size_t i = 0; i < s->n_placements;) {
                Placement *p = &s->placements[i];

                if (strcmp(p->zone, zone) != 0 || strcmp(p->program, program) != 0) {
                        i++;
                        continue;
                }
                if (!copy_shared(s, p)) {
                        _cleanup_close_ int dfd = -1;
                        _cleanup_free_ char *why = NULL;
                        const char *name;

                        /* unlinkat() in a directory reached without following anything: removes the
                         * copy, or a symbolic link planted in its place, never what such a link names. */
                        dfd = zone_open_parent(zone_fd, zone, p->copy, false, &name, &why);
                        if (dfd == -ENOENT)
                                ; /* its directory is gone: so is the copy */
                        else if (dfd < 0)
                                return error_set(ret_error, dfd, "cannot remove %s: %s", p->copy,
                                                 why ?: strerror(-dfd));
                        else if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
                                return error_set(ret_error, negative_errno(), "cannot remove %s: %m",
                                                 p->copy);
                }
                placement_done(p);
                memmove(p, p + 1, (s->n_placements - i - 1) * sizeof(*p));
                s->n_placements--;
        }
        return 0;
}

/* ---- activation --------------------------------------------------------------------------- */

/* Paths in unit files: spaces and specifiers would need escaping; placed files never need it. */
static bool path_is_unit_safe(const char *p) {
        return strcspn(p, " \t\n\"'\\%:") == strlen(p);
}

int place_write_dropin(const PlaceState *s, const char *zone, const char *program, const char *unit,
                       const char *dropin_root, char **ret_path, char **ret_error) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        size_t len = 0;
        FILE *f;
        bool any = false;
        int r;

        if (!service_name_is_valid(unit))
                return error_set(ret_error, -EINVAL, "'%s' is not a systemd service unit name", unit ?: "");
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f,
                "# Generated by daxmgr: %s runs from the XIP zone %s inside this service only.\n"
                "# The host's files stay untouched, so package managers can still replace them;\n"
                "# after an upgrade daxmgr reports the copies as stale until they are refreshed.\n"
                "[Service]\n",
                program, zone);
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *target = NULL;

                struct stat st;

                if (strcmp(p->zone, zone) != 0 || strcmp(p->program, program) != 0)
                        continue;
                if (lstat(p->copy, &st) < 0 || !S_ISREG(st.st_mode))
                        continue; /* an alias: the file it points to gets its own line */
                /* Bind over the real file: a bind mount onto a symlink would follow it anyway. */
                target = realpath(p->source, NULL);
                if (!target || !path_is_unit_safe(target) || !path_is_unit_safe(p->copy)) {
                        (void) fclose(f);
                        return error_set(ret_error, -EINVAL, "cannot express %s -> %s in a unit file",
                                         p->copy, p->source);
                }
                fprintf(f, "BindReadOnlyPaths=%s:%s\n", p->copy, target);
                any = true;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (!any)
                return error_set(ret_error, -ENOENT, "%s is not placed in %s", program, zone);

        if (asprintf(&path, "%s/%s.d/50-daxmgr-xip.conf", dropin_root, unit) < 0)
                return -ENOMEM;
        r = mkdir_parent_of(path);
        if (r < 0)
                return error_set(ret_error, r, "cannot create the drop-in directory for %s: %s", unit,
                                 strerror(-r));
        r = write_atomic(path, text, len, 0644, ret_error);
        if (r < 0)
                return r;
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

int place_remove_dropin(const char *unit, const char *dropin_root, char **ret_error) {
        _cleanup_free_ char *path = NULL, *dir = NULL;

        if (!service_name_is_valid(unit))
                return error_set(ret_error, -EINVAL, "'%s' is not a systemd service unit name", unit ?: "");
        if (asprintf(&path, "%s/%s.d/50-daxmgr-xip.conf", dropin_root, unit) < 0 ||
            asprintf(&dir, "%s/%s.d", dropin_root, unit) < 0)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return error_set(ret_error, negative_errno(), "cannot remove %s: %m", path);
        (void) rmdir(dir); /* only if empty */
        return 0;
}

static const Placement *find_role(const PlaceState *s, const char *zone, const char *program,
                                  PlaceRole role) {
        for (size_t i = 0; i < s->n_placements; i++)
                if (strcmp(s->placements[i].zone, zone) == 0 &&
                    strcmp(s->placements[i].program, program) == 0 && s->placements[i].role == role)
                        return &s->placements[i];
        return NULL;
}

/* A symbolic link @name -> @target in @dfd, made under a temporary name and renamed over
 * whatever was there (a file or a link, never followed), then the directory synced. */
static int symlink_atomic_at(int dfd, const char *target, const char *name, const char *path,
                             char **ret_error) {
        static unsigned counter;
        _cleanup_free_ char *tmp = NULL;
        int r;

        for (int tries = 0;; tries++) {
                free(tmp);
                if (asprintf(&tmp, ".%s.tmp-%d-%u", name, (int) getpid(), counter++) < 0)
                        return -ENOMEM;
                if (symlinkat(target, dfd, tmp) >= 0)
                        break;
                if (errno != EEXIST || tries > 100)
                        return error_set(ret_error, negative_errno(), "cannot create %s: %m", path);
        }
        if (renameat(dfd, tmp, dfd, name) < 0) {
                r = negative_errno();
                (void) unlinkat(dfd, tmp, 0);
                return error_set(ret_error, r, "cannot create %s: %s", path, strerror(-r));
        }
        if (fsync(dfd) < 0)
                return error_set(ret_error, negative_errno(), "cannot sync the directory of %s: %m", path);
        return 0;
}

/* The entry point of a program placed with its loader: a copy of the static launcher with a
 * .NAME.launch file next to it (one exec, no shell), or, where the launcher was not built, a
 * two-line shell script doing the same. Both exec the loader through @exec_as, a symbolic link
 * to it named like the program (bin/.exec/NAME): the kernel names a process after the last
 * component of the path it was exec'd by, symbolic links not resolved, so the process is NAME
 * in /proc/PID/comm (ps -C, pidof, killall, systemd) instead of "ld-linux-x86-64". */
static int write_launcher(int bin_fd, const char *zone, const char *name, const char *path,
                          const char *interp, const char *exec_as, const char *libdirs, const char *copy,
                          const char *program, char **ret_error) {
        _cleanup_free_ char *conf = NULL, *conf_path = NULL, *text = NULL, *bin = NULL;
        size_t size = 0;
        int r;

        if (strchr(interp, '\n') || strchr(exec_as, '\n') || strchr(libdirs, '\n') || strchr(copy, '\n'))
                return error_set(ret_error, -EINVAL, "the paths of %s contain a newline", program);

        if (read_full_file(XIP_LAUNCHER, 16 * 1024 * 1024, &bin, &size) >= 0) {
                _cleanup_free_ char *conf_name = NULL;

                if (asprintf(&conf_path, "%s/bin/.%s.launch", zone, name) < 0 ||
                    asprintf(&conf_name, ".%s.launch", name) < 0 ||
                    asprintf(&conf,
                             "# Generated by daxmgr for %s\ninterpreter=%s\nexec-as=%s\nlibrary-path=%s\n"
                             "program=%s\n",
                             program, interp, exec_as, libdirs, copy) < 0)
                        return -ENOMEM;
                /* The configuration first: the launcher must never be there without it. */
                r = write_atomic_at(bin_fd, conf_name, conf_path, conf, strlen(conf), 0644, ret_error);
                if (r < 0)
                        return r;
                return write_atomic_at(bin_fd, name, path, bin, size, 0755, ret_error);
        }

        if (!path_is_unit_safe(exec_as) || !path_is_unit_safe(copy) || strchr(libdirs, '\''))
                return error_set(ret_error, -EINVAL, "the paths of %s need quoting an entry point cannot do",
                                 program);
        if (asprintf(&text,
                     "#!/bin/sh\n"
                     "# Generated by daxmgr: run %s from the XIP zone %s, with its loader and libraries.\n"
                     "exec '%s' --library-path '%s' --argv0 \"$0\" '%s' \"$@\"\n",
                     program, zone, exec_as, libdirs, copy) < 0)
                return -ENOMEM;
        return write_atomic_at(bin_fd, name, path, text, strlen(text), 0755, ret_error);
}

int place_write_entry_point(const PlaceState *s, const char *zone, const char *program, char **ret_path,
                            char **ret_error) {
        _cleanup_free_ char *path = NULL, *libdirs = NULL, *exec_as = NULL;
        _cleanup_close_ int zone_fd = -1, bin_fd = -1, exec_fd = -1;
        const Placement *prog = find_role(s, zone, program, PLACE_PROGRAM);
        const Placement *interp = find_role(s, zone, program, PLACE_INTERPRETER);
        const char *name;
        size_t len = 0;
        FILE *f;
        int r;

        if (!prog)
                return error_set(ret_error, -ENOENT, "%s is not placed in %s", program, zone);
        name = strrchr(program, '/') + 1;
        if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return error_set(ret_error, -EINVAL, "%s has no file name for an entry point", program);
        if (asprintf(&path, "%s/bin/%s", zone, name) < 0)
                return -ENOMEM;
        zone_fd = zone_open(zone, ret_error);
        if (zone_fd < 0)
                return zone_fd;
        {
                const char *n;

                bin_fd = zone_open_parent(zone_fd, zone, path, true, &n, ret_error);
                if (bin_fd < 0)
                        return bin_fd;
        }
        (void) unlinkat(bin_fd, name, 0);

        if (!interp) {
                /* Alone: the kernel maps the copy itself; libraries come from the host. */
                if (symlinkat(prog->copy, bin_fd, name) < 0)
                        return error_set(ret_error, negative_errno(), "cannot create the entry point %s: %m",
                                         path);
        } else {
                /* With its loader and libraries: start the placed loader on the placed libraries,
                 * whose directories mirror the host's. */
                f = open_memstream(&libdirs, &len);
                if (!f)
                        return -ENOMEM;
                for (size_t i = 0; i < s->n_placements; i++) {
                        const Placement *p = &s->placements[i];
                        _cleanup_free_ char *d = NULL;

                        if (strcmp(p->zone, zone) != 0 || strcmp(p->program, program) != 0 ||
                            p->role != PLACE_LIBRARY)
                                continue;
                        d = strndup(p->copy, (size_t) (strrchr(p->copy, '/') - p->copy));
                        if (d && !strstr(libdirs ?: "", d)) {
                                (void) fflush(f);
                                fprintf(f, "%s%s", len ? ":" : "", d);
                        }
                }
                if (fclose(f) != 0)
                        return -ENOMEM;
                /* The name the process gets: bin/.exec/NAME -> the placed loader, first, since
                 * the launcher's configuration names it. */
                {
                        const char *n;

                        if (asprintf(&exec_as, "%s/bin/.exec/%s", zone, name) < 0)
                                return -ENOMEM;
                        exec_fd = zone_open_parent(zone_fd, zone, exec_as, true, &n, ret_error);
                        if (exec_fd < 0)
                                return exec_fd;
                        r = symlink_atomic_at(exec_fd, interp->copy, n, exec_as, ret_error);
                        if (r < 0)
                                return r;
                }
                r = write_launcher(bin_fd, zone, name, path, interp->copy, exec_as, libdirs, prog->copy,
                                   program, ret_error);
                if (r < 0)
                        return r;
        }
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

bool place_entry_point_current(const char *zone, const char *name) {
        _cleanup_free_ char *entry = NULL, *link = NULL;
        struct stat st;

        if (asprintf(&entry, "%s/bin/%s", zone, name) < 0 || lstat(entry, &st) < 0)
                return false;
        if (S_ISLNK(st.st_mode))
                return true;
        return asprintf(&link, "%s/bin/.exec/%s", zone, name) >= 0 && lstat(link, &st) >= 0 &&
               S_ISLNK(st.st_mode);
}

int place_write_entry_point_fallback(const char *zone, const char *program, char **ret_error) {
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        _cleanup_close_ int zone_fd = -1, bin_fd = -1;
        const char *name = strrchr(program, '/'), *n;

        if (!name || !name[1])
                return error_set(ret_error, -EINVAL, "%s has no file name for an entry point", program);
        name++;
        if (asprintf(&path, "%s/bin/%s", zone, name) < 0 || asprintf(&tmp, ".%s.daxmgr-fallback", name) < 0)
                return -ENOMEM;
        zone_fd = zone_open(zone, ret_error);
        if (zone_fd < 0)
                return zone_fd;
        bin_fd = zone_open_parent(zone_fd, zone, path, true, &n, ret_error);
        if (bin_fd < 0)
                return bin_fd;
        /* Replaced atomically: a start at this moment runs the old entry point or the original. */
        (void) unlinkat(bin_fd, tmp, 0);
        if (symlinkat(program, bin_fd, tmp) < 0 || renameat(bin_fd, tmp, bin_fd, name) < 0) {
                int r = negative_errno();

                (void) unlinkat(bin_fd, tmp, 0);
                return error_set(ret_error, r, "cannot point the entry point %s at %s: %s", path, program,
                                 strerror(-r));
        }
        return 0;
}

bool place_entry_point_is_fallback(const char *zone, const char *program) {
        _cleanup_free_ char *path = NULL, *target = NULL;
        const char *name = strrchr(program, '/');

        if (!name || asprintf(&path, "%s/bin/%s", zone, name + 1) < 0)
                return false;
        return readlinkat_malloc(AT_FDCWD, path, &target) >= 0 && strcmp(target, program) == 0;
}

/* Is @target a mount point whose source is the file (dev, ino) of @copy? */
static int bound_here(const char *copy, const char *target) {
        struct stat a, b;

        if (stat(copy, &a) < 0 || stat(target, &b) < 0)
                return negative_errno();
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int place_bind_host(const PlaceState *s, const char *zone, const char *program, char **ret_error) {
        _cleanup_close_ int zone_fd = -1;
        bool any = false;

        zone_fd = zone_open(zone, ret_error);
        if (zone_fd < 0)
                return zone_fd;
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *target = NULL, *procfd = NULL;
                _cleanup_close_ int dfd = -1, cfd = -1;
                const char *name;
                struct stat st;
                int r;

                if (strcmp(p->zone, zone) != 0 || strcmp(p->program, program) != 0)
                        continue;
                dfd = zone_open_parent(zone_fd, zone, p->copy, false, &name, ret_error);
                if (dfd < 0)
                        return dfd;
                /* The copy itself, by an fd: the bind mount's source cannot be redirected by a
                 * symbolic link swapped in after this. */
                cfd = openat_beneath(dfd, name, O_PATH, 0);
                if (cfd == -ELOOP)
                        continue; /* an alias: it resolves to a bound file */
                if (cfd < 0)
                        return error_set(ret_error, cfd, "cannot open %s: %s", p->copy, strerror(-cfd));
                if (fstat(cfd, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                any = true;
                target = realpath(p->source, NULL);
                if (!target)
                        return error_set(ret_error, negative_errno(), "cannot bind over %s: %m", p->source);
                r = bound_here(p->copy, target);
                if (r > 0)
                        continue;
                if (asprintf(&procfd, "/proc/self/fd/%d", cfd) < 0)
                        return -ENOMEM;
                if (mount(procfd, target, NULL, MS_BIND, NULL) < 0)
                        return error_set(ret_error, negative_errno(), "cannot bind %s over %s: %m", p->copy,
                                         target);
                if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
                        r = negative_errno();
                        (void) umount2(target, 0);
                        return error_set(ret_error, r, "cannot make the bind mount over %s read-only: %s",
                                         target, strerror(-r));
                }
        }
        if (!any)
                return error_set(ret_error, -ENOENT, "%s is not placed in %s", program, zone);
        return 0;
}

int place_unbind_host(const PlaceState *s, const char *zone, const char *program, char **ret_error) {
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *target = NULL;

                if (strcmp(p->zone, zone) != 0 || strcmp(p->program, program) != 0)
                        continue;
                target = realpath(p->source, NULL);
                if (!target || bound_here(p->copy, target) <= 0)
                        continue;
                if (umount2(target, UMOUNT_NOFOLLOW) < 0) {
                        _cleanup_holders_ Holders *h = NULL;
                        _cleanup_free_ char *who = NULL;
                        struct stat st;
                        int r = negative_errno();

                        if (r == -EBUSY && stat(target, &st) == 0 &&
                            holders_of_file(st.st_dev, st.st_ino, &h) >= 0)
                                (void) holders_describe(h, 3, &who);
                        return error_set(ret_error, r, "cannot unbind %s: %s%s%s", target, strerror(-r),
                                         who ? "; in use by " : "", who ?: "");
                }
        }
        return 0;
}

/* ---- placing and activating ----------------------------------------------------------------- */

int place_systemd_reload(char **ret_error) {
        __attribute__((cleanup(sd_bus_flush_close_unrefp))) sd_bus *bus = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return error_set(ret_error, r, "cannot connect to the system bus to reload systemd: %s",
                                 strerror(-r));
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "Reload", &e, NULL, "");
        if (r < 0)
                r = error_set(ret_error, r, "systemd did not reload its units: %s",
                              e.message ?: strerror(-r));
        sd_bus_error_free(&e);
        return r;
}

/* What a placement made by hand was asked for, in its program's record (found by the resolved
 * path place_program() records it under; none found: nothing to remember). */
static int remember_activation(PlaceState *st, const PlaceActivation *a) {
        _cleanup_free_ char *real = realpath(a->program, NULL), *service = NULL;
        Placement *p = real ? place_state_find_program(st, a->zone, real) : NULL;

        if (!p)
                return 0;
        if (a->service) {
                service = strdup(a->service);
                if (!service)
                        return -ENOMEM;
        }
        free(p->service);
        p->service = TAKE_PTR(service);
        p->has_activation = true;
        p->refresh_manual = a->refresh_manual;
        p->entry_point = a->entry_point;
        p->bind_host = a->bind_host;
        return 0;
}

static void activate_progress(const PlaceActivation *a, PlaceActivateStep step) {
        if (a->progress)
                a->progress(step, a, a->userdata);
}

int place_and_activate(PlaceState *st, const PlaceActivation *a, char **ret_entry_point, char **ret_dropin,
                       char **ret_error) {
        _cleanup_free_ char *entry = NULL, *dropin = NULL;
        int r;

        if (!st || !a)
                return -EINVAL;
        if (!a->program) /* the words of place_program() */
                return error_set(ret_error, -EINVAL, "give the program as an absolute path, not ''");
        if (!a->zone)
                return error_set(ret_error, -EINVAL, "no zone given to place or activate %s in", a->program);
        if (a->remember && !a->place)
                return error_set(ret_error, -EINVAL,
                                 "the activations of %s are remembered only when it is placed", a->program);

        if (a->place) {
                activate_progress(a, PLACE_ACTIVATE_PLACE);
                r = place_program(st, a->zone, a->program, a->with_libraries, ret_error);
                if (r < 0)
                        return r;
                if (a->remember) {
                        r = remember_activation(st, a);
                        if (r < 0)
                                return r;
                }
                r = place_state_save(st, ret_error);
                if (r < 0)
                        return r;
        }
        if (a->entry_point) {
                activate_progress(a, PLACE_ACTIVATE_ENTRY_POINT);
                r = place_write_entry_point(st, a->zone, a->program, &entry, ret_error);
                if (r < 0)
                        return r;
        }
        if (a->service) {
                activate_progress(a, PLACE_ACTIVATE_DROPIN);
                r = place_write_dropin(st, a->zone, a->program, a->service,
                                       a->dropin_root ?: PLACE_DROPIN_ROOT, &dropin, ret_error);
                if (r < 0)
                        return r;
                if (!a->no_reload) {
                        r = place_systemd_reload(ret_error);
                        if (r < 0)
                                return r;
                }
        }
        if (a->bind_host) {
                activate_progress(a, PLACE_ACTIVATE_BIND_HOST);
                r = place_bind_host(st, a->zone, a->program, ret_error);
                if (r < 0)
                        return r;
        }
        if (ret_entry_point)
                *ret_entry_point = TAKE_PTR(entry);
        if (ret_dropin)
                *ret_dropin = TAKE_PTR(dropin);
        return 0;
}
