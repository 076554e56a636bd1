/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daxmgr-xip-probe: where do my own pages live?
 *
 * Faults in every page of its own executable mappings, then asks lib/'s process verifier
 * (xip_verify_process(): /proc/self/maps + pagemap) where each page lives. Then it
 * reads, writes and re-reads a page of its own .data: on a DAX mount the page is mapped from
 * pmem until the write copies it to DRAM. Run it from a DAX mount and from an ordinary disk
 * to see the difference. Needs CAP_SYS_ADMIN (the kernel hides PFNs otherwise).
 *
 * Output is "key=value" lines, one "mapping" line per executable file mapping. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "macro.h"
#include "pagemap.h"
#include "pmem-range.h"
#include "proc-maps.h"
#include "xip-verify.h"
#include "error.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

#define PROBE_PAGE 4096

/* One whole page of initialised data: lives in the file-backed .data mapping and shares
 * its page with nothing else, so a write to it copies exactly this page. */
static volatile unsigned char probe_data[PROBE_PAGE] __attribute__((aligned(PROBE_PAGE))) = { 1 };

static int classify_address(int pagemap_fd, const void *addr, const PmemRanges *ranges, PageClass *ret) {
        uint64_t a = (uint64_t) (uintptr_t) addr & ~(uint64_t) (PROBE_PAGE - 1), entry;
        int r;

        r = pagemap_read(pagemap_fd, a, a + PROBE_PAGE, PROBE_PAGE, &entry);
        if (r < 0)
                return r;
        *ret = pagemap_classify_entry(entry, ranges, PROBE_PAGE);
        return 0;
}

static void touch_pages(const MapsEntry *e) {
        if (!e->read)
                return;
        for (uint64_t a = e->start; a < e->end; a += PROBE_PAGE)
                (void) *(volatile const unsigned char *) (uintptr_t) a;
}

