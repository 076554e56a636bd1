/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#include "elf-closure.h"
#include "error.h"
#include "fileio.h"
#include "macro.h"
#include "string-table.h"

#define LOADER_NONE SIZE_MAX

/* PN_XNUM lets e_phnum overflow into section 0; no real file comes near this. */
#define ELF_OBJECT_MAX_SEGMENTS 65536u

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

static int path_join(const char *dir, const char *name, char **ret) {
        size_t l = strlen(dir);
        char *p;

        if (l == 0)
                return -EINVAL;
        while (l > 1 && dir[l - 1] == '/')
                l--;
        if (asprintf(&p, "%.*s%s%s", (int) l, dir, dir[l - 1] == '/' ? "" : "/", name) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* The directory part of an absolute path: "/a/b/c" → "/a/b", "/c" → "/". */
static int path_dirname(const char *path, char **ret) {
        const char *slash = strrchr(path, '/');
        char *d;

        if (!slash)
                return -EINVAL;
        d = slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

static const char *elf_class_name(uint8_t c) {
        return c == ELFCLASS32 ? "32-bit" : c == ELFCLASS64 ? "64-bit" : "unknown-class";
}

/* ---- libelf ---- */

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ok;

static void libelf_init(void) {
        libelf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

static const char *elf_error(void) {
        const char *m = elf_errmsg(-1);

        return m ?: "unknown libelf error";
}

static void elf_endp(Elf **e) {
        if (*e)
                (void) elf_end(*e);
}

ElfObject *elf_object_free(ElfObject *o) {
        if (!o)
                return NULL;
        free(o->path);
        free(o->segments);
        free(o->interpreter);
        for (size_t i = 0; i < o->n_needed; i++)
                free(o->needed[i]);
        free(o->needed);
        free(o->soname);
        free(o->rpath);
        free(o->runpath);
        free(o);
        return NULL;
}

/* The string table the dynamic section refers to: a section (elf_strptr() checks offset and
 * termination), or the raw bytes at DT_STRTAB when there are no section headers. */
typedef struct StrTab {
        Elf *elf;
        size_t section;
        const char *buf;
        size_t size;
} StrTab;

static const char *strtab_get(const StrTab *t, uint64_t off) {
        if (t->section > 0)
                return off <= SIZE_MAX ? elf_strptr(t->elf, t->section, (size_t) off) : NULL;
        if (!t->buf || off >= t->size || !memchr(t->buf + off, '\0', t->size - (size_t) off))
                return NULL;
        return t->buf + off;
}

static int strtab_from_segments(Elf *elf, const ElfObject *o, uint64_t addr, uint64_t size, StrTab *t) {
        for (size_t i = 0; i < o->n_segments; i++) {
                const ElfSegment *s = &o->segments[i];
                uint64_t off, avail;
                Elf_Data *d;

                if (s->type != PT_LOAD || addr < s->vaddr || addr - s->vaddr >= s->filesz)
                        continue;
                off = s->offset + (addr - s->vaddr);
                if (off < s->offset || off > INT64_MAX)
                        return -EBADMSG;
                avail = s->filesz - (addr - s->vaddr);
                if (size > avail)
                        size = avail;
                if (size > SIZE_MAX)
                        return -EBADMSG;
                d = elf_getdata_rawchunk(elf, (int64_t) off, (size_t) size, ELF_T_BYTE);
                if (!d || !d->d_buf)
                        return -EBADMSG;
                t->buf = d->d_buf;
                t->size = d->d_size;
                return 0;
        }
        return -EBADMSG;
}

static int dup_dynstr(const StrTab *t, uint64_t off, const char *what, const char *path, char **ret,
                      char **ret_error) {
        const char *s = strtab_get(t, off);
        char *c;

        if (!s)
                return error_set(ret_error, -EBADMSG,
                                 "The %s entry of %s points outside its string table: the file is damaged.",
                                 what, path);
        c = strdup(s);
        if (!c)
                return -ENOMEM;
        free(*ret);
        *ret = c;
        return 0;
}

/* The dynamic entries of @o: through the section headers when there are any (SHT_DYNAMIC, and
 * its sh_link string table in *ret_strtab_section), else as ld.so reads them, through PT_DYNAMIC
 * (sstrip'd files; *ret_strtab_section 0). */
static int dynamic_data(Elf *elf, ElfObject *o, const ElfSegment *dyn, Elf_Data **ret,
                        size_t *ret_strtab_section, char **ret_error) {
        Elf_Data *data = NULL;
        Elf_Scn *scn = NULL;

        *ret_strtab_section = 0;
        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr shdr;

                if (!gelf_getshdr(scn, &shdr))
                        return error_set(ret_error, -EBADMSG, "The section headers of %s are damaged: %s.",
                                         o->path, elf_error());
                if (shdr.sh_type != SHT_DYNAMIC)
                        continue;
                data = elf_getdata(scn, NULL);
                if (!data)
                        return error_set(ret_error, -EBADMSG,
                                         "The dynamic section of %s cannot be read (truncated file?): %s.",
                                         o->path, elf_error());
                *ret_strtab_section = shdr.sh_link;
                if (*ret_strtab_section == 0)
                        return error_set(ret_error, -EBADMSG,
                                         "The dynamic section of %s has no string table.", o->path);
                break;
        }
        if (!data) {
                if (dyn->offset > INT64_MAX || dyn->filesz > SIZE_MAX)
                        return error_set(ret_error, -EBADMSG,
                                         "The PT_DYNAMIC segment of %s is out of bounds.", o->path);
                data = elf_getdata_rawchunk(elf, (int64_t) dyn->offset, (size_t) dyn->filesz, ELF_T_DYN);
                if (!data)
                        return error_set(
                                ret_error, -EBADMSG,
                                "The PT_DYNAMIC segment of %s cannot be read (truncated file?): %s.",
                                o->path, elf_error());
        }
        *ret = data;
        return 0;
}

/* The strings the dynamic entries name, now that their string table is known: DT_NEEDED (@n_needed
 * of them, in order), and DT_SONAME, DT_RPATH and DT_RUNPATH where given (NULL: absent). */
static int read_dynamic_strings(const StrTab *t, Elf_Data *data, size_t n, size_t n_needed,
                                const uint64_t *soname, const uint64_t *rpath, const uint64_t *runpath,
                                ElfObject *o, char **ret_error) {
        int r;

        if (n_needed > 0) {
                o->needed = calloc(n_needed, sizeof(char *));
                if (!o->needed)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n && o->n_needed < n_needed; i++) {
                GElf_Dyn d;

                if (!gelf_getdyn(data, (int) i, &d))
                        return -EBADMSG;
                if (d.d_tag == DT_NULL)
                        break;
                if (d.d_tag != DT_NEEDED)
                        continue;
                r = dup_dynstr(t, d.d_un.d_val, "DT_NEEDED", o->path, &o->needed[o->n_needed], ret_error);
                if (r < 0)
                        return r;
                o->n_needed++;
        }
        if (soname) {
                r = dup_dynstr(t, *soname, "DT_SONAME", o->path, &o->soname, ret_error);
                if (r < 0)
                        return r;
        }
        if (rpath) {
                r = dup_dynstr(t, *rpath, "DT_RPATH", o->path, &o->rpath, ret_error);
                if (r < 0)
                        return r;
        }
        if (runpath) {
                r = dup_dynstr(t, *runpath, "DT_RUNPATH", o->path, &o->runpath, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_dynamic(Elf *elf, ElfObject *o, const ElfSegment *dyn, char **ret_error) {
        uint64_t strtab_addr = 0, strsz = UINT64_MAX, soname = 0, rpath = 0, runpath = 0;
        bool has_strtab = false, has_soname = false, has_rpath = false, has_runpath = false;
        StrTab t = { .elf = elf };
        Elf_Data *data = NULL;
        size_t entsize, n, n_needed = 0;
        int r;

        entsize = gelf_fsize(elf, ELF_T_DYN, 1, EV_CURRENT);
        if (entsize == 0)
                return error_set(ret_error, -EBADMSG, "%s has an unknown ELF class.", o->path);

        r = dynamic_data(elf, o, dyn, &data, &t.section, ret_error);
        if (r < 0)
                return r;

        n = data->d_size / entsize;
        if (n > INT_MAX)
                return error_set(ret_error, -EBADMSG, "The dynamic section of %s is too large.", o->path);

        for (size_t i = 0; i < n; i++) {
                GElf_Dyn d;

                if (!gelf_getdyn(data, (int) i, &d))
                        return error_set(ret_error, -EBADMSG, "Dynamic entry %zu of %s cannot be read: %s.",
                                         i, o->path, elf_error());
                if (d.d_tag == DT_NULL)
                        break;
                switch (d.d_tag) {
                case DT_NEEDED:
                        n_needed++;
                        break;
                case DT_STRTAB:
                        strtab_addr = d.d_un.d_ptr;
                        has_strtab = true;
                        break;
                case DT_STRSZ:
                        strsz = d.d_un.d_val;
                        break;
                case DT_SONAME:
                        soname = d.d_un.d_val;
                        has_soname = true;
                        break;
                /* Like ld.so, the last of several DT_RPATH (DT_RUNPATH) entries counts. */
                case DT_RPATH:
                        rpath = d.d_un.d_val;
                        has_rpath = true;
                        break;
                case DT_RUNPATH:
                        runpath = d.d_un.d_val;
                        has_runpath = true;
                        break;
                case DT_FLAGS:
                        o->flags = d.d_un.d_val;
                        break;
                case DT_FLAGS_1:
                        o->flags_1 = d.d_un.d_val;
                        break;
                case DT_TEXTREL:
                        o->textrel = true;
                        break;
                default:
                        break;
                }
        }
        if (o->flags & DF_TEXTREL)
                o->textrel = true;

        if (n_needed == 0 && !has_soname && !has_rpath && !has_runpath)
                return 0;

        if (t.section == 0) {
                if (!has_strtab || strtab_from_segments(elf, o, strtab_addr, strsz, &t) < 0)
                        return error_set(
                                ret_error, -EBADMSG,
                                "The string table of the dynamic section of %s (DT_STRTAB) is missing or "
                                "outside the file: the file is damaged.",
                                o->path);
        }

        return read_dynamic_strings(&t, data, n, n_needed, has_soname ? &soname : NULL,
                                    has_rpath ? &rpath : NULL, has_runpath ? &runpath : NULL, o, ret_error);
}
static int read_interpreter(Elf *elf, ElfObject *o, const ElfSegment *s, char **ret_error) {
        Elf_Data *d;
        const char *p;

        if (s->filesz == 0 || s->filesz > PATH_MAX || s->offset > INT64_MAX)
                return error_set(ret_error, -EBADMSG, "The PT_INTERP segment of %s has an impossible size.",
                                 o->path);
        d = elf_getdata_rawchunk(elf, (int64_t) s->offset, (size_t) s->filesz, ELF_T_BYTE);
        if (!d || !d->d_buf)
                return error_set(ret_error, -EBADMSG, "The PT_INTERP segment of %s cannot be read: %s.",
                                 o->path, elf_error());
        p = d->d_buf;
        if (!memchr(p, '\0', d->d_size) || p[0] == '\0')
                return error_set(ret_error, -EBADMSG, "The PT_INTERP segment of %s holds no path.", o->path);
        o->interpreter = strdup(p);
        return o->interpreter ? 0 : -ENOMEM;
}

int elf_object_read(const char *path, ElfObject **ret, char **ret_error) {
        _cleanup_elf_object_ ElfObject *o = NULL;
        _cleanup_(elf_endp) Elf *elf = NULL;
        _cleanup_close_ int fd = -1;
        const ElfSegment *interp = NULL, *dyn = NULL;
        struct stat st;
        GElf_Ehdr eh;
        size_t n;
        int r;

        if (!path || !ret)
                return -EINVAL;
        (void) pthread_once(&libelf_once, libelf_init);
        if (!libelf_ok)
                return error_set(ret_error, -ENOPKG, "libelf refused ELF version %d.", EV_CURRENT);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = negative_errno();
                return error_set(ret_error, r, "Cannot open %s: %s.", path, strerror(-r));
        }
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return error_set(ret_error, r, "Cannot stat %s: %s.", path, strerror(-r));
        }
        if (S_ISDIR(st.st_mode))
                return error_set(ret_error, -EISDIR, "%s is a directory, not an ELF file.", path);
        if (!S_ISREG(st.st_mode))
                return error_set(ret_error, -ENOEXEC, "%s is not a regular file, so not an ELF file.", path);

        elf = elf_begin(fd, ELF_C_READ, NULL);
        if (!elf)
                return error_set(ret_error, -ENOEXEC, "%s is not an ELF file (%s).", path, elf_error());
        if (elf_kind(elf) != ELF_K_ELF)
                return error_set(ret_error, -ENOEXEC, "%s is not an ELF file.", path);
        if (!gelf_getehdr(elf, &eh))
                return error_set(ret_error, -EBADMSG, "%s is not a valid ELF file (truncated?): %s.", path,
                                 elf_error());

        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->path = strdup(path);
        if (!o->path)
                return -ENOMEM;
        o->elf_class = eh.e_ident[EI_CLASS];
        o->data = eh.e_ident[EI_DATA];
        o->osabi = eh.e_ident[EI_OSABI];
        o->type = eh.e_type;
        o->machine = eh.e_machine;
        o->e_flags = eh.e_flags;

        if (elf_getphdrnum(elf, &n) < 0)
                return error_set(ret_error, -EBADMSG, "The program headers of %s are damaged: %s.", path,
                                 elf_error());
        if (n > ELF_OBJECT_MAX_SEGMENTS)
                return error_set(ret_error, -EBADMSG, "%s claims %zu program headers; refusing it.", path,
                                 n);
        if (n > 0) {
                o->segments = calloc(n, sizeof(ElfSegment));
                if (!o->segments)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                GElf_Phdr ph;

                if (!gelf_getphdr(elf, (int) i, &ph))
                        return error_set(ret_error, -EBADMSG,
                                         "Program header %zu of %s cannot be read (truncated file?): %s.", i,
                                         path, elf_error());
                o->segments[i] = (ElfSegment){
                        .type = ph.p_type,
                        .flags = ph.p_flags,
                        .offset = ph.p_offset,
                        .vaddr = ph.p_vaddr,
                        .filesz = ph.p_filesz,
                        .memsz = ph.p_memsz,
                        .align = ph.p_align,
                };
                o->n_segments++;
                /* A truncated file: mapping it would fault (SIGBUS) past the end. */
                if (ph.p_type == PT_LOAD && (ph.p_offset > (uint64_t) st.st_size ||
                                             ph.p_filesz > (uint64_t) st.st_size - ph.p_offset))
                        return error_set(ret_error, -EBADMSG,
                                         "Segment %zu of %s extends past the end of the file: the file is "
                                         "truncated or damaged.",
                                         i, path);
                if (ph.p_type == PT_INTERP && !interp)
                        interp = &o->segments[i];
                else if (ph.p_type == PT_DYNAMIC && !dyn)
                        dyn = &o->segments[i];
        }

        if (interp) {
                r = read_interpreter(elf, o, interp, ret_error);
                if (r < 0)
                        return r;
        }
        if (dyn) {
                o->dynamic = true;
                r = read_dynamic(elf, o, dyn, ret_error);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(o);
        return 0;
}

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

/* This process's machine: $PLATFORM (AT_PLATFORM) only describes objects of it. */
#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__i386__)
#define HOST_MACHINE EM_386
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#elif defined(__s390x__)
#define HOST_MACHINE EM_S390
#elif defined(__powerpc64__)
#define HOST_MACHINE EM_PPC64
#elif defined(__riscv)
#define HOST_MACHINE EM_RISCV
#else
#define HOST_MACHINE EM_NONE
#endif
#define HOST_CLASS (__SIZEOF_POINTER__ == 8 ? ELFCLASS64 : ELFCLASS32)

static const char *host_platform(uint8_t elf_class, uint16_t machine) {
        if (HOST_MACHINE == EM_NONE || machine != HOST_MACHINE || elf_class != HOST_CLASS)
                return NULL;
        return (const char *) getauxval(AT_PLATFORM);
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

/* ---- The closure ---- */

static const char *const elf_search_source_table[_ELF_SEARCH_SOURCE_MAX] = {
        [ELF_SEARCH_PATH] = "path",       [ELF_SEARCH_RPATH] = "rpath",
        [ELF_SEARCH_RUNPATH] = "runpath", [ELF_SEARCH_CACHE] = "ld.so.cache",
        [ELF_SEARCH_DEFAULT] = "default",
};
DEFINE_STRING_TABLE_LOOKUP(elf_search_source, ElfSearchSource)

typedef struct Loaded {
        ElfObject *obj;
        char *path;      /* as found */
        char *canonical; /* realpath() */
        char *origin;    /* $ORIGIN */
        char **names;    /* the DT_NEEDED names it satisfied, NULL-terminated */
        dev_t dev;
        ino_t ino;
        size_t loader; /* index of the object whose DT_NEEDED loaded it; LOADER_NONE for the root */
        unsigned depth;
        ElfSearchSource source;
        bool interpreter;
} Loaded;

typedef struct Search {
        const char *cache_path;
        ElfLdCache *cache;
        bool cache_tried;
        char **default_dirs;
        char *lib; /* $LIB */
        Loaded *objects;
        size_t n_objects;
        ElfUnresolved *unresolved;
        size_t n_unresolved;
} Search;

/* One DT_NEEDED name being resolved for one object. */
typedef struct Attempt {
        const char *name;
        size_t needing;
        char *skipped; /* the first candidate skipped for its class or machine */
} Attempt;

static void attempt_done(Attempt *a) {
        free(a->skipped);
}

static void search_done(Search *s) {
        for (size_t i = 0; i < s->n_objects; i++) {
                Loaded *l = &s->objects[i];

                elf_object_free(l->obj);
                free(l->path);
                free(l->canonical);
                free(l->origin);
                strv_free(l->names);
        }
        free(s->objects);
        for (size_t i = 0; i < s->n_unresolved; i++) {
                free(s->unresolved[i].name);
                free(s->unresolved[i].needed_by);
                free(s->unresolved[i].reason);
        }
        free(s->unresolved);
        elf_ld_cache_free(s->cache);
        strv_free(s->default_dirs);
        free(s->lib);
}

static int add_unresolved(Search *s, const char *name, size_t needing, const char *fmt, ...) _printf_(4, 5);
static int add_unresolved(Search *s, const char *name, size_t needing, const char *fmt, ...) {
        ElfUnresolved u = {}, *a;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&u.reason, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        u.name = strdup(name);
        u.needed_by = strdup(s->objects[needing].canonical);
        a = reallocarray(s->unresolved, s->n_unresolved + 1, sizeof(ElfUnresolved));
        if (!u.name || !u.needed_by || !a) {
                if (a)
                        s->unresolved = a;
                free(u.name);
                free(u.needed_by);
                free(u.reason);
                return -ENOMEM;
        }
        s->unresolved = a;
        s->unresolved[s->n_unresolved++] = u;
        return 0;
}

static int loaded_add_name(Loaded *l, const char *name) {
        if (strv_contains(l->names, name))
                return 0;
        return strv_extend(&l->names, name);
}

static bool loaded_matches(const Loaded *l, const char *name) {
        return strcmp(l->path, name) == 0 || strv_contains(l->names, name) ||
               (l->obj->soname && strcmp(l->obj->soname, name) == 0);
}

/* Adds @obj (taken) found at @path for @name. */
static int add_object(Search *s, ElfObject *obj, const char *path, const char *name, size_t loader,
                      ElfSearchSource source, const struct stat *st, bool interpreter, char **ret_error) {
        _cleanup_elf_object_ ElfObject *o = obj;
        Loaded l = {}, *a;
        int r;

        if (s->n_objects >= ELF_CLOSURE_MAX_OBJECTS)
                return error_set(
                        ret_error, -E2BIG,
                        "The closure of %s has more than %u objects; refusing to follow it further.",
                        s->objects[0].canonical, ELF_CLOSURE_MAX_OBJECTS);
        l.depth = loader == LOADER_NONE ? 0 : s->objects[loader].depth + 1;
        if (l.depth > ELF_CLOSURE_MAX_DEPTH)
                return error_set(
                        ret_error, -ELOOP,
                        "The chain of DT_NEEDED from %s to %s is longer than %u; refusing to follow it.",
                        s->objects[0].canonical, path, ELF_CLOSURE_MAX_DEPTH);

        l.canonical = realpath(path, NULL);
        if (!l.canonical) {
                r = negative_errno();
                return error_set(ret_error, r, "Cannot resolve the path %s: %s.", path, strerror(-r));
        }
        r = -ENOMEM;
        l.path = strdup(path);
        if (!l.path)
                goto fail;
        /* ld.so's $ORIGIN: the directory of the path the object was opened by, except for the
         * program, whose path the kernel resolved (/proc/self/exe). */
        r = path_dirname(loader == LOADER_NONE ? l.canonical : l.path, &l.origin);
        if (r < 0)
                goto fail;
        if (name) {
                r = loaded_add_name(&l, name);
                if (r < 0)
                        goto fail;
        }
        a = reallocarray(s->objects, s->n_objects + 1, sizeof(Loaded));
        if (!a) {
                r = -ENOMEM;
                goto fail;
        }
        s->objects = a;
        l.obj = TAKE_PTR(o);
        l.dev = st->st_dev;
        l.ino = st->st_ino;
        l.loader = loader;
        l.source = source;
        l.interpreter = interpreter;
        s->objects[s->n_objects++] = l;
        return 0;

fail:
        free(l.canonical);
        free(l.path);
        free(l.origin);
        strv_free(l.names);
        return r;
}

typedef enum Candidate {
        CANDIDATE_ABSENT,    /* no such file (or not a regular file, or not readable): search on */
        CANDIDATE_OTHER_ABI, /* an ELF file of another class, byte order or machine: search on */
        CANDIDATE_NOT_ELF,   /* stops the search, as in ld.so */
        CANDIDATE_OK,
} Candidate;

/* Looks at the ELF header of @path like ld.so's open_verify(), for an object like @like. */
static Candidate candidate_check(const char *path, const ElfObject *like, struct stat *ret_st) {
        _cleanup_close_ int fd = -1;
        unsigned char h[EI_NIDENT + 4];
        uint16_t machine;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return CANDIDATE_ABSENT;
        if (fstat(fd, ret_st) < 0 || !S_ISREG(ret_st->st_mode))
                return CANDIDATE_ABSENT;
        do
                n = pread(fd, h, sizeof(h), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return CANDIDATE_ABSENT;
        if ((size_t) n < sizeof(h) || memcmp(h, ELFMAG, SELFMAG) != 0)
                return CANDIDATE_NOT_ELF;
        if (h[EI_CLASS] != like->elf_class || h[EI_DATA] != like->data)
                return CANDIDATE_OTHER_ABI;
        /* e_machine follows e_type, in the file's byte order. */
        machine = h[EI_DATA] == ELFDATA2LSB ? (uint16_t) (h[EI_NIDENT + 2] | h[EI_NIDENT + 3] << 8)
                                            : (uint16_t) (h[EI_NIDENT + 2] << 8 | h[EI_NIDENT + 3]);
        if (machine != like->machine)
                return CANDIDATE_OTHER_ABI;
        return CANDIDATE_OK;
}

/* Returns 1 when the search for @a is over (the object is loaded, or the name is recorded as
 * unresolved), 0 to search on, < 0 on error. */
static int try_candidate(Search *s, Attempt *a, const char *path, ElfSearchSource source, char **ret_error) {
        _cleanup_elf_object_ ElfObject *obj = NULL;
        _cleanup_free_ char *why = NULL;
        const Loaded *needing = &s->objects[a->needing];
        struct stat st;
        int r;

        switch (candidate_check(path, needing->obj, &st)) {
        case CANDIDATE_ABSENT:
                return 0;
        case CANDIDATE_OTHER_ABI:
                if (!a->skipped) {
                        a->skipped = strdup(path);
                        if (!a->skipped)
                                return -ENOMEM;
                }
                return 0;
        case CANDIDATE_NOT_ELF:
                r = add_unresolved(s, a->name, a->needing, "%s is not an ELF file (ld.so stops there).",
                                   path);
                return r < 0 ? r : 1;
        case CANDIDATE_OK:
                break;
        }

        /* The same file under another name: ld.so compares device and inode. */
        for (size_t i = 0; i < s->n_objects; i++)
                if (s->objects[i].dev == st.st_dev && s->objects[i].ino == st.st_ino) {
                        r = loaded_add_name(&s->objects[i], a->name);
                        return r < 0 ? r : 1;
                }

        r = elf_object_read(path, &obj, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = add_unresolved(s, a->name, a->needing, "%s", error_message(why, r));
                return r < 0 ? r : 1;
        }
        if (obj->type != ET_DYN) {
                r = add_unresolved(s, a->name, a->needing, "%s is not a shared object (ELF type %u).", path,
                                   obj->type);
                return r < 0 ? r : 1;
        }
        r = add_object(s, TAKE_PTR(obj), path, a->name, a->needing, source, &st, false, ret_error);
        return r < 0 ? r : 1;
}

/* Tries @a->name in each directory of the ':'-separated @list of the object @owner. */
static int try_path_list(Search *s, Attempt *a, const char *list, size_t owner, ElfSearchSource source,
                         char **ret_error) {
        const ElfObject *obj = s->objects[owner].obj;
        const char *platform = host_platform(obj->elf_class, obj->machine);

        for (const char *p = list;;) {
                const char *colon = strchrnul(p, ':');
                _cleanup_free_ char *element = NULL, *dir = NULL, *path = NULL;
                int r;

                element = strndup(p, (size_t) (colon - p));
                if (!element)
                        return -ENOMEM;
                /* s->objects moves when an object is added, but then the search is over. */
                r = elf_expand_dst(element, s->objects[owner].origin, s->lib, platform, &dir);
                if (r == -ENOMEM)
                        return r;
                /* Dropped: a token without value, and relative (or empty) elements, which depend on
                 * the working directory at run time. */
                if (r >= 0 && dir[0] == '/') {
                        r = path_join(dir, a->name, &path);
                        if (r < 0)
                                return r;
                        r = try_candidate(s, a, path, source, ret_error);
                        if (r != 0)
                                return r;
                }
                if (!*colon)
                        return 0;
                p = colon + 1;
        }
}

static int resolve_needed(Search *s, size_t needing, const char *name, char **ret_error) {
        _cleanup_(attempt_done) Attempt a = { .name = name, .needing = needing };
        const ElfObject *obj = s->objects[needing].obj;
        int r;

        if (name[0] == '\0')
                return add_unresolved(s, name, needing, "The DT_NEEDED entry is empty.");

        for (size_t i = 0; i < s->n_objects; i++)
                if (loaded_matches(&s->objects[i], name))
                        return 0;

        if (strchr(name, '/')) {
                _cleanup_free_ char *path = NULL;

                r = elf_expand_dst(name, s->objects[needing].origin, s->lib,
                                   host_platform(obj->elf_class, obj->machine), &path);
                if (r == -ENOKEY)
                        return add_unresolved(s, name, needing,
                                              "It holds a dynamic string token that has no value "
                                              "here.");
                if (r < 0)
                        return r;
                if (path[0] != '/')
                        return add_unresolved(s, name, needing,
                                              "It is a relative path: what it names depends on the working "
                                              "directory at run time.");
                r = try_candidate(s, &a, path, ELF_SEARCH_PATH, ret_error);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (a.skipped)
                        return add_unresolved(s, name, needing,
                                              "%s is not for the same ELF class or machine.", path);
                return add_unresolved(s, name, needing, "%s does not exist.", path);
        }

        /* DT_RPATH of the needing object, its loader, …, up to the program; not at all when the
         * needing object has DT_RUNPATH. An object with both has its DT_RPATH ignored. */
        if (!obj->runpath)
                for (size_t l = needing; l != LOADER_NONE; l = s->objects[l].loader) {
                        const ElfObject *lo = s->objects[l].obj;

                        if (!lo->rpath || lo->runpath)
                                continue;
                        r = try_path_list(s, &a, lo->rpath, l, ELF_SEARCH_RPATH, ret_error);
                        if (r != 0)
                                return r < 0 ? r : 0;
                }

        /* (LD_LIBRARY_PATH would come here: deliberately not honoured.) */

        if (obj->runpath) {
                r = try_path_list(s, &a, obj->runpath, needing, ELF_SEARCH_RUNPATH, ret_error);
                if (r != 0)
                        return r < 0 ? r : 0;
        }

        if (!(obj->flags_1 & DF_1_NODEFLIB)) {
                int32_t flags = elf_ld_cache_flags_for(obj->elf_class, obj->machine);
                size_t iter = 0;
                const char *p;

                if (!s->cache_tried) {
                        s->cache_tried = true;
                        /* Missing or damaged: ignored, as ld.so does. */
                        if (s->cache_path[0] != '\0' &&
                            elf_ld_cache_load(s->cache_path, &s->cache) == -ENOMEM)
                                return -ENOMEM;
                }
                while ((p = elf_ld_cache_lookup(s->cache, name, flags, &iter))) {
                        if (p[0] != '/')
                                continue;
                        r = try_candidate(s, &a, p, ELF_SEARCH_CACHE, ret_error);
                        if (r != 0)
                                return r < 0 ? r : 0;
                }

                for (char **d = s->default_dirs; d && *d; d++) {
                        _cleanup_free_ char *path = NULL;

                        if ((*d)[0] != '/')
                                continue;
                        r = path_join(*d, name, &path);
                        if (r < 0)
                                return r;
                        r = try_candidate(s, &a, path, ELF_SEARCH_DEFAULT, ret_error);
                        if (r != 0)
                                return r < 0 ? r : 0;
                }
        }

        if (a.skipped)
                return add_unresolved(
                        s, name, needing,
                        "Not found for a %s object of machine %u: %s was skipped, it is for another "
                        "ELF class, byte order or machine.",
                        elf_class_name(obj->elf_class), obj->machine, a.skipped);
        return add_unresolved(s, name, needing,
                              "Not found in the DT_RPATH, DT_RUNPATH, ld.so.cache or default directories.");
}

static int resolve_interpreter(Search *s, ElfClosure *c, char **ret_error) {
        _cleanup_elf_object_ ElfObject *obj = NULL;
        _cleanup_free_ char *why = NULL;
        const char *interp = s->objects[0].obj->interpreter;
        struct stat st;
        int r;

        if (interp[0] != '/')
                return add_unresolved(
                        s, interp, 0,
                        "The program interpreter is a relative path: what it names depends on the "
                        "working directory at run time.");
        switch (candidate_check(interp, s->objects[0].obj, &st)) {
        case CANDIDATE_ABSENT:
                return add_unresolved(s, interp, 0, "The program interpreter %s does not exist.", interp);
        case CANDIDATE_OTHER_ABI:
                return add_unresolved(
                        s, interp, 0,
                        "The program interpreter %s is not for the program's ELF class or machine.", interp);
        case CANDIDATE_NOT_ELF:
                return add_unresolved(s, interp, 0, "The program interpreter %s is not an ELF file.",
                                      interp);
        case CANDIDATE_OK:
                break;
        }
        r = elf_object_read(interp, &obj, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return add_unresolved(s, interp, 0, "%s", error_message(why, r));

        r = add_object(s, TAKE_PTR(obj), interp, interp, 0, ELF_SEARCH_PATH, &st, true, ret_error);
        if (r < 0)
                return r;
        c->interpreter_realpath = strdup(s->objects[s->n_objects - 1].canonical);
        return c->interpreter_realpath ? 0 : -ENOMEM;
}

ElfClosure *elf_closure_free(ElfClosure *c) {
        if (!c)
                return NULL;
        free(c->path);
        free(c->interpreter);
        free(c->interpreter_realpath);
        for (size_t i = 0; i < c->n_libraries; i++) {
                ElfLibrary *l = &c->libraries[i];

                free(l->name);
                free(l->path);
                free(l->realpath);
                free(l->soname);
                free(l->needed_by);
        }
        free(c->libraries);
        for (size_t i = 0; i < c->n_unresolved; i++) {
                free(c->unresolved[i].name);
                free(c->unresolved[i].needed_by);
                free(c->unresolved[i].reason);
        }
        free(c->unresolved);
        free(c);
        return NULL;
}

static int closure_collect(Search *s, ElfClosure *c) {
        c->libraries = calloc(s->n_objects, sizeof(ElfLibrary));
        if (!c->libraries)
                return -ENOMEM;
        for (size_t i = 1; i < s->n_objects; i++) {
                const Loaded *o = &s->objects[i];
                ElfLibrary *l = &c->libraries[c->n_libraries];

                if (o->interpreter)
                        continue;
                c->n_libraries++;
                l->source = o->source;
                l->depth = o->depth;
                l->name = strdup(o->names[0]);
                l->path = strdup(o->path);
                l->realpath = strdup(o->canonical);
                l->needed_by = strdup(s->objects[o->loader].canonical);
                if (o->obj->soname)
                        l->soname = strdup(o->obj->soname);
                if (!l->name || !l->path || !l->realpath || !l->needed_by || (o->obj->soname && !l->soname))
                        return -ENOMEM;
        }
        c->unresolved = TAKE_PTR(s->unresolved);
        c->n_unresolved = s->n_unresolved;
        s->n_unresolved = 0;
        return 0;
}

int elf_closure(const char *path, const ElfClosureOptions *options, ElfClosure **ret, char **ret_error) {
        _cleanup_elf_closure_ ElfClosure *c = NULL;
        _cleanup_elf_object_ ElfObject *root = NULL;
        Search s = {};
        struct stat st;
        int r;

        if (!path || !ret)
                return -EINVAL;

        r = elf_object_read(path, &root, ret_error);
        if (r < 0)
                return r;
        if (root->type != ET_EXEC && root->type != ET_DYN)
                return error_set(ret_error, -ENOEXEC,
                                 "%s is an ELF file but not an executable or shared object (ELF type %u).",
                                 path, root->type);
        if (stat(path, &st) < 0) {
                r = negative_errno();
                return error_set(ret_error, r, "Cannot stat %s: %s.", path, strerror(-r));
        }

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        if (root->interpreter) {
                c->interpreter = strdup(root->interpreter);
                if (!c->interpreter)
                        return -ENOMEM;
        }

        s.cache_path = options && options->ld_so_cache ? options->ld_so_cache : ELF_LD_CACHE_PATH;
        r = elf_default_dirs(root->elf_class, root->machine, &s.default_dirs, &s.lib);
        if (r < 0)
                goto finish;
        if (options && options->default_dirs) {
                strv_free(s.default_dirs);
                s.default_dirs = NULL;
                for (const char *const *d = options->default_dirs; *d; d++) {
                        r = strv_extend(&s.default_dirs, *d);
                        if (r < 0)
                                goto finish;
                }
        }

        r = add_object(&s, TAKE_PTR(root), path, NULL, LOADER_NONE, ELF_SEARCH_PATH, &st, false, ret_error);
        if (r < 0)
                goto finish;
        c->path = strdup(s.objects[0].canonical);
        if (!c->path) {
                r = -ENOMEM;
                goto finish;
        }

        if (c->interpreter) {
                r = resolve_interpreter(&s, c, ret_error);
                if (r < 0)
                        goto finish;
        }

        /* Breadth first, like _dl_map_object_deps(): the objects array grows while it is walked. */
        for (size_t i = 0; i < s.n_objects; i++) {
                if (s.objects[i].interpreter)
                        continue;
                for (size_t j = 0; j < s.objects[i].obj->n_needed; j++) {
                        r = resolve_needed(&s, i, s.objects[i].obj->needed[j], ret_error);
                        if (r < 0)
                                goto finish;
                }
        }

        r = closure_collect(&s, c);
        if (r < 0)
                goto finish;
        *ret = TAKE_PTR(c);
        r = 0;
finish:
        search_done(&s);
        return r;
}

const ElfLibrary *elf_closure_find(const ElfClosure *c, const char *canonical) {
        for (size_t i = 0; c && canonical && i < c->n_libraries; i++)
                if (strcmp(c->libraries[i].realpath, canonical) == 0)
                        return &c->libraries[i];
        return NULL;
}
