/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The ELF closure: ld.so.cache parsing on synthetic caches (and hostile ones), dynamic string
 * tokens, and closures of fixture programs (built by meson, argv[1] is their directory) copied
 * into a tree of the test's own, of ELF files the test writes itself, and of /bin/true. Where
 * ldd is there, the closures are compared with what it prints: ldd is run by this test, for
 * comparison only. */

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "elf-closure.h"
#include "error.h"
#include "fileio.h"
#include "macro.h"
#include "test-macro.h"

static const char *fixtures; /* where meson built the fixtures */
static char *tree;           /* the test's own tree, canonical */
static uint16_t host_machine;
static bool host_writable; /* ELFCLASS64 little-endian: the test's ELF writer can make objects for it */

/* ---- Helpers ---- */

static char *pathf(const char *fmt, ...) _printf_(1, 2);
static char *pathf(const char *fmt, ...) {
        va_list ap;
        char *p;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&p, fmt, ap);
        va_end(ap);
        ASSERT_TRUE(r >= 0);
        return p;
}

static void write_file(const char *path, const void *data, size_t size) {
        _cleanup_close_ int fd = -1;
        const char *p = data;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        ASSERT_TRUE(fd >= 0);
        while (size > 0) {
                ssize_t n = write(fd, p, size);
                ASSERT_TRUE(n > 0);
                p += n;
                size -= (size_t) n;
        }
}

static void read_file(const char *path, char **ret, size_t *ret_size) {
        ASSERT_EQ(read_full_file(path, 64u * 1024u * 1024u, ret, ret_size), 0);
}

static void copy_file(const char *src, const char *dst) {
        _cleanup_free_ char *data = NULL;
        size_t size;

        read_file(src, &data, &size);
        write_file(dst, data, size);
}

static void mkdirf(const char *fmt, ...) _printf_(1, 2);
static void mkdirf(const char *fmt, ...) {
        _cleanup_free_ char *p = NULL;
        va_list ap;

        va_start(ap, fmt);
        ASSERT_TRUE(vasprintf(&p, fmt, ap) >= 0);
        va_end(ap);
        ASSERT_TRUE(mkdir(p, 0755) == 0 || errno == EEXIST);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* A minimal 32-bit x86 ELF header, padded past the size of a 64-bit one (ld.so reads that
 * much before it looks at the class). */
static void write_elf32(const char *path) {
        unsigned char buf[512] = {};
        Elf32_Ehdr *h = (Elf32_Ehdr *) buf;

        memcpy(h->e_ident, ELFMAG, SELFMAG);
        h->e_ident[EI_CLASS] = ELFCLASS32;
        h->e_ident[EI_DATA] = ELFDATA2LSB;
        h->e_ident[EI_VERSION] = EV_CURRENT;
        h->e_type = ET_DYN;
        h->e_machine = EM_386;
        h->e_version = EV_CURRENT;
        h->e_ehsize = sizeof(Elf32_Ehdr);
        write_file(path, buf, sizeof(buf));
}

/* The test's own ELF writer: an ELFCLASS64 little-endian object of the host's machine with one
 * r-x PT_LOAD covering the file, PT_DYNAMIC and optionally PT_INTERP, and no section headers
 * (so it is read through PT_DYNAMIC, like a sstrip'ed file). */
typedef struct Dyn {
        int64_t tag;
        const char *str; /* a string entry when non-NULL */
        uint64_t val;
} Dyn;

static void write_elf(const char *path, uint16_t type, const Dyn *dyn, size_t n_dyn) {
        enum { PHDRS = 64, STRS = 512, STRS_MAX = 3072, N_PHDR = 2 };
        _cleanup_free_ unsigned char *buf = NULL;
        size_t strs = 1, dyn_off, size;
        Elf64_Ehdr *h;
        Elf64_Phdr *ph;
        Elf64_Dyn *d;

        ASSERT_TRUE(host_writable);
        size = STRS + STRS_MAX + (n_dyn + 3) * sizeof(Elf64_Dyn);
        buf = calloc(1, size);
        ASSERT_TRUE(buf);
        dyn_off = STRS + STRS_MAX;

        h = (Elf64_Ehdr *) buf;
        memcpy(h->e_ident, ELFMAG, SELFMAG);
        h->e_ident[EI_CLASS] = ELFCLASS64;
        h->e_ident[EI_DATA] = ELFDATA2LSB;
        h->e_ident[EI_VERSION] = EV_CURRENT;
        h->e_type = type;
        h->e_machine = host_machine;
        h->e_version = EV_CURRENT;
        h->e_phoff = PHDRS;
        h->e_ehsize = sizeof(Elf64_Ehdr);
        h->e_phentsize = sizeof(Elf64_Phdr);
        h->e_phnum = N_PHDR;

        d = (Elf64_Dyn *) (buf + dyn_off);
        for (size_t i = 0; i < n_dyn; i++) {
                d[i].d_tag = dyn[i].tag;
                if (dyn[i].str) {
                        size_t l = strlen(dyn[i].str) + 1;

                        ASSERT_TRUE(strs + l <= STRS_MAX);
                        memcpy(buf + STRS + strs, dyn[i].str, l);
                        d[i].d_un.d_val = strs;
                        strs += l;
                } else
                        d[i].d_un.d_val = dyn[i].val;
        }
        d[n_dyn] = (Elf64_Dyn){ .d_tag = DT_STRTAB, .d_un.d_ptr = STRS };
        d[n_dyn + 1] = (Elf64_Dyn){ .d_tag = DT_STRSZ, .d_un.d_val = strs };
        d[n_dyn + 2] = (Elf64_Dyn){ .d_tag = DT_NULL };

        ph = (Elf64_Phdr *) (buf + PHDRS);
        ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
                              .p_flags = PF_R | PF_X,
                              .p_filesz = size,
                              .p_memsz = size,
                              .p_align = 0x1000 };
        ph[1] = (Elf64_Phdr){ .p_type = PT_DYNAMIC,
                              .p_flags = PF_R,
                              .p_offset = dyn_off,
                              .p_vaddr = dyn_off,
                              .p_filesz = (n_dyn + 3) * sizeof(Elf64_Dyn),
                              .p_memsz = (n_dyn + 3) * sizeof(Elf64_Dyn),
                              .p_align = 8 };
        write_file(path, buf, size);
}

static const ElfLibrary *find_name(const ElfClosure *c, const char *name) {
        for (size_t i = 0; i < c->n_libraries; i++)
                if (strcmp(c->libraries[i].name, name) == 0)
                        return &c->libraries[i];
        return NULL;
}

static const ElfUnresolved *find_unresolved(const ElfClosure *c, const char *name) {
        for (size_t i = 0; i < c->n_unresolved; i++)
                if (strcmp(c->unresolved[i].name, name) == 0)
                        return &c->unresolved[i];
        return NULL;
}

/* Asserts the library @name is in @c, found at @canonical (NULL: anywhere) through @source
 * (-1: any) for the object @needed_by (NULL: any). */