static void help(void) {
        printf("Usage: daxmgr-xip-probe [--quiet]\n\n"
               "Report where this program's own text and .data pages live: pmem or DRAM.\n"
               "  -q --quiet   only the summary, no per-mapping lines\n"
               "  -h --help    show this help\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_pmem_ranges_ PmemRanges *ranges = NULL;
        _cleanup_maps_ Maps *maps = NULL;
        _cleanup_xip_report_ XipReport *report = NULL;
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int pagemap_fd = -1;
        PageCounts text = {}, other = {};
        PageClass before, after;
        struct statx sx;
        struct stat st;
        bool quiet = false;
        int r, c;

        while ((c = getopt_long(argc, argv, "qh", options, NULL)) >= 0)
                switch (c) {
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "daxmgr-xip-probe: unexpected argument '%s'; see --help\n", argv[optind]);
                return 2;
        }

        if (sysconf(_SC_PAGESIZE) != PROBE_PAGE) {
                fprintf(stderr, "daxmgr-xip-probe: page size is %ld, this probe is built for %d\n",
                        sysconf(_SC_PAGESIZE), PROBE_PAGE);
                return 1;
        }

        r = pmem_ranges_load(&ranges);
        if (r == -ENOENT) {
                r = pmem_ranges_new(&ranges); /* no pmem here: everything is DRAM, say so */
                if (r < 0)
                        return 1;
        } else if (r == -EPERM) {
                fprintf(stderr,
                        "daxmgr-xip-probe: the physical addresses of pmem are hidden from this user; "
                        "run as root (CAP_SYS_ADMIN)\n");
                return 1;
        } else if (r < 0) {
                fprintf(stderr, "daxmgr-xip-probe: cannot read the pmem ranges: %s\n", strerror(-r));
                return 1;
        }

        if (stat("/proc/self/exe", &st) < 0 ||
            statx(AT_FDCWD, "/proc/self/exe", 0, STATX_BASIC_STATS, &sx) < 0) {
                fprintf(stderr, "daxmgr-xip-probe: cannot stat my own executable: %m\n");
                return 1;
        }

        r = maps_read(0, &maps);
        if (r < 0) {
                fprintf(stderr, "daxmgr-xip-probe: cannot read /proc/self/maps: %s\n", strerror(-r));
                return 1;
        }
        pagemap_fd = pagemap_open(0);
        if (pagemap_fd < 0) {
                fprintf(stderr, "daxmgr-xip-probe: cannot open /proc/self/pagemap: %s\n",
                        strerror(-pagemap_fd));
                return 1;
        }

        printf("pmem_ranges=%zu\n", ranges->n);
        for (size_t i = 0; i < ranges->n; i++)
                printf("pmem_range=%s 0x%" PRIx64 "-0x%" PRIx64 "\n", ranges->ranges[i].name,
                       ranges->ranges[i].start, ranges->ranges[i].end);
        printf("statx_dax=%d\n", !!(sx.stx_attributes & STATX_ATTR_DAX));

        /* Fault in every page of our executable mappings, then let lib/ tell where each lives. */
        for (size_t i = 0; i < maps->n; i++)
                if (maps->entries[i].exec && maps_entry_is_file(&maps->entries[i]))
                        touch_pages(&maps->entries[i]);
        r = xip_verify_process(0, ranges, &report, &error);
        if (r < 0) {
                fprintf(stderr, "daxmgr-xip-probe: %s\n", error_message(error, r));
                return 1;
        }
        if (report->pfn_hidden) {
                fprintf(stderr, "daxmgr-xip-probe: the kernel hid the page frame numbers; run as root "
                                "(CAP_SYS_ADMIN)\n");
                return 1;
        }
        for (size_t i = 0; i < report->n_mappings; i++) {
                const XipMapping *m = &report->mappings[i];
                bool own = makedev(m->map.dev_major, m->map.dev_minor) == st.st_dev &&
                           m->map.inode == st.st_ino;

                if (!m->map.exec)
                        continue;
                for (unsigned k = 0; k < _PAGE_CLASS_MAX; k++)
                        (own ? &text : &other)->pages[k] += m->counts.pages[k];
                if (!quiet)
                        printf("mapping own=%d pages=%" PRIu64 " pmem=%" PRIu64 " dram=%" PRIu64
                               " not_resident=%" PRIu64 " path=%s\n",
                               own, page_counts_total(&m->counts), m->counts.pages[PAGE_PMEM],
                               m->counts.pages[PAGE_DRAM], m->counts.pages[PAGE_NOT_RESIDENT], m->map.path);
        }

        printf("text_pages=%" PRIu64 "\n", page_counts_total(&text));
        printf("text_pmem=%" PRIu64 "\n", text.pages[PAGE_PMEM]);
        printf("text_dram=%" PRIu64 "\n", text.pages[PAGE_DRAM]);
        printf("text_not_resident=%" PRIu64 "\n", text.pages[PAGE_NOT_RESIDENT] + text.pages[PAGE_SWAPPED]);
        printf("libs_text_pages=%" PRIu64 "\n", page_counts_total(&other));
        printf("libs_text_pmem=%" PRIu64 "\n", other.pages[PAGE_PMEM]);

        /* .data: read (maps the file's page), then write (copy-on-write to an anonymous page). */
        (void) probe_data[0];
        r = classify_address(pagemap_fd, (const void *) probe_data, ranges, &before);
        if (r >= 0) {
                probe_data[0]++;
                r = classify_address(pagemap_fd, (const void *) probe_data, ranges, &after);
        }
        if (r < 0) {
                fprintf(stderr, "daxmgr-xip-probe: cannot read the pagemap entry of .data: %s\n",
                        strerror(-r));
                return 1;
        }
        printf("data_before_write=%s\n", page_class_to_string(before));
        printf("data_after_write=%s\n", page_class_to_string(after));
        return 0;
}
