/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"
#include "parse-util.h"
#include "pmem-range.h"

PmemRanges *pmem_ranges_free(PmemRanges *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n; i++)
                free(r->ranges[i].name);
        free(r->ranges);
        free(r);
        return NULL;
}

int pmem_ranges_new(PmemRanges **ret) {
        PmemRanges *r = calloc(1, sizeof(*r));

        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}

int pmem_ranges_add(PmemRanges *r, uint64_t start, uint64_t end, const char *name) {
        PmemRange *p;
        size_t i;
        char *n;

        if (!r || end <= start)
                return -EINVAL;

        /* Insertion point: first range starting after @start. */
        for (i = 0; i < r->n && r->ranges[i].start <= start; i++)
                ;
        if (i > 0 && r->ranges[i - 1].end > start)
                return -EEXIST;
        if (i < r->n && r->ranges[i].start < end)
                return -EEXIST;

        n = strdup(name ?: "");
        if (!n)
                return -ENOMEM;
        p = reallocarray(r->ranges, r->n + 1, sizeof(*p));
        if (!p) {
                free(n);
                return -ENOMEM;
        }
        r->ranges = p;
        memmove(r->ranges + i + 1, r->ranges + i, (r->n - i) * sizeof(*p));
        r->ranges[i] = (PmemRange){ .start = start, .end = end, .name = n };
        r->n++;
        return 0;
}

static bool iomem_name_is_pmem(const char *name) {
        /* "Persistent Memory" (NFIT, e820 type 7) and "Persistent Memory (legacy)" (memmap=,
         * e820 type 12). */
        return strncmp(name, "Persistent Memory", strlen("Persistent Memory")) == 0;
}

int pmem_ranges_parse_iomem(const char *text, PmemRanges **ret) {
        _cleanup_pmem_ranges_ PmemRanges *r = NULL;
        size_t pmem_indent = SIZE_MAX; /* indentation of the pmem entry we are inside, if any */
        bool hidden = false;
        int k;

        if (!text)
                return -EINVAL;
        k = pmem_ranges_new(&r);
        if (k < 0)
                return k;

        for (const char *line = text; *line;) {
                const char *eol = strchrnul(line, '\n'), *p = line, *sep;
                _cleanup_free_ char *range = NULL, *name = NULL;
                uint64_t start, last;
                size_t indent;

                while (p < eol && *p == ' ')
                        p++;
                indent = (size_t) (p - line);
                if (p == eol)
                        goto next; /* blank line */

                sep = strstr(p, " : ");
                if (!sep || sep > eol)
                        return -EBADMSG;
                range = strndup(p, (size_t) (sep - p));
                if (!range)
                        return -ENOMEM;
                if (parse_hex_range(range, &start, &last) < 0 || last < start)
                        return -EBADMSG;

                if (pmem_indent != SIZE_MAX) {
                        if (indent > pmem_indent)
                                goto next; /* a child of a pmem entry: namespace, kmem */
                        pmem_indent = SIZE_MAX;
                }

                name = strndup(sep + 3, (size_t) (eol - (sep + 3)));
                if (!name)
                        return -ENOMEM;
                if (!iomem_name_is_pmem(name))
                        goto next;

                pmem_indent = indent;
                if (start == 0 && last == 0) {
                        hidden = true;
                        goto next;
                }
                if (last == UINT64_MAX)
                        return -EBADMSG;
                k = pmem_ranges_add(r, start, last + 1, name);
                if (k == -EEXIST)
                        return -EBADMSG;
                if (k < 0)
                        return k;
next:
                line = *eol ? eol + 1 : eol;
        }

        if (r->n == 0)
                return hidden ? -EPERM : -ENOENT;
        *ret = TAKE_PTR(r);
        return 0;
}

int pmem_ranges_from_iomem(const char *path, PmemRanges **ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_file(path ?: "/proc/iomem", READ_FULL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        return pmem_ranges_parse_iomem(text, ret);
}

int pmem_region_parse(const char *resource, const char *size, uint64_t *ret_start, uint64_t *ret_end) {
        uint64_t start, len;
        int r;

        r = parse_u64(resource, 16, &start);
        if (r < 0)
                return r;
        r = parse_u64(size, 10, &len);
        if (r < 0)
                return r;
        if (len == 0)
                return 1;
        if (start > UINT64_MAX - len)
                return -ERANGE;
        *ret_start = start;
        *ret_end = start + len;
        return 0;
}

int pmem_ranges_from_sysfs(const char *sysfs_root, PmemRanges **ret) {
        _cleanup_pmem_ranges_ PmemRanges *r = NULL;
        _cleanup_free_ char *dir_path = NULL;
        _cleanup_close_ int dir_fd = -1;
        DIR *d;
        int k = 0;

        if (asprintf(&dir_path, "%s/bus/nd/devices", sysfs_root ?: "/sys") < 0)
                return -ENOMEM;
        dir_fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return errno == ENOENT ? -ENOENT : negative_errno();

        k = pmem_ranges_new(&r);
        if (k < 0)
                return k;

        d = fdopendir(dir_fd);
        if (!d)
                return negative_errno();
        dir_fd = -1; /* owned by d now */

        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *devtype = NULL, *res = NULL, *size = NULL;
                _cleanup_close_ int reg_fd = -1;
                uint64_t start, end;

                if (strncmp(de->d_name, "region", 6) != 0)
                        continue;
                reg_fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (reg_fd < 0)
                        continue; /* vanished meanwhile */

                if (read_one_line_at(reg_fd, "devtype", &devtype) < 0 || strcmp(devtype, "nd_pmem") != 0)
                        continue;

                k = read_one_line_at(reg_fd, "resource", &res);
                if (k < 0)
                        break;
                k = read_one_line_at(reg_fd, "size", &size);
                if (k < 0)
                        break;
                k = pmem_region_parse(res, size, &start, &end);
                if (k < 0)
                        break;
                if (k > 0)
                        continue; /* a disabled or zero-sized region holds no memory */
                k = pmem_ranges_add(r, start, end, de->d_name);
                if (k < 0)
                        break;
        }
        (void) closedir(d);

        if (k == -EACCES)
                k = -EPERM;
        if (k < 0)
                return k;
        if (r->n == 0)
                return -ENOENT;
        *ret = TAKE_PTR(r);
        return 0;
}

int pmem_ranges_load(PmemRanges **ret) {
        int r;

        r = pmem_ranges_from_sysfs(NULL, ret);
        if (r != -ENOENT)
                return r;
        return pmem_ranges_from_iomem(NULL, ret);
}

const PmemRange *pmem_ranges_find(const PmemRanges *r, uint64_t phys_addr) {
        size_t lo = 0, hi;

        if (!r)
                return NULL;
        hi = r->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const PmemRange *m = &r->ranges[mid];

                if (phys_addr < m->start)
                        hi = mid;
                else if (phys_addr >= m->end)
                        lo = mid + 1;
                else
                        return m;
        }
        return NULL;
}

uint64_t pmem_ranges_total(const PmemRanges *r) {
        uint64_t t = 0;

        for (size_t i = 0; r && i < r->n; i++)
                t += r->ranges[i].end - r->ranges[i].start;
        return t;
}
