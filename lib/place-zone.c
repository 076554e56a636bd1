/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Zones, and removing a placement from one. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "dax-mount.h"
#include "elf-closure.h"
#include "error.h"
#include "fs-util.h"
#include "holders.h"
#include "place-internal.h"

/* ---- zones -------------------------------------------------------------------------------- */

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
int zone_open_parent(int zone_fd, const char *zone, const char *path, bool create, const char **ret_name,
                     char **ret_error) {
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

int place_remove_libraries(PlaceState *s, const char *zone, const char *program, char **ret_error) {
        _cleanup_close_ int zone_fd = -1;

        zone_fd = zone_open(zone, ret_error);
        if (zone_fd < 0)
                return zone_fd;
        for (size_t i = 0; i < s->n_placements;) {
                Placement *p = &s->placements[i];

                if (p->role == PLACE_PROGRAM || strcmp(p->zone, zone) != 0 ||
                    strcmp(p->program, program) != 0) {
                        i++;
                        continue;
                }
                /* A process that maps a copy keeps its mapping; new starts no longer find it. */
                if (!copy_shared(s, p)) {
                        _cleanup_close_ int dfd = -1;
                        _cleanup_free_ char *why = NULL;
                        const char *name;

                        dfd = zone_open_parent(zone_fd, zone, p->copy, false, &name, &why);
                        if (dfd == -ENOENT)
                                ;
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
