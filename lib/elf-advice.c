/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "elf-advice.h"
#include "error.h"
#include "macro.h"
#include "string-table.h"

#define PAGE_MASK (ELF_ADVICE_PAGE_SIZE - 1)

static const char *const elf_advice_level_table[_ELF_ADVICE_LEVEL_MAX] = {
        [ELF_ADVICE_WARNING] = "warning",
        [ELF_ADVICE_INFO] = "info",
};
DEFINE_STRING_TABLE_LOOKUP(elf_advice_level, ElfAdviceLevel)

ElfAdvice *elf_advice_free(ElfAdvice *a) {
        if (!a)
                return NULL;
        for (size_t i = 0; i < a->n_notes; i++)
                free(a->notes[i].text);
        free(a->notes);
        free(a);
        return NULL;
}

static int add_note(ElfAdvice *a, ElfAdviceLevel level, const char *fmt, ...) _printf_(3, 4);
static int add_note(ElfAdvice *a, ElfAdviceLevel level, const char *fmt, ...) {
        ElfAdviceNote *n;
        char *text;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        n = reallocarray(a->notes, a->n_notes + 1, sizeof(ElfAdviceNote));
        if (!n) {
                free(text);
                return -ENOMEM;
        }
        a->notes = n;
        a->notes[a->n_notes++] = (ElfAdviceNote){ .level = level, .text = text };
        return 0;
}

/* The pages [start, start + size) touches; 0 for size 0. The caller checked for overflow. */
static uint64_t pages_spanned(uint64_t start, uint64_t size) {
        if (size == 0)
                return 0;
        return ((start + size - 1) >> 12) - (start >> 12) + 1;
}

/* Would [vaddr, vaddr + size) rounded up to a page leave the address space? */
static bool segment_overflows(uint64_t vaddr, uint64_t size) {
        return size > UINT64_MAX - PAGE_MASK || vaddr > UINT64_MAX - PAGE_MASK - size;
}

static uint64_t page_align_up(uint64_t v) {
        return (v + PAGE_MASK) & ~PAGE_MASK;
}

static const char *segment_perms(uint32_t flags, char buf[static 4]) {
        buf[0] = flags & PF_R ? 'r' : '-';
        buf[1] = flags & PF_W ? 'w' : '-';
        buf[2] = flags & PF_X ? 'x' : '-';
        buf[3] = '\0';
        return buf;
}

#define PMD_WINDOW (UINT64_C(2) << 20)

/* The windows of one segment: its file part [offset, offset + filesz), when executable (not
 * writable: that is data, copied on write) and
 * congruent. */
static uint64_t segment_pmd_windows(const ElfSegment *s, uint64_t *ret_first) {
        uint64_t first, last;

        if (s->type != PT_LOAD || !(s->flags & PF_X) || s->filesz == 0 || (s->flags & PF_W) ||
            (s->offset % PMD_WINDOW) != (s->vaddr % PMD_WINDOW) || s->offset > UINT64_MAX - s->filesz ||
            s->offset > UINT64_MAX - (PMD_WINDOW - 1))
                return 0;
        first = (s->offset + PMD_WINDOW - 1) & ~(PMD_WINDOW - 1);
        last = (s->offset + s->filesz) & ~(PMD_WINDOW - 1);
        if (last <= first)
                return 0;
        *ret_first = first;
        return (last - first) / PMD_WINDOW;
}

int elf_pmd_windows(const ElfSegment *segments, size_t n_segments, uint64_t *ret_count,
                    uint64_t **ret_offsets) {
        _cleanup_free_ uint64_t *offsets = NULL;
        uint64_t count = 0, first = 0;

        if ((!segments && n_segments > 0) || !ret_count)
                return -EINVAL;
        for (size_t i = 0; i < n_segments; i++)
                count += segment_pmd_windows(&segments[i], &first);
        if (ret_offsets && count > 0) {
                size_t k = 0;

                if (count > SIZE_MAX / sizeof(uint64_t))
                        return -ERANGE;
                offsets = malloc(count * sizeof(uint64_t));
                if (!offsets)
                        return -ENOMEM;
                for (size_t i = 0; i < n_segments; i++) {
                        uint64_t n = segment_pmd_windows(&segments[i], &first);

                        for (uint64_t w = 0; w < n; w++)
                                offsets[k++] = first + w * PMD_WINDOW;
                }
        }
        *ret_count = count;
        if (ret_offsets)
                *ret_offsets = TAKE_PTR(offsets);
        return 0;
}

