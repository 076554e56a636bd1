/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ELF advice: the page figures and warnings on objects described by hand (pure), on fixture
 * programs and libraries (argv[1] is where meson built them) and on /bin/true. */

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "elf-advice.h"
#include "fileio.h"
#include "macro.h"
#include "test-macro.h"

static const char *fixtures;

static size_t count_notes(const ElfAdvice *a, ElfAdviceLevel level, const char *containing) {
        size_t n = 0;

        for (size_t i = 0; i < a->n_notes; i++)
                if (a->notes[i].level == level && (!containing || strstr(a->notes[i].text, containing)))
                        n++;
        return n;
}

static void dump(const char *what, const ElfAdvice *a) {
        fprintf(stderr,
                "%s: text %" PRIu64 " pages (%" PRIu64 " B), rodata %" PRIu64 " (%" PRIu64
                " B), data %" PRIu64 " (%" PRIu64 " B, relro %" PRIu64 "), bss %" PRIu64 " (%" PRIu64
                " B)\n",
                what, a->text_pages, a->text_bytes, a->rodata_pages, a->rodata_bytes, a->data_pages,
                a->data_bytes, a->relro_pages, a->bss_pages, a->bss_bytes);
        for (size_t i = 0; i < a->n_notes; i++)
                fprintf(stderr, "  %s: %s\n", elf_advice_level_to_string(a->notes[i].level),
                        a->notes[i].text);
}

static ElfObject object(uint16_t type, ElfSegment *segments, size_t n) {
        return (ElfObject){
                .path = (char *) "/test/object",
                .elf_class = ELFCLASS64,
                .data = ELFDATA2LSB,
                .type = type,
                .machine = EM_X86_64,
                .segments = segments,
                .n_segments = n,
        };
}

TEST(test_figures) {
        ElfSegment s[] = {
                /* r--: headers and .rodata, 2 pages */
                { PT_LOAD, PF_R, 0x0, 0x0, 0x1001, 0x1001, 0x1000 },
                /* r-x: 0x2800..0x5800 touches pages 2, 3, 4 and 5 */
                { PT_LOAD, PF_R | PF_X, 0x2800, 0x2800, 0x3000, 0x3000, 0x1000 },
                /* rw-: file part 0x7e10..0x8110 (pages 7 and 8), .bss up to 0xc000 (pages 9, 10, 11) */
                { PT_LOAD, PF_R | PF_W, 0x6e10, 0x7e10, 0x300, 0x41f0, 0x1000 },
                { PT_GNU_RELRO, PF_R, 0x6e10, 0x7e10, 0x1f0, 0x1f0, 1 },
                { PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16 },
        };
        ElfObject o = object(ET_DYN, s, ELEMENTSOF(s));
        _cleanup_elf_advice_ ElfAdvice *a = NULL;

        ASSERT_EQ(elf_advice_from_object(&o, &a, NULL), 0);
        dump("synthetic", a);
        ASSERT_EQ(a->rodata_pages, 2);
        ASSERT_EQ(a->rodata_bytes, 0x1001);
        ASSERT_EQ(a->text_pages, 4);
        ASSERT_EQ(a->text_bytes, 0x3000);
        ASSERT_EQ(a->data_pages, 2);
        ASSERT_EQ(a->data_bytes, 0x300);
        ASSERT_EQ(a->bss_bytes, 0x41f0 - 0x300);
        ASSERT_EQ(a->bss_pages, 3);
        ASSERT_EQ(a->relro_pages, 1);
        ASSERT_TRUE(a->relro && !a->textrel && !a->writable_executable && !a->misaligned);
        ASSERT_EQ(a->n_notes, 0);
}