static void expect_lib(const ElfClosure *c, const char *name, const char *canonical, int source,
                       const char *needed_by) {
        const ElfLibrary *l = find_name(c, name);

        if (!l) {
                fprintf(stderr, "%s: %s is not in the closure\n", c->path, name);
                abort();
        }
        if (canonical)
                ASSERT_STREQ(l->realpath, canonical);
        if (source >= 0)
                ASSERT_STREQ(elf_search_source_to_string(l->source), elf_search_source_to_string(source));
        if (needed_by)
                ASSERT_STREQ(l->needed_by, needed_by);
        ASSERT_TRUE(l->path && l->realpath && l->realpath[0] == '/');
}

static void dump_closure(const ElfClosure *c) {
        fprintf(stderr, "closure of %s (interpreter %s):\n", c->path, c->interpreter ?: "none");
        for (size_t i = 0; i < c->n_libraries; i++)
                fprintf(stderr, "  %s => %s [%s] (%s, needed by %s)\n", c->libraries[i].name,
                        c->libraries[i].realpath, c->libraries[i].path,
                        elf_search_source_to_string(c->libraries[i].source), c->libraries[i].needed_by);
        for (size_t i = 0; i < c->n_unresolved; i++)
                fprintf(stderr, "  %s unresolved (needed by %s): %s\n", c->unresolved[i].name,
                        c->unresolved[i].needed_by, c->unresolved[i].reason);
}

/* Compares @c with what ldd prints for @path: the same names resolved to the same files, the same
 * names not found. */
static void compare_with_ldd(const char *path, const ElfClosure *c) {
        _cleanup_free_ char *cmd = NULL, *line = NULL;
        size_t allocated = 0, n_resolved = 0, n_missing = 0;
        FILE *f;
        int status;

        ASSERT_TRUE(!strchr(path, '\''));
        cmd = pathf("env -u LD_LIBRARY_PATH -u LD_PRELOAD ldd '%s' 2>/dev/null", path);
        f = popen(cmd, "re");
        ASSERT_TRUE(f);
        while (getline(&line, &allocated, f) > 0) {
                char *s = line + strspn(line, " \t"), *arrow = strstr(s, " => "), *target, *paren;
                _cleanup_free_ char *canonical = NULL;
                const ElfLibrary *l;

                s[strcspn(s, "\n")] = '\0';
                if (!arrow)
                        continue; /* the interpreter, the vDSO, "statically linked" */
                *arrow = '\0';
                target = arrow + 4;
                if (strncmp(target, "not found", 9) == 0) {
                        if (!find_unresolved(c, s)) {
                                dump_closure(c);
                                fprintf(stderr, "ldd: %s not found, but the closure has it\n", s);
                                abort();
                        }
                        n_missing++;
                        continue;
                }
                paren = strstr(target, " (");
                if (paren)
                        *paren = '\0';
                canonical = realpath(target, NULL);
                ASSERT_TRUE(canonical);
                l = find_name(c, s);
                if (!l || strcmp(l->realpath, canonical) != 0) {
                        dump_closure(c);
                        fprintf(stderr, "ldd: %s => %s, the closure says %s\n", s, canonical,
                                l ? l->realpath : "nothing");
                        abort();
                }
                n_resolved++;
        }
        status = pclose(f);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                fprintf(stderr, "ldd is not available: not compared for %s\n", path);
                return;
        }
        if (n_resolved != c->n_libraries || n_missing != c->n_unresolved)
                dump_closure(c);
        ASSERT_EQ(n_resolved, c->n_libraries);
        ASSERT_EQ(n_missing, c->n_unresolved);
        fprintf(stderr, "ldd agrees on %s: %zu libraries, %zu not found\n", path, n_resolved, n_missing);
}

/* ---- ld.so.cache ---- */

typedef struct CacheEntry {
        int32_t flags;
        const char *key, *value;
        uint64_t hwcap;
} CacheEntry;

static void put32(unsigned char *p, uint32_t v) {
        memcpy(p, &v, sizeof(v));
}

static void put64(unsigned char *p, uint64_t v) {
        memcpy(p, &v, sizeof(v));
}

/* A cache as ldconfig writes it: the new format, after the old one when @with_old. Strings of
 * the new part are relative to its header; those of the old one to the end of its entries. */
static unsigned char *build_cache(const CacheEntry *e, size_t n, bool with_old, bool only_old,
                                  size_t *ret_size) {
        const size_t old_size = 16 + n * 12;
        size_t base = 0, strings, size = 0, s;
        unsigned char *buf;

        struct cache_alignment {
                char c;
                uint64_t u;
        };
        if (with_old || only_old)
                base = (old_size + offsetof(struct cache_alignment, u) - 1) &
                       ~(offsetof(struct cache_alignment, u) - 1);
        strings = only_old ? old_size : base + 48 + n * 24;
        size = strings;
        for (size_t i = 0; i < n; i++)
                size += strlen(e[i].key) + 1 + strlen(e[i].value) + 1;
        buf = calloc(1, size);
        ASSERT_TRUE(buf);

        s = strings;
        if (with_old || only_old) {
                memcpy(buf, "ld.so-1.7.0", 11);
                put32(buf + 12, (uint32_t) n);
        }
        if (!only_old) {
                memcpy(buf + base, "glibc-ld.so.cache1.1", 20);
                put32(buf + base + 20, (uint32_t) n);
                buf[base + 28] = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2 : 3;
        }
        for (size_t i = 0; i < n; i++) {
                size_t kl = strlen(e[i].key) + 1, vl = strlen(e[i].value) + 1;

                memcpy(buf + s, e[i].key, kl);
                memcpy(buf + s + kl, e[i].value, vl);
                if (with_old || only_old) {
                        unsigned char *o = buf + 16 + i * 12;

                        put32(o, (uint32_t) e[i].flags);
                        put32(o + 4, (uint32_t) (s - old_size));
                        put32(o + 8, (uint32_t) (s + kl - old_size));
                }
                if (!only_old) {
                        unsigned char *p = buf + base + 48 + i * 24;

                        put32(p, (uint32_t) e[i].flags);
                        put32(p + 4, (uint32_t) (s - base));
                        put32(p + 8, (uint32_t) (s + kl - base));
                        put64(p + 16, e[i].hwcap);
                }
                s += kl + vl;
        }
        if (!only_old)
                put32(buf + base + 24, (uint32_t) (size - strings));
        ASSERT_EQ(s, size);
        *ret_size = size;
        return buf;
}

static const CacheEntry cache_entries[] = {
        { 0x0303, "libfoo.so.1", "/x/lib64/libfoo.so.1", 0 },
        { 0x0003, "libfoo.so.1", "/x/lib32/libfoo.so.1", 0 },
        { 0x0303, "libbar.so", "/x/hwcaps/libbar.so", UINT64_C(1) << 62 },
        { 0x0303, "libbar.so", "/x/lib64/libbar.so", 0 },
        { 0x0803, "libfoo.so.1", "/x/libx32/libfoo.so.1", 0 },
};

