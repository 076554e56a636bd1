/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Copying into a zone, refresh, and placing a program with its loader and libraries (read with
 * libelf). The hash cache and staleness are in place-check.c. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "elf-advice.h"
#include "elf-closure.h"
#include "fileio.h"
#include "parse-util.h"
#include "error.h"
#include "place-internal.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

static int place_alias(PlaceState *s, const char *zone, const char *alias, const char *target_copy,
                       const char *program, char **ret_error);

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

/* The copy itself: everything but the bookkeeping. Fills identity fields of @p, its layout, and
 * for a program (@role) the program headers whose p_align it raised; primes its 2 MiB windows. */
static int copy_into_zone(int zone_fd, const char *zone, const char *source, const char *copy,
                          PlaceRole role, Placement *p, char **ret_error) {
        _cleanup_free_ char *dir = NULL, *tmpname = NULL, *procfd = NULL;
        _cleanup_close_ int in = -1, out = -1, dfd = -1;
        _cleanup_elf_object_ ElfObject *o = NULL;
        const char *name;
        struct statx sx;
        struct stat st, cst;
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
        /* Readable too: the program headers are read back, and the windows primed, from it. */
        out = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (out < 0)
                return error_set(ret_error, negative_errno(), "cannot create a file in %s: %m", dir);

        r = place_copy_data(in, out);
        if (r < 0)
                return error_set(ret_error, r, "cannot copy %s into %s: %s", source, dir, strerror(-r));
        /* Its ELF headers, read once (libelf, pread(): never mapped): the p_align raised, the
         * layout recorded and the windows primed below all come from this. A file that is not
         * ELF, or whose layout cannot be read, is placed all the same, with its layout unknown. */
        r = elf_object_read_fd(out, copy, &o, NULL);
        if (r == -ENOMEM)
                return r;
        /* A program the kernel loads (the drop-in, the host bind, an entry point without
         * libraries) lands 2 MiB-aligned only with a p_align of 2 MiB; ld.so's mmap() of a DAX
         * file is aligned already (thp_get_unmapped_area()), so libraries are left as they are. */
        if (role == PLACE_PROGRAM) {
                r = place_copy_align_pmd(out, o, p);
                if (r < 0)
                        return error_set(ret_error, r,
                                         "cannot write the program headers of the copy of %s: %s", source,
                                         strerror(-r));
        }
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
        /* Its layout, and its windows primed: before the copy has a name, nobody else can map
         * it misaligned first. */
        place_copy_layout(out, copy, o, p);

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

        /* Not hashed on the way (SHA-256 alone is slower than the copy): the copy is hashed when
         * a change of the original needs it, if it still is the file written here. */
        if (fstat(out, &cst) < 0)
                return error_set(ret_error, negative_errno(), "cannot stat %s: %m", copy);
        placement_hash_pending(p, &cst);
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

        r = copy_into_zone(zone_fd, zone, source, copy, role, &n, ret_error);
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
                n.dropin_unit = TAKE_PTR(p->dropin_unit);
                n.applied_service = TAKE_PTR(p->applied_service);
                n.applied_entry_point = p->applied_entry_point;
                n.applied_bind_host = p->applied_bind_host;
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
        p->hash_pending = s->placements[real].hash_pending;
        p->copy_identity = s->placements[real].copy_identity;
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

#define PMD_WINDOW (UINT64_C(2) << 20)

uint64_t extents_pmd_aligned_windows(const FileExtent *extents, size_t n_extents, const uint64_t *windows,
                                     size_t n_windows, uint64_t device_start) {
        const uint32_t bad = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED |
                             FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_DATA_INLINE |
                             FIEMAP_EXTENT_DATA_TAIL | FIEMAP_EXTENT_UNWRITTEN;
        uint64_t aligned = 0;

        for (size_t w = 0; w < n_windows; w++) {
                uint64_t from = windows[w], to = from + PMD_WINDOW, covered = 0, delta = 0;
                bool ok = from <= UINT64_MAX - PMD_WINDOW, have_delta = false;

                for (size_t i = 0; ok && i < n_extents; i++) {
                        const FileExtent *e = &extents[i];
                        uint64_t a, b, d;

                        if (e->length == 0 || e->logical >= to || e->logical + e->length <= from ||
                            e->logical > UINT64_MAX - e->length)
                                continue;
                        /* physical + device_start - logical, modulo 2^64: equal for one run */
                        d = e->physical + device_start - e->logical;
                        if ((e->flags & bad) || (have_delta && d != delta)) {
                                ok = false;
                                break;
                        }
                        delta = d;
                        have_delta = true;
                        a = e->logical > from ? e->logical : from;
                        b = e->logical + e->length < to ? e->logical + e->length : to;
                        covered += b - a;
                }
                if (ok && have_delta && covered == PMD_WINDOW && (from + delta) % PMD_WINDOW == 0)
                        aligned++;
        }
        return aligned;
}

/* The extents of @fd, all of them (FIEMAP_FLAG_SYNC: after the data is on the device). */
int place_read_extents(int fd, FileExtent **ret, size_t *ret_n) {
        enum { BATCH = 128 };
        _cleanup_free_ struct fiemap *fm = NULL;
        _cleanup_free_ FileExtent *list = NULL;
        size_t n = 0;
        uint64_t start = 0;

        fm = calloc(1, sizeof(struct fiemap) + BATCH * sizeof(struct fiemap_extent));
        if (!fm)
                return -ENOMEM;
        for (;;) {
                bool last = false;

                *fm = (struct fiemap){ .fm_start = start,
                                       .fm_length = FIEMAP_MAX_OFFSET - start,
                                       .fm_flags = FIEMAP_FLAG_SYNC,
                                       .fm_extent_count = BATCH };
                if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0)
                        return negative_errno();
                if (fm->fm_mapped_extents == 0)
                        break;
                for (uint32_t i = 0; i < fm->fm_mapped_extents; i++) {
                        const struct fiemap_extent *x = &fm->fm_extents[i];
                        FileExtent *l = reallocarray(list, n + 1, sizeof(FileExtent));

                        if (!l)
                                return -ENOMEM;
                        list = l;
                        list[n++] = (FileExtent){ .logical = x->fe_logical,
                                                  .physical = x->fe_physical,
                                                  .length = x->fe_length,
                                                  .flags = x->fe_flags };
                        if (x->fe_flags & FIEMAP_EXTENT_LAST)
                                last = true;
                        start = x->fe_logical + x->fe_length;
                }
                if (last || n > 1000000)
                        break;
        }
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

/* Where the filesystem's device starts within its namespace: a partition's start, 0 for a
 * whole device (/dev/pmemN). */
uint64_t place_device_start(dev_t dev) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        uint64_t sectors;

        if (asprintf(&path, "/sys/dev/block/%u:%u/start", major(dev), minor(dev)) < 0)
                return 0;
        if (read_one_line_at(AT_FDCWD, path, &line) < 0 || parse_u64(line, 10, &sectors) < 0 ||
            sectors > UINT64_MAX / 512)
                return 0;
        return sectors * 512;
}

