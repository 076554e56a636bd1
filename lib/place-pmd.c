/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* 2 MiB (PMD) mappings of a copy, made and kept (docs/XIP.md, "2 MiB mappings"): the p_align of
 * an ET_DYN program's text raised in the copy, so that every activation maps it congruently,
 * and the copy primed before anyone else can map it, so that its DAX index holds 2 MiB entries.
 * Both work on the copy's file descriptor while it is still an anonymous inode (place-copy.c):
 * program headers with pread()/pwrite(), never through a mapping of the daemon's own. */

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "elf-advice.h"
#include "macro.h"
#include "place-internal.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

#define PMD_SIZE  (UINT64_C(2) << 20)
#define MAX_PHDRS 4096

/* The program headers of @fd, an ELF file of this machine's class and byte order (the only
 * ones it can execute); -ENOEXEC for anything else. *ret_phoff gets where the table starts. */
static int read_segments(int fd, uint16_t *ret_type, uint64_t *ret_phoff, ElfSegment **ret, size_t *ret_n) {
        _cleanup_free_ Elf64_Phdr *ph = NULL;
        _cleanup_free_ ElfSegment *seg = NULL;
        Elf64_Ehdr eh;
        size_t size;
        ssize_t n;

        n = pread(fd, &eh, sizeof(eh), 0);
        if (n < 0)
                return negative_errno();
        if ((size_t) n < sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
            eh.e_ident[EI_CLASS] != ELFCLASS64 ||
#if __BYTE_ORDER == __LITTLE_ENDIAN
            eh.e_ident[EI_DATA] != ELFDATA2LSB ||
#else
            eh.e_ident[EI_DATA] != ELFDATA2MSB ||
#endif
            eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS ||
            eh.e_phoff > UINT64_MAX - (uint64_t) eh.e_phnum * sizeof(Elf64_Phdr))
                return -ENOEXEC;
        size = (size_t) eh.e_phnum * sizeof(Elf64_Phdr);
        ph = malloc(size);
        seg = calloc(eh.e_phnum, sizeof(ElfSegment));
        if (!ph || !seg)
                return -ENOMEM;
        n = pread(fd, ph, size, (off_t) eh.e_phoff);
        if (n < 0)
                return negative_errno();
        if ((size_t) n < size)
                return -ENOEXEC;
        for (size_t i = 0; i < eh.e_phnum; i++)
                seg[i] = (ElfSegment){ .type = ph[i].p_type,
                                       .flags = ph[i].p_flags,
                                       .offset = ph[i].p_offset,
                                       .vaddr = ph[i].p_vaddr,
                                       .filesz = ph[i].p_filesz,
                                       .memsz = ph[i].p_memsz,
                                       .align = ph[i].p_align };
        *ret_type = eh.e_type;
        *ret_phoff = eh.e_phoff;
        *ret = TAKE_PTR(seg);
        *ret_n = eh.e_phnum;
        return 0;
}

int place_copy_align_pmd(int fd, Placement *p) {
        _cleanup_free_ ElfSegment *seg = NULL;
        _cleanup_free_ bool *raise = NULL;
        uint64_t phoff;
        uint16_t type;
        size_t n;
        int r;

        p->n_aligned = 0;
        r = read_segments(fd, &type, &phoff, &seg, &n);
        if (r == -ENOEXEC)
                return 0; /* not a program this machine runs: copied as it is */
        if (r < 0)
                return r;
        raise = calloc(n, sizeof(bool));
        if (!raise)
                return -ENOMEM;
        r = elf_pmd_align_segments(type, seg, n, raise);
        if (r <= 0)
                return r;
        for (size_t i = 0; i < n && p->n_aligned < PLACEMENT_ALIGN_MAX; i++) {
                uint64_t v = htole64(PMD_SIZE);
                off_t at = (off_t) (phoff + i * sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, p_align));
                ssize_t w;

                if (!raise[i])
                        continue;
#if __BYTE_ORDER != __LITTLE_ENDIAN
                v = PMD_SIZE;
#endif
                w = pwrite(fd, &v, sizeof(v), at);
                if (w < 0)
                        return negative_errno();
                if (w != sizeof(v))
                        return -EIO;
                p->aligned[p->n_aligned++] = (PlacementAlign){ .phdr = (uint32_t) i, .was = seg[i].align };
        }
        return 0;
}

/* Faults in, through a mapping of @fd at an address congruent with the file offsets modulo 2
 * MiB, each of the @n windows at @windows (2 MiB-aligned file offsets). */
static int prime_windows(int fd, const uint64_t *windows, size_t n, uint64_t *ret_primed) {
        uint64_t from = windows[0], to = windows[0] + PMD_SIZE, len, primed = 0;
        uint8_t *reserve, *base;
        int r = 0;

        for (size_t i = 1; i < n; i++) {
                from = windows[i] < from ? windows[i] : from;
                to = windows[i] + PMD_SIZE > to ? windows[i] + PMD_SIZE : to;
        }
        len = to - from;

        /* Address space for the span and 2 MiB more, then the file over its aligned part. */
        reserve = mmap(NULL, len + PMD_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (reserve == MAP_FAILED)
                return negative_errno();
        base = (uint8_t *) (((uintptr_t) reserve + PMD_SIZE - 1) & ~(uintptr_t) (PMD_SIZE - 1));
        if (mmap(base, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, (off_t) from) == MAP_FAILED) {
                r = negative_errno();
                (void) munmap(reserve, len + PMD_SIZE);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                uint8_t *w = base + (windows[i] - from);

                if (madvise(w, PMD_SIZE, MADV_POPULATE_READ) >= 0)
                        primed++;
                else if (errno == EINVAL) {
                        /* Before Linux 5.14: one read faults the whole window in. */
                        (void) *(volatile uint8_t *) w;
                        primed++;
                } else {
                        r = negative_errno();
                        break;
                }
        }
        (void) munmap(reserve, len + PMD_SIZE);
        *ret_primed = primed;
        return r;
}

int place_copy_prime(int fd, uint64_t *ret_primed) {
        _cleanup_free_ ElfSegment *seg = NULL;
        _cleanup_free_ uint64_t *windows = NULL;
        _cleanup_free_ FileExtent *extents = NULL;
        uint64_t n_windows = 0, phoff, device_start;
        size_t n, n_extents = 0, k = 0;
        struct statx sx;
        uint16_t type;
        int r;

        *ret_primed = 0;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0)
                return negative_errno();
        if (!(sx.stx_attributes & STATX_ATTR_DAX))
                return 0; /* the page cache: no DAX index to fill */
        r = read_segments(fd, &type, &phoff, &seg, &n);
        if (r == -ENOEXEC)
                return 0;
        if (r < 0)
                return r;
        r = elf_pmd_windows(seg, n, &n_windows, &windows);
        if (r < 0 || n_windows == 0)
                return r;
        /* Only the windows that lie 2 MiB-aligned on the device: the others get 4 KiB entries
         * whoever maps them first. */
        r = place_read_extents(fd, &extents, &n_extents);
        if (r < 0)
                return r == -EOPNOTSUPP || r == -ENOTTY ? 0 : r;
        device_start = place_device_start(makedev(sx.stx_dev_major, sx.stx_dev_minor));
        for (uint64_t i = 0; i < n_windows; i++)
                if (extents_pmd_aligned_windows(extents, n_extents, &windows[i], 1, device_start) == 1 &&
                    windows[i] <= sx.stx_size && sx.stx_size - windows[i] >= PMD_SIZE)
                        windows[k++] = windows[i];
        if (k == 0)
                return 0;
        return prime_windows(fd, windows, k, ret_primed);
}
