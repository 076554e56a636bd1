/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* 2 MiB (PMD) mappings of a copy, made and kept (docs/XIP.md, "2 MiB mappings"): the p_align of
 * an ET_DYN program's text raised in the copy, so that every activation maps it congruently,
 * and the copy primed before anyone else can map it, so that its DAX index holds 2 MiB entries.
 * Both work on the copy's file descriptor while it is still an anonymous inode (place-copy.c),
 * from the one read of its ELF headers that also gives its layout (libelf, pread(), never
 * mapped): program headers written with pwrite(), never through a mapping of the daemon's own. */

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

#define PMD_SIZE (UINT64_C(2) << 20)

int place_copy_align_pmd(int fd, ElfObject *o, Placement *p) {
        _cleanup_free_ bool *raise = NULL;
        int r;

        p->n_aligned = 0;
        /* Only an ELF object of this machine's class and byte order (the only ones it runs),
         * with program headers of the size the kernel reads: the entries written are Elf64_Phdr. */
        if (!o || o->elf_class != ELFCLASS64 ||
#if __BYTE_ORDER == __LITTLE_ENDIAN
            o->data != ELFDATA2LSB ||
#else
            o->data != ELFDATA2MSB ||
#endif
            o->phentsize != sizeof(Elf64_Phdr) || o->n_segments == 0)
                return 0; /* copied as it is */
        raise = calloc(o->n_segments, sizeof(bool));
        if (!raise)
                return -ENOMEM;
        r = elf_pmd_align_segments(o->type, o->segments, o->n_segments, raise);
        if (r <= 0)
                return r;
        for (size_t i = 0; i < o->n_segments && p->n_aligned < PLACEMENT_ALIGN_MAX; i++) {
                uint64_t v = htole64(PMD_SIZE);
                off_t at = (off_t) (o->phoff + i * sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, p_align));
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
                p->aligned[p->n_aligned++] =
                        (PlacementAlign){ .phdr = (uint32_t) i, .was = o->segments[i].align };
                o->segments[i].align = PMD_SIZE; /* what the file now says */
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

int place_copy_prime(int fd, const uint64_t *windows, size_t n_windows, uint64_t *ret_primed) {
        struct statx sx;

        *ret_primed = 0;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0)
                return negative_errno();
        if (!(sx.stx_attributes & STATX_ATTR_DAX))
                return 0; /* the page cache: no DAX index to fill */
        if (n_windows == 0)
                return 0;
        return prime_windows(fd, windows, n_windows, ret_primed);
}
