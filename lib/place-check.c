/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the daemon asks of the placement state on its event loop, apart from what changes files
 * (place-copy.c reads library closures with libelf, place-zone.c checks DAX with libmount): the
 * hash cache, placement_check() (stat(), and a hash only when allowed), the lookups, and the
 * sentence about a recorded layout. Also the copy loop and the hash, which place-copy.c uses. */

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "error.h"
#include "fs-util.h"
#include "place-internal.h"
#include "strv.h"

bool place_state_has_zone(const PlaceState *s, const char *dir) {
        for (size_t i = 0; i < s->n_zones; i++)
                if (strcmp(s->zones[i], dir) == 0)
                        return true;
        return false;
}

static int write_all(int to, const char *buf, size_t n) {
        for (size_t done = 0; done < n;) {
                ssize_t w = write(to, buf + done, n - done);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                done += (size_t) w;
        }
        return 0;
}

int place_copy_data(int from, int to) {
        /* The kernel's ways first: copy_file_range() (same file system type, or a server-side
         * copy), then sendfile() (any two files: the page cache is written to the copy without a
         * round trip through a buffer here), then read() and write(). Each way carries on from
         * the offsets the one before left. 0 from the first two is taken as the end only once
         * read() says so: some file systems report 0 for files they cannot splice. */
        enum { WITH_COPY_FILE_RANGE, WITH_SENDFILE, WITH_READ_WRITE } how = WITH_COPY_FILE_RANGE;
        _cleanup_free_ char *buf = NULL;
        const size_t chunk = 1024 * 1024, big = 16 * 1024 * 1024;

        (void) posix_fadvise(from, 0, 0, POSIX_FADV_SEQUENTIAL);
        for (;;) {
                ssize_t n;

                if (how == WITH_COPY_FILE_RANGE)
                        n = copy_file_range(from, NULL, to, NULL, big, 0);
                else if (how == WITH_SENDFILE)
                        n = sendfile(to, from, NULL, big);
                else {
                        if (!buf && !(buf = malloc(chunk)))
                                return -ENOMEM;
                        n = read(from, buf, chunk);
                }
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        /* Not between these two files (another file system, no splice) */
                        if (how != WITH_READ_WRITE &&
                            (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                                how++;
                                continue;
                        }
                        return negative_errno();
                }
                if (n == 0) {
                        if (how == WITH_READ_WRITE)
                                break;
                        how = WITH_READ_WRITE;
                        continue;
                }
                if (how == WITH_READ_WRITE) {
                        int r = write_all(to, buf, (size_t) n);

                        if (r < 0)
                                return r;
                }
        }
        /* What runs is the copy: the original's pages need not stay in DRAM (those mapped by a
         * running process stay). */
        (void) posix_fadvise(from, 0, 0, POSIX_FADV_DONTNEED);
        return 0;
}

/* Eight bytes of a copy that differ from its source, and what the source has there. */
typedef struct HashPatch {
        uint64_t offset;
        uint8_t bytes[8];
} HashPatch;

/* Puts the source's bytes of @patches back into @buf, which holds @n bytes of the file from @pos. */
static void hash_patch_apply(uint8_t *buf, uint64_t pos, size_t n, const HashPatch *patches,
                             size_t n_patches) {
        for (size_t k = 0; k < n_patches; k++)
                for (size_t j = 0; j < sizeof(patches[k].bytes); j++) {
                        uint64_t at = patches[k].offset + j;

                        if (at >= pos && at - pos < n)
                                buf[at - pos] = patches[k].bytes[j];
                }
}

static int hash_fd_patched(int fd, const HashPatch *patches, size_t n_patches, char ret_sha[static 65]) {
        static const char hex[] = "0123456789abcdef";
        uint8_t digest[SHA256_DIGEST_SIZE];
        struct sha256_ctx ctx;
        _cleanup_free_ uint8_t *buf = NULL;
        const size_t size = 1024 * 1024;
        uint64_t pos = 0;

        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        sha256_init(&ctx);
        for (;;) {
                ssize_t n = pread(fd, buf, size, (off_t) pos);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                hash_patch_apply(buf, pos, (size_t) n, patches, n_patches);
                sha256_update(&ctx, (size_t) n, buf);
                pos += (uint64_t) n;
        }
        sha256_digest(&ctx, sizeof(digest), digest);
        for (size_t i = 0; i < sizeof(digest); i++) {
                ret_sha[2 * i] = hex[digest[i] >> 4];
                ret_sha[2 * i + 1] = hex[digest[i] & 15];
        }
        ret_sha[64] = '\0';
        return 0;
}

int place_hash_fd(int fd, char ret_sha[static 65]) {
        return hash_fd_patched(fd, NULL, 0, ret_sha);
}

int place_hash_copy_fd(int fd, const Placement *p, char ret_sha[static 65]) {
        HashPatch patches[PLACEMENT_ALIGN_MAX];
        Elf64_Ehdr eh;
        ssize_t n;

        if (p->n_aligned == 0)
                return place_hash_fd(fd, ret_sha);
        /* The copy's p_align raised to 2 MiB (place-pmd.c): hash it with the source's values, so
         * that its hash is the source's when the bytes placed are the source's. The program header
         * table itself is where it was: only p_align was written. */
        n = pread(fd, &eh, sizeof(eh), 0);
        if (n < 0)
                return negative_errno();
        if ((size_t) n < sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
            eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
                return -ESTALE; /* not the ELF object that was placed */
        for (size_t k = 0; k < p->n_aligned; k++) {
                uint64_t was = htole64(p->aligned[k].was);

                if (p->aligned[k].phdr >= eh.e_phnum)
                        return -ESTALE;
                patches[k].offset = eh.e_phoff + (uint64_t) p->aligned[k].phdr * sizeof(Elf64_Phdr) +
                                    offsetof(Elf64_Phdr, p_align);
                memcpy(patches[k].bytes, &was, sizeof(was));
        }
        return hash_fd_patched(fd, patches, p->n_aligned, ret_sha);
}

static int hash_file(const char *path, char ret_sha[static 65]) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        return place_hash_fd(fd, ret_sha);
}

