/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Placement state (JSON round trip, hostile state files, a pending hash), copy paths, placement
 * refused where DAX is not in effect (the build machine has none: nothing may be left behind),
 * the copy loop's three ways, place_and_activate()'s checks and its handling of the state,
 * staleness (with a recorded and with a pending hash) and the 2 MiB window arithmetic of the
 * process verifier. */

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/fiemap.h>
#include <sys/stat.h>

#include "error.h"
#include "place-internal.h"
#include "place.h"
#include "strv.h"
#include "test-macro.h"
#include "xip-verify.h"

static const char state_text[] =
        "{ \"version\": 1, \"zones\": [ \"/mnt/pmem/apps\" ], \"placements\": [ {"
        " \"zone\": \"/mnt/pmem/apps\", \"source\": \"/usr/bin/python3.11\","
        " \"copy\": \"/mnt/pmem/apps/root/usr/bin/python3.11\", \"role\": \"program\","
        " \"program\": \"/usr/bin/python3.11\", \"dev\": 65025, \"ino\": 1234, \"size\": 6831704,"
        " \"mtime_ns\": 1700000000123456789,"
        " \"sha256\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\" } ] }";

static PlaceState *parse(const char *text, int expect, const char *words) {
        json_object *j = json_tokener_parse(text);
        PlaceState *s = NULL;
        char *e = NULL;

        ASSERT_TRUE(j);
        ASSERT_EQ(place_state_from_json(j, "/var/lib/daxmgr/placements.json", &s, &e), expect);
        if (words && (!e || !strstr(e, words))) {
                fprintf(stderr, "expected '%s', got '%s'\n", words, e);
                abort();
        }
        free(e);
        json_object_put(j);
        return s;
}

TEST(test_state_round_trip) {
        _cleanup_place_state_ PlaceState *s = parse(state_text, 0, NULL);
        json_object *again, *orig = json_tokener_parse(state_text);

        ASSERT_EQ(s->n_zones, 1);
        ASSERT_EQ(s->n_placements, 1);
        ASSERT_EQ(s->placements[0].role, PLACE_PROGRAM);
        ASSERT_EQ(s->placements[0].mtime_ns, INT64_C(1700000000123456789));
        ASSERT_TRUE(place_state_has_zone(s, "/mnt/pmem/apps"));
        ASSERT_TRUE(!place_state_has_zone(s, "/mnt/pmem"));
        ASSERT_EQ(place_state_to_json(s, &again), 0);
        ASSERT_TRUE(json_object_equal(orig, again));
        json_object_put(orig);
        json_object_put(again);
}

/* A hash not taken yet: written with the copy's identity, read back, and a state without it
 * (an older version's) has none; a pending object lacking a field is refused. */
TEST(test_state_pending) {
        static const char pending[] =
                "{ \"version\": 1, \"zones\": [ \"/z\" ], \"placements\": [ { \"zone\": \"/z\","
                " \"source\": \"/bin/big\", \"copy\": \"/z/root/bin/big\", \"role\": \"program\","
                " \"program\": \"/bin/big\", \"dev\": 1, \"ino\": 2, \"size\": 3, \"mtime_ns\": 4,"
                " \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\","
                " \"sha256_pending\": { \"ino\": 77, \"size\": 3, \"mtime_ns\": 4, \"ctime_ns\": "
                "1700000000000000005 } } ] }";
        _cleanup_place_state_ PlaceState *s = parse(pending, 0, NULL), *old = parse(state_text, 0, NULL);
        json_object *again, *orig = json_tokener_parse(pending);
        char *bad;

        ASSERT_TRUE(s->placements[0].hash_pending);
        ASSERT_EQ_U64(s->placements[0].copy_identity.ino, 77);
        ASSERT_EQ_U64(s->placements[0].copy_identity.size, 3);
        ASSERT_EQ(s->placements[0].copy_identity.mtime_ns, 4);
        ASSERT_EQ(s->placements[0].copy_identity.ctime_ns, INT64_C(1700000000000000005));
        ASSERT_EQ(place_state_to_json(s, &again), 0);
        ASSERT_TRUE(json_object_equal(orig, again));
        json_object_put(orig);
        json_object_put(again);
        ASSERT_TRUE(!old->placements[0].hash_pending);

        /* placement_hash_pending(): zeros for older readers, and the identity given. */
        {
                Placement p = {};
                struct stat st = { .st_ino = 9, .st_size = 10 };

                st.st_mtim.tv_sec = 1;
                st.st_ctim.tv_nsec = 2;
                placement_hash_pending(&p, &st);
                ASSERT_TRUE(p.hash_pending);
                ASSERT_EQ(strspn(p.sha256, "0"), 64U);
                ASSERT_EQ(strlen(p.sha256), 64U);
                ASSERT_EQ_U64(p.copy_identity.ino, 9);
                ASSERT_EQ_U64(p.copy_identity.size, 10);
                ASSERT_EQ(p.copy_identity.mtime_ns, 1000000000);
                ASSERT_EQ(p.copy_identity.ctime_ns, 2);
        }

        bad = strdup(pending);
        ASSERT_TRUE(bad);
        memcpy(strstr(bad, "\"ctime_ns\""), "\"ctime_XX\"", 10);
        ASSERT_TRUE(!parse(bad, -EBADMSG, "sha256_pending lacks a field"));
        free(bad);
        bad = strdup(pending);
        ASSERT_TRUE(bad);
        memcpy(strstr(bad, "\"ino\": 77"), "\"ino\": -7", 9);
        ASSERT_TRUE(!parse(bad, -EBADMSG, "sha256_pending lacks a field"));
        free(bad);
}

TEST(test_state_applied) {
        static const char text[] =
                "{\"version\": 1, \"zones\": [\"/z\"], \"placements\": [{\"zone\": \"/z\", \"source\": "
                "\"/bin/true\","
                " \"copy\": \"/z/root/bin/true\", \"role\": \"program\", \"program\": \"/bin/true\", "
                "\"dev\": 1,"
                " \"ino\": 2, \"size\": 3, \"mtime_ns\": 4, \"sha256\": "
                "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"applied\": "
                "{\"service\": \"web.service\", \"entry_point\": true, \"bind_host\": true}}]}";
        _cleanup_place_state_ PlaceState *s = parse(text, 0, NULL);
        json_object *again, *orig = json_tokener_parse(text);
        char *e = NULL;

        /* What the reconcile made is kept, and written back as it was read. */
        ASSERT_STREQ(s->placements[0].applied_service, "web.service");
        ASSERT_TRUE(s->placements[0].applied_entry_point);
        ASSERT_TRUE(s->placements[0].applied_bind_host);
        ASSERT_TRUE(!s->placements[0].has_activation);
        ASSERT_EQ(place_state_to_json(s, &again), 0);
        ASSERT_TRUE(json_object_equal(orig, again));
        json_object_put(orig);
        json_object_put(again);

        /* Not a unit name: refused like the activation's. */
        orig = json_tokener_parse(
                "{\"zones\": [], \"placements\": [{\"zone\": \"/z\", \"source\": \"/bin/true\","
                " \"copy\": \"/z/root/bin/true\", \"role\": \"program\", \"program\": "
                "\"/bin/true\", \"dev\": 1, \"ino\": 2, \"size\": 3, \"mtime_ns\": 4, "
                "\"sha256\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
                " \"applied\": {\"service\": \"../x\"}}]}");
        ASSERT_TRUE(orig);
        {
                PlaceState *bad = NULL;

                ASSERT_EQ(place_state_from_json(orig, "/s.json", &bad, &e), -EBADMSG);
                ASSERT_TRUE(!bad);
        }
        ASSERT_TRUE(strstr(e, "applied.service is not a service unit name"));
        free(e);
        json_object_put(orig);
}