static void check_cache(const ElfLdCache *c) {
        size_t iter = 0;

        ASSERT_EQ(c->n_entries, ELEMENTSOF(cache_entries));
        for (size_t i = 0; i < c->n_entries; i++) {
                ASSERT_STREQ(c->entries[i].key, cache_entries[i].key);
                ASSERT_STREQ(c->entries[i].value, cache_entries[i].value);
                ASSERT_EQ(c->entries[i].flags, cache_entries[i].flags);
        }
        ASSERT_STREQ(elf_ld_cache_lookup(c, "libfoo.so.1", 0x0303, &iter), "/x/lib64/libfoo.so.1");
        ASSERT_TRUE(elf_ld_cache_lookup(c, "libfoo.so.1", 0x0303, &iter) == NULL);
        iter = 0;
        ASSERT_STREQ(elf_ld_cache_lookup(c, "libfoo.so.1", 0x0003, &iter), "/x/lib32/libfoo.so.1");
        iter = 0;
        ASSERT_STREQ(elf_ld_cache_lookup(c, "libfoo.so.1", ELF_LD_CACHE_FLAGS_ANY, &iter),
                     "/x/lib64/libfoo.so.1");
        ASSERT_STREQ(elf_ld_cache_lookup(c, "libfoo.so.1", ELF_LD_CACHE_FLAGS_ANY, &iter),
                     "/x/lib32/libfoo.so.1");
        ASSERT_STREQ(elf_ld_cache_lookup(c, "libfoo.so.1", ELF_LD_CACHE_FLAGS_ANY, &iter),
                     "/x/libx32/libfoo.so.1");
        ASSERT_TRUE(elf_ld_cache_lookup(c, "libfoo.so.1", ELF_LD_CACHE_FLAGS_ANY, &iter) == NULL);
        iter = 0; /* the hwcap entry is skipped */
        ASSERT_STREQ(elf_ld_cache_lookup(c, "libbar.so", 0x0303, &iter), "/x/lib64/libbar.so");
        iter = 0;
        ASSERT_TRUE(elf_ld_cache_lookup(c, "libnone.so", 0x0303, &iter) == NULL);
}

TEST(test_ld_cache_formats) {
        _cleanup_free_ unsigned char *a = NULL, *b = NULL, *o = NULL;
        size_t na, nb, no, iter = 0;

        a = build_cache(cache_entries, ELEMENTSOF(cache_entries), false, false, &na);
        b = build_cache(cache_entries, ELEMENTSOF(cache_entries), true, false, &nb);
        o = build_cache(cache_entries, ELEMENTSOF(cache_entries), false, true, &no);

        for (unsigned i = 0; i < 3; i++) {
                _cleanup_elf_ld_cache_ ElfLdCache *c = NULL;

                ASSERT_EQ(elf_ld_cache_parse(i == 0   ? a
                                             : i == 1 ? b
                                                      : o,
                                             i == 0   ? na
                                             : i == 1 ? nb
                                                      : no,
                                             &c),
                          0);
                if (i < 2)
                        check_cache(c);
                else {
                        ASSERT_EQ(c->n_entries, ELEMENTSOF(cache_entries));
                        ASSERT_STREQ(c->entries[4].value, "/x/libx32/libfoo.so.1");
                        ASSERT_EQ(c->entries[2].hwcap, 0);
                }
        }

        ASSERT_EQ(elf_ld_cache_flags_for(ELFCLASS64, EM_X86_64), 0x0303);
        ASSERT_EQ(elf_ld_cache_flags_for(ELFCLASS32, EM_X86_64), 0x0803);
        ASSERT_EQ(elf_ld_cache_flags_for(ELFCLASS32, EM_386), 0x0003);
        ASSERT_EQ(elf_ld_cache_flags_for(ELFCLASS64, EM_AARCH64), 0x0a03);
        ASSERT_EQ(elf_ld_cache_flags_for(ELFCLASS64, EM_NONE), ELF_LD_CACHE_FLAGS_ANY);

        /* An empty cache, and lookups in no cache at all. */
        {
                _cleanup_free_ unsigned char *e = NULL;
                _cleanup_elf_ld_cache_ ElfLdCache *c = NULL;
                size_t ne;

                e = build_cache(NULL, 0, false, false, &ne);
                ASSERT_EQ(ne, 48);
                ASSERT_EQ(elf_ld_cache_parse(e, ne, &c), 0);
                ASSERT_EQ(c->n_entries, 0);
                ASSERT_TRUE(elf_ld_cache_lookup(c, "libc.so.6", 0x0303, &iter) == NULL);
                ASSERT_TRUE(elf_ld_cache_lookup(NULL, "libc.so.6", 0x0303, &iter) == NULL);
        }
}

TEST(test_ld_cache_hostile) {
        _cleanup_free_ unsigned char *a = NULL, *b = NULL, *m = NULL;
        uint32_t seed = 12345;
        size_t na, nb;

        a = build_cache(cache_entries, ELEMENTSOF(cache_entries), false, false, &na);
        b = build_cache(cache_entries, ELEMENTSOF(cache_entries), true, false, &nb);

        /* Every truncation of a new-format cache is refused: the last string loses its NUL. The
         * copy is exactly as long as the prefix, so ASan sees any read past it. */
        for (size_t l = 0; l < na; l++) {
                _cleanup_elf_ld_cache_ ElfLdCache *c = NULL;
                _cleanup_free_ unsigned char *p = malloc(l ?: 1);

                ASSERT_TRUE(p);
                memcpy(p, a, l);
                ASSERT_EQ(elf_ld_cache_parse(p, l, &c), -EBADMSG);
        }
        /* The combined format may fall back to the old part: refused or parsed, never a crash. */
        for (size_t l = 0; l < nb; l++) {
                _cleanup_elf_ld_cache_ ElfLdCache *c = NULL;
                _cleanup_free_ unsigned char *p = malloc(l ?: 1);
                int r;

                ASSERT_TRUE(p);
                memcpy(p, b, l);
                r = elf_ld_cache_parse(p, l, &c);
                ASSERT_TRUE(r == 0 || r == -EBADMSG);
        }

        m = malloc(na);
        ASSERT_TRUE(m);
        /* Counts and offsets out of bounds, a string without its NUL, the other byte order. */
        {
                static const struct {
                        size_t at;
                        uint32_t value;
                } patches[] = {
                        { 20, 0xffffffffu },     /* nlibs */
                        { 48 + 4, 0x7fffffffu }, /* a key offset */
                        { 48 + 8, 0xfffffff0u }, /* a value offset */
                        /* Then damage that may or may not leave a readable cache: */
                        { 20, 6 },          /* one entry more, read from the strings */
                        { 48 + 24 + 4, 0 }, /* a key in the header */
                };

                for (size_t i = 0; i < ELEMENTSOF(patches); i++) {
                        _cleanup_elf_ld_cache_ ElfLdCache *c = NULL;
                        int r;

                        memcpy(m, a, na);
                        put32(m + patches[i].at, patches[i].value);
                        r = elf_ld_cache_parse(m, na, &c);
                        if (i < 3)
                                ASSERT_EQ(r, -EBADMSG);
                        else
                                ASSERT_TRUE(r == 0 || r == -EBADMSG);
                }

                _cleanup_elf_ld_cache_ ElfLdCache *c = NULL;
                memcpy(m, a, na);
                m[28] = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 3 : 2;
                ASSERT_EQ(elf_ld_cache_parse(m, na, &c), -EBADMSG);
                m[28] = 1;
                ASSERT_EQ(elf_ld_cache_parse(m, na, &c), -EBADMSG);
                memcpy(m, a, na);
                m[na - 1] = 'x';
                ASSERT_EQ(elf_ld_cache_parse(m, na, &c), -EBADMSG);
        }

        /* Random damage: refused or parsed into strings that lie inside the file. */
        for (unsigned i = 0; i < 20000; i++) {
                _cleanup_elf_ld_cache_ ElfLdCache *c = NULL;
                unsigned flips;
                int r;

                memcpy(m, a, na);
                seed = seed * 1103515245u + 12345u;
                flips = 1 + (seed >> 16) % 4;
                for (unsigned k = 0; k < flips; k++) {
                        seed = seed * 1103515245u + 12345u;
                        m[(seed >> 8) % na] = (unsigned char) (seed >> 24);
                }
                r = elf_ld_cache_parse(m, na, &c);
                ASSERT_TRUE(r == 0 || r == -EBADMSG);
                for (size_t j = 0; r == 0 && j < c->n_entries; j++)
                        ASSERT_TRUE(strlen(c->entries[j].key) + strlen(c->entries[j].value) < na);
        }

        ASSERT_EQ(elf_ld_cache_load("/nonexistent/ld.so.cache", &(ElfLdCache *){ NULL }), -ENOENT);
}

