/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daxmgr-tool verbs for XIP verification. */

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "elf-advice.h"
#include "error.h"
#include "parse-util.h"
#include "tool.h"
#include "xip-verify.h"

static void print_human(const XipReport *r) {
        const XipSummary *s = &r->summary;

        printf("process %d (%s): %.1f%% of its resident executable file pages are in pmem (%" PRIu64
               " pmem, %" PRIu64 " DRAM; %" PRIu64 " not resident); %" PRIu64 " pages copied on write\n",
               (int) r->pid, r->comm ?: "?", xip_summary_pmem_percent(s), s->exec_pmem, s->exec_dram,
               s->exec_not_resident, s->cow_pages);
        if (r->pmd_known)
                printf("2 MiB mappings: %" PRIu64 " of %" PRIu64
                       " PMD-eligible windows of executable mappings are mapped with one PMD entry\n",
                       s->pmd_mapped, s->pmd_eligible);
        else
                printf("2 MiB mappings: not measured (the kernel has no PAGEMAP_SCAN, Linux 6.7); %" PRIu64
                       " PMD-eligible windows of executable mappings\n",
                       s->pmd_eligible);
        printf("%-5s %8s %8s %8s %8s %6s  %s\n", "PERMS", "PAGES", "PMEM", "DRAM", "NOT-RES", "COW", "PATH");
        for (size_t i = 0; i < r->n_mappings; i++) {
                const XipMapping *m = &r->mappings[i];

                printf("%c%c%c%c  %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %6" PRIu64 "  %s%s\n",
                       m->map.read ? 'r' : '-', m->map.write ? 'w' : '-', m->map.exec ? 'x' : '-',
                       m->map.shared ? 's' : 'p', page_counts_total(&m->counts), m->counts.pages[PAGE_PMEM],
                       m->counts.pages[PAGE_DRAM],
                       m->counts.pages[PAGE_NOT_RESIDENT] + m->counts.pages[PAGE_SWAPPED], m->cow_pages,
                       m->map.path, m->map.deleted ? " (deleted)" : "");
        }
        if (r->n_pmem_ranges == 0)
                printf("note: this machine has no pmem, so every resident page is in DRAM\n");
}

int verb_verify(int argc, char *argv[]) {
        _cleanup_xip_report_ XipReport *r = NULL;
        _cleanup_free_ char *e = NULL;
        bool json = false;
        const char *pid_arg = NULL;
        uint32_t pid;
        int k;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (!pid_arg)
                        pid_arg = argv[i];
                else
                        pid_arg = "";
        }
        if (!pid_arg || parse_u32(pid_arg, 10, &pid) < 0 || pid == 0 || pid > INT32_MAX) {
                fprintf(stderr, "daxmgr-tool verify: give one process ID (and optionally --json)\n");
                return 2;
        }

        k = xip_verify_process((pid_t) pid, NULL, &r, &e);
        if (k < 0)
                return tool_fail(argv[0], e, k);
        if (r->pfn_hidden) {
                fprintf(stderr,
                        "daxmgr-tool verify: the kernel hides page frame numbers from this user, so where "
                        "the pages live cannot be told; run as root (CAP_SYS_ADMIN)\n");
                return 1;
        }
        if (json) {
                json_object *j = xip_report_to_json(r);
                printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(j);
        } else
                print_human(r);
        return 0;
}

/* What of an ELF file XIP can serve from pmem, and what defeats it. */
int verb_advise(int argc, char *argv[]) {
        _cleanup_elf_advice_ ElfAdvice *a = NULL;
        _cleanup_free_ char *e = NULL;
        uint64_t served, total;
        int k;

        if (argc != 2) {
                fprintf(stderr, "daxmgr-tool advise: give one ELF file\n");
                return 2;
        }
        k = elf_advice(argv[1], &a, &e);
        if (k < 0)
                return tool_fail(argv[0], e, k);
        served = a->text_pages + a->rodata_pages;
        total = served + a->data_pages + a->bss_pages;
        printf("%s: %" PRIu64 " of %" PRIu64 " pages can execute or be read in place (%.1f%%)\n", argv[1],
               served, total, total ? 100.0 * (double) served / (double) total : 0.0);
        printf("  text   %8" PRIu64 " pages  executable, served from pmem\n", a->text_pages);
        printf("  rodata %8" PRIu64 " pages  read-only, served from pmem\n", a->rodata_pages);
        printf("  data   %8" PRIu64 " pages  writable: each copied to DRAM on its first write (%" PRIu64
               " of them RELRO)\n",
               a->data_pages, a->relro_pages);
        printf("  bss    %8" PRIu64 " pages  anonymous DRAM\n", a->bss_pages);
        printf("  2 MiB windows %" PRIu64 "  PMD-eligible (wholly inside text, file offset and address "
               "congruent modulo 2 MiB): %.1f%% of the text\n",
               a->pmd_windows, 100.0 * a->text_pmd_coverage);
        for (size_t i = 0; i < a->n_notes; i++)
                printf("%s: %s\n", elf_advice_level_to_string(a->notes[i].level), a->notes[i].text);
        return 0;
}
