/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "parse-util.h"
#include "xip-verify.h"

#define PAGE         4096
#define VERIFY_CHUNK 4096 /* pagemap entries per read: 32 KiB */

XipReport *xip_report_free(XipReport *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_mappings; i++)
                maps_entry_done(&r->mappings[i].map);
        free(r->mappings);
        free(r->comm);
        free(r);
        return NULL;
}

uint64_t xip_pmd_eligible_windows(uint64_t start, uint64_t end, uint64_t offset) {
        if ((start - offset) % PMD_SIZE != 0)
                return 0;
        return pmd_windows_in(start, end);
}

double xip_summary_pmem_percent(const XipSummary *s) {
        uint64_t resident = s->exec_pmem + s->exec_dram;

        return resident ? 100.0 * (double) s->exec_pmem / (double) resident : 0.0;
}

static void summary_add(XipSummary *s, const XipMapping *m) {
        if (m->map.exec) {
                s->exec_pages += page_counts_total(&m->counts);
                s->exec_pmem += m->counts.pages[PAGE_PMEM];
                s->exec_dram += m->counts.pages[PAGE_DRAM];
                s->exec_not_resident += m->counts.pages[PAGE_NOT_RESIDENT] + m->counts.pages[PAGE_SWAPPED];
        }
        s->cow_pages += m->cow_pages;
        if (m->map.exec) {
                s->pmd_eligible += m->pmd_eligible;
                s->pmd_mapped += m->pmd_mapped;
        }
}

int xip_verify_process(pid_t pid, const PmemRanges *ranges, XipReport **ret, char **ret_error) {
        _cleanup_pmem_ranges_ PmemRanges *loaded = NULL;
        _cleanup_xip_report_ XipReport *r = NULL;
        _cleanup_free_ char *comm_path = NULL;
        _cleanup_free_ uint64_t *entries = NULL;
        _cleanup_maps_ Maps *maps = NULL;
        _cleanup_close_ int fd = -1;
        int k;

        if (pid < 0 || !ret)
                return -EINVAL;
        if (!ranges) {
                k = pmem_ranges_load(&loaded);
                if (k == -ENOENT)
                        k = pmem_ranges_new(&loaded);
                if (k == -EPERM)
                        return error_set(
                                ret_error, k,
                                "the physical ranges of pmem are hidden from this user; verifying needs "
                                "root (CAP_SYS_ADMIN)");
                if (k < 0)
                        return error_set(ret_error, k, "cannot read the physical ranges of pmem: %s",
                                         strerror(-k));
                ranges = loaded;
        }

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->pid = pid ?: getpid();
        r->n_pmem_ranges = ranges->n;

        k = maps_read(pid, &maps);
        if (k == -ENOENT || k == -ESRCH)
                return error_set(ret_error, -ESRCH, "there is no process %d", (int) r->pid);
        if (k == -EACCES || k == -EPERM)
                return error_set(
                        ret_error, -EACCES,
                        "not allowed to look into process %d: it belongs to another user (verifying "
                        "someone else's process needs root)",
                        (int) r->pid);
        if (k < 0)
                return error_set(ret_error, k, "cannot read the mappings of process %d: %s", (int) r->pid,
                                 strerror(-k));
        fd = pagemap_open(pid);
        if (fd < 0)
                return error_set(ret_error, fd, "cannot open the pagemap of process %d: %s", (int) r->pid,
                                 strerror(-fd));

        r->pmd_known = true;
        if (asprintf(&comm_path, "/proc/%d/comm", (int) r->pid) >= 0)
                (void) read_one_line_at(AT_FDCWD, comm_path, &r->comm);

        /* Entries are read in chunks: a mapping of a large sparse file can span terabytes. */
        entries = malloc(VERIFY_CHUNK * sizeof(uint64_t));
        if (!entries)
                return -ENOMEM;

        for (size_t i = 0; i < maps->n; i++) {
                MapsEntry *e = &maps->entries[i];
                XipMapping *m;

                if (!maps_entry_is_file(e))
                        continue;

                m = reallocarray(r->mappings, r->n_mappings + 1, sizeof(*m));
                if (!m)
                        return -ENOMEM;
                r->mappings = m;
                m = &r->mappings[r->n_mappings++];
                *m = (XipMapping){ .map = *e };
                e->path = NULL; /* moved */

                for (uint64_t a = m->map.start; a < m->map.end;) {
                        uint64_t n = (m->map.end - a) / PAGE, b;

                        if (n > VERIFY_CHUNK)
                                n = VERIFY_CHUNK;
                        b = a + n * PAGE;
                        k = pagemap_read(fd, a, b, PAGE, entries);
                        if (k == -ESRCH || k == -EIO)
                                return error_set(ret_error, -ESRCH, "process %d exited while being verified",
                                                 (int) r->pid);
                        if (k < 0)
                                return error_set(ret_error, k, "cannot read the pagemap of process %d: %s",
                                                 (int) r->pid, strerror(-k));

                        for (uint64_t j = 0; j < n; j++) {
                                PageClass c = pagemap_classify_entry(entries[j], ranges, PAGE);

                                m->counts.pages[c]++;
                                if (c == PAGE_PFN_HIDDEN)
                                        r->pfn_hidden = true;
                                /* A private file page that is present but no longer a file page,
                                 * at a DRAM frame, is a copy made by a write. (DAX pages also
                                 * lack PM_FILE, but their frames are in pmem.) */
                                if (!m->map.shared && c == PAGE_DRAM && !(entries[j] & PM_FILE))
                                        m->cow_pages++;
                        }
                        a = b;
                }

                m->pmd_eligible = xip_pmd_eligible_windows(m->map.start, m->map.end, m->map.offset);
                if (r->pmd_known) {
                        k = pagemap_count_pmd_mapped(fd, m->map.start, m->map.end, &m->pmd_mapped);
                        if (k == -ESRCH)
                                return error_set(ret_error, -ESRCH, "process %d exited while being verified",
                                                 (int) r->pid);
                        /* No PAGEMAP_SCAN (-EOPNOTSUPP), or refused: then it is not measured. */
                        if (k < 0)
                                r->pmd_known = false;
                }
        }

        for (size_t i = 0; i < r->n_mappings; i++)
                summary_add(&r->summary, &r->mappings[i]);

        *ret = TAKE_PTR(r);
        return 0;
}

