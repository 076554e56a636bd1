/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What ld.so searches with, as glibc defines it: /etc/ld.so.cache parsed as untrusted input, the
 * machines' cache flags and default directories, and the dynamic string tokens ($ORIGIN, $LIB,
 * $PLATFORM) (elf-closure.h). */

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elf-closure.h"
#include "error.h"
#include "fileio.h"
#include "macro.h"

/* ---- ld.so.cache ---- */

#define CACHE_OLD_MAGIC       "ld.so-1.7.0"
#define CACHE_NEW_MAGIC       "glibc-ld.so.cache1.1"
#define CACHE_OLD_HEADER_SIZE 16u /* char magic[11]; uint32_t nlibs (aligned to 4) */
#define CACHE_OLD_ENTRY_SIZE  12u /* int32_t flags; uint32_t key, value */
#define CACHE_NEW_HEADER_SIZE 48u /* magic[17] version[3] nlibs len_strings flags[4] ext unused[3] */
#define CACHE_NEW_ENTRY_SIZE  24u /* flags key value osversion; uint64_t hwcap */

/* ldconfig aligns the new part after the old one to the alignment of its struct, whose widest
 * member is a uint64_t: 8 on x86_64, 4 on i386. The cache is this machine's. */
struct cache_alignment {
        char c;
        uint64_t u;
};
#define CACHE_ALIGN offsetof(struct cache_alignment, u)