int elf_pmd_align_segments(uint16_t type, const ElfSegment *segments, size_t n_segments, bool *ret_raise) {
        const ElfSegment *first = NULL;
        uint64_t max_align = 0, w;
        int count = 0;

        if ((!segments && n_segments > 0) || (!ret_raise && n_segments > 0))
                return -EINVAL;
        for (size_t i = 0; i < n_segments; i++)
                ret_raise[i] = false;
        /* ET_EXEC sits where it was linked: its text is congruent or not, nothing changes that. */
        if (type != ET_DYN)
                return 0;
        for (size_t i = 0; i < n_segments; i++) {
                const ElfSegment *s = &segments[i];

                if (s->type != PT_LOAD)
                        continue;
                if (!first)
                        first = s;
                if (s->align != 0 && (s->align & (s->align - 1)) == 0 && s->align > max_align)
                        max_align = s->align;
        }
        /* The kernel and ld.so align the address of the first PT_LOAD (minus its page offset):
         * only when that segment starts at a multiple of 2 MiB is the base itself aligned. A
         * p_align of 2 MiB or more already gets the alignment. */
        if (!first || first->vaddr % PMD_WINDOW != 0 || max_align >= PMD_WINDOW)
                return 0;
        for (size_t i = 0; i < n_segments; i++)
                if (segment_pmd_windows(&segments[i], &w) > 0) {
                        ret_raise[i] = true;
                        count++;
                }
        return count;
}

/* Counts PT_LOAD segment @i (@s) of @o into @a: its bytes and pages by permission, .bss, the pages
 * PT_GNU_RELRO (@relro) covers, and a warning for a writable and executable or a misaligned one. */
static int advise_load_segment(ElfAdvice *a, const ElfObject *o, size_t i, const ElfSegment *s,
                               const ElfSegment *relro) {
        char perms[4];
        uint64_t pages;
        int r;

        pages = pages_spanned(s->vaddr, s->filesz);
        if (s->flags & PF_W) {
                a->data_bytes += s->filesz;
                a->data_pages += pages;
                if (s->memsz > s->filesz) {
                        a->bss_bytes += s->memsz - s->filesz;
                        a->bss_pages +=
                                (page_align_up(s->vaddr + s->memsz) - page_align_up(s->vaddr + s->filesz)) >>
                                12;
                }
                if (relro && relro->vaddr < s->vaddr + s->filesz && s->vaddr < relro->vaddr + relro->memsz) {
                        uint64_t from = relro->vaddr > s->vaddr ? relro->vaddr : s->vaddr,
                                 to = relro->vaddr + relro->memsz < s->vaddr + s->filesz
                                              ? relro->vaddr + relro->memsz
                                              : s->vaddr + s->filesz;
                        a->relro_pages += pages_spanned(from, to - from);
                }
        } else if (s->flags & PF_X) {
                a->text_bytes += s->filesz;
                a->text_pages += pages;
        } else {
                a->rodata_bytes += s->filesz;
                a->rodata_pages += pages;
        }

        if ((s->flags & (PF_W | PF_X)) == (PF_W | PF_X)) {
                a->writable_executable = true;
                r = add_note(a, ELF_ADVICE_WARNING,
                             "Segment %zu of %s (%s, %" PRIu64 " page%s) is writable and executable: "
                             "its code is copied to DRAM page by page on the first write and does not "
                             "execute in place.",
                             i, o->path, segment_perms(s->flags, perms), pages, pages == 1 ? "" : "s");
                if (r < 0)
                        return r;
        }
        if ((s->offset & PAGE_MASK) != (s->vaddr & PAGE_MASK)) {
                a->misaligned = true;
                r = add_note(a, ELF_ADVICE_WARNING,
                             "Segment %zu of %s (%s) has file offset 0x%" PRIx64 " and address 0x%" PRIx64
                             ", which are not congruent modulo 4096: it cannot be mapped from the file, "
                             "so the program cannot run from it at all.",
                             i, o->path, segment_perms(s->flags, perms), s->offset, s->vaddr);
                if (r < 0)
                        return r;
        }
        return 0;
}