TEST(test_pmd_windows) {
        const uint64_t M = UINT64_C(1) << 20;
        ElfSegment s[] = {
                { PT_LOAD, PF_R, 0x0, 0x0, 0x1000, 0x1000, 2 * M },
                /* text from 0x1000 to 0x900000 at a congruent address: windows at 2, 4 and 6 MiB */
                { PT_LOAD, PF_R | PF_X, 0x1000, 0x201000, 0x8ff000, 0x8ff000, 2 * M },
                /* congruent modulo 4 KiB but not 2 MiB: none */
                { PT_LOAD, PF_R | PF_X, 0xa00000, 0xc01000, 4 * M, 4 * M, 0x1000 },
                /* writable and executable: data, none */
                { PT_LOAD, PF_R | PF_W | PF_X, 0x1000000, 0x1000000, 4 * M, 4 * M, 2 * M },
                /* read-only data: none */
                { PT_LOAD, PF_R, 0x1400000, 0x1400000, 4 * M, 4 * M, 2 * M },
        };
        ElfObject o = object(ET_DYN, s, ELEMENTSOF(s));
        _cleanup_elf_advice_ ElfAdvice *a = NULL;
        _cleanup_free_ uint64_t *offsets = NULL;
        uint64_t n = 99;

        ASSERT_EQ(elf_pmd_windows(s, ELEMENTSOF(s), &n, &offsets), 0);
        ASSERT_EQ(n, 3);
        ASSERT_EQ(offsets[0], 2 * M);
        ASSERT_EQ(offsets[1], 4 * M);
        ASSERT_EQ(offsets[2], 6 * M);
        ASSERT_EQ(elf_advice_from_object(&o, &a, NULL), 0);
        ASSERT_EQ(a->pmd_windows, 3);
        ASSERT_EQ(a->text_bytes, 0x8ff000 + 4 * M);
        ASSERT_TRUE(a->text_pmd_coverage > 0.4616 && a->text_pmd_coverage < 0.4618); /* 6 / 12.996 */

        /* a text segment shorter than a window has none; nothing is allocated */
        free(offsets);
        offsets = NULL;
        ASSERT_EQ(elf_pmd_windows(s, 1, &n, &offsets), 0);
        ASSERT_EQ(n, 0);
        ASSERT_TRUE(offsets == NULL);
        ASSERT_EQ(elf_pmd_windows(NULL, 1, &n, NULL), -EINVAL);
}

/* Which PT_LOADs of a copy get p_align 2 MiB: the text segments with a PMD-eligible window of an
 * ET_DYN object whose alignment is below 2 MiB, and nothing else. */