/* What @o says of its layout: its text, its PMD-eligible windows (their offsets in *ret_windows,
 * NULL when there are none) and their coverage. */
static int layout_of_object(const ElfObject *o, PlacementLayout *ret, uint64_t **ret_windows,
                            char **ret_error) {
        _cleanup_elf_advice_ ElfAdvice *a = NULL;
        PlacementLayout l = {};
        int r;

        r = elf_advice_from_object(o, &a, ret_error);
        if (r < 0)
                return r;
        r = elf_pmd_windows(o->segments, o->n_segments, &l.windows, ret_windows);
        if (r < 0)
                return r;
        l.text_bytes = a->text_bytes;
        l.coverage = a->text_pmd_coverage;
        *ret = l;
        return 0;
}

/* Which of the @l->windows windows at @windows lie 2 MiB-aligned on the device, by the extents of
 * @fd (FIEMAP): counted in @l (extents_known false on a file system without FIEMAP), and moved to
 * the front of @windows. */
static int layout_extents(int fd, const char *copy, PlacementLayout *l, uint64_t *windows,
                          char **ret_error) {
        _cleanup_free_ FileExtent *extents = NULL;
        uint64_t device_start, k = 0;
        size_t n_extents = 0;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return error_set(ret_error, negative_errno(), "cannot stat %s: %m", copy);
        r = place_read_extents(fd, &extents, &n_extents);
        if (r == -EOPNOTSUPP || r == -ENOTTY) {
                l->extents_known = false;
                return 0;
        }
        if (r < 0)
                return error_set(ret_error, r, "cannot read the extents of %s (FIEMAP): %s", copy,
                                 strerror(-r));
        device_start = place_device_start(st.st_dev);
        for (uint64_t i = 0; i < l->windows; i++)
                if (extents_pmd_aligned_windows(extents, n_extents, &windows[i], 1, device_start) == 1)
                        windows[k++] = windows[i];
        l->extents_known = true;
        l->aligned_windows = k;
        return 0;
}

void place_copy_layout(int fd, const char *copy, const ElfObject *o, Placement *p) {
        _cleanup_free_ uint64_t *windows = NULL;
        PlacementLayout l = {};
        int r;

        p->layout_known = false;
        p->layout = (PlacementLayout){};
        p->prime_error = 0;
        p->primed_windows = 0;
        if (!o || layout_of_object(o, &l, &windows, NULL) < 0)
                return;
        r = layout_extents(fd, copy, &l, windows, NULL);
        if (r < 0) {
                /* Where its windows lie is unknown: none is primed, and that is said. */
                if (l.windows > 0)
                        p->prime_error = r;
                return;
        }
        p->layout_known = true;
        p->layout = l;
        p->prime_error = place_copy_prime(fd, windows, l.aligned_windows, &p->primed_windows);
}

int placement_layout(const char *copy, PlacementLayout *ret, char **ret_error) {
        _cleanup_elf_object_ ElfObject *o = NULL;
        _cleanup_free_ uint64_t *windows = NULL;
        _cleanup_close_ int fd = -1;
        PlacementLayout l = {};
        int r;

        if (!copy || !ret)
                return -EINVAL;
        fd = open(copy, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0) {
                r = negative_errno();
                return error_set(ret_error, r, "Cannot open %s: %s.", copy, strerror(-r));
        }
        r = elf_object_read_fd(fd, copy, &o, ret_error);
        if (r < 0)
                return r;
        r = layout_of_object(o, &l, &windows, ret_error);
        if (r < 0)
                return r;
        r = layout_extents(fd, copy, &l, windows, ret_error);
        if (r < 0)
                return r;
        *ret = l;
        return 0;
}