TEST(test_ld_cache_system) {
        _cleanup_elf_ld_cache_ ElfLdCache *c = NULL;
        size_t iter = 0;
        int r;

        r = elf_ld_cache_load(ELF_LD_CACHE_PATH, &c);
        if (r == -ENOENT) {
                fprintf(stderr, "no %s: skipped\n", ELF_LD_CACHE_PATH);
                return;
        }
        ASSERT_EQ(r, 0);
        ASSERT_TRUE(c->n_entries > 0);
#if defined(__x86_64__) && defined(__LP64__)
        ASSERT_TRUE(elf_ld_cache_lookup(c, "libc.so.6", ELF_LD_CACHE_ELF_LIBC6 | ELF_LD_CACHE_X8664_LIB64,
                                        &iter));
#else
        ASSERT_TRUE(elf_ld_cache_lookup(c, "libc.so.6", ELF_LD_CACHE_FLAGS_ANY, &iter));
#endif
}

/* ---- Search paths ---- */

TEST(test_expand_dst) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "$ORIGIN/../lib", "/o/../lib" },
                { "${ORIGIN}/x", "/o/x" },
                { "$ORIGIN", "/o" },
                { "a:$ORIGIN:b", "a:/o:b" },
                { "$ORIGINAL/x", "$ORIGINAL/x" }, /* not a token: part of a longer name */
                { "$ORIGIN_/x", "$ORIGIN_/x" },
                { "${ORIGIN/x", "${ORIGIN/x" }, /* no closing brace */
                { "$HOME/lib", "$HOME/lib" },
                { "a$$b$", "a$$b$" },
                { "/usr/$LIB/x", "/usr/lib64/x" },
                { "/usr/${LIB}x", "/usr/lib64x" },
                { "$LIBX", "$LIBX" },
                { "/p/$PLATFORM", "/p/x86_64" },
                { "", "" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *out = NULL;

                ASSERT_EQ(elf_expand_dst(cases[i].in, "/o", "lib64", "x86_64", &out), 0);
                ASSERT_STREQ(out, cases[i].out);
        }
        ASSERT_EQ(elf_expand_dst("/p/$PLATFORM/x", "/o", "lib64", NULL, &(char *){ NULL }), -ENOKEY);
        ASSERT_EQ(elf_expand_dst("${LIB}", "/o", NULL, "x", &(char *){ NULL }), -ENOKEY);
        ASSERT_EQ(elf_expand_dst("$ORIGIN", NULL, "lib", "x", &(char *){ NULL }), -ENOKEY);
}

TEST(test_default_dirs) {
        static const char *const x86_64[] = {
                "/lib/x86_64-linux-gnu",
                "/usr/lib/x86_64-linux-gnu",
                "/lib64",
                "/usr/lib64",
                "/lib",
                "/usr/lib",
        };
        char **dirs = NULL, *lib = NULL;
        struct stat st;
        size_t n = 0;

        ASSERT_EQ(elf_default_dirs(ELFCLASS64, EM_X86_64, &dirs, &lib), 0);
        for (; dirs[n]; n++) {
                ASSERT_TRUE(n < ELEMENTSOF(x86_64));
                ASSERT_STREQ(dirs[n], x86_64[n]);
        }
        ASSERT_EQ(n, ELEMENTSOF(x86_64));
        if (stat("/lib/x86_64-linux-gnu", &st) == 0 && S_ISDIR(st.st_mode))
                ASSERT_STREQ(lib, "lib/x86_64-linux-gnu");
        else
                ASSERT_STREQ(lib, "lib64");
        strv_free(dirs);
        free(lib);

        ASSERT_EQ(elf_default_dirs(ELFCLASS64, EM_NONE, &dirs, &lib), 0);
        ASSERT_STREQ(dirs[0], "/lib");
        ASSERT_STREQ(dirs[1], "/usr/lib");
        ASSERT_TRUE(dirs[2] == NULL);
        ASSERT_STREQ(lib, "lib");
        strv_free(dirs);
        free(lib);

        ASSERT_EQ(elf_search_source_from_string("runpath"), ELF_SEARCH_RUNPATH);
        ASSERT_EQ(elf_search_source_from_string("nope"), _ELF_SEARCH_SOURCE_INVALID);
        for (int s = 0; s < _ELF_SEARCH_SOURCE_MAX; s++)
                ASSERT_EQ(elf_search_source_from_string(elf_search_source_to_string(s)), s);
}

/* ---- Fixture closures ---- */

/* tree/bin: the fixture programs; tree/lib: libfixa, libfixb, libfixc (DT_RUNPATH $ORIGIN/runb);
 * tree/lib/runb: another libfixb; tree/lib32: a 32-bit "libfixa.so" that must be skipped.
 * libfixmissing.so stays out. */
static void make_fixture_tree(void) {
        static const char *const programs[] = { "elf-rpath", "elf-rpath-c", "elf-runpath", "elf-missing" };
        static const char *const libs[] = { "libfixa.so", "libfixb.so", "libfixc.so" };

        mkdirf("%s/bin", tree);
        mkdirf("%s/lib", tree);
        mkdirf("%s/lib/runb", tree);
        mkdirf("%s/lib32", tree);
        for (size_t i = 0; i < ELEMENTSOF(programs); i++) {
                _cleanup_free_ char *src = pathf("%s/%s", fixtures, programs[i]),
                                    *dst = pathf("%s/bin/%s", tree, programs[i]);
                copy_file(src, dst);
        }
        for (size_t i = 0; i < ELEMENTSOF(libs); i++) {
                _cleanup_free_ char *src = pathf("%s/%s", fixtures, libs[i]),
                                    *dst = pathf("%s/lib/%s", tree, libs[i]);
                copy_file(src, dst);
        }
        {
                _cleanup_free_ char *src = pathf("%s/libfixb.so", fixtures),
                                    *dst = pathf("%s/lib/runb/libfixb.so", tree),
                                    *fake = pathf("%s/lib32/libfixa.so", tree);
                copy_file(src, dst);
                write_elf32(fake);
        }
}