int elf_advice_from_object(const ElfObject *o, ElfAdvice **ret, char **ret_error) {
        _cleanup_elf_advice_ ElfAdvice *a = NULL;
        const ElfSegment *relro = NULL;
        size_t n_load = 0;
        int r;

        if (!o || !ret)
                return -EINVAL;
        if (o->type != ET_EXEC && o->type != ET_DYN)
                return error_set(
                        ret_error, -ENOEXEC,
                        "%s is not an executable or shared object (ELF type %u): nothing of it is mapped "
                        "to execute.",
                        o->path, o->type);

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;

        for (size_t i = 0; i < o->n_segments; i++) {
                const ElfSegment *s = &o->segments[i];
                if (s->type == PT_GNU_RELRO && !relro) {
                        if (segment_overflows(s->vaddr, s->memsz))
                                return error_set(
                                        ret_error, -EBADMSG,
                                        "The PT_GNU_RELRO segment of %s lies beyond the address space.",
                                        o->path);
                        relro = s;
                }
        }
        a->relro = relro;
        a->textrel = o->textrel;

        for (size_t i = 0; i < o->n_segments; i++) {
                const ElfSegment *s = &o->segments[i];

                if (s->type != PT_LOAD)
                        continue;
                n_load++;
                if (s->filesz > s->memsz || segment_overflows(s->vaddr, s->memsz))
                        return error_set(ret_error, -EBADMSG,
                                         "Segment %zu of %s has an impossible size or address (file size "
                                         "0x%" PRIx64 ", memory size 0x%" PRIx64 ", address 0x%" PRIx64 ").",
                                         i, o->path, s->filesz, s->memsz, s->vaddr);
                r = advise_load_segment(a, o, i, s, relro);
                if (r < 0)
                        return r;
        }
        if (n_load == 0)
                return error_set(ret_error, -ENOEXEC, "%s has no loadable segment: nothing of it is mapped.",
                                 o->path);

        r = elf_pmd_windows(o->segments, o->n_segments, &a->pmd_windows, NULL);
        if (r < 0)
                return r;
        a->text_pmd_coverage = elf_pmd_coverage(a->pmd_windows, a->text_bytes);

        if (a->textrel) {
                r = add_note(
                        a, ELF_ADVICE_WARNING,
                        "%s has text relocations (%s): the dynamic loader writes into its code at start-up, "
                        "so every text page it relocates is copied to DRAM and does not execute in place; "
                        "rebuild it as position-independent code (-fPIC).",
                        o->path, o->flags & DF_TEXTREL ? "DF_TEXTREL" : "DT_TEXTREL");
                if (r < 0)
                        return r;
        }
        if (!a->relro) {
                r = add_note(
                        a, ELF_ADVICE_INFO,
                        "%s has no PT_GNU_RELRO segment: its relocated data stays writable after start-up "
                        "(no effect on execute-in-place).",
                        o->path);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(a);
        return 0;
}

int elf_advice(const char *path, ElfAdvice **ret, char **ret_error) {
        _cleanup_elf_object_ ElfObject *o = NULL;
        int r;

        if (!path || !ret)
                return -EINVAL;
        r = elf_object_read(path, &o, ret_error);
        if (r < 0)
                return r;
        return elf_advice_from_object(o, ret, ret_error);
}