TEST(test_pmd_align_segments) {
        const uint64_t M = UINT64_C(1) << 20, K4 = 0x1000;
        /* A PIE as linkers lay it out with -z separate-code and 4 KiB p_align: headers, 8 MiB of
         * text (windows at 2, 4 and 6 MiB), read-only data, and data whose address is not
         * congruent with its offset modulo 2 MiB (only modulo 4 KiB). */
        ElfSegment pie[] = {
                { PT_PHDR, PF_R, 0x40, 0x40, 0x230, 0x230, 8 },
                { PT_LOAD, PF_R, 0x0, 0x0, 0x800, 0x800, K4 },
                { PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 8 * M, 8 * M, K4 },
                { PT_LOAD, PF_R, 0x802000, 0x802000, 0x3000, 0x3000, K4 },
                { PT_LOAD, PF_R | PF_W, 0x805d10, 0x806d10, 0x400, 0x900, K4 },
                { PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16 },
        };
        bool raise[ELEMENTSOF(pie)];
        size_t n = ELEMENTSOF(pie);

        ASSERT_EQ(elf_pmd_align_segments(ET_DYN, pie, n, raise), 1);
        ASSERT_TRUE(!raise[0] && !raise[1] && raise[2] && !raise[3] && !raise[4] && !raise[5]);

        /* The same at fixed addresses (ET_EXEC): nothing to change; every flag cleared. */
        raise[2] = raise[4] = true;
        ASSERT_EQ(elf_pmd_align_segments(ET_EXEC, pie, n, raise), 0);
        for (size_t i = 0; i < n; i++)
                ASSERT_TRUE(!raise[i]);

        /* Already aligned to 2 MiB (or more) by its linker: nothing to do. */
        pie[3].align = 2 * M;
        ASSERT_EQ(elf_pmd_align_segments(ET_DYN, pie, n, raise), 0);
        pie[3].align = 4 * M;
        ASSERT_EQ(elf_pmd_align_segments(ET_DYN, pie, n, raise), 0);
        /* A p_align that is not a power of two does not count (the kernel skips it too). */
        pie[3].align = 3 * M;
        ASSERT_EQ(elf_pmd_align_segments(ET_DYN, pie, n, raise), 1);
        pie[3].align = K4;

        /* Text not congruent modulo 2 MiB: no window, nothing raised (raising it would break
         * p_vaddr ≡ p_offset modulo p_align). */
        pie[2].vaddr = 0x201000 + 0x1000;
        ASSERT_EQ(elf_pmd_align_segments(ET_DYN, pie, n, raise), 0);
        pie[2].vaddr = 0x1000;

        /* A small program (python3's case: no whole window in its text): untouched. */
        pie[2].filesz = pie[2].memsz = M + 0x1000;
        ASSERT_EQ(elf_pmd_align_segments(ET_DYN, pie, n, raise), 0);
        pie[2].filesz = pie[2].memsz = 8 * M;

        /* The first PT_LOAD not at a multiple of 2 MiB: the base the loader aligns is not the
         * file's, so raising would not make the text congruent. */
        pie[1].vaddr = pie[1].offset = 0x1000;
        ASSERT_EQ(elf_pmd_align_segments(ET_DYN, pie, n, raise), 0);
        pie[1].vaddr = pie[1].offset = 0;

        /* Two text segments with windows: both; writable and executable: not. */
        {
                ElfSegment two[] = {
                        { PT_LOAD, PF_R | PF_X, 0x0, 0x0, 4 * M, 4 * M, K4 },
                        { PT_LOAD, PF_R | PF_X, 6 * M, 6 * M, 4 * M, 4 * M, K4 },
                        { PT_LOAD, PF_R | PF_W | PF_X, 12 * M, 12 * M, 4 * M, 4 * M, K4 },
                };
                bool r2[ELEMENTSOF(two)];

                ASSERT_EQ(elf_pmd_align_segments(ET_DYN, two, ELEMENTSOF(two), r2), 2);
                ASSERT_TRUE(r2[0] && r2[1] && !r2[2]);
        }
        ASSERT_EQ(elf_pmd_align_segments(ET_DYN, NULL, 0, NULL), 0);
        ASSERT_EQ(elf_pmd_align_segments(ET_DYN, NULL, 1, raise), -EINVAL);
}

TEST(test_warnings) {
        ElfSegment s[] = {
                { PT_LOAD, PF_R | PF_X, 0x0, 0x0, 0x2000, 0x2000, 0x1000 },
                /* writable and executable */
                { PT_LOAD, PF_R | PF_W | PF_X, 0x2000, 0x3000, 0x1000, 0x1000, 0x1000 },
                /* offset and address not congruent modulo 4096 */
                { PT_LOAD, PF_R, 0x3001, 0x5000, 0x10, 0x10, 0x1000 },
        };
        ElfObject o = object(ET_EXEC, s, ELEMENTSOF(s));
        _cleanup_elf_advice_ ElfAdvice *a = NULL;

        o.flags = DF_TEXTREL;
        o.textrel = true;
        ASSERT_EQ(elf_advice_from_object(&o, &a, NULL), 0);
        dump("warnings", a);
        ASSERT_TRUE(a->textrel && a->writable_executable && a->misaligned && !a->relro);
        ASSERT_EQ(a->data_pages, 1); /* the W+X segment counts as written */
        ASSERT_EQ(a->text_pages, 2);
        ASSERT_EQ(count_notes(a, ELF_ADVICE_WARNING, "text relocations"), 1);
        ASSERT_EQ(count_notes(a, ELF_ADVICE_WARNING, "DF_TEXTREL"), 1);
        ASSERT_EQ(count_notes(a, ELF_ADVICE_WARNING, "writable and executable"), 1);
        ASSERT_EQ(count_notes(a, ELF_ADVICE_WARNING, "not congruent"), 1);
        ASSERT_EQ(count_notes(a, ELF_ADVICE_INFO, "PT_GNU_RELRO"), 1);
        ASSERT_EQ(a->n_notes, 4);
}