static ElfClosure *closure_of(const char *rel) {
        _cleanup_free_ char *p = pathf("%s/%s", tree, rel), *error = NULL;
        ElfClosure *c = NULL;
        int r;

        r = elf_closure(p, NULL, &c, &error);
        if (r < 0) {
                fprintf(stderr, "elf_closure(%s): %s\n", p, error_message(error, r));
                abort();
        }
        return c;
}

TEST(test_rpath_inherited) {
        _cleanup_elf_closure_ ElfClosure *c = closure_of("bin/elf-rpath");
        _cleanup_free_ char *exe = pathf("%s/bin/elf-rpath", tree), *a = pathf("%s/lib/libfixa.so", tree),
                            *b = pathf("%s/lib/libfixb.so", tree),
                            *a_path = pathf("%s/bin/../lib/libfixa.so", tree);

        ASSERT_STREQ(c->path, exe);
        ASSERT_TRUE(c->interpreter && c->interpreter_realpath);
#if defined(__x86_64__) && defined(__LP64__)
        ASSERT_STREQ(c->interpreter, "/lib64/ld-linux-x86-64.so.2");
#endif
        /* The 32-bit libfixa.so in $ORIGIN/../lib32, searched first, is skipped. libfixb.so comes
         * through the program's DT_RPATH: libfixa has no search path of its own. */
        expect_lib(c, "libfixa.so", a, ELF_SEARCH_RPATH, exe);
        ASSERT_STREQ(find_name(c, "libfixa.so")->path, a_path);
        ASSERT_STREQ(find_name(c, "libfixa.so")->soname, "libfixa.so");
        ASSERT_EQ(find_name(c, "libfixa.so")->depth, 1);
        expect_lib(c, "libfixb.so", b, ELF_SEARCH_RPATH, a);
        ASSERT_EQ(find_name(c, "libfixb.so")->depth, 2);
        expect_lib(c, "libc.so.6", NULL, -1, NULL);
        ASSERT_EQ(c->n_libraries, 3);
        ASSERT_EQ(c->n_unresolved, 0);
        ASSERT_TRUE(elf_closure_find(c, b) == find_name(c, "libfixb.so"));
        compare_with_ldd(exe, c);
}

TEST(test_runpath_of_the_needing_object) {
        _cleanup_elf_closure_ ElfClosure *c = closure_of("bin/elf-rpath-c");
        _cleanup_free_ char *exe = pathf("%s/bin/elf-rpath-c", tree), *fc = pathf("%s/lib/libfixc.so", tree),
                            *b = pathf("%s/lib/runb/libfixb.so", tree);

        /* The program's DT_RPATH (${ORIGIN}/../lib, which holds a libfixb.so too) does not apply to
         * libfixc, which has DT_RUNPATH: its own $ORIGIN/runb does. */
        expect_lib(c, "libfixc.so", fc, ELF_SEARCH_RPATH, exe);
        expect_lib(c, "libfixb.so", b, ELF_SEARCH_RUNPATH, fc);
        expect_lib(c, "libc.so.6", NULL, -1, NULL);
        ASSERT_EQ(c->n_libraries, 3);
        ASSERT_EQ(c->n_unresolved, 0);
        compare_with_ldd(exe, c);
}

TEST(test_runpath_not_inherited) {
        _cleanup_elf_closure_ ElfClosure *c = closure_of("bin/elf-runpath");
        _cleanup_free_ char *exe = pathf("%s/bin/elf-runpath", tree), *a = pathf("%s/lib/libfixa.so", tree);
        const ElfUnresolved *u;

        /* DT_RUNPATH applies to the program's own needs only: libfixa's libfixb.so is not found. */
        expect_lib(c, "libfixa.so", a, ELF_SEARCH_RUNPATH, exe);
        expect_lib(c, "libc.so.6", NULL, -1, NULL);
        ASSERT_EQ(c->n_libraries, 2);
        ASSERT_EQ(c->n_unresolved, 1);
        u = find_unresolved(c, "libfixb.so");
        ASSERT_TRUE(u);
        ASSERT_STREQ(u->needed_by, a);
        ASSERT_TRUE(u->reason && u->reason[0]);
        compare_with_ldd(exe, c);
}

TEST(test_missing_reported) {
        _cleanup_elf_closure_ ElfClosure *c = closure_of("bin/elf-missing");
        _cleanup_free_ char *exe = pathf("%s/bin/elf-missing", tree);
        const ElfUnresolved *u;

        expect_lib(c, "libfixa.so", NULL, ELF_SEARCH_RPATH, exe);
        expect_lib(c, "libfixb.so", NULL, ELF_SEARCH_RPATH, NULL);
        ASSERT_EQ(c->n_libraries, 3);
        ASSERT_EQ(c->n_unresolved, 1);
        u = find_unresolved(c, "libfixmissing.so");
        ASSERT_TRUE(u);
        ASSERT_STREQ(u->needed_by, exe);
        compare_with_ldd(exe, c);
}

TEST(test_not_elf_candidate_stops) {
        _cleanup_free_ char *fake = pathf("%s/lib32/libfixa.so", tree);
        _cleanup_elf_closure_ ElfClosure *c = NULL;
        const ElfUnresolved *u;

        /* A file that is not ELF at all, first in the search path, is what ld.so fails on. */
        write_file(fake, "INPUT(-lfixa)\n", 14);
        c = closure_of("bin/elf-rpath");
        u = find_unresolved(c, "libfixa.so");
        ASSERT_TRUE(u);
        ASSERT_TRUE(strstr(u->reason, "not an ELF file"));
        ASSERT_TRUE(find_name(c, "libfixa.so") == NULL);
        write_elf32(fake);
}

TEST(test_pie_static) {
        _cleanup_free_ char *pie = pathf("%s/elf-pie", fixtures), *st = pathf("%s/elf-static", fixtures),
                            *error = NULL;
        _cleanup_elf_closure_ ElfClosure *c = NULL, *s = NULL;
        _cleanup_elf_object_ ElfObject *o = NULL;

        ASSERT_EQ(elf_object_read(pie, &o, NULL), 0);
        ASSERT_EQ(o->type, ET_DYN);
        ASSERT_TRUE(o->dynamic && o->interpreter);
        ASSERT_EQ(elf_closure(pie, NULL, &c, NULL), 0);
        ASSERT_TRUE(c->interpreter_realpath);
        expect_lib(c, "libc.so.6", NULL, -1, NULL);
        ASSERT_EQ(c->n_libraries, 1);
        compare_with_ldd(pie, c);

        if (access(st, F_OK) < 0) {
                fprintf(stderr, "no static fixture (no libc.a): skipped\n");
                return;
        }
        ASSERT_EQ(elf_closure(st, NULL, &s, &error), 0);
        ASSERT_TRUE(s->interpreter == NULL && s->interpreter_realpath == NULL);
        ASSERT_EQ(s->n_libraries, 0);
        ASSERT_EQ(s->n_unresolved, 0);
}