static int64_t mtime_ns_of(const struct stat *st) {
        return (int64_t) st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int64_t ctime_ns_of(const struct stat *st) {
        return (int64_t) st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

void placement_hash_pending(Placement *p, const struct stat *copy_st) {
        memset(p->sha256, '0', 64);
        p->sha256[64] = '\0';
        p->hash_pending = true;
        p->copy_identity.ino = (uint64_t) copy_st->st_ino;
        p->copy_identity.size = (uint64_t) copy_st->st_size;
        p->copy_identity.mtime_ns = mtime_ns_of(copy_st);
        p->copy_identity.ctime_ns = ctime_ns_of(copy_st);
}

/* Is @st the copy as it was written? Not its device: the number of a pmem block device may
 * change from one boot to the next; the zone's path and the inode's ctime pin it. */
static bool copy_identity_is(const Placement *p, const struct stat *st) {
        return S_ISREG(st->st_mode) && (uint64_t) st->st_ino == p->copy_identity.ino &&
               (uint64_t) st->st_size == p->copy_identity.size &&
               mtime_ns_of(st) == p->copy_identity.mtime_ns && ctime_ns_of(st) == p->copy_identity.ctime_ns;
}

int placement_copy_hash(const Placement *p, PlaceHashCache *cache, bool may_hash, char ret_sha[static 65],
                        struct stat *ret_st) {
        _cleanup_close_ int fd = -1;
        const PlaceHashEntry *e;
        PlaceHashEntry n;
        struct stat st;
        int r;

        if (!p->hash_pending)
                return -EINVAL;
        /* Follows an alias's symbolic link to its file's copy, whose identity the alias recorded:
         * a link that leads elsewhere finds another inode. Never blocks on a FIFO put there. */
        fd = open(p->copy, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT || errno == ELOOP || errno == ENOTDIR ? -ESTALE : negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!copy_identity_is(p, &st))
                return -ESTALE;
        if (ret_st)
                *ret_st = st;
        e = place_hash_cache_find(cache, &st);
        if (e) {
                memcpy(ret_sha, e->sha256, 65);
                return 1;
        }
        if (!may_hash)
                return 0;
        r = place_hash_copy_fd(fd, p, n.sha256);
        if (r < 0)
                return r;
        /* Written to while it was read: what was read is not what was placed. */
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!copy_identity_is(p, &st))
                return -ESTALE;
        n.dev = (uint64_t) st.st_dev;
        n.ino = (uint64_t) st.st_ino;
        n.size = (uint64_t) st.st_size;
        n.mtime_ns = mtime_ns_of(&st);
        n.ctime_ns = ctime_ns_of(&st);
        if (cache)
                (void) place_hash_cache_add(cache, &n);
        memcpy(ret_sha, n.sha256, 65);
        return 1;
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
        char now[65], placed[65];
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
         * rewrites it, chmod changes the ctime): the content decides, hashed once per identity.
         * With the hash of what was placed still pending, the copy's size is that content's
         * size: another size settles it without reading anything. */
        if (p->hash_pending && (uint64_t) st.st_size != p->copy_identity.size) {
                *ret = PLACE_CHECK_STALE;
                if (ret_why)
                        *ret_why = asprintf_safe("%s changed since it was placed (%" PRIu64
                                                 " bytes now, %" PRIu64 " placed)",
                                                 p->source, (uint64_t) st.st_size, p->copy_identity.size);
                return 0;
        }
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
        memcpy(now, e->sha256, sizeof(now)); /* @e may be overwritten by the copy's entry */
        if (p->hash_pending) {
                r = placement_copy_hash(p, cache, may_hash, placed, NULL);
                if (r == -ESTALE) {
                        *ret = PLACE_CHECK_STALE;
                        if (ret_why)
                                *ret_why = asprintf_safe(
                                        "%s changed since it was placed, and its copy %s is no longer "
                                        "the file written then (its inode, size or times differ), so "
                                        "what it holds is unknown",
                                        p->source, p->copy);
                        return 0;
                }
                if (r == -EIO) { /* a media error in the copy: a new copy is written elsewhere */
                        *ret = PLACE_CHECK_STALE;
                        if (ret_why)
                                *ret_why = asprintf_safe(
                                        "%s changed since it was placed, and its copy %s cannot be "
                                        "read to compare (%s)",
                                        p->source, p->copy, strerror(-r));
                        return 0;
                }
                if (r < 0)
                        return r;
                if (r == 0) {
                        *ret = PLACE_CHECK_UNKNOWN;
                        return 0;
                }
        } else
                memcpy(placed, p->sha256, sizeof(placed));
        if (strcmp(now, placed) != 0) {
                *ret = PLACE_CHECK_STALE;
                if (ret_why)
                        *ret_why = asprintf_safe(
                                "%s changed since it was placed (content differs: sha256 %.12s… now, "
                                "%.12s… placed)",
                                p->source, now, placed);
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

int place_state_prime_warnings(const PlaceState *st, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (!st || !ret)
                return -EINVAL;
        for (size_t i = 0; i < st->n_placements; i++) {
                char *w = NULL;

                r = placement_prime_warning(&st->placements[i], &w);
                if (r < 0)
                        return r;
                if (w) {
                        r = strv_consume(&l, w);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}