/* The layout recorded when the copy was written comes back as it was, with its coverage. */
TEST(test_state_layout) {
        static const char text[] =
                "{\"version\": 1, \"zones\": [\"/z\"], \"placements\": [{\"zone\": \"/z\", \"source\": "
                "\"/bin/big\", \"copy\": \"/z/root/bin/big\", \"role\": \"program\", \"program\": "
                "\"/bin/big\", \"dev\": 1, \"ino\": 2, \"size\": 3, \"mtime_ns\": 4, \"sha256\": "
                "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"layout\": "
                "{\"text_bytes\": 16777216, \"pmd_windows\": 4, \"pmd_windows_aligned\": 3, "
                "\"extents_known\": true}}]}";
        _cleanup_place_state_ PlaceState *s = parse(text, 0, NULL);
        json_object *again, *orig = json_tokener_parse(text);
        const PlacementLayout *l = &s->placements[0].layout;
        _cleanup_free_ char *w = NULL;

        ASSERT_TRUE(s->placements[0].layout_known);
        ASSERT_EQ_U64(l->text_bytes, 16777216);
        ASSERT_EQ_U64(l->windows, 4);
        ASSERT_EQ_U64(l->aligned_windows, 3);
        ASSERT_TRUE(l->extents_known);
        ASSERT_TRUE(l->coverage > 0.49 && l->coverage < 0.51);
        ASSERT_EQ(placement_layout_warning(s->placements[0].copy, l, &w), 0);
        ASSERT_TRUE(w && strstr(w, "1 of its 4 PMD-eligible"));
        ASSERT_EQ(place_state_to_json(s, &again), 0);
        ASSERT_TRUE(json_object_equal(orig, again));
        json_object_put(again);

        /* Without one (an older state): unknown, and none written. */
        {
                _cleanup_place_state_ PlaceState *old = parse(state_text, 0, NULL);

                ASSERT_TRUE(!old->placements[0].layout_known);
        }

        /* More aligned windows than windows, a field missing or of another type: refused. */
        static const struct {
                const char *good, *bad;
        } edits[] = {
                { "\"pmd_windows_aligned\": 3", "\"pmd_windows_aligned\": 5" },
                { "\"extents_known\": true", "\"extents_known\": 1" },
                { "\"pmd_windows\": 4, ", "" },
                { "\"text_bytes\": 16777216", "\"text_bytes\": -1" },
        };
        for (size_t i = 0; i < ELEMENTSOF(edits); i++) {
                _cleanup_free_ char *t = NULL;
                const char *at = strstr(text, edits[i].good);

                ASSERT_TRUE(at);
                ASSERT_TRUE(asprintf(&t, "%.*s%s%s", (int) (at - text), text, edits[i].bad,
                                     at + strlen(edits[i].good)) > 0);
                ASSERT_TRUE(parse(t, -EBADMSG, "placements[0].layout") == NULL);
        }
        json_object_put(orig);
}

/* The program headers whose p_align the copy has raised come back as they were; an older state
 * has none; a malformed list is refused. */
TEST(test_state_p_align_raised) {
        static const char text[] =
                "{\"version\": 1, \"zones\": [\"/z\"], \"placements\": [{\"zone\": \"/z\", \"source\": "
                "\"/bin/big\", \"copy\": \"/z/root/bin/big\", \"role\": \"program\", \"program\": "
                "\"/bin/big\", \"dev\": 1, \"ino\": 2, \"size\": 3, \"mtime_ns\": 4, \"sha256\": "
                "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"p_align_raised\": "
                "[{\"phdr\": 2, \"was\": 4096}]}]}";
        _cleanup_place_state_ PlaceState *s = parse(text, 0, NULL);
        json_object *again, *orig = json_tokener_parse(text);

        ASSERT_EQ(s->placements[0].n_aligned, 1);
        ASSERT_EQ(s->placements[0].aligned[0].phdr, 2);
        ASSERT_EQ_U64(s->placements[0].aligned[0].was, 4096);
        ASSERT_EQ(place_state_to_json(s, &again), 0);
        ASSERT_TRUE(json_object_equal(orig, again));
        json_object_put(again);
        json_object_put(orig);
        {
                _cleanup_place_state_ PlaceState *old = parse(state_text, 0, NULL);

                ASSERT_EQ(old->placements[0].n_aligned, 0);
        }
        /* More than PLACEMENT_ALIGN_MAX. */
        static const char five[] = "[{\"phdr\": 1, \"was\": 1}, {\"phdr\": 2, \"was\": 1}, {\"phdr\": 3, "
                                   "\"was\": 1}, {\"phdr\": 4, \"was\": 1}, {\"phdr\": 5, \"was\": 1}]";
        static const char *const bad[] = {
                "[{\"phdr\": 2}]",
                "[{\"phdr\": -1, \"was\": 4096}]",
                "[{\"phdr\": 4294967296, \"was\": 4096}]",
                "{\"phdr\": 2, \"was\": 4096}",
                five,
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *t = NULL;
                const char *at = strstr(text, "[{\"phdr\": 2, \"was\": 4096}]");

                ASSERT_TRUE(at);
                ASSERT_TRUE(asprintf(&t, "%.*s%s%s", (int) (at - text), text, bad[i],
                                     at + strlen("[{\"phdr\": 2, \"was\": 4096}]")) > 0);
                ASSERT_TRUE(parse(t, -EBADMSG, "placements[0].p_align_raised") == NULL);
        }
}

/* place_copy_align_pmd() on a file: the text's p_align becomes 2 MiB in place, with pwrite(),
 * and in the object read from it, the rest of the file unchanged; an ET_EXEC, a file that is not
 * ELF: untouched. Priming a file that is not DAX does nothing. */
static void write_pie(const char *path, uint16_t type) {
        const uint64_t M = UINT64_C(1) << 20;
        Elf64_Ehdr eh = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
                                       EV_CURRENT },
                          .e_type = type,
                          .e_machine = EM_X86_64,
                          .e_version = EV_CURRENT,
                          .e_phoff = sizeof(Elf64_Ehdr),
                          .e_ehsize = sizeof(Elf64_Ehdr),
                          .e_phentsize = sizeof(Elf64_Phdr),
                          .e_phnum = 3 };
        Elf64_Phdr ph[3] = {
                { PT_LOAD, PF_R, 0, 0, 0, 0x1000, 0x1000, 0x1000 },
                { PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x1000, 6 * M, 6 * M, 0x1000 },
                { PT_LOAD, PF_R | PF_W, 0x601000, 0x602000, 0x602000, 0x1000, 0x1000, 0x1000 },
        };
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(pwrite(fd, &eh, sizeof(eh), 0), (ssize_t) sizeof(eh));
        ASSERT_EQ(pwrite(fd, ph, sizeof(ph), sizeof(eh)), (ssize_t) sizeof(ph));
        ASSERT_EQ(ftruncate(fd, 0x602000), 0);
}

static uint64_t read_align(int fd, size_t i) {
        Elf64_Phdr ph;

        ASSERT_EQ(pread(fd, &ph, sizeof(ph), (off_t) (sizeof(Elf64_Ehdr) + i * sizeof(ph))),
                  (ssize_t) sizeof(ph));
        return ph.p_align;
}

static ElfObject *read_object(int fd, const char *path) {
        ElfObject *o = NULL;

        ASSERT_EQ(elf_object_read_fd(fd, path, &o, NULL), 0);
        return o;
}