TEST(test_not_elf) {
        _cleanup_free_ char *script = pathf("%s/script", tree), *error = NULL,
                            *empty = pathf("%s/empty", tree);
        ElfClosure *c = NULL;

        write_file(script, "#!/bin/sh\necho hello\n", 21);
        ASSERT_EQ(elf_closure(script, NULL, &c, &error), -ENOEXEC);
        ASSERT_TRUE(strstr(error, "is not an ELF file"));
        ASSERT_TRUE(strstr(error, script));
        error = (free(error), NULL);

        write_file(empty, "", 0);
        ASSERT_EQ(elf_closure(empty, NULL, &c, &error), -ENOEXEC);
        ASSERT_TRUE(strstr(error, "is not an ELF file"));
        error = (free(error), NULL);

        ASSERT_EQ(elf_closure(tree, NULL, &c, &error), -EISDIR);
        error = (free(error), NULL);
        ASSERT_EQ(elf_closure("/nonexistent/program", NULL, &c, &error), -ENOENT);
        ASSERT_TRUE(strstr(error, "/nonexistent/program"));
        ASSERT_TRUE(c == NULL);
}

TEST(test_no_section_headers) {
        _cleanup_free_ char *exe = pathf("%s/bin/elf-rpath", tree),
                            *copy = pathf("%s/bin/elf-rpath-sstrip", tree), *data = NULL;
        _cleanup_elf_object_ ElfObject *a = NULL, *b = NULL;
        _cleanup_elf_closure_ ElfClosure *c = NULL;
        Elf64_Ehdr *h;
        size_t size;

        if (!host_writable) {
                fprintf(stderr, "not an ELFCLASS64 little-endian host: skipped\n");
                return;
        }
        read_file(exe, &data, &size);
        /* What sstrip does: no section headers, only PT_DYNAMIC tells where the dynamic section is. */
        h = (Elf64_Ehdr *) data;
        h->e_shoff = 0;
        h->e_shnum = 0;
        h->e_shstrndx = 0;
        write_file(copy, data, size);

        ASSERT_EQ(elf_object_read(exe, &a, NULL), 0);
        ASSERT_EQ(elf_object_read(copy, &b, NULL), 0);
        ASSERT_EQ(a->n_needed, b->n_needed);
        for (size_t i = 0; i < a->n_needed; i++)
                ASSERT_STREQ(a->needed[i], b->needed[i]);
        ASSERT_STREQ(a->rpath, b->rpath);
        ASSERT_STREQ(b->rpath, "$ORIGIN/../lib32:$ORIGIN/../lib");
        ASSERT_TRUE(b->runpath == NULL);
        ASSERT_STREQ(a->interpreter, b->interpreter);

        ASSERT_EQ(elf_closure(copy, NULL, &c, NULL), 0);
        ASSERT_EQ(c->n_libraries, 3);
        ASSERT_TRUE(find_name(c, "libfixb.so"));
}

/* ---- Objects the test writes ---- */

TEST(test_names_paths_cycles) {
        _cleanup_free_ char *prog = pathf("%s/w/bin/prog", tree), *a = pathf("%s/w/lib/liba.so", tree),
                            *b = pathf("%s/w/lib/libb.so", tree),
                            *b_path = pathf("%s/w/bin/../lib/libb.so", tree),
                            *notelf = pathf("%s/w/lib/libnotelf.so", tree),
                            *wrong = pathf("%s/w/lib/libwrong.so", tree),
                            *empty_dir = pathf("%s/w/empty", tree);
        const char *const dirs[] = { empty_dir, NULL };
        const ElfClosureOptions opts = { .ld_so_cache = "", .default_dirs = dirs };
        _cleanup_elf_closure_ ElfClosure *c = NULL;
        static const char *const unresolved[] = {
                "sub/libx.so", "", "/nonexistent/libnope.so", "${FOO}/x.so", "libnotelf.so", "libwrong.so",
        };

        if (!host_writable)
                return;
        mkdirf("%s/w", tree);
        mkdirf("%s/w/bin", tree);
        mkdirf("%s/w/lib", tree);
        mkdirf("%s/w/empty", tree);

        /* liba and libb need each other, libb needs itself, the program names them several ways. */
        write_elf(a, ET_DYN,
                  (const Dyn[]){
                          { DT_SONAME, "liba.so" }, { DT_NEEDED, "libb.so" }, { DT_RUNPATH, "$ORIGIN" } },
                  3);
        write_elf(b, ET_DYN,
                  (const Dyn[]){ { DT_SONAME, "libb.so" },
                                 { DT_NEEDED, "liba.so" },
                                 { DT_NEEDED, "libb.so" },
                                 { DT_RUNPATH, "$ORIGIN" } },
                  4);
        write_file(notelf, "/* GNU ld script */\n", 20);
        write_elf32(wrong);
        write_elf(prog, ET_EXEC,
                  (const Dyn[]){ { DT_NEEDED, "liba.so" },
                                 { DT_NEEDED, "$ORIGIN/../lib/libb.so" },
                                 { DT_NEEDED, "liba.so" },
                                 { DT_NEEDED, "sub/libx.so" },
                                 { DT_NEEDED, NULL, 0 }, /* offset 0: the empty string */
                                 { DT_NEEDED, "/nonexistent/libnope.so" },
                                 { DT_NEEDED, "${FOO}/x.so" },
                                 { DT_NEEDED, "libnotelf.so" },
                                 { DT_NEEDED, "libwrong.so" },
                                 { DT_RUNPATH, "$ORIGIN/../lib" } },
                  10);

        ASSERT_EQ(elf_closure(prog, &opts, &c, NULL), 0);
        ASSERT_TRUE(c->interpreter == NULL);
        expect_lib(c, "liba.so", a, ELF_SEARCH_RUNPATH, prog);
        expect_lib(c, "$ORIGIN/../lib/libb.so", b, ELF_SEARCH_PATH, prog);
        ASSERT_STREQ(find_name(c, "$ORIGIN/../lib/libb.so")->path, b_path);
        ASSERT_EQ(c->n_libraries, 2);
        if (c->n_unresolved != ELEMENTSOF(unresolved))
                dump_closure(c);
        ASSERT_EQ(c->n_unresolved, ELEMENTSOF(unresolved));
        for (size_t i = 0; i < ELEMENTSOF(unresolved); i++) {
                const ElfUnresolved *u = find_unresolved(c, unresolved[i]);

                ASSERT_TRUE(u);
                ASSERT_STREQ(u->needed_by, prog);
        }
        ASSERT_TRUE(
                strstr(find_unresolved(c, "libwrong.so")->reason, "/w/bin/../lib/libwrong.so was skipped"));
        ASSERT_TRUE(strstr(find_unresolved(c, "libnotelf.so")->reason, "not an ELF file"));
        ASSERT_TRUE(strstr(find_unresolved(c, "sub/libx.so")->reason, "relative"));
}