TEST(test_refused) {
        ElfSegment load = { PT_LOAD, PF_R, 0, 0, 0x10, 0x10, 0x1000 };
        ElfSegment huge = { PT_LOAD, PF_R | PF_W, 0, UINT64_MAX - 0x1000, 0x10, 0x2000, 0x1000 };
        ElfSegment inverted = { PT_LOAD, PF_R | PF_W, 0, 0x1000, 0x2000, 0x10, 0x1000 };
        ElfSegment relro = { PT_GNU_RELRO, PF_R, 0, UINT64_MAX - 10, 0x10, 0x10, 1 };
        ElfSegment s[2];
        _cleanup_free_ char *error = NULL;
        ElfAdvice *a = NULL;
        ElfObject o;

        o = object(ET_REL, &load, 1);
        ASSERT_EQ(elf_advice_from_object(&o, &a, &error), -ENOEXEC);
        ASSERT_TRUE(strstr(error, "/test/object"));
        o = object(ET_DYN, NULL, 0);
        ASSERT_EQ(elf_advice_from_object(&o, &a, &error), -ENOEXEC);
        ASSERT_TRUE(strstr(error, "no loadable segment"));
        o = object(ET_DYN, &huge, 1);
        ASSERT_EQ(elf_advice_from_object(&o, &a, &error), -EBADMSG);
        o = object(ET_DYN, &inverted, 1);
        ASSERT_EQ(elf_advice_from_object(&o, &a, &error), -EBADMSG);
        s[0] = load;
        s[1] = relro;
        o = object(ET_DYN, s, 2);
        ASSERT_EQ(elf_advice_from_object(&o, &a, &error), -EBADMSG);
        ASSERT_TRUE(a == NULL);

        ASSERT_EQ(elf_advice("/nonexistent/x", &a, NULL), -ENOENT);
        ASSERT_EQ(elf_advice("/proc/self/status", &a, &error), -ENOEXEC);
        ASSERT_TRUE(strstr(error, "is not an ELF file"));

        ASSERT_STREQ(elf_advice_level_to_string(ELF_ADVICE_INFO), "info");
        ASSERT_EQ(elf_advice_level_from_string("warning"), ELF_ADVICE_WARNING);
        ASSERT_EQ(elf_advice_level_from_string("loud"), _ELF_ADVICE_LEVEL_INVALID);
}

static ElfAdvice *advice_of(const char *name) {
        _cleanup_free_ char *p = NULL, *error = NULL;
        ElfAdvice *a = NULL;
        int r;

        ASSERT_TRUE(asprintf(&p, "%s/%s", fixtures, name) >= 0);
        if (access(p, F_OK) < 0) {
                fprintf(stderr, "no fixture %s on this machine: skipped\n", name);
                return NULL;
        }
        r = elf_advice(p, &a, &error);
        if (r < 0) {
                fprintf(stderr, "elf_advice(%s): %s\n", p, error ?: "?");
                abort();
        }
        dump(name, a);
        return a;
}

TEST(test_fixtures) {
        _cleanup_elf_advice_ ElfAdvice *a = advice_of("elf-advice"), *n = advice_of("elf-norelro"),
                                       *t = advice_of("libfixtextrel.so"), *w = advice_of("libfixwx.so"),
                                       *b = advice_of("libfixb.so");

        /* 64 pages of const data, 32 of initialised data, 16 of zeroed data. */
        ASSERT_TRUE(a->rodata_pages >= 64);
        ASSERT_TRUE(a->rodata_bytes >= 64 * 4096);
        ASSERT_TRUE(a->data_pages >= 32);
        ASSERT_TRUE(a->data_bytes >= 32 * 4096);
        ASSERT_TRUE(a->bss_pages >= 16);
        ASSERT_TRUE(a->bss_bytes >= 16 * 4096);
        ASSERT_TRUE(a->text_pages >= 1);
        ASSERT_TRUE(a->relro);
        ASSERT_EQ(count_notes(a, ELF_ADVICE_WARNING, NULL), 0);

        ASSERT_TRUE(!n->relro);
        ASSERT_EQ(count_notes(n, ELF_ADVICE_INFO, "PT_GNU_RELRO"), 1);
        ASSERT_EQ(count_notes(n, ELF_ADVICE_WARNING, NULL), 0);

        ASSERT_TRUE(!b->textrel && !b->writable_executable && !b->misaligned);
        ASSERT_EQ(count_notes(b, ELF_ADVICE_WARNING, NULL), 0);

        if (t) {
                ASSERT_TRUE(t->textrel);
                ASSERT_EQ(count_notes(t, ELF_ADVICE_WARNING, "text relocations"), 1);
        }
        if (w) {
                ASSERT_TRUE(w->writable_executable);
                ASSERT_EQ(count_notes(w, ELF_ADVICE_WARNING, "writable and executable"), 1);
        }
}

