/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Verify a process: for every file-backed mapping of PID, where does each page live?
 *
 * From /proc/PID/maps and /proc/PID/pagemap, without touching the process's
 * pages (what is not resident is reported as such): pages in pmem (PFN inside a pmem range:
 * executed in place), in DRAM (page cache, or a private copy), not resident; private file
 * pages that are now anonymous DRAM copies (copy-on-write: relocations, .data); and how many
 * 2 MiB windows of each mapping the kernel maps with one PMD entry (PAGEMAP_SCAN, Linux 6.7;
 * unknown before) against the windows its address and file offset would allow. Needs
 * ptrace-read access to PID (same user, or CAP_SYS_PTRACE) and CAP_SYS_ADMIN for the frame
 * numbers: without it every present page is PAGE_PFN_HIDDEN and the report says so rather than guessing. */

#include <stdbool.h>
#include <sys/types.h>

#include "pagemap.h"
#include "pmem-range.h"
#include "proc-maps.h"

struct json_object;

typedef struct XipMapping {
        MapsEntry map;         /* path owned */
        PageCounts counts;     /* every page of the mapping */
        uint64_t cow_pages;    /* private file pages now anonymous copies in DRAM */
        uint64_t pmd_eligible; /* 2 MiB windows wholly inside, address ≡ file offset (mod 2 MiB) */
        uint64_t pmd_mapped;   /* windows mapped by one PMD entry now (if r->pmd_known) */
} XipMapping;

typedef struct XipSummary {
        uint64_t exec_pages; /* pages of executable file mappings */
        uint64_t exec_pmem;  /* … resident in pmem */
        uint64_t exec_dram;  /* … resident in DRAM */
        uint64_t exec_not_resident;
        uint64_t cow_pages;    /* all file mappings */
        uint64_t pmd_eligible; /* executable mappings */
        uint64_t pmd_mapped;
} XipSummary;

typedef struct XipReport {
        pid_t pid;
        char *comm;
        XipMapping *mappings; /* file-backed mappings only, in address order */
        size_t n_mappings;
        XipSummary summary;   /* the whole process */
        bool pfn_hidden;      /* the kernel hid the frame numbers from us */
        bool pmd_known;       /* the kernel answered PAGEMAP_SCAN: pmd_mapped is measured */
        size_t n_pmem_ranges; /* 0: this machine has no pmem, every page is DRAM */
} XipReport;

XipReport *xip_report_free(XipReport *r);
static inline void xip_report_freep(XipReport **r) {
        xip_report_free(*r);
}
#define _cleanup_xip_report_ __attribute__((cleanup(xip_report_freep)))

/* pid 0 = self. @ranges may be NULL: they are loaded (pmem_ranges_load()). */
int xip_verify_process(pid_t pid, const PmemRanges *ranges, XipReport **ret, char **ret_error);

/* The summary restricted to mappings of one file (dev, inode); false if none. */
bool xip_report_file_summary(const XipReport *r, unsigned dev_major, unsigned dev_minor, uint64_t inode,
                             XipSummary *ret);

/* The 2 MiB windows of a mapping [start, end) of a file from @offset that a PMD entry could map:
 * wholly inside it, at an address congruent to its file offset modulo 2 MiB (pure). */
uint64_t xip_pmd_eligible_windows(uint64_t start, uint64_t end, uint64_t offset);

/* Share of the resident executable pages that are in pmem (pages never touched are neither). */
double xip_summary_pmem_percent(const XipSummary *s);

struct json_object *xip_report_to_json(const XipReport *r);