TEST(test_search_order) {
        _cleanup_free_ char *prog = pathf("%s/o/prog", tree), *cache = pathf("%s/o/ld.so.cache", tree),
                            *def = pathf("%s/o/default", tree), *cached = pathf("%s/o/cached/libq.so", tree),
                            *in_def = pathf("%s/o/default/libq.so", tree),
                            *in_rp = pathf("%s/o/rp/libq.so", tree),
                            *in_run = pathf("%s/o/run/libq.so", tree), *data = NULL;
        const char *const dirs[] = { def, NULL };
        const ElfClosureOptions opts = { .ld_so_cache = cache, .default_dirs = dirs };
        const CacheEntry entry = { elf_ld_cache_flags_for(ELFCLASS64, host_machine), "libq.so", cached, 0 };
        size_t size;

        if (!host_writable)
                return;
        mkdirf("%s/o", tree);
        mkdirf("%s/o/cached", tree);
        mkdirf("%s/o/default", tree);
        mkdirf("%s/o/rp", tree);
        mkdirf("%s/o/run", tree);
        data = (char *) build_cache(&entry, 1, false, false, &size);
        write_file(cache, data, size);
        for (unsigned i = 0; i < 4; i++)
                write_elf(i == 0   ? cached
                          : i == 1 ? in_def
                          : i == 2 ? in_rp
                                   : in_run,
                          ET_DYN, (const Dyn[]){ { DT_SONAME, "libq.so" } }, 1);

        static const struct {
                Dyn dyn[3];
                size_t n;
                unsigned where;
                ElfSearchSource source;
        } cases[] = {
                /* DT_RPATH before the cache */
                { { { DT_NEEDED, "libq.so" }, { DT_RPATH, "$ORIGIN/rp" } }, 2, 2, ELF_SEARCH_RPATH },
                /* DT_RUNPATH before the cache */
                { { { DT_NEEDED, "libq.so" }, { DT_RUNPATH, "$ORIGIN/run" } }, 2, 3, ELF_SEARCH_RUNPATH },
                /* with both, DT_RPATH is ignored */
                { { { DT_NEEDED, "libq.so" }, { DT_RPATH, "$ORIGIN/rp" }, { DT_RUNPATH, "$ORIGIN/run" } },
                  3,
                  3,
                  ELF_SEARCH_RUNPATH },
                /* the cache before the default directories */
                { { { DT_NEEDED, "libq.so" } }, 1, 0, ELF_SEARCH_CACHE },
                /* paths that expand to nothing usable are dropped */
                { { { DT_NEEDED, "libq.so" }, { DT_RPATH, "rel:$NOPE:${PLATFORM}/../../o/rp:" } },
                  2,
                  0,
                  ELF_SEARCH_CACHE },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_elf_closure_ ElfClosure *c = NULL;
                const char *want = cases[i].where == 0 ? cached : cases[i].where == 2 ? in_rp : in_run;

                write_elf(prog, ET_EXEC, cases[i].dyn, cases[i].n);
                ASSERT_EQ(elf_closure(prog, &opts, &c, NULL), 0);
                ASSERT_EQ(c->n_libraries, 1);
                expect_lib(c, "libq.so", want, cases[i].source, prog);
        }

        /* Without the cache: the default directories. */
        {
                const ElfClosureOptions no_cache = { .ld_so_cache = "", .default_dirs = dirs };
                _cleanup_elf_closure_ ElfClosure *c = NULL;

                write_elf(prog, ET_EXEC, (const Dyn[]){ { DT_NEEDED, "libq.so" } }, 1);
                ASSERT_EQ(elf_closure(prog, &no_cache, &c, NULL), 0);
                expect_lib(c, "libq.so", in_def, ELF_SEARCH_DEFAULT, prog);
        }
        /* DF_1_NODEFLIB: neither the cache nor the default directories. */
        {
                _cleanup_elf_closure_ ElfClosure *c = NULL;

                write_elf(prog, ET_EXEC,
                          (const Dyn[]){ { DT_NEEDED, "libq.so" }, { DT_FLAGS_1, NULL, DF_1_NODEFLIB } }, 2);
                ASSERT_EQ(elf_closure(prog, &opts, &c, NULL), 0);
                ASSERT_EQ(c->n_libraries, 0);
                ASSERT_TRUE(find_unresolved(c, "libq.so"));
        }
        /* A damaged cache is ignored, as ld.so ignores it. */
        {
                _cleanup_elf_closure_ ElfClosure *c = NULL;

                write_file(cache, data, size / 2);
                write_elf(prog, ET_EXEC, (const Dyn[]){ { DT_NEEDED, "libq.so" } }, 1);
                ASSERT_EQ(elf_closure(prog, &opts, &c, NULL), 0);
                expect_lib(c, "libq.so", in_def, ELF_SEARCH_DEFAULT, prog);
        }
}