bool xip_report_file_summary(const XipReport *r, unsigned dev_major, unsigned dev_minor, uint64_t inode,
                             XipSummary *ret) {
        bool found = false;

        *ret = (XipSummary){};
        for (size_t i = 0; i < r->n_mappings; i++) {
                const XipMapping *m = &r->mappings[i];

                if (m->map.dev_major != dev_major || m->map.dev_minor != dev_minor || m->map.inode != inode)
                        continue;
                summary_add(ret, m);
                found = true;
        }
        return found;
}

static json_object *summary_to_json(const XipSummary *s, bool pmd_known) {
        json_object *o = json_object_new_object();

        (void) json_object_object_add(o, "exec_pages", json_object_new_uint64(s->exec_pages));
        (void) json_object_object_add(o, "exec_pmem", json_object_new_uint64(s->exec_pmem));
        (void) json_object_object_add(o, "exec_dram", json_object_new_uint64(s->exec_dram));
        (void) json_object_object_add(o, "exec_not_resident", json_object_new_uint64(s->exec_not_resident));
        (void) json_object_object_add(o, "exec_pmem_percent",
                                      json_object_new_double(xip_summary_pmem_percent(s)));
        (void) json_object_object_add(o, "cow_pages", json_object_new_uint64(s->cow_pages));
        (void) json_object_object_add(o, "pmd_eligible_windows", json_object_new_uint64(s->pmd_eligible));
        (void) json_object_object_add(o, "pmd_mapped_windows",
                                      pmd_known ? json_object_new_uint64(s->pmd_mapped) : NULL);
        return o;
}

json_object *xip_report_to_json(const XipReport *r) {
        json_object *o = json_object_new_object(), *maps = json_object_new_array();

        (void) json_object_object_add(o, "pid", json_object_new_int(r->pid));
        (void) json_object_object_add(o, "comm", r->comm ? json_object_new_string(r->comm) : NULL);
        (void) json_object_object_add(o, "pfn_hidden", json_object_new_boolean(r->pfn_hidden));
        (void) json_object_object_add(o, "pmd_known", json_object_new_boolean(r->pmd_known));
        (void) json_object_object_add(o, "pmem_ranges", json_object_new_int((int) r->n_pmem_ranges));
        (void) json_object_object_add(o, "summary", summary_to_json(&r->summary, r->pmd_known));
        for (size_t i = 0; i < r->n_mappings; i++) {
                const XipMapping *m = &r->mappings[i];
                json_object *j = json_object_new_object();
                char perms[5] = { m->map.read ? 'r' : '-', m->map.write ? 'w' : '-', m->map.exec ? 'x' : '-',
                                  m->map.shared ? 's' : 'p', 0 };
                char range[64];

                (void) snprintf(range, sizeof(range), "%" PRIx64 "-%" PRIx64, m->map.start, m->map.end);
                (void) json_object_object_add(j, "range", json_object_new_string(range));
                (void) json_object_object_add(j, "perms", json_object_new_string(perms));
                (void) json_object_object_add(j, "path", json_object_new_string(m->map.path));
                (void) json_object_object_add(j, "deleted", json_object_new_boolean(m->map.deleted));
                (void) json_object_object_add(j, "inode", json_object_new_uint64(m->map.inode));
                for (unsigned c = 0; c < _PAGE_CLASS_MAX; c++)
                        (void) json_object_object_add(j, page_class_to_string((PageClass) c),
                                                      json_object_new_uint64(m->counts.pages[c]));
                (void) json_object_object_add(j, "cow", json_object_new_uint64(m->cow_pages));
                (void) json_object_object_add(j, "pmd_eligible_windows",
                                              json_object_new_uint64(m->pmd_eligible));
                (void) json_object_object_add(j, "pmd_mapped_windows",
                                              r->pmd_known ? json_object_new_uint64(m->pmd_mapped) : NULL);
                (void) json_object_array_add(maps, j);
        }
        (void) json_object_object_add(o, "mappings", maps);
        return o;
}
