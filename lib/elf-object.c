/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One ELF object read with libelf, never run and never mapped: its segments, PT_INTERP, and the
 * dynamic section's DT_NEEDED, DT_SONAME, DT_RPATH and DT_RUNPATH (elf-closure.h). */

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "elf-closure.h"
#include "error.h"
#include "fileio.h"
#include "macro.h"

/* PN_XNUM lets e_phnum overflow into section 0; no real file comes near this. */
#define ELF_OBJECT_MAX_SEGMENTS 65536u

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

int elf_object_read_fd(int fd, const char *name, ElfObject **ret, char **ret_error) {
        _cleanup_elf_object_ ElfObject *o = NULL;
        _cleanup_(elf_endp) Elf *elf = NULL;
        const ElfSegment *interp = NULL, *dyn = NULL;
        struct stat st;
        GElf_Ehdr eh;
        size_t n;
        int r;

        if (fd < 0 || !name || !ret)
                return -EINVAL;
        (void) pthread_once(&libelf_once, libelf_init);
        if (!libelf_ok)
                return error_set(ret_error, -ENOPKG, "libelf refused ELF version %d.", EV_CURRENT);

        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return error_set(ret_error, r, "Cannot stat %s: %s.", name, strerror(-r));
        }
        if (S_ISDIR(st.st_mode))
                return error_set(ret_error, -EISDIR, "%s is a directory, not an ELF file.", name);
        if (!S_ISREG(st.st_mode))
                return error_set(ret_error, -ENOEXEC, "%s is not a regular file, so not an ELF file.", name);

        /* ELF_C_READ: libelf reads with pread() what is asked for; it never maps the file. */
        elf = elf_begin(fd, ELF_C_READ, NULL);
        if (!elf)
                return error_set(ret_error, -ENOEXEC, "%s is not an ELF file (%s).", name, elf_error());
        if (elf_kind(elf) != ELF_K_ELF)
                return error_set(ret_error, -ENOEXEC, "%s is not an ELF file.", name);
        if (!gelf_getehdr(elf, &eh))
                return error_set(ret_error, -EBADMSG, "%s is not a valid ELF file (truncated?): %s.", name,
                                 elf_error());

        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->path = strdup(name);
        if (!o->path)
                return -ENOMEM;
        o->elf_class = eh.e_ident[EI_CLASS];
        o->data = eh.e_ident[EI_DATA];
        o->osabi = eh.e_ident[EI_OSABI];
        o->type = eh.e_type;
        o->machine = eh.e_machine;
        o->e_flags = eh.e_flags;
        o->phoff = eh.e_phoff;
        o->phentsize = eh.e_phentsize;

        if (elf_getphdrnum(elf, &n) < 0)
                return error_set(ret_error, -EBADMSG, "The program headers of %s are damaged: %s.", name,
                                 elf_error());
        if (n > ELF_OBJECT_MAX_SEGMENTS)
                return error_set(ret_error, -EBADMSG, "%s claims %zu program headers; refusing it.", name,
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
                                         name, elf_error());
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
                                         i, name);
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

int elf_object_read(const char *path, ElfObject **ret, char **ret_error) {
        _cleanup_close_ int fd = -1;
        int r;

        if (!path || !ret)
                return -EINVAL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = negative_errno();
                return error_set(ret_error, r, "Cannot open %s: %s.", path, strerror(-r));
        }
        return elf_object_read_fd(fd, path, ret, ret_error);
}