TEST(test_bounds) {
        _cleanup_free_ char *prog = pathf("%s/b/prog", tree), *empty = pathf("%s/b/empty", tree),
                            *error = NULL;
        const char *const dirs[] = { empty, NULL };
        const ElfClosureOptions opts = { .ld_so_cache = "", .default_dirs = dirs };
        enum { HUBS = 40, FAN = 1200 };
        _cleanup_free_ char **names = NULL;
        ElfClosure *c = NULL;

        if (!host_writable)
                return;
        mkdirf("%s/b", tree);
        mkdirf("%s/b/empty", tree);

        /* A chain longer than ELF_CLOSURE_MAX_DEPTH. */
        for (unsigned i = 0; i <= ELF_CLOSURE_MAX_DEPTH; i++) {
                _cleanup_free_ char *p = pathf("%s/b/libchain%u.so", tree, i),
                                    *next = pathf("libchain%u.so", i + 1);

                write_elf(p, ET_DYN, (const Dyn[]){ { DT_NEEDED, next }, { DT_RUNPATH, "$ORIGIN" } }, 2);
        }
        write_elf(prog, ET_EXEC, (const Dyn[]){ { DT_NEEDED, "libchain0.so" }, { DT_RUNPATH, "$ORIGIN" } },
                  2);
        ASSERT_EQ(elf_closure(prog, &opts, &c, &error), -ELOOP);
        ASSERT_TRUE(error && strstr(error, "longer than"));
        error = (free(error), NULL);

        /* Shorter: the last library's need is simply not found. */
        {
                _cleanup_elf_closure_ ElfClosure *ok = NULL;
                _cleanup_free_ char *p = pathf("%s/b/libchain%u.so", tree, ELF_CLOSURE_MAX_DEPTH - 1);

                write_elf(p, ET_DYN, (const Dyn[]){ { DT_NEEDED, "libend.so" } }, 1);
                ASSERT_EQ(elf_closure(prog, &opts, &ok, NULL), 0);
                ASSERT_EQ(ok->n_libraries, ELF_CLOSURE_MAX_DEPTH);
                ASSERT_EQ(ok->n_unresolved, 1);
        }

        /* More objects than ELF_CLOSURE_MAX_OBJECTS: the program needs 40 hubs, each of which needs
         * 30 of 1200 other libraries. */
        names = calloc(FAN, sizeof(char *));
        ASSERT_TRUE(names);
        for (unsigned i = 0; i < FAN; i++) {
                _cleanup_free_ char *p = pathf("%s/b/libfan%u.so", tree, i);

                names[i] = pathf("libfan%u.so", i);
                write_elf(p, ET_DYN, NULL, 0);
        }
        for (unsigned h = 0; h < HUBS; h++) {
                _cleanup_free_ char *p = pathf("%s/b/libhub%u.so", tree, h);
                Dyn needs[FAN / HUBS + 1];

                for (unsigned k = 0; k < FAN / HUBS; k++)
                        needs[k] = (Dyn){ DT_NEEDED, names[h * (FAN / HUBS) + k], 0 };
                needs[FAN / HUBS] = (Dyn){ DT_RUNPATH, "$ORIGIN", 0 };
                write_elf(p, ET_DYN, needs, FAN / HUBS + 1);
        }
        {
                char hub_names[HUBS][32];
                Dyn needs[HUBS + 1];

                for (unsigned h = 0; h < HUBS; h++) {
                        (void) snprintf(hub_names[h], sizeof(hub_names[h]), "libhub%u.so", h);
                        needs[h] = (Dyn){ DT_NEEDED, hub_names[h], 0 };
                }
                needs[HUBS] = (Dyn){ DT_RUNPATH, "$ORIGIN", 0 };
                write_elf(prog, ET_EXEC, needs, HUBS + 1);
        }
        ASSERT_EQ(elf_closure(prog, &opts, &c, &error), -E2BIG);
        ASSERT_TRUE(error && strstr(error, "more than"));
        ASSERT_TRUE(c == NULL);
        for (unsigned i = 0; i < FAN; i++)
                free(names[i]);
}

/* ---- Damaged files ---- */

TEST(test_truncated_and_damaged) {
        _cleanup_free_ char *exe = pathf("%s/bin/elf-rpath", tree), *lib = pathf("%s/lib/libfixa.so", tree),
                            *cut = pathf("%s/bin/elf-cut", tree), *data = NULL;
        uint32_t seed = 4242;
        size_t size;

        for (unsigned f = 0; f < 2; f++) {
                data = (free(data), NULL);
                read_file(f == 0 ? exe : lib, &data, &size);
                const size_t lengths[] = { 0,        1,        3,          4,         15,      16,
                                           19,       20,       52,         63,        64,      100,
                                           200,      500,      1000,       2000,      4096,    8192,
                                           size / 3, size / 2, size - 100, size - 16, size - 1 };

                for (size_t i = 0; i < ELEMENTSOF(lengths); i++) {
                        _cleanup_free_ char *error = NULL;
                        ElfClosure *c = NULL;
                        int r;

                        if (lengths[i] > size)
                                continue;
                        write_file(cut, data, lengths[i]);
                        r = elf_closure(cut, NULL, &c, &error);
                        if (r < 0)
                                ASSERT_TRUE(error && error[0]);
                        else
                                c = elf_closure_free(c);
                        if (lengths[i] < 4)
                                ASSERT_EQ(r, -ENOEXEC);
                        if (lengths[i] > 0 && lengths[i] < 64 && lengths[i] >= 16)
                                ASSERT_TRUE(r < 0);
                }
        }

        /* Random damage anywhere in the program: an error with words or a closure, never a crash. */
        data = (free(data), NULL);
        read_file(exe, &data, &size);
        for (unsigned i = 0; i < 400; i++) {
                _cleanup_free_ char *m = malloc(size), *error = NULL;
                ElfClosure *c = NULL;
                unsigned flips;
                int r;

                ASSERT_TRUE(m);
                memcpy(m, data, size);
                seed = seed * 1103515245u + 12345u;
                flips = 1 + (seed >> 16) % 8;
                for (unsigned k = 0; k < flips; k++) {
                        size_t at;

                        seed = seed * 1103515245u + 12345u;
                        /* Mostly the headers, where the offsets are. */
                        at = (seed >> 28) < 10 ? (seed >> 8) % 1024 : (seed >> 4) % size;
                        seed = seed * 1103515245u + 12345u;
                        m[at] = (char) (seed >> 24);
                }
                write_file(cut, m, size);
                r = elf_closure(cut, NULL, &c, &error);
                if (r < 0)
                        ASSERT_TRUE(error && error[0]);
                else
                        c = elf_closure_free(c);
        }
}

/* ---- The system ---- */

TEST(test_bin_true) {
        _cleanup_elf_closure_ ElfClosure *c = NULL;
        _cleanup_free_ char *error = NULL;
        const ElfLibrary *libc;

        if (access("/bin/true", F_OK) < 0) {
                fprintf(stderr, "no /bin/true: skipped\n");
                return;
        }
        ASSERT_EQ(elf_closure("/bin/true", NULL, &c, &error), 0);
        libc = find_name(c, "libc.so.6");
        ASSERT_TRUE(libc);
        ASSERT_TRUE(libc->source == ELF_SEARCH_CACHE || libc->source == ELF_SEARCH_DEFAULT);
#if defined(__x86_64__) && defined(__LP64__)
        ASSERT_STREQ(c->interpreter, "/lib64/ld-linux-x86-64.so.2");
        ASSERT_TRUE(c->interpreter_realpath);
#endif
        ASSERT_EQ(c->n_unresolved, 0);
        /* libc.so.6 needs ld-linux-x86-64.so.2: ld.so matches it to the interpreter by soname. */
        for (size_t i = 0; i < c->n_libraries; i++)
                ASSERT_TRUE(strcmp(c->libraries[i].realpath, c->interpreter_realpath ?: "") != 0);
        compare_with_ldd("/bin/true", c);
}

/* The fixture tree, shared by the tests, and what they need to know about the host. */
static int setup(int argc, char **argv) {
        _cleanup_elf_object_ ElfObject *self = NULL;
        char template[] = "/tmp/test-elf-closure-XXXXXX";

        if (argc != 2) {
                fprintf(stderr, "usage: %s FIXTURE-DIR\n", argv[0]);
                return 2;
        }
        fixtures = argv[1];
        ASSERT_TRUE(mkdtemp(template));
        tree = realpath(template, NULL);
        ASSERT_TRUE(tree);
        ASSERT_EQ(elf_object_read("/proc/self/exe", &self, NULL), 0);
        host_machine = self->machine;
        host_writable = self->elf_class == ELFCLASS64 && self->data == ELFDATA2LSB;
        make_fixture_tree();
        return 0;
}

static void teardown(void) {
        ASSERT_EQ(nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
        free(tree);
}

DEFINE_TEST_MAIN_FULL(setup, teardown);