TEST(test_copy_align_pmd) {
        char path[] = "/tmp/daxmgr-test-align.XXXXXX";
        _cleanup_close_ int tmp = mkstemp(path), fd = -1;
        _cleanup_elf_object_ ElfObject *o = NULL, *again = NULL;
        Placement p = { .n_aligned = 7 };
        const uint64_t window = UINT64_C(2) << 20;
        uint64_t primed = 9;

        ASSERT_TRUE(tmp >= 0);
        write_pie(path, ET_DYN);
        fd = open(path, O_RDWR | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        o = read_object(fd, path);
        ASSERT_EQ_U64(o->phoff, sizeof(Elf64_Ehdr));
        ASSERT_EQ(o->phentsize, sizeof(Elf64_Phdr));
        ASSERT_EQ(place_copy_align_pmd(fd, o, &p), 0);
        ASSERT_EQ(p.n_aligned, 1);
        ASSERT_EQ(p.aligned[0].phdr, 1);
        ASSERT_EQ_U64(p.aligned[0].was, 0x1000);
        ASSERT_EQ_U64(read_align(fd, 0), 0x1000);
        ASSERT_EQ_U64(read_align(fd, 1), UINT64_C(2) << 20);
        ASSERT_EQ_U64(read_align(fd, 2), 0x1000);
        /* The object says what the file now says. */
        again = read_object(fd, path);
        ASSERT_EQ(again->n_segments, o->n_segments);
        ASSERT_EQ(memcmp(again->segments, o->segments, o->n_segments * sizeof(ElfSegment)), 0);
        /* Done twice: already aligned, nothing more. */
        ASSERT_EQ(place_copy_align_pmd(fd, again, &p), 0);
        ASSERT_EQ(p.n_aligned, 0);
        /* tmpfs or ext4 on the build machine: not DAX, nothing primed. */
        ASSERT_EQ(place_copy_prime(fd, &window, 1, &primed), 0);
        ASSERT_EQ_U64(primed, 0);
        fd = safe_close(fd);
        o = elf_object_free(o);

        write_pie(path, ET_EXEC);
        fd = open(path, O_RDWR | O_CLOEXEC);
        o = read_object(fd, path);
        ASSERT_EQ(place_copy_align_pmd(fd, o, &p), 0);
        ASSERT_EQ(p.n_aligned, 0);
        ASSERT_EQ_U64(read_align(fd, 1), 0x1000);
        o = elf_object_free(o);
        ASSERT_EQ(ftruncate(fd, 0), 0);
        ASSERT_EQ(pwrite(fd, "#!/bin/sh\n", 10, 0), 10);
        ASSERT_EQ(elf_object_read_fd(fd, path, &o, NULL), -ENOEXEC);
        ASSERT_EQ(place_copy_align_pmd(fd, NULL, &p), 0);
        ASSERT_EQ(p.n_aligned, 0);
        ASSERT_EQ(unlink(path), 0);
}

/* The one read a placement makes of its copy (the object read from the fd, p_align raised from
 * it, then its layout) records the layout that reading the file again by path finds. */
TEST(test_copy_layout_one_read) {
        char path[] = "/tmp/daxmgr-test-layout.XXXXXX";
        _cleanup_close_ int tmp = mkstemp(path), fd = -1;
        _cleanup_elf_object_ ElfObject *o = NULL;
        Placement p = { .prime_error = -EIO, .primed_windows = 5 };
        PlacementLayout l;

        ASSERT_TRUE(tmp >= 0);
        write_pie(path, ET_DYN);
        fd = open(path, O_RDWR | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        o = read_object(fd, path);
        ASSERT_EQ(place_copy_align_pmd(fd, o, &p), 0);
        ASSERT_EQ(p.n_aligned, 1);
        ASSERT_EQ(fsync(fd), 0);
        place_copy_layout(fd, path, o, &p);
        ASSERT_EQ(placement_layout(path, &l, NULL), 0);
        ASSERT_TRUE(p.layout_known);
        ASSERT_EQ_U64(p.layout.text_bytes, UINT64_C(6) << 20);
        ASSERT_EQ_U64(p.layout.windows, 2); /* [2M, 4M) and [4M, 6M) */
        ASSERT_EQ_U64(p.layout.text_bytes, l.text_bytes);
        ASSERT_EQ_U64(p.layout.windows, l.windows);
        ASSERT_EQ_U64(p.layout.aligned_windows, l.aligned_windows);
        ASSERT_TRUE(p.layout.coverage == l.coverage);
        ASSERT_EQ(p.layout.extents_known, l.extents_known);
        ASSERT_EQ(p.prime_error, 0); /* not DAX: nothing to prime, and no error */
        ASSERT_EQ_U64(p.primed_windows, 0);

        /* No object (not ELF): the layout unknown, nothing primed. */
        place_copy_layout(fd, path, NULL, &p);
        ASSERT_TRUE(!p.layout_known);
        ASSERT_EQ_U64(p.layout.windows, 0);
        ASSERT_EQ(p.prime_error, 0);
        ASSERT_EQ(unlink(path), 0);
}

/* A copy whose windows could not be primed gets a warning that says so and why; one primed (or
 * with nothing to prime) none. */
TEST(test_prime_warning) {
        Placement p = { .copy = (char *) "/z/root/bin/big", .prime_error = -EPERM };
        _cleanup_free_ char *w = NULL;

        ASSERT_EQ(placement_prime_warning(&p, &w), 0);
        ASSERT_TRUE(w && strstr(w, "/z/root/bin/big: cannot prime its 2 MiB windows"));
        ASSERT_TRUE(strstr(w, strerror(EPERM)));
        free(w);
        w = NULL;
        p.prime_error = 0;
        ASSERT_EQ(placement_prime_warning(&p, &w), 0);
        ASSERT_TRUE(w == NULL);
        ASSERT_EQ(placement_prime_warning(NULL, &w), -EINVAL);
}

/* What a reconcile step logs: the warnings of the copies it wrote, which alone carry prime_error. */
TEST(test_state_prime_warnings) {
        Placement pl[] = {
                { .copy = (char *) "/z/root/bin/a", .prime_error = -ENOMEM },
                { .copy = (char *) "/z/root/bin/b" },
                { .copy = (char *) "/z/root/lib/c.so", .prime_error = -EFAULT },
        };
        PlaceState st = { .placements = pl, .n_placements = ELEMENTSOF(pl) };
        char **l = (char **) 1;

        ASSERT_EQ(place_state_prime_warnings(&st, &l), 0);
        ASSERT_EQ(strv_length(l), 2);
        ASSERT_TRUE(strstr(l[0], "/z/root/bin/a: cannot prime its 2 MiB windows"));
        ASSERT_TRUE(strstr(l[0], strerror(ENOMEM)));
        ASSERT_TRUE(strstr(l[1], "/z/root/lib/c.so: cannot prime"));
        l = strv_free(l);
        pl[0].prime_error = pl[2].prime_error = 0;
        l = (char **) 1;
        ASSERT_EQ(place_state_prime_warnings(&st, &l), 0);
        ASSERT_TRUE(!l);
        ASSERT_EQ(place_state_prime_warnings(NULL, &l), -EINVAL);
}

TEST(test_state_hostile) {
        parse("[]", -EBADMSG, "not a daxmgr placement state");
        parse("{\"zones\": [], \"placements\": 3}", -EBADMSG, "not a daxmgr placement state");
        parse("{\"zones\": [\"relative/zone\"], \"placements\": []}", -EBADMSG,
              "zones[0] is not an absolute path");
        parse("{\"zones\": [\"/a/../etc\"], \"placements\": []}", -EBADMSG, "zones[0]");
        parse("{\"zones\": [], \"placements\": [{\"zone\": \"/z\"}]}", -EBADMSG,
              "placements[0] lacks a field");
        /* A copy path that climbs out of the zone, a bad role, a bad hash, a negative number:
         * refused, not trusted. */
        static const struct {
                const char *good, *bad;
        } edits[] = {
                { "\"copy\": \"/mnt/pmem/apps/root/usr/bin/python3.11\"",
                  "\"copy\": \"/mnt/pmem/apps/root/../../../etc/shadow\"" },
                { "\"role\": \"program\"", "\"role\": \"daemon\"" },
                { "\"sha256\": \"0123", "\"sha256\": \"XY23" },
                { "\"dev\": 65025", "\"dev\": -1" },
                { "\"mtime_ns\": 1700000000123456789", "\"mtime_ns\": \"yesterday\"" },
        };
        for (size_t i = 0; i < ELEMENTSOF(edits); i++) {
                _cleanup_free_ char *t = NULL;
                const char *at = strstr(state_text, edits[i].good);

                ASSERT_TRUE(at);
                ASSERT_TRUE(asprintf(&t, "%.*s%s%s", (int) (at - state_text), state_text, edits[i].bad,
                                     at + strlen(edits[i].good)) > 0);
                ASSERT_TRUE(parse(t, -EBADMSG, "placements[0]") == NULL);
        }
}

TEST(test_copy_path) {
        _cleanup_free_ char *p = NULL;

        ASSERT_EQ(place_copy_path("/mnt/pmem/apps", "/usr/bin/python3.11", &p), 0);
        ASSERT_STREQ(p, "/mnt/pmem/apps/root/usr/bin/python3.11");
        ASSERT_EQ(place_copy_path("/mnt/pmem/apps", "usr/bin/x", &p), -EINVAL);
        ASSERT_EQ(place_copy_path("/mnt/pmem/apps", "/usr/../etc/shadow", &p), -EINVAL);
        ASSERT_EQ(place_copy_path("/mnt/pmem/apps", "/usr/bin/..", &p), -EINVAL);
        ASSERT_EQ(place_copy_path("/mnt/pmem//apps", "/x", &p), -EINVAL);
        ASSERT_EQ(place_copy_path("/mnt/pmem/apps/.", "/x", &p), -EINVAL);
        ASSERT_EQ(place_copy_path("/mnt/pmem/apps/", "/x", &p), -EINVAL);
        ASSERT_EQ(place_copy_path("/mnt/pmem/apps", "/usr/bin/.", &p), -EINVAL);
}

/* No DAX on the build machine: a zone is refused with the reason, and a placement into a
 * directory recorded as a zone by hand is refused after the copy, leaving nothing behind. */
TEST(test_refused_without_dax) {
        _cleanup_place_state_ PlaceState *s = NULL;
        char dir[] = "/tmp/daxmgr-test-place.XXXXXX";
        _cleanup_free_ char *e = NULL, *zone = NULL, *copy = NULL, *state = NULL;
        json_object *j;

        ASSERT_TRUE(mkdtemp(dir));
        ASSERT_EQ(place_state_load(dir, &s, &e), 0); /* no file yet: empty state */
        ASSERT_EQ(s->n_placements, 0);
        ASSERT_TRUE(asprintf(&zone, "%s/zone", dir) > 0);
        ASSERT_TRUE(zone_create(s, zone, &e) < 0);
        ASSERT_TRUE(e && strstr(e, "cannot be an XIP zone"));

        /* Pretend it is a zone. */
        ASSERT_TRUE(asprintf(&state, "{\"zones\": [\"%s\"], \"placements\": []}", zone) > 0);
        j = json_tokener_parse(state);
        s = place_state_free(s);
        ASSERT_EQ(place_state_from_json(j, "/tmp/x.json", &s, NULL), 0);
        json_object_put(j);
        free(e);
        e = NULL;
        ASSERT_EQ(place_file(s, zone, "/bin/true", PLACE_PROGRAM, NULL, &e), -EOPNOTSUPP);
        ASSERT_TRUE(e && strstr(e, "is not DAX"));
        ASSERT_TRUE(asprintf(&copy, "%s/root/bin/true", zone) > 0);
        ASSERT_EQ(access(copy, F_OK), -1);
        ASSERT_EQ(s->n_placements, 0);

        {
                _cleanup_free_ char *cmd = NULL;
                ASSERT_TRUE(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
                ASSERT_EQ(system(cmd), 0);
        }
}

TEST(test_pmd_windows) {
        const uint64_t M = UINT64_C(1) << 20;

        ASSERT_EQ_U64(pmd_windows_in(0, 2 * M), 1);
        ASSERT_EQ_U64(pmd_windows_in(4096, 4 * M), 1); /* [2M, 4M) only */
        ASSERT_EQ_U64(pmd_windows_in(2 * M, 2 * M), 0);
        ASSERT_EQ_U64(pmd_windows_in(3 * M, 4 * M), 0);
        ASSERT_EQ_U64(pmd_windows_in(UINT64_MAX - 4096, UINT64_MAX), 0);
        /* 8 MiB of a file mapped from offset 0 at a 2 MiB-aligned address: 4 windows */
        ASSERT_EQ_U64(xip_pmd_eligible_windows(0x7f0000000000, 0x7f0000800000, 0), 4);
        /* the same, 4 KiB off: address and offset are no longer congruent */
        ASSERT_EQ_U64(xip_pmd_eligible_windows(0x7f0000001000, 0x7f0000801000, 0), 0);
        /* from file offset 0x1000 at an address 0x1000 past a boundary: congruent, 3 windows */
        ASSERT_EQ_U64(xip_pmd_eligible_windows(0x7f0000001000, 0x7f0000801000, 0x1000), 3);
}

TEST(test_extents_pmd_aligned) {
        const uint64_t M = UINT64_C(1) << 20;
        const uint64_t w[] = { 2 * M, 4 * M, 6 * M };
        /* xfs with a 2 MiB stripe unit: one extent, physically aligned */
        const FileExtent xfs[] = { { 0, 64 * M, 10 * M, FIEMAP_EXTENT_LAST } };
        /* ext4 after fallocate: aligned for the first 5 MiB, then 4 KiB off */
        const FileExtent ext4[] = { { 0, 130 * M, 5 * M, 0 },
                                    { 5 * M, 140 * M + 4096, 5 * M, FIEMAP_EXTENT_LAST } };
        /* two extents adjacent on the device: one run, aligned */
        const FileExtent split[] = { { 0, 32 * M, 3 * M, 0 }, { 3 * M, 35 * M, 7 * M, FIEMAP_EXTENT_LAST } };
        /* a hole in the second window, an unwritten extent in the third */
        const FileExtent holes[] = { { 0, 32 * M, 4 * M + 4096, 0 },
                                     { 4 * M + 8192, 36 * M + 8192, 2 * M - 8192, 0 },
                                     { 6 * M, 38 * M, 2 * M,
                                       FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_LAST } };
        /* all 1 MiB off on the partition, which starts 1 MiB into the namespace: aligned */
        const FileExtent part[] = { { 0, 9 * M, 10 * M, FIEMAP_EXTENT_LAST } };

        ASSERT_EQ_U64(extents_pmd_aligned_windows(xfs, ELEMENTSOF(xfs), w, ELEMENTSOF(w), 0), 3);
        ASSERT_EQ_U64(extents_pmd_aligned_windows(ext4, ELEMENTSOF(ext4), w, ELEMENTSOF(w), 0), 1);
        ASSERT_EQ_U64(extents_pmd_aligned_windows(split, ELEMENTSOF(split), w, ELEMENTSOF(w), 0), 3);
        ASSERT_EQ_U64(extents_pmd_aligned_windows(holes, ELEMENTSOF(holes), w, ELEMENTSOF(w), 0), 1);
        ASSERT_EQ_U64(extents_pmd_aligned_windows(part, ELEMENTSOF(part), w, ELEMENTSOF(w), 0), 0);
        ASSERT_EQ_U64(extents_pmd_aligned_windows(part, ELEMENTSOF(part), w, ELEMENTSOF(w), M), 3);
        ASSERT_EQ_U64(extents_pmd_aligned_windows(NULL, 0, w, ELEMENTSOF(w), 0), 0);
}

TEST(test_layout_warning) {
        _cleanup_free_ char *s = NULL;
        PlacementLayout l = {
                .text_bytes = 10 << 20, .windows = 3, .aligned_windows = 1, .extents_known = true
        };

        ASSERT_EQ(placement_layout_warning("/z/a", &l, &s), 0);
        ASSERT_TRUE(
                s &&
                strstr(s, "/z/a: 2 of its 3 PMD-eligible 2 MiB window(s) of text are not 2 MiB-aligned"));
        free(s);
        l.aligned_windows = 3;
        ASSERT_EQ(placement_layout_warning("/z/a", &l, &s), 0);
        ASSERT_TRUE(s == NULL);
        l.extents_known = false;
        l.aligned_windows = 0;
        ASSERT_EQ(placement_layout_warning("/z/a", &l, &s), 0);
        ASSERT_TRUE(s && strstr(s, "no FIEMAP"));
        ASSERT_EQ(placement_layout("/proc/self/status", &l, NULL), -ENOEXEC);
}

static int count_entries(const char *dir) {
        DIR *d = opendir(dir);
        int n = 0;

        ASSERT_TRUE(d);
        for (struct dirent *de; (de = readdir(d));)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        (void) closedir(d);
        return n;
}

/* Symbolic links planted in a zone (a directory the state records as one, by hand: no DAX
 * here): placing, unplacing and entry points refuse them in words and write nothing outside;
 * a zone that is a symbolic link is refused. */
TEST(test_symlinks_in_zone) {
        _cleanup_place_state_ PlaceState *s = NULL;
        char dir[] = "/tmp/daxmgr-test-place-links.XXXXXX";
        _cleanup_free_ char *e = NULL, *zone = NULL, *outside = NULL, *p = NULL, *state = NULL,
                            *victim = NULL, *cmd = NULL;
        json_object *j;
        int fd;

        ASSERT_TRUE(mkdtemp(dir));
        ASSERT_TRUE(asprintf(&zone, "%s/zone", dir) > 0);
        ASSERT_TRUE(asprintf(&outside, "%s/outside", dir) > 0);
        ASSERT_EQ(mkdir(zone, 0755), 0);
        ASSERT_EQ(mkdir(outside, 0755), 0);
        ASSERT_TRUE(asprintf(&victim, "%s/true", outside) > 0);
        fd = open(victim, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, "victim", 6), 6);
        (void) close(fd);
        ASSERT_TRUE(
                asprintf(&state,
                         "{\"zones\": [\"%s\"], \"placements\": [{\"zone\": \"%s\", \"source\": "
                         "\"/bin/true\", \"copy\": \"%s/root/bin/true\", \"role\": \"program\", "
                         "\"program\": \"/bin/true\", \"dev\": 1, \"ino\": 2, \"size\": 3, \"mtime_ns\": 4, "
                         "\"sha256\": \"%064d\"}]}",
                         zone, zone, zone, 0) > 0);
        j = json_tokener_parse(state);
        ASSERT_TRUE(j);
        ASSERT_EQ(place_state_from_json(j, "/tmp/x.json", &s, NULL), 0);
        json_object_put(j);

        /* zone/root/bin -> outside: placing /bin/true would write outside/true. */
        ASSERT_TRUE(asprintf(&p, "%s/root", zone) > 0);
        ASSERT_EQ(mkdir(p, 0755), 0);
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/root/bin", zone) > 0);
        ASSERT_EQ(symlink(outside, p), 0);
        ASSERT_EQ(place_file(s, zone, "/bin/true", PLACE_PROGRAM, NULL, &e), -ELOOP);
        ASSERT_TRUE(e && strstr(e, "is, or passes through, a symbolic link inside the zone") &&
                    strstr(e, "refusing to follow it"));
        ASSERT_EQ(count_entries(outside), 1);

        /* Unplacing must not remove outside/true through it. */
        free(e);
        e = NULL;
        ASSERT_EQ(place_remove(s, zone, "/bin/true", true, &e), -ELOOP);
        ASSERT_TRUE(e && strstr(e, "refusing to follow it"));
        ASSERT_EQ(access(victim, F_OK), 0);

        /* The copy's own name a symbolic link to outside/true: unplacing removes the link only. */
        ASSERT_EQ(unlink(p), 0);
        ASSERT_EQ(mkdir(p, 0755), 0);
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/root/bin/true", zone) > 0);
        ASSERT_EQ(symlink(victim, p), 0);

        /* The entry point directory a symbolic link: refused. */
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/bin", zone) > 0);
        ASSERT_EQ(symlink(outside, p), 0);
        free(e);
        e = NULL;
        ASSERT_EQ(place_write_entry_point(s, zone, "/bin/true", NULL, &e), -ELOOP);
        ASSERT_TRUE(e && strstr(e, "refusing to follow it"));
        ASSERT_EQ(count_entries(outside), 1);

        free(e);
        e = NULL;
        ASSERT_EQ(place_remove(s, zone, "/bin/true", false, &e), 0);
        ASSERT_EQ(s->n_placements, 0);
        ASSERT_EQ(access(victim, F_OK), 0);
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/root/bin/true", zone) > 0);
        ASSERT_TRUE(access(p, F_OK) < 0); /* the link went, its target stayed */

        /* A zone that is itself a symbolic link, or is reached through one. */
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/zlink", dir) > 0);
        ASSERT_EQ(symlink(zone, p), 0);
        free(e);
        e = NULL;
        ASSERT_EQ(zone_open(p, &e), -ELOOP);
        ASSERT_TRUE(e && strstr(e, "refusing to follow it"));
        free(e);
        e = NULL;
        ASSERT_EQ(zone_create(s, p, &e), -ELOOP);
        ASSERT_TRUE(e && strstr(e, "is a symbolic link"));
        free(e);
        e = NULL;
        ASSERT_EQ(zone_open("/tmp/../etc", &e), -EINVAL);
        fd = zone_open(zone, NULL);
        ASSERT_TRUE(fd >= 0);
        (void) close(fd);

        ASSERT_TRUE(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        ASSERT_EQ(system(cmd), 0);
}

/* The entry point of a program placed with its loader starts the loader through bin/.exec/NAME,
 * a link to it named like the program (the name the process then gets); where the static
 * launcher is not installed (here), the shell script does the same. An entry point without the
 * link is one of an earlier version: not current, so the reconcile writes it again. */
TEST(test_entry_point_keeps_name) {
        _cleanup_place_state_ PlaceState *s = NULL;
        char dir[] = "/tmp/daxmgr-test-entry.XXXXXX";
        _cleanup_free_ char *zone = NULL, *state = NULL, *path = NULL, *link = NULL, *text = NULL,
                            *want = NULL, *cmd = NULL, *e = NULL;
        const char *interp_rel = "root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
        char target[PATH_MAX];
        ssize_t n;
        json_object *j;
        FILE *f;

        ASSERT_TRUE(mkdtemp(dir));
        ASSERT_TRUE(asprintf(&zone, "%s/zone", dir) > 0);
        ASSERT_EQ(mkdir(zone, 0755), 0);
        ASSERT_TRUE(!place_entry_point_current(zone, "python3.11"));
        ASSERT_TRUE(
                asprintf(
                        &state,
                        "{\"zones\": [\"%1$s\"], \"placements\": ["
                        "{\"zone\": \"%1$s\", \"source\": \"/usr/bin/python3.11\", \"copy\": "
                        "\"%1$s/root/usr/bin/python3.11\", \"role\": \"program\", \"program\": "
                        "\"/usr/bin/python3.11\", \"dev\": 1, \"ino\": 2, \"size\": 3, \"mtime_ns\": 4, "
                        "\"sha256\": \"%2$064d\"},"
                        "{\"zone\": \"%1$s\", \"source\": "
                        "\"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\", "
                        "\"copy\": \"%1$s/%3$s\", \"role\": \"interpreter\", \"program\": "
                        "\"/usr/bin/python3.11\", \"dev\": 1, \"ino\": 5, \"size\": 3, \"mtime_ns\": 4, "
                        "\"sha256\": \"%2$064d\"},"
                        "{\"zone\": \"%1$s\", \"source\": \"/usr/lib/x86_64-linux-gnu/libc.so.6\", "
                        "\"copy\": \"%1$s/root/usr/lib/x86_64-linux-gnu/libc.so.6\", \"role\": \"library\", "
                        "\"program\": \"/usr/bin/python3.11\", \"dev\": 1, \"ino\": 6, \"size\": 3, "
                        "\"mtime_ns\": 4, \"sha256\": \"%2$064d\"}]}",
                        zone, 0, interp_rel) > 0);
        j = json_tokener_parse(state);
        ASSERT_TRUE(j);
        ASSERT_EQ(place_state_from_json(j, "/tmp/x.json", &s, NULL), 0);
        json_object_put(j);

        ASSERT_EQ(place_write_entry_point(s, zone, "/usr/bin/python3.11", &path, &e), 0);
        ASSERT_TRUE(asprintf(&want, "%s/bin/python3.11", zone) > 0);
        ASSERT_STREQ(path, want);
        ASSERT_TRUE(asprintf(&link, "%s/bin/.exec/python3.11", zone) > 0);
        n = readlink(link, target, sizeof(target) - 1);
        ASSERT_TRUE(n > 0);
        target[n] = '\0';
        free(want);
        ASSERT_TRUE(asprintf(&want, "%s/%s", zone, interp_rel) > 0);
        ASSERT_STREQ(target, want);
        ASSERT_TRUE(place_entry_point_current(zone, "python3.11"));

        /* The launcher's configuration names the link; the fallback script (where the launcher
         * is not installed, as on a build machine) execs it. Never the loader by its own name. */
        if (access(XIP_LAUNCHER, F_OK) == 0) {
                free(path);
                ASSERT_TRUE(asprintf(&path, "%s/bin/.python3.11.launch", zone) > 0);
        }
        f = fopen(path, "re");
        ASSERT_TRUE(f);
        text = calloc(1, 4096);
        ASSERT_TRUE(text && fread(text, 1, 4095, f) > 0);
        (void) fclose(f);
        free(want);
        if (access(XIP_LAUNCHER, F_OK) == 0)
                ASSERT_TRUE(asprintf(&want, "\nexec-as=%s/bin/.exec/python3.11\n", zone) > 0);
        else
                ASSERT_TRUE(asprintf(&want,
                                     "exec '%1$s/bin/.exec/python3.11' --library-path "
                                     "'%1$s/root/usr/lib/x86_64-linux-gnu' --argv0 \"$0\" "
                                     "'%1$s/root/usr/bin/python3.11' \"$@\"\n",
                                     zone) > 0);
        if (!strstr(text, want)) {
                fprintf(stderr, "the entry point lacks\n%s\nit is:\n%s\n", want, text);
                abort();
        }

        /* Written again: the link is replaced, not followed or doubled. */
        ASSERT_EQ(place_write_entry_point(s, zone, "/usr/bin/python3.11", NULL, NULL), 0);
        ASSERT_EQ(readlink(link, target, sizeof(target) - 1), n);

        /* An entry point of an earlier version: no link. */
        ASSERT_EQ(unlink(link), 0);
        ASSERT_TRUE(!place_entry_point_current(zone, "python3.11"));

        ASSERT_TRUE(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        ASSERT_EQ(system(cmd), 0);
}

static void write_text(const char *path, const char *text, mode_t mode) {
        FILE *f = fopen(path, "we");

        ASSERT_TRUE(f);
        ASSERT_TRUE(fputs(text, f) >= 0);
        ASSERT_EQ(fclose(f), 0);
        ASSERT_EQ(chmod(path, mode), 0);
}

typedef struct Heard {
        PlaceActivateStep steps[8];
        size_t n;
} Heard;

static void hear(PlaceActivateStep step, const PlaceActivation *a, void *userdata) {
        Heard *h = userdata;

        ASSERT_TRUE(a && a->program);
        ASSERT_TRUE(h->n < ELEMENTSOF(h->steps));
        h->steps[h->n++] = step;
}

static void expect_error(char **e, const char *words) {
        if (!*e || !strstr(*e, words)) {
                fprintf(stderr, "expected '%s', got '%s'\n", words, *e);
                abort();
        }
        free(*e);
        *e = NULL;
}

/* The arguments are checked before anything is done; activating what is placed writes the
 * activations in order, saving only the drop-in's record (for the generator); a placement that
 * fails (no DAX here) activates nothing and saves nothing. */
TEST(test_place_and_activate) {
        _cleanup_place_state_ PlaceState *s = NULL;
        char dir[] = "/tmp/daxmgr-test-activate.XXXXXX";
        _cleanup_free_ char *zone = NULL, *file = NULL, *state = NULL, *p = NULL, *e = NULL, *entry = NULL,
                            *dropin = NULL, *want = NULL, *text = NULL, *dropins = NULL, *cmd = NULL;
        char target[PATH_MAX];
        ssize_t n;
        Heard heard = {};
        json_object *j;
        struct stat st;
        FILE *f;

        /* The original as the generator compares it (inode and size). */
        ASSERT_EQ(stat("/bin/true", &st), 0);
        ASSERT_TRUE(mkdtemp(dir));
        ASSERT_TRUE(asprintf(&zone, "%s/zone", dir) > 0);
        ASSERT_TRUE(asprintf(&file, "%s/placements.json", dir) > 0);
        ASSERT_TRUE(asprintf(&dropins, "%s/dropins", dir) > 0);
        ASSERT_EQ(mkdir(zone, 0755), 0);
        ASSERT_TRUE(asprintf(&p, "%s/root", zone) > 0);
        ASSERT_EQ(mkdir(p, 0755), 0);
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/root/bin", zone) > 0);
        ASSERT_EQ(mkdir(p, 0755), 0);
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/root/bin/true", zone) > 0);
        write_text(p, "#!/bin/sh\n", 0755);
        ASSERT_TRUE(asprintf(&state,
                             "{\"zones\": [\"%1$s\"], \"placements\": [{\"zone\": \"%1$s\", \"source\": "
                             "\"/bin/true\", \"copy\": \"%2$s\", \"role\": \"program\", "
                             "\"program\": \"/bin/true\", \"dev\": 1, \"ino\": %4$llu, \"size\": %5$llu, "
                             "\"mtime_ns\": 4, \"sha256\": \"%3$064d\"}]}",
                             zone, p, 0, (unsigned long long) st.st_ino,
                             (unsigned long long) st.st_size) > 0);
        j = json_tokener_parse(state);
        ASSERT_TRUE(j);
        ASSERT_EQ(place_state_from_json(j, file, &s, NULL), 0);
        json_object_put(j);

        /* Refused before anything is done or heard of. */
        ASSERT_EQ(place_and_activate(
                          s,
                          &(PlaceActivation){
                                  .zone = zone, .entry_point = true, .progress = hear, .userdata = &heard },
                          &entry, NULL, &e),
                  -EINVAL);
        expect_error(&e, "give the program as an absolute path");
        ASSERT_EQ(place_and_activate(s,
                                     &(PlaceActivation){ .program = "/bin/true",
                                                         .entry_point = true,
                                                         .progress = hear,
                                                         .userdata = &heard },
                                     &entry, NULL, &e),
                  -EINVAL);
        expect_error(&e, "no zone given");
        ASSERT_EQ(place_and_activate(s,
                                     &(PlaceActivation){ .zone = zone,
                                                         .program = "/bin/true",
                                                         .remember = true,
                                                         .entry_point = true,
                                                         .progress = hear,
                                                         .userdata = &heard },
                                     &entry, NULL, &e),
                  -EINVAL);
        expect_error(&e, "remembered only when it is placed");
        ASSERT_EQ(place_and_activate(NULL, &(PlaceActivation){}, NULL, NULL, NULL), -EINVAL);
        ASSERT_EQ(heard.n, 0U);
        ASSERT_TRUE(!entry);

        /* Activating what is not placed: the entry point's refusal, nothing returned. */
        ASSERT_EQ(place_and_activate(
                          s,
                          &(PlaceActivation){ .zone = zone, .program = "/bin/false", .entry_point = true },
                          &entry, NULL, &e),
                  -ENOENT);
        expect_error(&e, "is not placed in");
        ASSERT_TRUE(!entry);

        /* The entry point, then the drop-in (systemd left alone: no_reload); nothing saved. */
        ASSERT_EQ(place_and_activate(s,
                                     &(PlaceActivation){ .zone = zone,
                                                         .program = "/bin/true",
                                                         .entry_point = true,
                                                         .service = "xip-true.service",
                                                         .dropin_root = dropins,
                                                         .no_reload = true,
                                                         .progress = hear,
                                                         .userdata = &heard },
                                     &entry, &dropin, &e),
                  0);
        ASSERT_EQ(heard.n, 2U);
        ASSERT_EQ(heard.steps[0], PLACE_ACTIVATE_ENTRY_POINT);
        ASSERT_EQ(heard.steps[1], PLACE_ACTIVATE_DROPIN);
        ASSERT_TRUE(asprintf(&want, "%s/bin/true", zone) > 0);
        ASSERT_STREQ(entry, want);
        n = readlink(entry, target, sizeof(target) - 1);
        ASSERT_TRUE(n > 0);
        target[n] = '\0';
        ASSERT_STREQ(target, p);
        free(want);
        ASSERT_TRUE(asprintf(&want, "%s/xip-true.service.d/50-daxmgr-xip.conf", dropins) > 0);
        ASSERT_STREQ(dropin, want);
        f = fopen(dropin, "re");
        ASSERT_TRUE(f);
        text = calloc(1, 4096);
        ASSERT_TRUE(text && fread(text, 1, 4095, f) > 0);
        (void) fclose(f);
        free(want);
        ASSERT_TRUE(asprintf(&want, "\nBindReadOnlyPaths=-%s:", p) > 0);
        ASSERT_TRUE(strstr(text, want));
        /* The activation is recorded in the state, for daxmgr-generator: saved. */
        ASSERT_EQ(access(file, F_OK), 0);
        ASSERT_EQ(s->n_placements, 1U);
        ASSERT_TRUE(!s->placements[0].has_activation);
        ASSERT_STREQ(s->placements[0].dropin_unit, "xip-true.service");

        /* Placing fails without DAX: nothing activated, nothing saved, the state as it was. */
        heard.n = 0;
        free(entry);
        entry = NULL;
        ASSERT_EQ(place_and_activate(s,
                                     &(PlaceActivation){ .zone = zone,
                                                         .program = "/bin/false",
                                                         .place = true,
                                                         .remember = true,
                                                         .entry_point = true,
                                                         .service = "xip-false.service",
                                                         .dropin_root = dropins,
                                                         .no_reload = true,
                                                         .progress = hear,
                                                         .userdata = &heard },
                                     &entry, NULL, &e),
                  -EOPNOTSUPP);
        expect_error(&e, "is not DAX");
        ASSERT_EQ(heard.n, 1U);
        ASSERT_EQ(heard.steps[0], PLACE_ACTIVATE_PLACE);
        ASSERT_TRUE(!entry);
        ASSERT_EQ(s->n_placements, 1U);
        free(want);
        ASSERT_TRUE(asprintf(&want, "%s/bin/false", zone) > 0);
        ASSERT_TRUE(access(want, F_OK) < 0);
        free(want);
        ASSERT_TRUE(asprintf(&want, "%s/xip-false.service.d", dropins) > 0);
        ASSERT_TRUE(access(want, F_OK) < 0);

        /* The counterpart: the drop-in and the entry point undone (systemd left alone), the copy
         * kept, the activation no longer recorded for the generator; undoing what is not there
         * is no error. */
        heard.n = 0;
        for (int k = 0; k < 2; k++)
                ASSERT_EQ(place_deactivate(s,
                                           &(PlaceActivation){ .zone = zone,
                                                               .program = "/bin/true",
                                                               .entry_point = true,
                                                               .service = "xip-true.service",
                                                               .dropin_root = dropins,
                                                               .no_reload = true,
                                                               .progress = hear,
                                                               .userdata = &heard },
                                           &e),
                          0);
        ASSERT_EQ(heard.n, 4U);
        ASSERT_EQ(heard.steps[0], PLACE_ACTIVATE_DROPIN);
        ASSERT_EQ(heard.steps[1], PLACE_ACTIVATE_ENTRY_POINT);
        ASSERT_TRUE(access(dropin, F_OK) < 0 && errno == ENOENT);
        free(want);
        ASSERT_TRUE(asprintf(&want, "%s/xip-true.service.d", dropins) > 0);
        ASSERT_TRUE(access(want, F_OK) < 0 && errno == ENOENT);
        free(want);
        ASSERT_TRUE(asprintf(&want, "%s/bin/true", zone) > 0);
        ASSERT_TRUE(faccessat(AT_FDCWD, want, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
        ASSERT_TRUE(access(p, F_OK) == 0);
        ASSERT_EQ(s->n_placements, 1U);
        ASSERT_TRUE(!s->placements[0].dropin_unit);
        ASSERT_EQ(place_deactivate(s, &(PlaceActivation){ .program = "/bin/true" }, &e), -EINVAL);
        expect_error(&e, "no zone or program given");

        ASSERT_TRUE(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        ASSERT_EQ(system(cmd), 0);
}

static PlaceCheck check(Placement *p, PlaceHashCache *cache, bool may_hash) {
        PlaceCheck c;
        char *why = NULL;

        ASSERT_EQ(placement_check(p, cache, may_hash, &c, &why), 0);
        free(why);
        return c;
}

/* stat() first, the hash only when the identity changed, once per identity; owner and mode count. */
TEST(test_check_steps) {
        char dir[] = "/tmp/test-place-check-XXXXXX", src[64], copy[64];
        PlaceHashCache cache = {};
        const PlaceHashEntry *e;
        Placement p = {};
        struct stat st;

        ASSERT_TRUE(mkdtemp(dir));
        (void) snprintf(src, sizeof(src), "%s/src", dir);
        (void) snprintf(copy, sizeof(copy), "%s/copy", dir);
        write_text(src, "version 1\n", 0755);
        write_text(copy, "version 1\n", 0755);
        ASSERT_EQ(stat(src, &st), 0);
        p = (Placement){ .source = src,
                         .copy = copy,
                         .dev = (uint64_t) st.st_dev,
                         .ino = (uint64_t) st.st_ino,
                         .size = (uint64_t) st.st_size,
                         .mtime_ns = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                         .ctime_ns = (int64_t) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec };
        memset(p.sha256, 'f', 64);

        /* Same identity: fresh without reading it (the recorded hash is not even right). */
        ASSERT_EQ(check(&p, &cache, false), PLACE_CHECK_FRESH);
        ASSERT_EQ(cache.n, 0U);

        /* Identity changed: unknown without hashing, then hashed once into the cache. */
        p.ino++;
        ASSERT_EQ(check(&p, &cache, false), PLACE_CHECK_UNKNOWN);
        ASSERT_EQ(check(&p, &cache, true), PLACE_CHECK_STALE); /* 'fff…' is not its hash */
        ASSERT_EQ(cache.n, 1U);
        e = place_hash_cache_find(&cache, &st);
        ASSERT_TRUE(e);
        memcpy(p.sha256, e->sha256, 65);
        ASSERT_EQ(check(&p, &cache, false), PLACE_CHECK_FRESH); /* same bytes: from the cache */
        ASSERT_EQ(cache.n, 1U);

        /* chmod: a new ctime, the same bytes, another mode than the copy's. */
        ASSERT_EQ(chmod(src, 0700), 0);
        ASSERT_EQ(check(&p, &cache, false), PLACE_CHECK_UNKNOWN);
        ASSERT_EQ(check(&p, &cache, true), PLACE_CHECK_STALE);
        ASSERT_EQ(cache.n, 2U);
        ASSERT_EQ(chmod(src, 0755), 0);
        ASSERT_EQ(check(&p, &cache, true), PLACE_CHECK_FRESH);

        /* Rewritten in place: content differs. */
        write_text(src, "version 2\n", 0755);
        ASSERT_EQ(check(&p, &cache, true), PLACE_CHECK_STALE);

        /* Gone. */
        ASSERT_EQ(unlink(src), 0);
        ASSERT_EQ(check(&p, &cache, false), PLACE_CHECK_STALE);
        (void) unlink(copy);
        (void) rmdir(dir);
        place_hash_cache_done(&cache);
}

static char *read_text(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = calloc(1, 1 << 20);
        size_t n;

        ASSERT_TRUE(f && buf);
        n = fread(buf, 1, (1 << 20) - 1, f);
        buf[n] = '\0';
        ASSERT_EQ(fclose(f), 0);
        return buf;
}

/* The copy loop: copy_file_range() between two files, sendfile() into a pipe, read() and write()
 * from a pipe; each carries on from the offset it is given, and the hash of what was copied is
 * the original's. */
TEST(test_copy_data) {
        char dir[] = "/tmp/test-place-copy-XXXXXX", src[64], dst[64], dst2[64], a[65], b[65];
        char *text, *got;
        int in, out, pfd[2];
        size_t len = 300000;

        ASSERT_TRUE(mkdtemp(dir));
        (void) snprintf(src, sizeof(src), "%s/src", dir);
        (void) snprintf(dst, sizeof(dst), "%s/dst", dir);
        (void) snprintf(dst2, sizeof(dst2), "%s/dst2", dir);
        text = malloc(len + 1);
        ASSERT_TRUE(text);
        for (size_t i = 0; i < len; i++)
                text[i] = (char) ('a' + (i * 7 + i / 4096) % 26);
        text[len] = '\0';
        write_text(src, text, 0644);

        /* file to file */
        in = open(src, O_RDONLY | O_CLOEXEC);
        out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(in >= 0 && out >= 0);
        ASSERT_EQ(place_copy_data(in, out), 0);
        ASSERT_EQ(close(out), 0);
        got = read_text(dst);
        ASSERT_STREQ(got, text);
        free(got);

        /* from an offset: the rest only */
        ASSERT_EQ(lseek(in, 1000, SEEK_SET), 1000);
        out = open(dst2, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(out >= 0);
        ASSERT_EQ(place_copy_data(in, out), 0);
        ASSERT_EQ(close(out), 0);
        got = read_text(dst2);
        ASSERT_STREQ(got, text + 1000);
        free(got);

        /* into a pipe (no copy_file_range(); sendfile()), read back by the hash from the pipe
         * (read() and write() for the next step) */
        ASSERT_EQ(lseek(in, 0, SEEK_SET), 0);
        ASSERT_EQ(pipe2(pfd, O_CLOEXEC), 0);
        (void) fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20);
        if (fcntl(pfd[1], F_GETPIPE_SZ) >= (int) len) {
                ASSERT_EQ(place_copy_data(in, pfd[1]), 0);
                ASSERT_EQ(close(pfd[1]), 0);
                out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                ASSERT_TRUE(out >= 0);
                ASSERT_EQ(place_copy_data(pfd[0], out), 0);
                ASSERT_EQ(close(out), 0);
                got = read_text(dst);
                ASSERT_STREQ(got, text);
                free(got);
        } else
                ASSERT_EQ(close(pfd[1]), 0);
        ASSERT_EQ(close(pfd[0]), 0);

        /* the hash of the copy is the original's */
        ASSERT_EQ(lseek(in, 0, SEEK_SET), 0);
        ASSERT_EQ(place_hash_fd(in, a), 0);
        out = open(dst, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(out >= 0);
        ASSERT_EQ(place_hash_fd(out, b), 0);
        ASSERT_STREQ(a, b);
        ASSERT_EQ(strlen(a), 64U);
        ASSERT_EQ(close(out), 0);
        ASSERT_EQ(close(in), 0);

        free(text);
        (void) unlink(src);
        (void) unlink(dst);
        (void) unlink(dst2);
        (void) rmdir(dir);
}

/* Another inode with @text at @path (a new identity, whatever the clock's granularity). */
static void replace_text(const char *path, const char *text) {
        char tmp[128];

        (void) snprintf(tmp, sizeof(tmp), "%s.new", path);
        write_text(tmp, text, 0755);
        ASSERT_EQ(rename(tmp, path), 0);
}

/* A pending hash: the same identity is fresh without reading anything; a changed identity hashes
 * the original and the copy (each once, into the cache); a copy written to since it was placed is
 * stale; another size is stale without reading. */
TEST(test_check_pending) {
        char dir[] = "/tmp/test-place-pending-XXXXXX", src[64], copy[64], sha[65];
        PlaceHashCache cache = {};
        Placement p = {};
        struct stat st, cst;
        char *why = NULL;
        PlaceCheck c;

        ASSERT_TRUE(mkdtemp(dir));
        (void) snprintf(src, sizeof(src), "%s/src", dir);
        (void) snprintf(copy, sizeof(copy), "%s/copy", dir);
        write_text(src, "version 1\n", 0755);
        write_text(copy, "version 1\n", 0755);
        ASSERT_EQ(stat(src, &st), 0);
        ASSERT_EQ(stat(copy, &cst), 0);
        p = (Placement){ .source = src,
                         .copy = copy,
                         .dev = (uint64_t) st.st_dev,
                         .ino = (uint64_t) st.st_ino,
                         .size = (uint64_t) st.st_size,
                         .mtime_ns = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                         .ctime_ns = (int64_t) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec };
        placement_hash_pending(&p, &cst);

        /* Same identity: fresh, nothing read. */
        ASSERT_EQ(check(&p, &cache, true), PLACE_CHECK_FRESH);
        ASSERT_EQ(cache.n, 0U);

        /* Identity changed, same bytes: unknown without hashing; then the original and the copy
         * are hashed, once, and it is fresh; from the cache after that. */
        p.ino++;
        ASSERT_EQ(check(&p, &cache, false), PLACE_CHECK_UNKNOWN);
        ASSERT_EQ(cache.n, 0U);
        ASSERT_EQ(placement_copy_hash(&p, &cache, false, sha, NULL), 0);
        ASSERT_EQ(check(&p, &cache, true), PLACE_CHECK_FRESH);
        ASSERT_EQ(cache.n, 2U);
        ASSERT_EQ(check(&p, &cache, false), PLACE_CHECK_FRESH);
        ASSERT_EQ(cache.n, 2U);
        ASSERT_EQ(placement_copy_hash(&p, &cache, false, sha, NULL), 1);
        ASSERT_STREQ(sha, place_hash_cache_find(&cache, &st)->sha256);

        /* The original rewritten with the same size: the hashes differ. */
        replace_text(src, "version 2\n");
        ASSERT_EQ(placement_check(&p, &cache, true, &c, &why), 0);
        ASSERT_EQ(c, PLACE_CHECK_STALE);
        ASSERT_TRUE(why && strstr(why, "content differs"));
        free(why);

        /* Another size: stale without reading it. */
        replace_text(src, "version 10\n");
        ASSERT_EQ(cache.n, 3U);
        ASSERT_EQ(placement_check(&p, &cache, false, &c, &why), 0);
        ASSERT_EQ(c, PLACE_CHECK_STALE);
        ASSERT_TRUE(why && strstr(why, "11 bytes now, 10 placed"));
        free(why);
        ASSERT_EQ(cache.n, 3U);

        /* Back to the placed bytes, but the copy was written to in the zone: its content is not
         * known to be what was placed, so it is stale, even from the cache. */
        replace_text(src, "version 1\n");
        replace_text(copy, "version 1\n");
        ASSERT_EQ(placement_check(&p, &cache, true, &c, &why), 0);
        ASSERT_EQ(c, PLACE_CHECK_STALE);
        ASSERT_TRUE(why && strstr(why, "is no longer the file written then"));
        free(why);
        ASSERT_EQ(placement_copy_hash(&p, &cache, true, sha, NULL), -ESTALE);

        /* The copy gone: stale too. */
        ASSERT_EQ(stat(copy, &cst), 0);
        placement_hash_pending(&p, &cst);
        ASSERT_EQ(check(&p, &cache, true), PLACE_CHECK_FRESH);
        ASSERT_EQ(unlink(copy), 0);
        ASSERT_EQ(placement_copy_hash(&p, &cache, true, sha, NULL), -ESTALE);
        ASSERT_EQ(check(&p, &cache, true), PLACE_CHECK_STALE);

        (void) unlink(src);
        (void) rmdir(dir);
        place_hash_cache_done(&cache);
}

DEFINE_TEST_MAIN();

/* A copy whose p_align place-pmd.c raised hashes as its source: the recorded values are put
 * back while hashing; other bytes that differ still show. */
TEST(test_copy_hash_restores_p_align) {
        char dir[] = "/tmp/test-place-palign-XXXXXX", src[64], dst[64], a[65], b[65], c[65];
        uint8_t file[64 + 2 * sizeof(Elf64_Phdr) + 512] = {};
        Elf64_Ehdr *eh = (Elf64_Ehdr *) file;
        Elf64_Phdr *ph = (Elf64_Phdr *) (file + 64);
        Placement p = { .n_aligned = 1, .aligned = { { .phdr = 1, .was = 0x1000 } } };
        int fd;

        ASSERT_TRUE(mkdtemp(dir));
        memcpy(eh->e_ident, ELFMAG, SELFMAG);
        eh->e_ident[EI_CLASS] = ELFCLASS64;
        eh->e_ident[EI_DATA] = ELFDATA2LSB;
        eh->e_type = ET_DYN;
        eh->e_phoff = 64;
        eh->e_phentsize = sizeof(Elf64_Phdr);
        eh->e_phnum = 2;
        ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_align = 0x1000 };
        ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_align = 0x1000 };
        for (size_t i = 64 + 2 * sizeof(Elf64_Phdr); i < sizeof(file); i++)
                file[i] = (uint8_t) (i * 7);
        (void) snprintf(src, sizeof(src), "%s/src", dir);
        (void) snprintf(dst, sizeof(dst), "%s/dst", dir);

        fd = open(src, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, file, sizeof(file)), (ssize_t) sizeof(file));
        ASSERT_EQ(place_hash_fd(fd, a), 0);
        ASSERT_EQ(close(fd), 0);

        ph[1].p_align = 0x200000;
        fd = open(dst, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, file, sizeof(file)), (ssize_t) sizeof(file));
        ASSERT_EQ(place_hash_fd(fd, b), 0);
        ASSERT_TRUE(strcmp(a, b) != 0);
        ASSERT_EQ(place_hash_copy_fd(fd, &p, c), 0);
        ASSERT_STREQ(a, c);

        /* another byte changed in the copy: not the source's hash */
        ASSERT_EQ(pwrite(fd, "x", 1, sizeof(file) - 1), 1);
        ASSERT_EQ(place_hash_copy_fd(fd, &p, c), 0);
        ASSERT_TRUE(strcmp(a, c) != 0);

        /* a header index beyond the table: not the object that was placed */
        p.aligned[0].phdr = 9;
        ASSERT_EQ(place_hash_copy_fd(fd, &p, c), -ESTALE);
        ASSERT_EQ(close(fd), 0);
        ASSERT_EQ(unlink(src), 0);
        ASSERT_EQ(unlink(dst), 0);
        ASSERT_EQ(rmdir(dir), 0);
}
