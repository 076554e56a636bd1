/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the daemon asks of the placement state on its event loop, apart from what changes files
 * (place-copy.c reads library closures with libelf, place-zone.c checks DAX with libmount): the
 * hash cache, placement_check() (stat(), and a hash only when allowed), the lookups, and the
 * sentence about a recorded layout. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "error.h"
#include "fs-util.h"
#include "place-internal.h"

bool place_state_has_zone(const PlaceState *s, const char *dir) {
        for (size_t i = 0; i < s->n_zones; i++)
                if (strcmp(s->zones[i], dir) == 0)
                        return true;
        return false;
}

/* Copies the data of @from to @to, hashing it on the way. */
int place_copy_and_hash(int from, int to, char ret_sha[static 65]) {
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
        return place_copy_and_hash(fd, null, ret_sha);
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

bool place_entry_point_is_fallback(const char *zone, const char *program) {
        _cleanup_free_ char *path = NULL, *target = NULL;
        const char *name = strrchr(program, '/');

        if (!name || asprintf(&path, "%s/bin/%s", zone, name + 1) < 0)
                return false;
        return readlinkat_malloc(AT_FDCWD, path, &target) >= 0 && strcmp(target, program) == 0;
}

int placement_layout_warning(const char *copy, const PlacementLayout *l, char **ret) {
        char *s = NULL;

        if (!l || !ret)
                return -EINVAL;
        if (l->windows > 0 && !l->extents_known) {
                if (asprintf(&s,
                             "%s: where its %" PRIu64
                             " PMD-eligible 2 MiB window(s) of text lie on the device "
                             "is unknown (the filesystem has no FIEMAP), so whether they can be mapped with "
                             "2 MiB entries is unknown",
                             copy, l->windows) < 0)
                        return -ENOMEM;
        } else if (l->aligned_windows < l->windows) {
                if (asprintf(
                            &s,
                            "%s: %" PRIu64 " of its %" PRIu64
                            " PMD-eligible 2 MiB window(s) of text are not "
                            "2 MiB-aligned and contiguous on the device, so the kernel maps them with 4 KiB "
                            "entries (a fault per page); a zone on xfs with a 2 MiB stripe unit and extent "
                            "size hint (daxmgr format) places copies aligned",
                            copy, l->windows - l->aligned_windows, l->windows) < 0)
                        return -ENOMEM;
        }
        *ret = s;
        return 0;
}

int placement_prime_warning(const Placement *p, char **ret) {
        char *s = NULL;

        if (!p || !ret)
                return -EINVAL;
        if (p->prime_error < 0 &&
            asprintf(&s,
                     "%s: cannot prime its 2 MiB windows of text (map them aligned once, so that the "
                     "file's DAX index holds 2 MiB entries): %s; the first process to map it decides, "
                     "and one that maps it misaligned leaves 4 KiB entries for every later one",
                     p->copy, strerror(-p->prime_error)) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}