static uint32_t get_u32(const char *p) {
        uint32_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

static uint64_t get_u64(const char *p) {
        uint64_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

ElfLdCache *elf_ld_cache_free(ElfLdCache *c) {
        if (!c)
                return NULL;
        free(c->data);
        free(c->entries);
        free(c);
        return NULL;
}

/* A NUL-terminated string at @base + @off, inside the file. */
static int cache_string(const ElfLdCache *c, size_t base, uint32_t off, const char **ret) {
        const char *p;

        if (base > c->size || off >= c->size - base)
                return -EBADMSG;
        p = c->data + base + off;
        if (!memchr(p, '\0', c->size - base - off))
                return -EBADMSG;
        *ret = p;
        return 0;
}

static int cache_parse_entries(ElfLdCache *c, size_t entries, size_t n, size_t entry_size, size_t strings) {
        int r;

        c->entries = calloc(n > 0 ? n : 1, sizeof(ElfLdCacheEntry));
        if (!c->entries)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *p = c->data + entries + i * entry_size;
                ElfLdCacheEntry *e = &c->entries[i];

                e->flags = (int32_t) get_u32(p);
                e->hwcap = entry_size == CACHE_NEW_ENTRY_SIZE ? get_u64(p + 16) : 0;
                r = cache_string(c, strings, get_u32(p + 4), &e->key);
                if (r < 0)
                        return r;
                r = cache_string(c, strings, get_u32(p + 8), &e->value);
                if (r < 0)
                        return r;
        }
        c->n_entries = n;
        return 0;
}

static int cache_parse_new(ElfLdCache *c, size_t base) {
        const uint8_t host_endian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2 : 3;
        uint8_t endian;
        uint32_t nlibs;

        if (base > c->size || c->size - base < CACHE_NEW_HEADER_SIZE ||
            memcmp(c->data + base, CACHE_NEW_MAGIC, strlen(CACHE_NEW_MAGIC)) != 0)
                return -EBADMSG;
        nlibs = get_u32(c->data + base + 20);
        /* The low two bits of the flags byte: 0 unset (old ldconfig), 1 invalid, 2 little, 3 big endian. */
        endian = (uint8_t) c->data[base + 28] & 3;
        if (endian != 0 && endian != host_endian)
                return -EBADMSG;
        if (nlibs > (c->size - base - CACHE_NEW_HEADER_SIZE) / CACHE_NEW_ENTRY_SIZE)
                return -EBADMSG;
        /* Strings are relative to the start of the new header. */
        return cache_parse_entries(c, base + CACHE_NEW_HEADER_SIZE, nlibs, CACHE_NEW_ENTRY_SIZE, base);
}

static int cache_parse(ElfLdCache *c) {
        if (c->size >= CACHE_OLD_HEADER_SIZE &&
            memcmp(c->data, CACHE_OLD_MAGIC, strlen(CACHE_OLD_MAGIC)) == 0) {
                uint32_t nlibs = get_u32(c->data + 12);
                size_t strings, base;

                if (nlibs > (c->size - CACHE_OLD_HEADER_SIZE) / CACHE_OLD_ENTRY_SIZE)
                        return -EBADMSG;
                strings = CACHE_OLD_HEADER_SIZE + (size_t) nlibs * CACHE_OLD_ENTRY_SIZE;
                base = (strings + CACHE_ALIGN - 1) & ~(CACHE_ALIGN - 1);
                if (base <= c->size && c->size - base >= CACHE_NEW_HEADER_SIZE &&
                    memcmp(c->data + base, CACHE_NEW_MAGIC, strlen(CACHE_NEW_MAGIC)) == 0)
                        return cache_parse_new(c, base);
                /* The old format alone: strings follow the entries. */
                return cache_parse_entries(c, CACHE_OLD_HEADER_SIZE, nlibs, CACHE_OLD_ENTRY_SIZE, strings);
        }
        return cache_parse_new(c, 0);
}

static int cache_new_take(char *data, size_t size, ElfLdCache **ret) {
        _cleanup_elf_ld_cache_ ElfLdCache *c = NULL;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c) {
                free(data);
                return -ENOMEM;
        }
        c->data = data;
        c->size = size;
        r = cache_parse(c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int elf_ld_cache_parse(const void *data, size_t size, ElfLdCache **ret) {
        char *copy;

        if ((!data && size > 0) || !ret)
                return -EINVAL;
        copy = malloc(size + 1);
        if (!copy)
                return -ENOMEM;
        if (size > 0)
                memcpy(copy, data, size);
        copy[size] = '\0';
        return cache_new_take(copy, size, ret);
}

int elf_ld_cache_load(const char *path, ElfLdCache **ret) {
        char *data = NULL;
        size_t size;
        int r;

        if (!path || !ret)
                return -EINVAL;
        r = read_full_file(path, ELF_LD_CACHE_MAX_SIZE, &data, &size);
        if (r < 0)
                return r;
        return cache_new_take(data, size, ret);
}

/* ---- Machines ---- */

typedef struct ElfAbi {
        uint16_t machine;
        uint8_t elf_class;
        int32_t cache_flags;   /* FLAG_ELF_LIBC6 | the ABI bits of glibc's ldconfig.h */
        const char *multiarch; /* Debian's triplet */
        const char *libdir;    /* upstream glibc's directory for the ABI; NULL: "lib" */
} ElfAbi;

static const ElfAbi elf_abis[] = {
        { EM_X86_64, ELFCLASS64, 0x0303, "x86_64-linux-gnu", "lib64" },
        { EM_X86_64, ELFCLASS32, 0x0803, "x86_64-linux-gnux32", "libx32" },
        { EM_386, ELFCLASS32, 0x0003, "i386-linux-gnu", NULL },
        { EM_AARCH64, ELFCLASS64, 0x0a03, "aarch64-linux-gnu", "lib64" },
        { EM_S390, ELFCLASS64, 0x0403, "s390x-linux-gnu", "lib64" },
        { EM_PPC64, ELFCLASS64, 0x0503, "powerpc64le-linux-gnu", "lib64" },
        /* The cache flags depend on the float ABI in e_flags: any, the candidate is checked. */
        { EM_RISCV, ELFCLASS64, ELF_LD_CACHE_FLAGS_ANY, "riscv64-linux-gnu", "lib64/lp64d" },
};

static const ElfAbi *elf_abi_find(uint8_t elf_class, uint16_t machine) {
        for (size_t i = 0; i < ELEMENTSOF(elf_abis); i++)
                if (elf_abis[i].machine == machine && elf_abis[i].elf_class == elf_class)
                        return &elf_abis[i];
        return NULL;
}

int32_t elf_ld_cache_flags_for(uint8_t elf_class, uint16_t machine) {
        const ElfAbi *abi = elf_abi_find(elf_class, machine);

        return abi ? abi->cache_flags : ELF_LD_CACHE_FLAGS_ANY;
}

const char *elf_ld_cache_lookup(const ElfLdCache *c, const char *name, int32_t flags, size_t *iter) {
        if (!c || !name || !iter)
                return NULL;
        for (size_t i = *iter; i < c->n_entries; i++) {
                const ElfLdCacheEntry *e = &c->entries[i];

                if (e->hwcap != 0 || strcmp(e->key, name) != 0)
                        continue;
                if (flags == ELF_LD_CACHE_FLAGS_ANY
                            ? (e->flags & ELF_LD_CACHE_TYPE_MASK) != ELF_LD_CACHE_ELF_LIBC6
                            : e->flags != flags)
                        continue;
                *iter = i + 1;
                return e->value;
        }
        *iter = c->n_entries;
        return NULL;
}

int elf_default_dirs(uint8_t elf_class, uint16_t machine, char ***ret_dirs, char **ret_lib) {
        const ElfAbi *abi = elf_abi_find(elf_class, machine);
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ char *lib = NULL;
        char *s;
        int r;

        if (!ret_dirs)
                return -EINVAL;
        if (abi && abi->multiarch) {
                struct stat st;

                if (asprintf(&s, "/lib/%s", abi->multiarch) < 0)
                        return -ENOMEM;
                r = strv_consume(&dirs, s);
                if (r < 0)
                        return r;
                if (stat(s, &st) == 0 && S_ISDIR(st.st_mode) && asprintf(&lib, "lib/%s", abi->multiarch) < 0)
                        return -ENOMEM;
                if (asprintf(&s, "/usr/lib/%s", abi->multiarch) < 0)
                        return -ENOMEM;
                r = strv_consume(&dirs, s);
                if (r < 0)
                        return r;
        }
        if (abi && abi->libdir) {
                for (unsigned i = 0; i < 2; i++) {
                        if (asprintf(&s, "%s/%s", i == 0 ? "" : "/usr", abi->libdir) < 0)
                                return -ENOMEM;
                        r = strv_consume(&dirs, s);
                        if (r < 0)
                                return r;
                }
        }
        for (unsigned i = 0; i < 2; i++) {
                s = strdup(i == 0 ? "/lib" : "/usr/lib");
                if (!s)
                        return -ENOMEM;
                r = strv_consume(&dirs, s);
                if (r < 0)
                        return r;
        }
        if (!lib) {
                lib = strdup(abi && abi->libdir ? abi->libdir : "lib");
                if (!lib)
                        return -ENOMEM;
        }

        *ret_dirs = TAKE_PTR(dirs);
        if (ret_lib)
                *ret_lib = TAKE_PTR(lib);
        return 0;
}

/* ---- Small helpers ---- */

typedef struct Buf {
        char *s;
        size_t n, allocated;
} Buf;

static int buf_append(Buf *b, const char *p, size_t n) {
        if (b->allocated - b->n <= n) {
                size_t want = b->n + n + 1;
                char *a;

                if (want < b->n)
                        return -ENOMEM;
                want = want < 64 ? 64 : want * 2;
                a = realloc(b->s, want);
                if (!a)
                        return -ENOMEM;
                b->s = a;
                b->allocated = want;
        }
        memcpy(b->s + b->n, p, n);
        b->n += n;
        b->s[b->n] = '\0';
        return 0;
}

/* ---- Dynamic string tokens ---- */

/* The length of the token @ref at @input (just after the '$'), 0 when it is not that token:
 * glibc's is_dst(). */
static size_t is_dst(const char *input, const char *ref) {
        size_t l = strlen(ref);
        bool curly = false;

        if (input[0] == '{') {
                curly = true;
                input++;
        }
        if (strncmp(input, ref, l) != 0)
                return 0;
        if (curly)
                return input[l] == '}' ? l + 2 : 0;
        if (isalnum((unsigned char) input[l]) || input[l] == '_')
                return 0;
        return l;
}

int elf_expand_dst(const char *s, const char *origin, const char *lib, const char *platform, char **ret) {
        Buf b = {};
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = buf_append(&b, "", 0);
        if (r < 0)
                return r;
        for (const char *p = s; *p;) {
                const char *dollar = strchrnul(p, '$'), *value = NULL;
                size_t l = 0;

                r = buf_append(&b, p, (size_t) (dollar - p));
                if (r < 0)
                        goto fail;
                if (!*dollar)
                        break;
                if ((l = is_dst(dollar + 1, "ORIGIN")) > 0)
                        value = origin;
                else if ((l = is_dst(dollar + 1, "PLATFORM")) > 0)
                        value = platform;
                else if ((l = is_dst(dollar + 1, "LIB")) > 0)
                        value = lib;
                if (l == 0) {
                        r = buf_append(&b, "$", 1);
                        if (r < 0)
                                goto fail;
                        p = dollar + 1;
                        continue;
                }
                if (!value) {
                        r = -ENOKEY;
                        goto fail;
                }
                r = buf_append(&b, value, strlen(value));
                if (r < 0)
                        goto fail;
                p = dollar + 1 + l;
        }
        *ret = b.s;
        return 0;

fail:
        free(b.s);
        return r;
}