static void write_file(const char *path, const char *data, size_t size) {
        _cleanup_close_ int fd = -1;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, data, size), (ssize_t) size);
}

/* Truncated and randomly damaged copies of a fixture: an error with words or advice, never a
 * crash (the test runs under ASan and UBSan). */
TEST(test_damaged) {
        _cleanup_free_ char *src = NULL, *data = NULL, *m = NULL;
        char cut[] = "/tmp/test-elf-advice-XXXXXX";
        _cleanup_close_ int fd = -1;
        uint64_t load_end = 0;
        uint32_t seed = 777;
        size_t size;

        ASSERT_TRUE(asprintf(&src, "%s/elf-advice", fixtures) >= 0);
        ASSERT_EQ(read_full_file(src, 64u * 1024u * 1024u, &data, &size), 0);
        fd = mkstemp(cut);
        ASSERT_TRUE(fd >= 0);
        m = malloc(size);
        ASSERT_TRUE(m);
        {
                _cleanup_elf_object_ ElfObject *o = NULL;

                ASSERT_EQ(elf_object_read(src, &o, NULL), 0);
                for (size_t i = 0; i < o->n_segments; i++)
                        if (o->segments[i].type == PT_LOAD &&
                            o->segments[i].offset + o->segments[i].filesz > load_end)
                                load_end = o->segments[i].offset + o->segments[i].filesz;
                ASSERT_TRUE(load_end > 64 && load_end <= size);
        }

        for (unsigned i = 0; i < 600; i++) {
                _cleanup_free_ char *error = NULL;
                ElfAdvice *a = NULL;
                size_t len = size;
                int r;

                memcpy(m, data, size);
                seed = seed * 1103515245u + 12345u;
                if (i < 100)
                        len = i < 64 ? i : (seed >> 8) % size;
                else
                        for (unsigned k = 0; k < 1 + (seed >> 16) % 8; k++) {
                                seed = seed * 1103515245u + 12345u;
                                m[(seed >> 28) < 12 ? (seed >> 8) % 512 : (seed >> 4) % size] =
                                        (char) (seed >> 24);
                        }
                write_file(cut, m, len);
                r = elf_advice(cut, &a, &error);
                if (r < 0)
                        ASSERT_TRUE(error && error[0]);
                else
                        a = elf_advice_free(a);
                if (len < load_end)
                        ASSERT_TRUE(r < 0);
        }
        ASSERT_EQ(unlink(cut), 0);
}

TEST(test_bin_true) {
        _cleanup_elf_advice_ ElfAdvice *a = NULL;

        if (access("/bin/true", F_OK) < 0)
                return;
        ASSERT_EQ(elf_advice("/bin/true", &a, NULL), 0);
        dump("/bin/true", a);
        ASSERT_TRUE(a->text_pages > 0);
        ASSERT_EQ(count_notes(a, ELF_ADVICE_WARNING, NULL), 0);
}

static int setup(int argc, char **argv) {
        if (argc != 2) {
                fprintf(stderr, "usage: %s FIXTURE-DIR\n", argv[0]);
                return 2;
        }
        fixtures = argv[1];
        return 0;
}

DEFINE_TEST_MAIN_FULL(setup, NULL);
