/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How much of one ELF executable or shared object can execute in place, and what defeats it.
 *
 * exec() and ld.so map every PT_LOAD segment MAP_PRIVATE from the file. On a DAX file, pages
 * that are never written map the pmem frames directly: r-x (text) and r-- (read-only data,
 * .rodata, .eh_frame, the dynamic symbol tables). A writable (rw-) segment is file-backed too
 * until the first write to a page, which copies that page to DRAM — and .data, the GOT and
 * everything relocated are written at start-up, so count those pages as DRAM. The part of a
 * writable segment beyond p_filesz (.bss) is anonymous memory from the start.
 *
 * Figures are per segment, in 4 KiB pages: the pages a segment's file part spans
 * ([p_vaddr, p_vaddr + p_filesz) widened to page boundaries, as the kernel maps it), and for
 * .bss the whole pages past the end of that. A page shared by two segments is mapped, and
 * counted, twice.
 *
 * What defeats XIP, reported as sentences:
 *  - text relocations (DT_TEXTREL, DF_TEXTREL): ld.so writes into the text, so the relocated
 *    text pages are copied to DRAM (warning);
 *  - a segment both writable and executable: its code pages are copied on the first write
 *    (warning);
 *  - a PT_LOAD segment whose p_offset and p_vaddr are not congruent modulo the page size: it
 *    cannot be mapped from the file at all (warning);
 *  - no PT_GNU_RELRO (info: no effect on XIP, relocated data merely stays writable).
 *
 * PMD-eligible windows: the 2 MiB windows of file offset wholly inside the file part of an
 * executable PT_LOAD segment whose p_offset and p_vaddr are congruent modulo 2 MiB. Only these
 * can be mapped with one 2 MiB (PMD) entry from a DAX file, and only if the load address keeps
 * the congruence (p_align of 2 MiB, or the loader's choice) and the file's blocks lie 2 MiB-
 * aligned on the device. text_pmd_coverage is the share of text bytes they cover. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf-closure.h"

#define ELF_ADVICE_PAGE_SIZE UINT64_C(4096)

typedef enum ElfAdviceLevel {
        ELF_ADVICE_WARNING, /* defeats XIP for some pages, or for the whole file */
        ELF_ADVICE_INFO,
        _ELF_ADVICE_LEVEL_MAX,
        _ELF_ADVICE_LEVEL_INVALID = -EINVAL,
} ElfAdviceLevel;

const char *elf_advice_level_to_string(ElfAdviceLevel l) _pure_;
ElfAdviceLevel elf_advice_level_from_string(const char *s) _pure_;

typedef struct ElfAdviceNote {
        ElfAdviceLevel level;
        char *text; /* one sentence */
} ElfAdviceNote;

typedef struct ElfAdvice {
        uint64_t text_bytes, text_pages;     /* executable, not writable: served from pmem */
        uint64_t rodata_bytes, rodata_pages; /* neither writable nor executable: served from pmem */
        uint64_t data_bytes, data_pages;     /* writable, file part: copied to DRAM on first write */
        uint64_t bss_bytes, bss_pages;       /* writable beyond p_filesz: anonymous DRAM */
        uint64_t relro_pages;                /* of the data pages, those PT_GNU_RELRO covers */
        uint64_t pmd_windows;                /* PMD-eligible 2 MiB windows of text (above) */
        double text_pmd_coverage;            /* pmd_windows × 2 MiB / text_bytes, 0 without text */
        bool textrel;                        /* DT_TEXTREL or DF_TEXTREL */
        bool writable_executable;            /* a PT_LOAD segment with PF_W and PF_X */
        bool misaligned;                     /* a PT_LOAD segment with p_offset ≢ p_vaddr (mod 4 KiB) */
        bool relro;                          /* has PT_GNU_RELRO */
        ElfAdviceNote *notes;
        size_t n_notes;
} ElfAdvice;

ElfAdvice *elf_advice_free(ElfAdvice *a);
static inline void elf_advice_freep(ElfAdvice **a) {
        elf_advice_free(*a);
}
#define _cleanup_elf_advice_ __attribute__((cleanup(elf_advice_freep)))

/* Pure: the figures and notes for an object already read. -ENOEXEC for an ELF file that is not
 * an executable or shared object or has no PT_LOAD segment, -EBADMSG for a segment whose
 * address or size overflows. */
int elf_advice_from_object(const ElfObject *o, ElfAdvice **ret, char **ret_error);

/* The PMD-eligible windows of @segments (pure). With @ret_offsets, their file offsets in
 * ascending order of segment and offset (malloc'd; NULL when there are none). */
int elf_pmd_windows(const ElfSegment *segments, size_t n_segments, uint64_t *ret_count,
                    uint64_t **ret_offsets);

/* Which PT_LOAD segments of an object to give p_align 2 MiB so that wherever the kernel or ld.so
 * loads it, its PMD-eligible windows land at addresses congruent with their file offsets modulo
 * 2 MiB (pure). The kernel aligns an ET_DYN program's load bias to the largest p_align of its
 * PT_LOADs (binfmt_elf.c maximum_alignment()), and glibc >= 2.35's ld.so aligns the first
 * segment's address to it: one segment with 2 MiB is enough. Only segments that hold a
 * PMD-eligible window are raised: they are congruent modulo 2 MiB, so the gABI rule (p_vaddr ≡
 * p_offset modulo p_align) still holds for each, and older ld.so's check of it passes. Nothing for
 * an ET_EXEC (fixed addresses), an object whose first PT_LOAD does not start at a multiple of 2
 * MiB, one whose largest p_align is already 2 MiB or more, or one with no window. Sets
 * @ret_raise[i] for each of the @n_segments; returns how many are set. */
int elf_pmd_align_segments(uint16_t type, const ElfSegment *segments, size_t n_segments, bool *ret_raise);

/* The share (0 to 1) of @text_bytes that @windows 2 MiB windows cover; 0 without text. */
static inline double elf_pmd_coverage(uint64_t windows, uint64_t text_bytes) {
        return text_bytes > 0 ? (double) windows * (double) (UINT64_C(2) << 20) / (double) text_bytes : 0.0;
}

/* Reads @path (elf_object_read()) and gives its advice. */
int elf_advice(const char *path, ElfAdvice **ret, char **ret_error);
